"""When the states crowd near 1: a weak target, and what the refit does to the tracking.
=====================================================================================

    python examples/weak_target.py --n 20000 --out docs/_static/bench/v06/weak_target

The synthetic pool of ``examples/large_pool.py`` (3x32x32 uint8 images, 10
classes), with its target (the small CNN of
:func:`~modal_sraal.models.make_target_classifier`, 5 epochs on 1,000 labeled
images), which stays weak on it: most rows get a high online uncertainty
indicator. For each configuration, one cold SRAAL fit on the labeled rows and
``--n`` unlabeled ones (torch's default threads), reporting the tracking on the probe rows when the adversarial
phase ends, at the refit's checks, the final tracking on every unlabeled row,
whether the refit was kept, and the fit's seconds. Writes ``weak_target.md``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

#: label -> how to build the SRAAL (pool, seed) -> model
CONFIGS = ("default", "0.5 (refit kept whatever it tracks)", "no refit", "0.3's refit")


def build(label: str, pool, seed: int):
    from modal_sraal.sraal import DEFAULTS_BY_VERSION, default_sraal

    if label == "default":
        return default_sraal(pool, seed)
    if label.startswith("0.5"):
        return DEFAULTS_BY_VERSION["0.5"](pool, seed)
    if label == "no refit":
        return default_sraal(pool, seed).set_params(discriminator_refit_steps=0)
    return DEFAULTS_BY_VERSION["0.3"](pool, seed)


def main(argv=None):
    from large_pool import N_CLASSES, SHAPE, class_of, make_images, scale_uint8
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from modal_sraal.benchmark.report import md_table, write_lines
    from modal_sraal.models import make_target_classifier
    from modal_sraal.uncertainty import online_uncertainty

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000, help="unlabeled images")
    p.add_argument("--n-labeled", type=int, default=1000)
    p.add_argument("--target-epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--out", default="runs/weak_target")
    a = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    rows = np.arange(a.n)
    pool = make_images(rows, np.random.RandomState(1))
    y_lab = np.arange(a.n_labeled) % N_CLASSES
    X_lab = make_images(y_lab, np.random.RandomState(2))
    net = make_target_classifier(SHAPE, N_CLASSES, max_epochs=a.target_epochs, device="cpu")
    target = make_pipeline(FunctionTransformer(scale_uint8), net).fit(X_lab, y_lab)
    proba = target.predict_proba(pool)
    states = online_uncertainty(proba)
    q = np.quantile(states, [0.01, 0.5, 0.99])
    head = (f"target accuracy on the pool {np.mean(proba.argmax(1) == class_of(rows)):.2f}; "
            f"OUI 1% / 50% / 99%: {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}")
    print(head, flush=True)
    X = np.concatenate([X_lab, pool]).astype(np.float32) / 255
    y = np.r_[y_lab, -np.ones(a.n, dtype=int)]
    table = []
    for label in a.configs:
        model = build(label, pool, a.seed).set_params(device="cpu")
        t = time.perf_counter()
        model.fit(X, y, states)
        seconds = time.perf_counter() - t
        adversarial = [e for e in model.training_log_ if e["phase"] == "adversarial"]
        refit = [e for e in model.training_log_ if e["phase"] == "refit"]
        table.append([label, str(model.n_iter_last_), f"{adversarial[-1]['tracking']:.2f}",
                      " ".join(f"{e['tracking']:.2f}" for e in refit) or "-",
                      f"{model.tracking_:.2f}", "yes" if model.refit_kept_ else "no",
                      f"{seconds:.1f}"])
        print(table[-1], flush=True)
    lines = [head, ""] + md_table(
        ["configuration", "adversarial iterations", "tracking, adversarial end (probe)",
         "tracking at the refit's checks (probe)", "tracking, every unlabeled row",
         "refit kept", "fit s"], table)
    write_lines(a.out, "weak_target.md", lines)


if __name__ == "__main__":
    main()
