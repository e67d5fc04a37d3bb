"""What the reconstruction weight costs a query
=============================================

    python examples/reconstruction_cost.py --dataset mnist5k

``sraal_query(reconstruction_power=...)`` decodes the candidates (and up to 1,000 labeled rows)
from the codes its fit already made, to weigh them by how well the UIR reconstructs them. This
times that extra work against one default query and the target's fit, in the same process, on
the benchmark's validation split with a random 10% labeled and a batch of 5% (the benchmark's
first cycle). Prints the environment line, then one line: fit, query, the weight's seconds as a
share of each, and the share of the candidates the weight (``reconstruction_power=2,
reconstruction_tolerance=2``) distrusted. On a set with added noise (``digits-mixed``, ...) a
last line gives the Spearman correlation between each pool row's reconstruction error and its
noise level (:func:`~modal_sraal.benchmark.data.noise_levels`).
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits", help="a benchmark data set (default: digits)")
    p.add_argument("--max-epochs", type=int, default=40, help="target model epochs (benchmark: 40)")
    p.add_argument("--subset", type=int, default=None, help="use the first N training rows")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)

    from functools import partial

    from modAL.models import ActiveLearner

    from modal_sraal import describe_environment, sraal_query
    from modal_sraal.benchmark.data import load_benchmark_data, make_target
    from modal_sraal.query import _candidate_weight
    from modal_sraal.selection import select_batch

    print(describe_environment("cpu"))
    X, _, y, _, _ = load_benchmark_data(a.dataset, validation=True)
    if a.subset:
        X, y = X[:a.subset], y[:a.subset]
    rng = np.random.RandomState(a.seed)
    n = len(X)
    lab = rng.choice(n, n // 10, replace=False)
    pool = np.setdiff1d(np.arange(n), lab)
    k = int(round(0.05 * n))
    net = make_target(a.dataset, X[lab], y[lab], max_epochs=a.max_epochs, seed=a.seed, device="cpu")
    t = time.perf_counter()
    learner = ActiveLearner(net, partial(sraal_query, random_state=a.seed),
                            X_training=X[lab], y_training=y[lab])
    fit = time.perf_counter() - t
    t = time.perf_counter()
    learner.query(X[pool], n_instances=k)
    query = time.perf_counter() - t

    # The weight's work as the query does it: select_batch asks it about its candidates,
    # which are decoded from their codes, beside the labeled reference.
    model = learner.sraal_
    Z_lab, Z_pool = model.transform(X[lab]), model.transform(X[pool])
    weight = _candidate_weight(model, X[lab], Z_lab, X[pool], Z_pool, power=2.0, tolerance=2.0)
    timed = {}

    def timed_weight(rows):
        t = time.perf_counter()
        w = weight(rows)
        timed.update(rows=len(rows), seconds=time.perf_counter() - t)
        return w
    _, info = select_batch(model.discriminator_.predict_state(Z_pool), Z_pool, k,
                           selection="auto", random_state=a.seed, row_weight=timed_weight)
    seconds = timed["seconds"]
    print(f"{a.dataset}: fit {fit:.2f} s, query {query:.2f} s; the weight of {timed['rows']} "
          f"candidates + {min(len(lab), 1000)} labeled rows {seconds:.3f} s = {seconds / query:.1%} "
          f"of the query, {seconds / fit:.1%} of the fit; down-weighted {info['down_weighted']:.3f}")
    from modal_sraal.benchmark.data import DATASETS, noise_levels

    if DATASETS[a.dataset].noise_sd is not None:
        from scipy.stats import spearmanr

        sd = noise_levels(a.dataset, validation=True)[:len(X)][pool]
        rho = spearmanr(model.reconstruction_error(X[pool], Z_pool), sd)[0]
        print(f"Spearman(reconstruction error, noise sd) over the pool: {rho:.2f}")


if __name__ == "__main__":
    main()
