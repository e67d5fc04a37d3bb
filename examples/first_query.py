"""What the first, cold query costs against the target's fit, version by version
===============================================================================

    python examples/first_query.py [--seeds 0 1 2] [--reps 3] [--versions 0.14 0.9 0.8 0.9-single]

The benchmark's first cycle on digits (test split, 10% random start, the
benchmark's target CNN), timed in one process, one thread: one cold
``sraal_query`` of 5% per version, repeated ``--reps`` times in turn so that a
drift of the machine's speed hits every version alike, against the target's
fit in the same cycle (on the start pool and the first version's batch, as the
benchmark times it). Versions: ``0.14`` (0.10's cold fit, queried with the
reconstruction weight, today's defaults), ``0.14-d64`` (the same with a 2 x 64
discriminator, tune17), ``0.9`` (one adversarial iteration per 30 rows
in the cold fit; 0.10's cold fit is the same), ``0.8`` (one per 20) and ``0.9-single`` (0.9 with
Adam's single-tensor update, which 0.9 replaced by the multi-tensor one:
same numbers, less time). Prints, per version, the median query seconds, their
ratio to the fit of the same seed, and whether the picks equal those of the
first version listed.
"""
from __future__ import annotations

import argparse
import time
import warnings


def _benchmark_sraal(name):
    """The SRAAL of the benchmark's method ``name``, as an ``f(X_pool, random_state)``."""
    from modal_sraal.benchmark.methods import METHODS
    return lambda X_pool, random_state=None: METHODS[name](random_state, X_pool, "auto").sraal


def main(argv=None):
    import numpy as np
    import torch
    from modAL.models import ActiveLearner

    import modal_sraal.sraal as sraal_module
    from modal_sraal import sraal_query
    from modal_sraal.benchmark.data import load_benchmark_data, make_target
    from modal_sraal.benchmark.methods import QUERY_V013
    from modal_sraal.sraal import default_sraal, sraal_v08, sraal_v09

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--reps", type=int, default=3)
    # Version -> (its SRAAL defaults, its query's options): the versions before 0.14
    # queried without its reconstruction weight.
    versions = {"0.14": (default_sraal, {}), "0.14-d64": (_benchmark_sraal("sraal_d64"), {}), "0.9": (sraal_v09, QUERY_V013),
                "0.8": (sraal_v08, QUERY_V013), "0.9-single": (sraal_v09, QUERY_V013)}
    p.add_argument("--versions", nargs="+", default=["0.9", "0.8", "0.9-single"],
                   choices=list(versions))
    p.add_argument("--max-epochs", type=int, default=40, help="the target's epochs")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, _, y, _, _ = load_benchmark_data("digits")
    n = len(X)
    m, k = int(round(0.10 * n)), int(round(0.05 * n))
    ratios = {v: [] for v in a.versions}
    seconds = {v: [] for v in a.versions}
    same = {v: True for v in a.versions}
    for i, seed in enumerate(a.seeds):
        start = np.random.RandomState(seed).choice(n, m, replace=False)   # as the benchmark
        pool = np.setdiff1d(np.arange(n), start)
        net = make_target("digits", X, y, a.max_epochs, seed, "cpu")
        learner = ActiveLearner(estimator=net, X_training=X[start], y_training=y[start])
        if i == 0:   # torch's one-time imports on a process's first optimizer: not timed
            sraal_query(learner, X[pool[:200]], n_instances=5, sraal=default_sraal(
                X[pool[:200]], random_state=0).set_params(n_iter=2, discriminator_refit_steps=2))
        picks = {}
        times = {v: [] for v in a.versions}
        for _ in range(a.reps):
            for version in a.versions:
                sraal_module.ADAM_FOREACH = version != "0.9-single"
                make, query = versions[version]
                model = make(X[pool], random_state=seed)
                t = time.perf_counter()
                idx, _ = sraal_query(learner, X[pool], n_instances=k, sraal=model, **query)
                times[version].append(time.perf_counter() - t)
                picks.setdefault(version, np.sort(idx))
        sraal_module.ADAM_FOREACH = True
        # The fit it is compared with, as in the benchmark: the target's fit in the same cycle,
        # on the start pool and the batch the first version picked.
        batch = pool[picks[a.versions[0]]]
        t = time.perf_counter()
        learner.teach(X[batch], y[batch])
        fit_s = time.perf_counter() - t
        for version in a.versions:
            q = float(np.median(times[version]))
            seconds[version].append(q)
            ratios[version].append(q / fit_s)
            same[version] &= bool(np.array_equal(picks[version], picks[a.versions[0]]))
        print(f"seed {seed}: fit {fit_s:.2f} s; " + "; ".join(
            f"{v} {np.median(times[v]):.2f} s" for v in a.versions), flush=True)
    for version in a.versions:
        print(f"{version:>10}: first query {np.mean(seconds[version]):.2f} s, "
              f"{np.mean(ratios[version]):.2f}x the fit (by seed {min(ratios[version]):.2f}x-"
              f"{max(ratios[version]):.2f}x); picks as {a.versions[0]}'s: {same[version]}")


if __name__ == "__main__":
    main()
