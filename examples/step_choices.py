"""What each step costs and buys: the choices behind SRAAL's defaults
==================================================================

    python examples/step_choices.py --out docs/_static/bench/v04/step_choices

On digits (10% labeled, the states of a ``StandardScaler + LogisticRegression``
target, seeds 0 and 1, one thread, after a warm-up fit), one fit from scratch then one warm-started
fit with 5% more labels, for each configuration: today's defaults, then the
defaults with one choice changed at a time (0.5's warm refit: continued from
the weights it has, with the cold fit's passes, as in 0.4; the cold fit's refit
of the candidates after 0.5: from fresh weights at the states' level, with 40
passes instead of 60, or both; the narrower encoder on 8x8; 0.4's refit: the plateau stop
back, the raw codes, 128-row batches at 3x the rate; 0.3's step choices: two
generator steps per discriminator step, batches of 64, a 4 x 512
discriminator, the refit on 32-row batches at 1x rate, the refit without
fresh Adam moments), then 0.4's, 0.3's and 0.2's defaults. Reports the tracking
after each fit, the refit's steps and the fit's seconds. Writes ``step_choices.md``.

``--target cnn`` takes the states of the benchmark's small CNN instead
(:func:`modal_sraal.benchmark.data.make_target`, 40 epochs), as in the
benchmark's first cycles.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

#: label -> (SRAAL parameters over the default, or the version whose defaults
#: to take; budget overrides, or the name of a refit rule in ``modal_sraal.budget`` or
#: ``modal_sraal.benchmark.methods``, or None)
CONFIGS = {
    "default": ({}, None),
    "warm refit: no reset, 1x passes": ({}, "REFIT_V04"),
    "cold refit: fresh weights at the level": ({}, "REFIT_LEVEL_ALL"),
    "cold refit: 40 passes": ({}, "REFIT_COLD40"),
    "cold refit: 40 passes, fresh at the level": ({}, "REFIT_LEVEL_COLD40"),
    "encoder width 16 on 8x8": ({"width": 16}, None),
    "refit: plateau stop": ({}, {"refit_plateau_stop": True}),
    "refit: raw codes": ({}, {"refit_standardize": False}),
    "refit: 128 rows, 3x rate": ({}, {"refit_batch_size": 128, "refit_lr_factor": 3.0}),
    "2 generator steps": ({"generator_steps": 2}, None),
    "batches of 64": ({"batch_size": 64}, None),
    "4 x 512 discriminator": ({"discriminator_hidden": (512, 512, 512, 512)}, None),
    "refit: 32 rows, 1x rate": ({}, {"refit_batch_size": 32, "refit_lr_factor": 1.0}),
    "refit: carried-over Adam moments": ({}, {"refit_fresh_optimizer": False}),
    "0.4 defaults": ("0.4", None),
    "0.3 defaults": ("0.3", None),
    "0.2 defaults": ("0.2", None),
}


def main(argv=None):
    import dataclasses

    import torch

    from modal_sraal.benchmark.report import md_table, write_lines
    from modal_sraal.datasets import load_dataset
    from modal_sraal.sraal import DEFAULTS_BY_VERSION, SRAAL, default_sraal

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/step_choices")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--target", choices=["logistic", "cnn"], default="logistic")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y = load_dataset("digits")
    n = len(X)

    class Variant(SRAAL):
        overrides = None

        def budget(self, n_labeled, n_unlabeled, warm):
            b = super().budget(n_labeled, n_unlabeled, warm)
            return dataclasses.replace(b, **self.overrides) if self.overrides else b

    # torch imports its optimizer machinery on the first optimizer of a process
    # (1-2 s): pay it before timing anything.
    default_sraal(X, random_state=0).set_params(device="cpu", n_iter=2).fit(
        X[:200], np.r_[y[:20], -np.ones(180, int)], uncertainty=np.full(180, 0.5))
    rows = []
    for label in a.configs:
        params, overrides = CONFIGS[label]
        tracking, seconds, refit_steps = [], [], []
        for seed in a.seeds:
            perm = np.random.RandomState(seed).permutation(n)
            if isinstance(params, str):
                model = DEFAULTS_BY_VERSION[params](X, random_state=seed)
            else:
                model = Variant(**{**default_sraal(X, random_state=seed).get_params(), **params})
                model.overrides = overrides
                if isinstance(overrides, str):
                    model.refit_rule, model.overrides = _refit_rule(overrides), None
            model.set_params(device="cpu")
            for k in (n // 10, n // 10 + n // 20):   # a cold fit, then a warm one
                lab, unl = perm[:k], perm[k:]
                proba = _target_proba(a.target, X, y, lab, unl, seed)
                t = time.perf_counter()
                model.fit(np.concatenate([X[lab], X[unl]]), np.r_[y[lab], -np.ones(len(unl), int)],
                          uncertainty=proba)
                seconds.append(time.perf_counter() - t)
                tracking.append(model.tracking_)
                refit_steps.append(model.refit_steps_)
        cold, warm = np.mean(tracking[0::2]), np.mean(tracking[1::2])
        rows.append([label, f"{cold:.2f}", f"{warm:.2f}",
                     f"{np.mean(refit_steps[0::2]):.0f}, {np.mean(refit_steps[1::2]):.0f}",
                     f"{np.mean(seconds[0::2]):.2f}", f"{np.mean(seconds[1::2]):.2f}"])
        print(rows[-1], flush=True)
    lines = md_table(["configuration", "tracking, cold fit", "tracking, warm fit",
                      "refit steps (cold, warm)", "cold fit s", "warm fit s"], rows)
    write_lines(a.out, "step_choices.md", lines)


def _refit_rule(name: str):
    """The refit rule called ``name`` in :mod:`modal_sraal.budget` or the benchmark's methods."""
    from modal_sraal import budget
    from modal_sraal.benchmark import methods

    return getattr(budget, name, None) or getattr(methods, name)


def _target_proba(target: str, X, y, lab, unl, seed: int) -> np.ndarray:
    """The target's probabilities on the unlabeled rows, trained on the labeled ones."""
    if target == "cnn":
        from modal_sraal.benchmark.data import make_target

        net = make_target("digits", X, y, 40, seed, "cpu")
        return net.fit(X[lab], y[lab]).predict_proba(X[unl])
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    return model.fit(X[lab].reshape(len(lab), -1), y[lab]).predict_proba(
        X[unl].reshape(len(unl), -1))


if __name__ == "__main__":
    main()
