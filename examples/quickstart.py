"""Quickstart: k-center initialization, then SRAAL queries, on scikit-learn's digits.
==================================================================================

    python examples/quickstart.py            # 10% -> 40% labeled, ~1 minute on 2 CPU cores
    python examples/quickstart.py --quick    # 2 short cycles (used by the tests)
"""
import argparse
import warnings

import numpy as np
from modAL.models import ActiveLearner

from modal_sraal import kcenter_init, sraal_query
from modal_sraal.datasets import train_test
from modal_sraal.models import make_target_classifier

warnings.filterwarnings("ignore", message=".*force_all_finite.*")  # modAL vs scikit-learn>=1.6

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
args = p.parse_args()
cycles, epochs = (2, 20) if args.quick else (6, 40)

X, X_test, y, y_test = train_test("digits")          # (n, 1, 8, 8) images in [0, 1]
init_idx = kcenter_init(X, n_instances=int(0.10 * len(X)), random_state=0)   # Alg. 1
net = make_target_classifier(X.shape[1:], n_classes=10, max_epochs=epochs, random_state=0)

learner = ActiveLearner(estimator=net, query_strategy=sraal_query,
                        X_training=X[init_idx], y_training=y[init_idx])
pool = np.setdiff1d(np.arange(len(X)), init_idx)
for cycle in range(cycles + 1):
    print(f"cycle {cycle}: {len(learner.X_training)} labeled, "
          f"test accuracy {learner.score(X_test, y_test):.3f}")
    if cycle == cycles:
        break
    idx, _ = learner.query(X[pool], n_instances=int(0.05 * len(X)), random_state=0)
    learner.teach(X[pool[idx]], y[pool[idx]])    # the oracle labels them
    pool = np.delete(pool, idx)
