"""Batch selection rules: from a ranking of the pool to a batch (§3.4).

The paper takes the top-K of the discriminator's states
(:func:`select_top_k`); :func:`select_diverse_top_k` spreads the top of the
ranking over clusters; :func:`batch_spread` tells how spread a batch is.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_n_instances

__all__ = ["SELECTIONS", "select_top_k", "select_diverse_top_k", "batch_spread"]

#: Batch selections of ``sraal_query``: the paper's top-K, and top-K spread
#: over clusters of the highest-scored rows (:func:`select_diverse_top_k`).
SELECTIONS = ("diverse", "topk")


def select_top_k(scores: np.ndarray, n_instances: int) -> Tuple[np.ndarray, np.ndarray]:
    """Indices of the ``n_instances`` highest ``scores``, best first.

    Ties are broken by the lower index (a stable sort), so the selection is
    deterministic.

    Examples
    --------
    >>> select_top_k([0.2, 0.9, 0.5, 0.9], 3)
    (array([1, 3, 2]), array([0.9, 0.9, 0.5]))
    """
    n_instances = check_n_instances(n_instances, len(scores))
    order = np.argsort(-np.asarray(scores), kind="stable")[:n_instances]
    return order, np.asarray(scores)[order]


def select_diverse_top_k(
    scores: np.ndarray,
    embedding: np.ndarray,
    n_instances: int,
    *,
    candidates: float = 10.0,
    random_state: Any = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Top-K made batch-aware: clusters among the highest ``scores``.

    Takes the ``ceil(candidates * n_instances)`` highest-scored rows, splits
    them into ``n_instances`` clusters by k-means on ``embedding`` with each
    row weighted by its score, and picks the highest-scored row of each
    cluster (the approach of Zhdanov, 2019, "Diverse mini-batch active
    learning"). A plain top-K of a smooth score picks near-duplicates from one
    region; this keeps the ranking's choice within each region but spreads
    the batch over ``n_instances`` regions. ``candidates=1`` is the plain
    top-K.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Higher = more informative (e.g. the discriminator's state).
    embedding : array-like of shape (n, d)
        Where distances are measured (e.g. SRAAL's unified representation).
    n_instances : int
    candidates : float, default=10.0
        Size of the candidate set, as a multiple of ``n_instances`` (>= 1).
    random_state : int, RandomState or None
        Seeds k-means.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Best first.
    scores : ndarray of shape (n_instances,)

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.0], [0.1], [0.2], [5.0], [9.0]])
    >>> select_diverse_top_k([0.9, 0.8, 0.7, 0.6, 0.1], Z, 2, candidates=2)[0]
    array([0, 3])
    """
    from sklearn.cluster import KMeans

    scores = np.asarray(scores, dtype=np.float64)
    Z = np.asarray(embedding, dtype=np.float64)
    n_instances = check_n_instances(n_instances, len(scores))
    if Z.ndim != 2 or len(Z) != len(scores) or not np.all(np.isfinite(Z)):
        raise ValueError(f"embedding must be a finite (n, d) array with one row per score "
                         f"({len(scores)}); got shape {Z.shape}.")
    if not np.isfinite(candidates) or candidates < 1:
        raise ValueError(f"candidates must be a number >= 1; got {candidates!r}.")
    n_cand = min(len(scores), int(np.ceil(candidates * n_instances)))
    top, _ = select_top_k(scores, n_cand)
    if n_cand == n_instances:
        return top, scores[top]
    km = KMeans(n_clusters=n_instances, n_init=1, random_state=check_random_state(random_state))
    # Weights keep cluster centres near the informative rows; a floor keeps
    # zero-score rows from being ignored altogether.
    labels = km.fit(Z[top], sample_weight=np.maximum(scores[top], 1e-6)).labels_
    # ``top`` is sorted best first, so each cluster's first member is its best.
    _, first = np.unique(labels, return_index=True)
    picked = top[np.sort(first)]
    if len(picked) < n_instances:  # k-means left clusters empty: fill by score
        rest = top[~np.isin(top, picked)]
        picked = np.r_[picked, rest[:n_instances - len(picked)]]
    picked = picked[np.argsort(-scores[picked], kind="stable")]
    return picked, scores[picked]


def batch_spread(labels: Any) -> Dict[str, float]:
    """How spread a batch is over the classes: ``batch_classes`` (distinct
    labels in it) and ``batch_top_share`` (the largest class's share).

    Examples
    --------
    >>> batch_spread([1, 1, 2, 3])
    {'batch_classes': 3, 'batch_top_share': 0.5}
    """
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    return {"batch_classes": int(len(counts)), "batch_top_share": float(counts.max() / counts.sum())}
