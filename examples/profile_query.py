"""Where a default query's time goes: earlier versions' defaults against today's.
==============================================================================

    python examples/profile_query.py [--rows 3000]

One query through modAL on an MNIST-5k pool (``--rows`` rows, 10% labeled,
a ``StandardScaler + LogisticRegression`` target), profiled with cProfile in
one thread; prints each part's seconds and share of the query.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import warnings
from functools import partial

import numpy as np

#: (label, module file suffix, function name): the parts of a query.
PARTS = [
    ("adversarial steps (Eq. 5-7)", "training.py", "step", "AdversarialPhase"),
    ("refit steps (Eq. 5)", "training.py", "step", "RefitPhase"),
    ("training checks (diagnostics)", "training.py", "check", None),
    ("target predict_proba", "pool.py", "pool_predict_proba", None),
    ("batch selection", "selection.py", "select_diverse_top_k", None),
    ("reconstruction weight (decoding)", "generator.py", "reconstruction_error", None),
]


def profile_query(make_sraal, X, y, seed=0, **query):
    from modAL.models import ActiveLearner
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from modal_sraal import sraal_query

    rng = np.random.RandomState(seed)
    lab = rng.choice(len(X), len(X) // 10, replace=False)
    pool = np.setdiff1d(np.arange(len(X)), lab)
    target = make_pipeline(FunctionTransformer(lambda A: A.reshape(len(A), -1)), StandardScaler(),
                           LogisticRegression(max_iter=200))
    model = make_sraal(X[pool], seed)
    learner = ActiveLearner(target, partial(sraal_query, sraal=model, **query), X_training=X[lab],
                            y_training=y[lab])
    prof = cProfile.Profile()
    prof.enable()
    learner.query(X[pool], n_instances=len(X) // 20)
    prof.disable()
    return model, pstats.Stats(prof)


def shares(stats, model):
    total = max(v[3] for v in stats.stats.values())   # the outermost call's cumulative time
    out = {}
    for label, file, func, cls in PARTS:
        t = 0.0
        for (path, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
            if path.endswith(file) and name == func:
                if cls is None or _defined_in(path, line, cls):
                    t += ct
        out[label] = t
    out["everything else"] = total - sum(out.values())
    return total, out


def _defined_in(path, line, cls):
    src = open(path).read().splitlines()
    for i in range(line - 1, -1, -1):
        if src[i].startswith("class "):
            return src[i].startswith(f"class {cls}")
    return False


def main(argv=None):
    import torch

    from modal_sraal.datasets import load_dataset
    from modal_sraal.benchmark.methods import QUERY_V013
    from modal_sraal.sraal import DEFAULTS_BY_VERSION, default_sraal

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=3000)
    # Version -> (its SRAAL defaults, its query's options): 0.14 is 0.10's SRAAL
    # queried with the reconstruction weight, which no earlier version had.
    versions = {**{v: (make, QUERY_V013) for v, make in DEFAULTS_BY_VERSION.items()},
                "0.14": (default_sraal, {})}
    p.add_argument("--versions", nargs="+", default=list(versions), choices=list(versions))
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y = load_dataset("mnist5k")
    keep = np.random.RandomState(0).permutation(len(X))[:a.rows]   # the file is sorted by class
    X, y = X[keep], y[keep]
    profile_query(lambda Xp, s: default_sraal(Xp, random_state=s), X[:200], y[:200])  # imports
    for version in a.versions:
        make, query = versions[version]
        model, stats = profile_query(lambda Xp, s: make(Xp, random_state=s), X, y, **query)
        total, parts = shares(stats, model)
        print(f"version {version} defaults: query {total:.1f} s; adversarial iterations "
              f"{model.n_iter_last_}, refit steps {model.refit_steps_}, tracking {model.tracking_:.2f}")
        for label, t in parts.items():
            print(f"  {label:32s} {t:7.2f} s  {100 * t / total:5.1f}%")


if __name__ == "__main__":
    main()
