"""The target CNN's accuracy by labeled count, on fixed against near-equal mini-batches.
======================================================================================

    python examples/even_batches.py --out docs/_static/bench/even_batches

For each labeled count (``--sizes``) and seed, the benchmark's target model
(:func:`modal_sraal.models.make_target_classifier`: a small CNN, Adam,
mini-batches of 64, 40 epochs) is fitted on a random subset of that many rows
twice: with skorch's fixed mini-batches (``even_batches=False``, every target
before version 0.8) and with near-equal ones (the default). Counts just
above a multiple of 64 end each fixed epoch on a batch of a few rows; the
table shows what that costs. Scored on the validation quarter of the
training split unless ``--test``. One thread. Writes ``even_batches.csv``
and ``even_batches.md``.
"""
from __future__ import annotations

import argparse
import csv
import os
import warnings

import numpy as np


def main(argv=None):
    import torch

    from modal_sraal.benchmark.data import load_benchmark_data, make_target
    from scipy import stats

    from modal_sraal.benchmark.report import md_table, write_lines

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/even_batches")
    p.add_argument("--dataset", default="digits")
    p.add_argument("--sizes", nargs="+", type=int,
                   default=[128, 129, 131, 135, 140, 160, 193, 200, 257, 300])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3])
    p.add_argument("--max-epochs", type=int, default=40)
    p.add_argument("--test", action="store_true", help="score on the test split")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, X_eval, y, y_eval, _ = load_benchmark_data(a.dataset, validation=not a.test)
    os.makedirs(a.out, exist_ok=True)
    records, rows = [], []
    for n in a.sizes:
        acc = {False: [], True: []}
        for seed in a.seeds:
            idx = np.random.RandomState(seed).choice(len(X), n, replace=False)
            for even in (False, True):
                net = make_target(a.dataset, X, y, a.max_epochs, seed, "cpu", even_batches=even)
                score = float(net.fit(X[idx], y[idx]).score(X_eval, y_eval))
                acc[even].append(score)
                records.append(dict(dataset=a.dataset, labeled=n, seed=seed,
                                    even_batches=even, accuracy=score))
        fixed, even = np.array(acc[False]), np.array(acc[True])
        rows.append([str(n), str(n % 64 or 64), f"{fixed.mean():.3f}", f"{even.mean():.3f}",
                     f"{even.mean() - fixed.mean():+.3f}", _p_value(stats, even, fixed)])
        print(rows[-1], flush=True)
    with open(os.path.join(a.out, "even_batches.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    split = "test" if a.test else "validation"
    lines = [f"{a.dataset}, {split} accuracy, mean over seeds {a.seeds}", ""]
    lines += md_table(["labeled rows", "last fixed batch", "fixed batches of 64", "even batches",
                       "even - fixed", "p (paired t)"], rows)
    write_lines(a.out, "even_batches.md", lines)


def _p_value(stats, a: np.ndarray, b: np.ndarray) -> str:
    """Paired t-test p over the seeds, or '' where it is undefined."""
    if len(a) < 2 or np.all(a == b):
        return ""
    return f"{stats.ttest_rel(a, b).pvalue:.3f}"


if __name__ == "__main__":
    main()
