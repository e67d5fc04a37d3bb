"""Why a warm fit's refit starts from fresh weights: tracking at a late cycle
=============================================================================

    python -m modal_sraal.benchmark --dataset mnist5k --methods sraal_track --seeds 0 1 2 3 4 \\
        --validation --out runs/val
    python examples/warm_refit.py --checkpoint runs/val/checkpoints/sraal_track_random_seed*.pkl \\
        --dataset mnist5k --validation --out docs/_static/bench/v05/warm_refit

Takes a benchmark checkpoint (the learner, its pool and the SRAAL it warm-starts,
after the run's last cycle), computes the target's OUI on the pool, and fits a
copy of that SRAAL once more, warm, with each refit rule below. Reports the
tracking (Spearman correlation of the discriminator's state with the OUI on
the unlabeled rows), the share of the OUI's top 5% (one batch) that the
discriminator also ranks in its top 5% (``top-K overlap``), the refit's steps
and seconds. One thread. Writes ``warm_refit.md``.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import time
import warnings

import numpy as np


def rules():
    from modal_sraal.budget import AUTO_REFIT, REFIT_V04

    fresh = dataclasses.replace(REFIT_V04, reset_warm=True, reset_level=False)
    return {
        "0.4: continue the weights": REFIT_V04,
        "0.4, 3x passes": dataclasses.replace(REFIT_V04, warm_factor=3.0),
        "fresh weights": fresh,
        "fresh weights, 2x passes": dataclasses.replace(fresh, warm_factor=2.0),
        "fresh weights, 3x passes": dataclasses.replace(fresh, warm_factor=3.0),
        "fresh at the states' level, 1x": dataclasses.replace(AUTO_REFIT, warm_factor=1.0),
        "fresh at the states' level, 1.5x (0.5)": AUTO_REFIT,
        "fresh at the states' level, 2x": dataclasses.replace(AUTO_REFIT, warm_factor=2.0),
    }


def main(argv=None):
    import torch

    from modal_sraal.benchmark.data import load_benchmark_data
    from modal_sraal.benchmark.report import md_table, write_lines
    from modal_sraal.checkpoint import load_checkpoint
    from modal_sraal.diagnostics import state_tracking
    from modal_sraal.uncertainty import online_uncertainty

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", nargs="+", required=True)
    p.add_argument("--dataset", default="mnist5k")
    p.add_argument("--validation", action="store_true",
                   help="the checkpoint comes from a --validation run (the same split)")
    p.add_argument("--out", default="runs/warm_refit")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, _, y, _, _ = load_benchmark_data(a.dataset)
    if a.validation:   # the benchmark's held-out quarter (modal_sraal.benchmark.protocol)
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    k = int(round(0.05 * len(X)))
    results = {label: [] for label in rules()}
    for path in a.checkpoint:
        ckpt = load_checkpoint(path)
        learner, pool, fitted = ckpt["learner"], ckpt["pool"], ckpt["strategy"].sraal
        X_pool = X[pool]
        proba = learner.predict_proba(X_pool)
        oui = online_uncertainty(proba)
        top = set(np.argsort(-oui)[:k])
        codes = np.unique(learner.y_training, return_inverse=True)[1]
        X_all = np.concatenate([learner.X_training, X_pool])
        y_all = np.concatenate([codes, -np.ones(len(X_pool), dtype=int)])
        for label, rule in rules().items():
            model = copy.deepcopy(fitted)
            model.refit_rule = rule        # an instance attribute: this fit's refit rule
            t = time.perf_counter()
            Z = model.fit_transform(X_all, y_all, uncertainty=proba)[len(codes):]
            seconds = time.perf_counter() - t
            state = model.discriminator_.predict_state(Z)
            overlap = len(top & set(np.argsort(-state)[:k])) / k
            results[label].append((state_tracking(state, oui), overlap, model.refit_steps_,
                                   model.fit_phases_["refit_s"], seconds))
            print(os.path.basename(path), label, results[label][-1], flush=True)
    rows = []
    for label, runs in results.items():
        r = np.array(runs, dtype=float)
        rows.append([label, f"{r[:, 0].mean():.2f}", f"{r[:, 1].mean():.2f}",
                     f"{r[:, 2].mean():.0f}", f"{r[:, 3].mean():.2f}", f"{r[:, 4].mean():.2f}"])
    lines = md_table(["warm refit", "tracking", "top-K overlap", "refit steps", "refit s", "fit s"],
                     rows)
    write_lines(a.out, "warm_refit.md", lines)


if __name__ == "__main__":
    main()
