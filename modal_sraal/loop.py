"""The active learning loop: query, label, teach, one cycle after another.

One loop serves the demo (:mod:`modal_sraal.demo`) and the benchmark
(:mod:`modal_sraal.benchmark`); the caller scores, prints or stores each
cycle in ``on_cycle``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

__all__ = ["Cycle", "run_cycles"]


@dataclass
class Cycle:
    """What one cycle did."""

    cycle: int
    #: Rows of ``X`` queried and taught in this cycle, best first.
    picked: np.ndarray
    #: Rows of ``X`` still unlabeled after it.
    pool: np.ndarray
    query_seconds: float
    fit_seconds: float


def run_cycles(learner: Any, X: Any, y: Any, pool: np.ndarray, n_instances: int, n_cycles: int,
               *, start_cycle: int = 0,
               on_cycle: Optional[Callable[[Cycle], None]] = None) -> np.ndarray:
    """Cycles ``start_cycle + 1 .. n_cycles`` of pool-based active learning.

    Each cycle queries ``n_instances`` rows of ``X[pool]`` through
    ``learner.query``, teaches the learner their labels ``y`` (the oracle),
    takes them out of the pool, and calls ``on_cycle``. Returns the pool
    left at the end.

    Examples
    --------
    >>> import numpy as np
    >>> from modAL.models import ActiveLearner
    >>> from modAL.uncertainty import margin_sampling
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.arange(40.0).reshape(-1, 1), np.arange(40) % 2
    >>> learner = ActiveLearner(LogisticRegression(), margin_sampling, X_training=X[:4],
    ...                         y_training=y[:4])
    >>> pool = run_cycles(learner, X, y, np.arange(4, 40), n_instances=3, n_cycles=2)
    >>> len(pool), len(learner.X_training)
    (30, 10)
    """
    pool = np.asarray(pool)
    for cycle in range(start_cycle + 1, n_cycles + 1):
        t = time.perf_counter()
        idx, _ = learner.query(X[pool], n_instances=n_instances)
        query_seconds = time.perf_counter() - t
        picked = pool[np.asarray(idx)]
        t = time.perf_counter()
        learner.teach(X[picked], y[picked])
        fit_seconds = time.perf_counter() - t
        pool = np.delete(pool, idx)
        if on_cycle is not None:
            on_cycle(Cycle(cycle, picked, pool, query_seconds, fit_seconds))
    return pool
