"""Active learning for semantic segmentation with SRAAL (paper §4.2), on the offline synthetic set.
================================================================================================

    python examples/segmentation.py [--quick]

Masks (n, H, W) go through modAL as they are, in ActiveLearner and in teach (modal_sraal's
compatibility layer lets modAL's teach accept N-D labels).
"""
import argparse

import numpy as np
from modAL.models import ActiveLearner

from modal_sraal import sraal_query
from modal_sraal.segmentation import make_synthetic_segmentation, make_target_segmenter

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
args = p.parse_args()
n, size, cycles, epochs = (80, 16, 2, 3) if args.quick else (600, 32, 6, 20)

X, masks = make_synthetic_segmentation(n, size, n_classes=4, random_state=0)      # (n, 3, H, W), (n, H, W)
X_test, masks_test = make_synthetic_segmentation(n // 3, size, n_classes=4, random_state=1)

init = np.random.RandomState(0).choice(n, n // 10, replace=False)
learner = ActiveLearner(estimator=make_target_segmenter(3, 4, max_epochs=epochs, random_state=0),
                        query_strategy=sraal_query, X_training=X[init], y_training=masks[init])
pool = np.setdiff1d(np.arange(n), init)
for cycle in range(cycles + 1):
    print(f"cycle {cycle}: {len(learner.X_training)} labeled images, "
          f"test mean IoU {learner.score(X_test, masks_test):.3f}")
    if cycle == cycles:
        break
    idx, _ = learner.query(X[pool], n_instances=n // 20, random_state=0)   # OUI of the mean pixel vector
    learner.teach(X[pool[idx]], masks[pool[idx]])                        # raw masks
    pool = np.delete(pool, idx)
