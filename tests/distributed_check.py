"""Run by tests/test_distributed.py under ``accelerate launch --multi_gpu
--num_processes 2`` (CPU processes: the script asks for ``Accelerator(cpu=True)``).

Each process scores an on-disk pool inside ``data_parallel`` (a SRAAL fitted
beforehand in one process, the target's ``predict_proba``, a Core-set query),
trains a ``DistributedSRAAL`` through ``sraal_query``, and writes what it got
to ``OUT/rank{R}.npz`` for the test to compare with one process.
"""
import pickle
import sys
from functools import partial

import numpy as np
import torch
from accelerate import Accelerator

from modal_sraal import coreset_query, sraal_query
from modal_sraal.distributed import DistributedSRAAL, data_parallel


def main(out: str) -> None:
    torch.set_num_threads(1)
    acc = Accelerator(cpu=True)
    pool = np.load(f"{out}/pool.npy", mmap_mode="r")
    with open(f"{out}/fitted.pkl", "rb") as f:
        fitted, learner = pickle.load(f)
    with data_parallel(acc):
        scores = fitted.score_samples(pool)
        codes = fitted.transform(pool)
        from modal_sraal.pool import pool_predict_proba
        proba = pool_predict_proba(learner, pool)
        core_idx, _ = coreset_query(learner, pool, n_instances=5, embedding="projection")
        model = DistributedSRAAL(n_iter=20, discriminator_refit_steps=20, random_state=0)
        learner.query_strategy = partial(sraal_query, sraal=model, random_state=0)
        picked, _ = learner.query(pool, n_instances=5)
    params = torch.cat([p.detach().reshape(-1) for net in (model.generator_, model.discriminator_)
                        for p in net.module_.parameters()]).numpy()
    np.savez(f"{out}/rank{acc.process_index}.npz", scores=scores, codes=codes, proba=proba,
             core_idx=core_idx, picked=picked, params=params, world=acc.num_processes)


if __name__ == "__main__":  # collected by pytest --doctest-modules: run only when launched
    main(sys.argv[1])
