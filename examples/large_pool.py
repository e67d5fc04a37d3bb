"""A SRAAL query and a Core-set query on a pool that lives on disk.
================================================================

Creates (or opens) a uint8 pool of ``--n`` images (default 1,000,000 x
3x32x32, 2.9 GiB) as a NumPy memmap or an HDF5 file, trains a small skorch
CNN on ``--n-labeled`` of its rows, then queries the rest through modAL's
``ActiveLearner`` with ``sraal_query`` and ``coreset_query`` at their
defaults, printing the time of each phase and the peak memory the query
added to the process::

    python examples/large_pool.py                       # 1M images, memmap
    python examples/large_pool.py --n 100000 --store hdf5
    python examples/large_pool.py --n 20000 --json runs/scale/20k.json

The images are synthetic (10 classes, each a colour pattern plus noise), so
the script needs no download. Memory is read from ``/proc/self/status``:
``RssAnon`` (anonymous memory: what the process allocated; the memmap's
pages are file cache the kernel can drop) sampled every 10 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
from functools import partial

import numpy as np

SHAPE = (3, 32, 32)
N_CLASSES = 10


def scale_uint8(a):
    """The target's preprocessing: uint8 images to float32 in [0, 1]."""
    return np.asarray(a, dtype=np.float32) / 255.0


def class_of(rows: np.ndarray) -> np.ndarray:
    """Label of generated rows: which class pattern their start index had."""
    return rows % N_CLASSES


def make_images(rows: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """Synthetic uint8 images: the pattern of ``class_of(rows)`` plus noise."""
    patterns = np.random.RandomState(0).randint(40, 216, (N_CLASSES, *SHAPE)).astype(np.int16)
    noise = rng.randint(-40, 41, (len(rows), *SHAPE)).astype(np.int16)
    return np.clip(patterns[class_of(rows)] + noise, 0, 255).astype(np.uint8)


def create_pool(path: str, n: int, store: str, chunk: int = 20_000) -> None:
    """Write ``n`` synthetic uint8 images in chunks (bounded memory)."""
    rng = np.random.RandomState(1)
    if store == "hdf5":
        import h5py

        f = h5py.File(path, "w")
        out = f.create_dataset("images", shape=(n, *SHAPE), dtype=np.uint8,
                               chunks=(64, *SHAPE))
    else:
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, *SHAPE))
    for start in range(0, n, chunk):
        rows = np.arange(start, min(n, start + chunk))
        out[start:rows[-1] + 1] = make_images(rows, rng)
    if store == "hdf5":
        f.close()
    else:
        out.flush()


def open_pool(path: str, store: str):
    if store == "hdf5":
        import h5py

        return h5py.File(path, "r")["images"]
    return np.load(path, mmap_mode="r")


class PeakMemory:
    """Peak anonymous memory (MiB) above the level at start, sampled in a thread."""

    def __init__(self, every: float = 0.01):
        self.every, self.peak, self._stop = every, 0, threading.Event()

    @staticmethod
    def anon_mib() -> float:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        import psutil  # not Linux: resident memory, file pages included

        return psutil.Process().memory_info().rss / 2**20

    def __enter__(self):
        self.start = self.peak = self.anon_mib()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.anon_mib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.anon_mib())
        self.added = self.peak - self.start


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="pool images (default 1,000,000)")
    p.add_argument("--store", choices=["memmap", "hdf5"], default="memmap")
    p.add_argument("--path", help="pool file (default runs/large_pool/pool_N.npy or .h5)")
    p.add_argument("--n-labeled", type=int, default=1000)
    p.add_argument("--n-instances", type=int, default=100)
    p.add_argument("--methods", nargs="+", default=["sraal", "coreset"],
                   choices=["sraal", "coreset"])
    p.add_argument("--device", default="auto")
    p.add_argument("--json", help="also write the measurements here")
    args = p.parse_args(argv)

    import torch
    from modAL.models import ActiveLearner
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from modal_sraal import coreset_query, kcenter_greedy, sraal_query
    from modal_sraal.models import make_target_classifier

    path = args.path or os.path.join(
        "runs", "large_pool", f"pool_{args.n}.{'h5' if args.store == 'hdf5' else 'npy'}")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    result = {"n": args.n, "store": args.store, "shape": SHAPE, "threads": torch.get_num_threads()}
    t = time.perf_counter()
    if not os.path.exists(path):
        create_pool(path, args.n, args.store)
        result["create_s"] = round(time.perf_counter() - t, 1)
    pool = open_pool(path, args.store)
    print(f"pool: {path}, {pool.shape[0]:,} x {SHAPE} uint8 "
          f"({pool.shape[0] * np.prod(SHAPE) / 2**30:.2f} GiB on disk)", flush=True)

    # The labeled rows: images of the same kind, held in memory beside the pool.
    y_lab = np.arange(args.n_labeled) % N_CLASSES
    X_lab = make_images(y_lab, np.random.RandomState(2))
    net = make_target_classifier(SHAPE, N_CLASSES, max_epochs=5, device=args.device)
    target = make_pipeline(FunctionTransformer(scale_uint8), net)

    import modal_sraal.query as query_module

    for method in args.methods:
        strategy = (partial(sraal_query, random_state=0) if method == "sraal" else coreset_query)
        t = time.perf_counter()
        learner = ActiveLearner(target, strategy, X_training=X_lab, y_training=y_lab)
        phases = {"target_fit_s": time.perf_counter() - t}
        # Time the phases inside the query by wrapping what it calls.
        spent = {"predict_proba_s": 0.0, "kcenter_s": 0.0}

        def timed(fn, key):
            def run(*a, **kw):
                t0 = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    spent[key] += time.perf_counter() - t0
            return run

        learner.predict_proba = timed(learner.predict_proba, "predict_proba_s")
        query_module.kcenter_greedy = timed(kcenter_greedy, "kcenter_s")
        with PeakMemory() as mem:
            t = time.perf_counter()
            idx, _ = learner.query(pool, n_instances=args.n_instances)
            phases["query_s"] = time.perf_counter() - t
        query_module.kcenter_greedy = kcenter_greedy
        phases["query_added_mib"] = mem.added
        if method == "sraal":
            model = learner.sraal_
            phases["predict_proba_s"] = spent["predict_proba_s"]
            phases.update(model.fit_phases_)
            phases["select_s"] = (phases["query_s"] - phases["predict_proba_s"]
                                  - model.fit_seconds_)
            phases.update(sraal_iterations=model.n_iter_last_, tracking=model.tracking_)
        else:
            phases["kcenter_s"] = spent["kcenter_s"]
            phases["embed_s"] = phases["query_s"] - spent["kcenter_s"]
        phases["picked_classes"] = int(len(np.unique(class_of(idx))))
        phases = {k: round(float(v), 3) for k, v in phases.items()}
        result[method] = phases
        print(f"{method}: " + ", ".join(f"{k}={v}" for k, v in phases.items()), flush=True)
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
