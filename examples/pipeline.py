"""The learner's estimator inside a scikit-learn Pipeline.
=======================================================

The pipeline scales flat digit features, then a skorch MLP classifies them.
SRAAL sees the raw features by default; pass ``on_transformed=True`` (to the
ActiveLearner or the query) to run it on the pipeline's transformed features.

    python examples/pipeline.py [--quick]
"""
import argparse
import warnings

import numpy as np
from modAL.models import ActiveLearner
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modal_sraal import kcenter_init, sraal_query
from modal_sraal.datasets import train_test
from modal_sraal.models import make_target_classifier

warnings.filterwarnings("ignore", message=".*force_all_finite.*")

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
args = p.parse_args()
cycles, epochs = (2, 20) if args.quick else (6, 60)

X, X_test, y, y_test = train_test("digits")
X, X_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)   # flat (n, 64)

init_idx = kcenter_init(X, int(0.10 * len(X)), embedding="raw", random_state=0)
pipe = make_pipeline(StandardScaler(),
                     make_target_classifier((64,), 10, max_epochs=epochs, random_state=0))
learner = ActiveLearner(estimator=pipe, query_strategy=sraal_query, on_transformed=True,
                        X_training=X[init_idx], y_training=y[init_idx])
pool = np.setdiff1d(np.arange(len(X)), init_idx)
for cycle in range(cycles + 1):
    print(f"cycle {cycle}: {len(learner.X_training)} labeled, "
          f"test accuracy {learner.score(X_test, y_test):.3f}")
    if cycle == cycles:
        break
    idx, _ = learner.query(X[pool], n_instances=int(0.05 * len(X)), random_state=0)
    learner.teach(X[pool[idx]], y[pool[idx]])
    pool = np.delete(pool, idx)
