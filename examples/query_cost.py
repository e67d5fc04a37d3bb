"""Query seconds by pool size and shape: SRAAL's default against earlier versions'.
==================================================================================

    python examples/query_cost.py --out docs/_static/bench/query_cost [--sizes 1000 10000 100000]
        [--versions 0.9 0.7] [--precisions float32 bfloat16] [--device cuda]

For each shape (tabular 30 features, 8x8, 28x28, 32x32x3) and pool size, a
pool is made from installed data (digits, MNIST-5k resampled with small
pixel noise; tabular from ``make_classification``), 10% (at most 2,000
rows) is labeled, a ``StandardScaler + LogisticRegression`` on the
flattened rows is the target, and two queries of 100 rows run through
modAL (the first from scratch, the second warm-started), one thread, after a
warm-up query (torch's one-time imports are not counted). A version is
SRAAL's defaults of that version with its query's batch rule: ``'auto'``
since 0.7 (0.7's and 0.8's SRAAL is 0.6's; 0.9's cold fit is cheaper),
``'diverse'`` before; 0.14 is 0.10's SRAAL queried with the reconstruction weight
(``reconstruction_power=2``); the rule each query took is recorded (``'auto'`` picks
``'diverse'`` or ``'dense'``). ``--precisions``: each version is timed in each
precision of its training steps (``SRAAL(precision=...)``; float32 by default).
Writes ``query_cost.csv`` and ``query_cost.md`` to ``--out``.
"""
from __future__ import annotations

import argparse
import csv
import os
import time
import warnings
from functools import partial
from itertools import product

import numpy as np


