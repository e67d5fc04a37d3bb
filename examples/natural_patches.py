"""Does the reconstruction weight cost anything on natural images? (offline patches)
==================================================================================

    python examples/natural_patches.py --out runs/natural_patches [--seeds 0 1 2 3 4 5]

The benchmark's sets are digits and MNIST: even-contrast strokes, which the UIR
reconstructs alike when clean, so ``sraal_query``'s reconstruction weight acts
only on noisy rows there. On natural images the spread of reconstruction errors
is the content's (texture against flat sky), so the weight acts without any
noise to remove, and may push informative textured rows out of the batch. This
checks that on the only natural images that install offline, scikit-learn's two
sample photographs: 32x32 patches, 8 classes (photograph x quadrant), a training
set of ``--per-photo`` patches per photograph and a test set drawn apart (another
seed); a ``StandardScaler + LogisticRegression`` target on the flattened
patches; 10% random start, ``--cycles`` cycles of 5%. Methods: ``sraal_query``
with ``reconstruction_power`` 0 (``sraal_p0``) and 2 (``sraal_p2``; tolerance 2
for both), margin sampling and random. Writes the benchmark's ``results.csv``
(resumable), ``environment.txt`` and its summary (``summary.md``, ``.rst``, ``.png``: paired
differences against ``sraal_p0``).
"""
from __future__ import annotations

import argparse
import os
import time
import warnings
from functools import partial

import numpy as np

METHODS = ("sraal_p0", "sraal_p2", "margin", "random")


def _flatten(A):
    return A.reshape(len(A), -1)


def _strategy(method: str, seed: int):
    from modAL.uncertainty import margin_sampling

    from modal_sraal import sraal_query
    from modal_sraal.baselines import random_query

    if method.startswith("sraal_p"):
        return partial(sraal_query, random_state=seed, reconstruction_power=float(method[-1]),
                       reconstruction_tolerance=2.0)
    if method == "margin":
        return margin_sampling
    return partial(random_query, random_state=np.random.RandomState(seed))


def run(out: str, seeds, per_photo: int = 1500, test_per_photo: int = 1000, cycles: int = 4,
        methods=METHODS) -> str:
    """Run the loop for every (method, seed) not yet in ``out``'s ``results.csv``; return its path."""
    import torch
    from modAL.models import ActiveLearner
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from modal_sraal.benchmark.storage import FIELDS, append_row, read_rows, record_environment
    from modal_sraal.loop import Cycle, run_cycles

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "results.csv")
    record_environment(out)
    from modal_sraal.patches import photo_patches

    X, y = photo_patches(per_photo, seed=0)
    X_test, y_test = photo_patches(test_per_photo, seed=1)
    n = len(X)
    done = {(r["method"], r["seed"]) for r in read_rows(path) if int(r["cycle"]) == cycles}
    for seed in seeds:
        start = np.random.RandomState(seed).choice(n, n // 10, replace=False)
        for method in methods:
            if (method, str(seed)) in done:
                continue
            target = make_pipeline(FunctionTransformer(_flatten), StandardScaler(),
                                   LogisticRegression(max_iter=300))
            t = time.perf_counter()
            learner = ActiveLearner(target, _strategy(method, seed), X_training=X[start],
                                    y_training=y[start])
            fit_s, rows = time.perf_counter() - t, []

            def add_row(cycle: int, pool: np.ndarray, fit_s: float, query_s: str = "",
                        down: str = "") -> None:
                rows.append({**dict.fromkeys(FIELDS, ""), "dataset": "photo-patches",
                             "method": method, "init": "random", "seed": seed, "cycle": cycle,
                             "labeled": n - len(pool), "fraction": f"{(n - len(pool)) / n:.4f}",
                             "accuracy": f"{learner.score(X_test, y_test):.4f}",
                             "target_fit_s": f"{fit_s:.4f}", "query_s": query_s,
                             "down_weighted": down})

            def record(c: Cycle) -> None:
                sraal = getattr(learner, "sraal_", None)   # the SRAAL that picked this batch
                down = f"{sraal.batch_selection_.get('down_weighted', 0.0):.4f}" if sraal else ""
                add_row(c.cycle, c.pool, c.fit_seconds, f"{c.query_seconds:.4f}", down)

            pool = np.setdiff1d(np.arange(n), start)
            add_row(0, pool, fit_s)
            run_cycles(learner, X, y, pool, n // 20, cycles, on_cycle=record)
            for row in rows:   # a (method, seed) is written whole, so a stopped run resumes cleanly
                append_row(path, row)
            print(f"{method} seed {seed}: " + " ".join(r["accuracy"] for r in rows), flush=True)
    return path


def main(argv=None):
    from modal_sraal.benchmark.report import summarize

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/natural_patches")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4, 5])
    p.add_argument("--per-photo", type=int, default=1500)
    p.add_argument("--test-per-photo", type=int, default=1000)
    p.add_argument("--cycles", type=int, default=4)
    a = p.parse_args(argv)
    path = run(a.out, a.seeds, a.per_photo, a.test_per_photo, a.cycles)
    summarize(path, a.out, reference="sraal_p0", title="photo patches (8 classes)",
              methods=list(METHODS))


if __name__ == "__main__":
    main()
