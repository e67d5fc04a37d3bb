"""A SRAAL query on an on-disk pool, data-parallel over processes (Accelerate).
============================================================================

Every process opens the same pool file (made by ``examples/large_pool.py``),
fits the same target model, trains a ``DistributedSRAAL`` (own batches,
averaged gradients) and scores its shard of the pool inside
``data_parallel``; all processes get the same batch. Process 0 then scores
the whole pool alone and reports how far the sharded scores are from it::

    python examples/large_pool.py --n 100000 --methods sraal        # makes the pool
    accelerate launch --multi_gpu --num_processes 2 examples/distributed_query.py \\
        --path runs/large_pool/pool_100000.npy --cpu
    python examples/distributed_query.py --path runs/large_pool/pool_100000.npy --cpu  # 1 process

On GPUs leave out ``--cpu`` (one process per GPU); on several nodes add
``--num_machines``, ``--machine_rank`` and ``--main_process_ip`` to the launch.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from large_pool import N_CLASSES, SHAPE, make_images, scale_uint8  # noqa: E402


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", required=True, help="a .npy pool of uint8 images (3x32x32)")
    p.add_argument("--n-labeled", type=int, default=1000)
    p.add_argument("--n-instances", type=int, default=100)
    p.add_argument("--cpu", action="store_true", help="CPU processes even where CUDA is present")
    p.add_argument("--json", help="process 0 writes its measurements here")
    args = p.parse_args(argv)

    import torch
    from accelerate import Accelerator
    from modAL.models import ActiveLearner
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from modal_sraal import default_sraal, sraal_query
    from modal_sraal.distributed import DistributedSRAAL, data_parallel
    from modal_sraal.models import make_target_classifier

    acc = Accelerator(cpu=args.cpu)
    if acc.num_processes > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // acc.num_processes))
    pool = np.load(args.path, mmap_mode="r")
    y_lab = np.arange(args.n_labeled) % N_CLASSES
    X_lab = make_images(y_lab, np.random.RandomState(2))
    net = make_target_classifier(SHAPE, N_CLASSES, max_epochs=5, device=str(acc.device))
    target = make_pipeline(FunctionTransformer(scale_uint8), net)
    model = DistributedSRAAL(**default_sraal(pool, random_state=0).get_params())
    learner = ActiveLearner(target, partial(sraal_query, sraal=model, random_state=0),
                            X_training=X_lab, y_training=y_lab)
    with data_parallel(acc):
        t = time.perf_counter()
        picked, _ = learner.query(pool, n_instances=args.n_instances)
        query_s = time.perf_counter() - t
        t = time.perf_counter()
        sharded = model.score_samples(pool)
        sharded_s = time.perf_counter() - t
    res = {"processes": acc.num_processes, "threads_per_process": torch.get_num_threads(),
           "n": int(pool.shape[0]), "query_s": round(query_s, 1),
           "fit_phases": {k: round(v, 1) for k, v in model.fit_phases_.items()},
           "score_pool_s": round(sharded_s, 1), "picked": picked.tolist()}
    if acc.is_main_process:
        alone = model.score_samples(pool)   # one process, the whole pool
        k = args.n_instances
        res.update(max_abs_score_diff=float(np.abs(alone - sharded).max()),
                   same_top_k=bool(np.array_equal(np.argsort(-alone, kind="stable")[:k],
                                                  np.argsort(-sharded, kind="stable")[:k])))
        print(json.dumps({k: v for k, v in res.items() if k != "picked"}), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=1)
    acc.wait_for_everyone()


if __name__ == "__main__":
    main()
