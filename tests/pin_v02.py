"""Selections of SRAAL at version 0.2's defaults on digits (seed 0, all cycles).

``python tests/pin_v02.py record`` wrote ``tests/data/v02_digits_seed0.npz``
with version 0.2's code; ``tests/test_v02_pin.py`` replays the same loop with
today's code and the ``sraal_v02`` defaults and compares the picks.
"""
from __future__ import annotations

import os
import sys
from functools import partial

import numpy as np

PIN_PATH = os.path.join(os.path.dirname(__file__), "data", "v02_digits_seed0.npz")
#: The benchmark's protocol (10% random start, +5% per cycle to 40%), with a
#: target trained 5 epochs so the replay stays short.
START, STEP, STOP, EPOCHS, SEED = 0.10, 0.05, 0.40, 5, 0


def replay(make_sraal):
    """Picked pool rows per cycle (as indices of the training split)."""
    import torch

    # Float sums depend on the thread count: one thread makes the picks reproducible.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _replay(make_sraal)
    finally:
        torch.set_num_threads(threads)


def _replay(make_sraal):
    from modAL.models import ActiveLearner

    from modal_sraal import sraal_query
    from modal_sraal.datasets import train_test
    from modal_sraal.models import make_target_classifier

    X, _, y, _ = train_test("digits")
    n = len(X)
    m, k = int(round(START * n)), int(round(STEP * n))
    init = np.random.RandomState(SEED).choice(n, m, replace=False)
    pool = np.setdiff1d(np.arange(n), init)
    strategy = partial(sraal_query, sraal=make_sraal(X[pool], SEED), selection="diverse")
    # 0.2's target trained on skorch's fixed mini-batches (even ones came in 0.8)
    net = make_target_classifier(X.shape[1:], 10, max_epochs=EPOCHS, random_state=SEED, device="cpu",
                                 even_batches=False)
    learner = ActiveLearner(net, strategy, X_training=X[init], y_training=y[init])
    picks = []
    for _ in range(int(round((STOP - START) / STEP))):
        idx, _ = learner.query(X[pool], n_instances=k)
        picks.append(pool[idx])
        learner.teach(X[pool[idx]], y[pool[idx]])
        pool = np.delete(pool, idx)
    return np.array(picks)


if __name__ == "__main__" and sys.argv[1:] == ["record"]:
    from modal_sraal.query import default_sraal

    def v02(X_pool, seed):
        return default_sraal(X_pool, random_state=seed).set_params(device="cpu")

    picks = replay(v02)
    np.savez(PIN_PATH, picks=picks)
    print(picks.shape, picks[:, :5])
