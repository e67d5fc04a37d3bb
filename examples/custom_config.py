"""A custom SRAAL configuration through functools.partial, and VAAL beside it.
===========================================================================

    python examples/custom_config.py [--quick]
"""
import argparse
import warnings
from functools import partial

import numpy as np
from modAL.models import ActiveLearner

from modal_sraal import SRAAL, kcenter_init, sraal_query
from modal_sraal.datasets import train_test
from modal_sraal.models import make_target_classifier

warnings.filterwarnings("ignore", message=".*force_all_finite.*")

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
args = p.parse_args()
cycles, epochs, n_iter = (1, 20, 30) if args.quick else (6, 40, 400)

X, X_test, y, y_test = train_test("digits")
init_idx = kcenter_init(X, int(0.10 * len(X)), random_state=0)

strategies = {
    # SRAAL with a wider latent, a stronger STL and entropy as the relabeling score.
    "SRAAL (custom)": partial(sraal_query, sraal=SRAAL(
        latent_dim=16, lambda_stl=2.0, relabel="entropy", n_iter=n_iter,
        warm_start=True, random_state=0, verbose=0)),
    # VAAL: binary state, no STL.
    "VAAL": partial(sraal_query, sraal=SRAAL(
        relabel="binary", use_stl=False, n_iter=n_iter, warm_start=True, random_state=0)),
}
for name, strategy in strategies.items():
    net = make_target_classifier(X.shape[1:], 10, max_epochs=epochs, random_state=0)
    learner = ActiveLearner(estimator=net, query_strategy=strategy,
                            X_training=X[init_idx], y_training=y[init_idx])
    pool = np.setdiff1d(np.arange(len(X)), init_idx)
    for cycle in range(cycles):
        idx, _ = learner.query(X[pool], n_instances=int(0.05 * len(X)))
        learner.teach(X[pool[idx]], y[pool[idx]])
        pool = np.delete(pool, idx)
    print(f"{name}: {len(learner.X_training)} labeled, "
          f"test accuracy {learner.score(X_test, y_test):.3f}")