def make_pool(shape: str, n: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    if shape == "tabular":
        from sklearn.datasets import make_classification

        X, y = make_classification(n, 30, n_informative=10, n_classes=5, n_clusters_per_class=2,
                                   random_state=seed)
        return X.astype(np.float32), y
    from modal_sraal.datasets import load_dataset

    X, y = load_dataset("digits" if shape == "8x8" else "mnist5k")
    idx = rng.randint(0, len(X), n)
    X = X[idx] + rng.normal(0, 0.05, size=(n, *X.shape[1:])).astype(np.float32)
    y = y[idx]
    if shape == "32x32x3":   # padded to 32x32, three tinted channels
        X = np.pad(X, ((0, 0), (0, 0), (2, 2), (2, 2)))
        X = np.concatenate([X * w for w in (1.0, 0.7, 0.4)], axis=1)
    return np.ascontiguousarray(X, dtype=np.float32), y


#: Version -> (the key of its SRAAL defaults in ``DEFAULTS_BY_VERSION``, its query's
#: batch rule, its reconstruction power): every version before 0.7 queried with
#: ``'diverse'``, every version before 0.14 without the reconstruction weight.
VERSIONS = {"0.14": ("0.10", "auto", 2.0), "0.10": ("0.10", "auto", 0.0),
            "0.9": ("0.9", "auto", 0.0), "0.7": ("0.6", "auto", 0.0),
            "0.6": ("0.6", "diverse", 0.0), "0.5": ("0.5", "diverse", 0.0),
            "0.4": ("0.4", "diverse", 0.0), "0.3": ("0.3", "diverse", 0.0),
            "0.2": ("0.2", "diverse", 0.0)}
CURRENT_VERSION = "0.14"


def time_queries(make_sraal, X, y, n_instances=100, seed=0, **query):
    from modAL.models import ActiveLearner
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from modal_sraal import sraal_query

    n = len(X)
    rng = np.random.RandomState(seed)
    lab = rng.choice(n, min(2000, n // 10), replace=False)
    pool = np.setdiff1d(np.arange(n), lab)
    flat = FunctionTransformer(lambda A: A.reshape(len(A), -1))
    target = make_pipeline(flat, StandardScaler(), LogisticRegression(max_iter=200))
    model = make_sraal(X[pool], seed)
    learner = ActiveLearner(target, partial(sraal_query, sraal=model, **query),
                            X_training=X[lab],
                            y_training=y[lab])
    t = time.perf_counter()
    learner.fit(X[lab], y[lab])
    fit_s = time.perf_counter() - t
    out = []
    for _ in range(2):
        t = time.perf_counter()
        idx, _ = learner.query(X[pool], n_instances=n_instances)
        out.append((time.perf_counter() - t, model.tracking_, model.n_iter_last_,
                    model.batch_selection_["selection"]))
        learner.teach(X[pool[idx]], y[pool[idx]])
        pool = np.delete(pool, idx)
    return fit_s, out


def main(argv=None):
    import torch

    from modal_sraal._skorch_utils import resolve_device
    from modal_sraal.benchmark.report import md_table, write_lines
    from modal_sraal.sraal import DEFAULTS_BY_VERSION, default_sraal

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/query_cost")
    p.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    p.add_argument("--shapes", nargs="+", default=["tabular", "8x8", "28x28", "32x32x3"])
    p.add_argument("--versions", nargs="+", default=[CURRENT_VERSION, "0.7"],
                   choices=list(VERSIONS))
    p.add_argument("--v02-up-to", type=int, default=10000,
                   help="time version 0.2's defaults up to this pool size (they cost minutes above)")
    p.add_argument("--precisions", nargs="+", default=["float32"],
                   choices=["float32", "bfloat16", "float16"],
                   help="precision of SRAAL's training steps (modal_sraal.precision)")
    p.add_argument("--device", default="auto", help="SRAAL's device ('auto': CUDA when present)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "query_cost.csv")
    fields = ["shape", "rows", "version", "precision", "device", "target_fit_s", "query1_s", "query2_s", "tracking1",
              "tracking2", "iters1", "iters2", "batch1", "batch2"]
    # torch imports its optimizer machinery (torch._dynamo, 1-2 s) on the first
    # optimizer of a process: pay it before timing anything.
    time_queries(lambda Xp, s: default_sraal(Xp, random_state=s), *make_pool("tabular", 300),
                 n_instances=5)
    done = set()
    if os.path.exists(path):
        # tables written before --precisions and --device timed float32 on the CPU
        done = {(r["shape"], int(r["rows"]), r["version"], r.get("precision") or "float32",
                 r.get("device") or "cpu") for r in csv.DictReader(open(path))}
    device = resolve_device(a.device)
    for shape in a.shapes:
        for n in a.sizes:
            X, y = make_pool(shape, n)
            for version, precision in product(a.versions, a.precisions):
                if ((shape, n, version, precision, device) in done
                        or (version == "0.2" and n > a.v02_up_to)):
                    continue
                defaults, selection, power = VERSIONS[version]
                make = DEFAULTS_BY_VERSION[defaults]
                fit_s, q = time_queries(
                    lambda Xp, s: make(Xp, random_state=s).set_params(precision=precision,
                                                                      device=device),
                    X, y, selection=selection, reconstruction_power=power)
                row = dict(shape=shape, rows=n, version=version, precision=precision,
                           device=device, target_fit_s=f"{fit_s:.3f}",
                           query1_s=f"{q[0][0]:.2f}", query2_s=f"{q[1][0]:.2f}",
                           tracking1=f"{q[0][1]:.2f}", tracking2=f"{q[1][1]:.2f}",
                           iters1=q[0][2], iters2=q[1][2], batch1=q[0][3], batch2=q[1][3])
                new = not os.path.exists(path)
                with open(path, "a", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=fields)
                    if new:
                        w.writeheader()
                    w.writerow(row)
                print(row, flush=True)
    rows = list(csv.DictReader(open(path)))
    head = ["shape", "rows", "version", "precision", "device", "target fit s", "first query s", "second query s",
            "tracking (1st, 2nd)", "iterations (1st, 2nd)", "batch rule (1st, 2nd)"]
    lines = md_table(head, [[r["shape"], f"{int(r['rows']):,}", r["version"],
                             r.get("precision") or "float32", r.get("device") or "cpu",
                             r["target_fit_s"],
                             r["query1_s"], r["query2_s"], f"{r['tracking1']}, {r['tracking2']}",
                             f"{r['iters1']}, {r['iters2']}",
                             f"{r.get('batch1') or '-'}, {r.get('batch2') or '-'}"] for r in rows])
    write_lines(a.out, "query_cost.md", lines)


if __name__ == "__main__":
    main()
