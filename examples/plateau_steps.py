"""How many steps each SRAAL phase needs before its tracking stops rising, by data size.
=====================================================================================

    python examples/plateau_steps.py --out docs/_static/bench/plateau

For each data set (wine 178 rows and breast_cancer 569 rows of tabular
features, digits 1,797 8x8 images, MNIST-5k 5,000 28x28 images, and MNIST-5k
resampled with pixel noise to 20,000 and 100,000 rows), 10% labeled, a
``StandardScaler + LogisticRegression`` target for the states, one SRAAL fit
fit per number of adversarial iterations (``--iters``), each followed by the
default refit run to its whole budget, no plateau stop, the other defaults as shipped,
one thread. The table gives the final tracking (Spearman, discriminator
against states, every unlabeled row) by iterations, the fewest iterations
within 95% of the best, and, from the longest fit's ``training_log_``, the
refit steps to 95% of the refit's best; and the milliseconds per step.
Writes ``plateau.csv`` and ``plateau.md``.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def load(name: str):
    from sklearn.datasets import load_breast_cancer, load_wine

    from modal_sraal.datasets import load_dataset

    if name in ("wine", "breast_cancer"):
        X, y = (load_wine if name == "wine" else load_breast_cancer)(return_X_y=True)
        return X.astype(np.float32), y
    if name in ("digits", "mnist5k"):
        return load_dataset(name)
    from query_cost import make_pool   # mnist20k, mnist100k: resampled MNIST-5k

    return make_pool("28x28", int(name[5:-1]) * 1000)


def first_reaching(log, phase, share=0.95):
    entries = [e for e in log if e["phase"] == phase and np.isfinite(e["tracking"])]
    best = max(e["tracking"] for e in entries)
    start = entries[0]["iter"] - (entries[1]["iter"] - entries[0]["iter"]) if len(entries) > 1 else 0
    for e in entries:
        if e["tracking"] >= share * best:
            return e["iter"] - start, best
    return entries[-1]["iter"] - start, best


def main(argv=None):
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from modal_sraal import SRAAL
    from modal_sraal.benchmark.report import md_table, write_lines

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/plateau")
    p.add_argument("--datasets", nargs="+",
                   default=["wine", "breast_cancer", "digits", "mnist5k", "mnist20k", "mnist100k"])
    p.add_argument("--iters", nargs="+", type=int, default=[25, 50, 100, 200, 400])
    p.add_argument("--refit-steps", default="auto",
                   help="'auto' (the default's refit, run to its full budget) or a number")
    a = p.parse_args(argv)
    if a.refit_steps != "auto":
        a.refit_steps = int(a.refit_steps)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for name in a.datasets:
        X, y = load(name)
        n = len(X)
        rng = np.random.RandomState(0)
        lab = rng.choice(n, n // 10, replace=False)
        unl = np.setdiff1d(np.arange(n), lab)
        target = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
        target.fit(X[lab].reshape(len(lab), -1), y[lab])
        proba = target.predict_proba(X[unl].reshape(len(unl), -1))
        width = 16 if X.ndim == 4 and X.shape[-1] >= 16 else 32
        XX, yy = np.concatenate([X[lab], X[unl]]), np.r_[y[lab], -np.ones(len(unl), int)]
        final, per_iter = {}, []
        for k in a.iters:   # the tracking after the refit, by adversarial iterations
            model = SRAAL(n_iter=k, discriminator_refit_steps=a.refit_steps, n_iter_no_change=None,
                          width=width, random_state=0)   # refit: the default's, run in full
            model.fit(XX, yy, uncertainty=proba)
            final[k] = model.tracking_
            per_iter.append(model.fit_phases_["adversarial_s"] / k)
        best = max(final.values())
        enough = min(k for k, v in final.items() if v >= 0.95 * best)
        refit_steps, refit_best = first_reaching(model.training_log_, "refit")
        row = dict(dataset=name, rows=n, shape="x".join(map(str, X.shape[1:])),
                   tracking_by_iterations=" ".join(f"{k}:{v:.2f}" for k, v in final.items()),
                   adversarial_to_95=enough,
                   adversarial_ms=f"{1000 * np.median(per_iter):.1f}",
                   refit_to_95=refit_steps, refit_best=f"{refit_best:.2f}",
                   refit_ms=f"{1000 * model.fit_phases_['refit_s'] / model.refit_steps_:.2f}",
                   encode_s=f"{model.fit_phases_['encode_s']:.2f}")
        rows.append(row)
        print(row, flush=True)
    with open(os.path.join(a.out, "plateau.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    head = ["data set", "rows", "sample", "tracking after the refit, by adversarial iterations",
            "iterations to 95% of the best", "ms / iteration", "refit steps to 95% (best)",
            "ms / refit step", "encode s"]
    lines = md_table(head, [[r["dataset"], f"{r['rows']:,}", r["shape"], r["tracking_by_iterations"],
                             str(r["adversarial_to_95"]), r["adversarial_ms"],
                             f"{r['refit_to_95']} ({r['refit_best']})", r["refit_ms"], r["encode_s"]]
                            for r in rows])
    write_lines(a.out, "plateau.md", lines)


if __name__ == "__main__":
    main()
