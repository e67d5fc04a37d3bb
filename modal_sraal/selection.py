"""Batch selection rules: from a ranking of the pool to a batch (§3.4).

The paper takes the top-K of the discriminator's states
(:func:`select_top_k`); :func:`select_diverse_top_k` spreads the top of the
ranking over clusters; :func:`batch_spread` tells how spread a batch is.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_n_instances

__all__ = ["SELECTIONS", "CLUSTER_PICKS", "DENSITY_NEIGHBORS", "ISOLATED_SHARE_MAX",
           "check_batch_params", "select_top_k", "select_diverse_top_k", "candidate_density", "isolated_share", "select_batch",
           "batch_spread"]

#: Batch selections of ``sraal_query``: the paper's top-K, top-K spread over
#: clusters of the highest-scored rows (:func:`select_diverse_top_k`), and the
#: same with the scores weighted by the rows' density (``density_neighbors``).
SELECTIONS = ("diverse", "topk", "dense", "auto")
#: Which candidate of a cluster the diverse batch takes: the highest-ranked one
#: (``'best'``, the default), or the one nearest the cluster's centre (``'central'``,
#: Zhdanov's choice: the region's typical row rather than its most uncertain).
CLUSTER_PICKS = ("best", "central")
#: Neighbours whose mean distance measures a candidate's density (``selection='dense'``).
DENSITY_NEIGHBORS = 10
#: ``selection='auto'``: the diverse batch is kept unless more than this share of it lies
#: among the candidates' 10% most isolated (chance: 0.1). Measured on the validation
#: splits: 0.12-0.20 on digits and noisy digits, 0.42-0.44 on digits of uneven quality.
ISOLATED_SHARE_MAX = 0.3


def check_batch_params(selection: Optional[str] = None, candidates: float = 10.0,
                       density_power: float = 1.0, reconstruction_power: float = 0.0,
                       reconstruction_tolerance: float = 1.0,
                       cluster_pick: Optional[str] = None,
                       poor_tracking_candidates: Optional[float] = None,
                       poor_tracking_below: float = 0.0) -> None:
    """Raise a ``ValueError`` naming the first bad batch parameter (``selection``,
    ``cluster_pick``, ``poor_tracking_candidates`` None: not checked); ``sraal_query``
    calls it before fitting anything."""
    for name, value, allowed in (("selection", selection, SELECTIONS),
                                 ("cluster_pick", cluster_pick, CLUSTER_PICKS)):
        if value is not None and value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")
    # (name, value, lowest, highest allowed)
    numbers = [("candidates", candidates, 1, np.inf), ("density_power", density_power, 0, np.inf),
               ("reconstruction_power", reconstruction_power, 0, np.inf),
               ("reconstruction_tolerance", reconstruction_tolerance, 1, np.inf),
               # a tracking is a rank correlation: a threshold of 2 widens always, -1 never
               ("poor_tracking_below", poor_tracking_below, -1, 2)]
    if poor_tracking_candidates is not None:
        numbers.append(("poor_tracking_candidates", poor_tracking_candidates, 1, np.inf))
    for name, value, low, high in numbers:
        # density_power may be inf (density alone decides); the others must be finite
        if (not isinstance(value, (int, float, np.number)) or not low <= value <= high
                or (name != "density_power" and not np.isfinite(value))):
            bound = f"in [{low}, {high}]" if np.isfinite(high) else f">= {low}"
            raise ValueError(f"{name} must be a number {bound}; got {value!r}.")


def _check_embedding(Z: np.ndarray, n: int) -> None:
    if Z.ndim != 2 or len(Z) != n or not np.all(np.isfinite(Z)):
        raise ValueError(f"embedding must be a finite (n, d) array with one row per score "
                         f"({n}); got shape {Z.shape}.")


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


def candidate_density(Z: np.ndarray, n_neighbors: int = DENSITY_NEIGHBORS) -> np.ndarray:
    """Density of each row of ``Z`` among the others, scaled to a maximum of 1.

    The inverse of the mean Euclidean distance to its ``n_neighbors`` nearest
    other rows (fewer if ``Z`` has fewer rows): an isolated row scores near 0,
    a row inside a crowd near 1. The information density of Settles and Craven
    (2008), measured on the candidates alone so its cost does not grow with the pool.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.0], [0.1], [0.2], [5.0]])
    >>> candidate_density(Z, n_neighbors=2).round(2)
    array([0.67, 1.  , 0.67, 0.02])
    """
    from sklearn.neighbors import NearestNeighbors

    Z = np.asarray(Z, dtype=np.float64)
    k = min(int(n_neighbors), len(Z) - 1)
    if k < 1:
        return np.ones(len(Z))
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z)
    density = 1.0 / np.maximum(dist[:, 1:].mean(axis=1), 1e-12)   # column 0: the row itself
    return density / density.max()


def select_diverse_top_k(
    scores: np.ndarray,
    embedding: np.ndarray,
    n_instances: int,
    *,
    candidates: float = 10.0,
    density_neighbors: Optional[int] = None,
    density_power: float = 1.0,
    random_state: Any = None,
    cluster_pick: str = "best",
) -> Tuple[np.ndarray, np.ndarray]:
    """Top-K made batch-aware: clusters among the highest ``scores``.

    Takes the ``ceil(candidates * n_instances)`` highest-scored rows, splits
    them into ``n_instances`` clusters by k-means on ``embedding`` with each
    row weighted by its score, and picks the highest-scored row of each
    cluster (after Zhdanov, 2019, "Diverse mini-batch active learning", who
    took the row nearest each centre: ``cluster_pick='central'``). A plain
    top-K of a smooth score picks near-duplicates from one region; this keeps the ranking's choice within each region but spreads
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
    density_neighbors : int, optional
        Rank by score times density instead of score: the candidates are the
        best of the ``2 * candidates * n_instances`` highest-scored rows by
        score times :func:`candidate_density` among those rows (over this
        many neighbours), and that product weighs them in k-means and picks
        within a cluster. Without it, k-means gives isolated candidates
        clusters of their own (each one removes much of the squared error),
        so a batch fills with outliers: on images of uneven quality, the
        noisiest ones (docs: Benchmarks, images of uneven quality).
    density_power : float, default=1.0
        With ``density_neighbors``: the product is score times density to
        this power (0: the scores alone).
    random_state : int, RandomState or None
        Seeds k-means.
    cluster_pick : {'best', 'central'}, default='best'
        Which row a cluster gives: its highest-ranked, or the one nearest its
        (weighted) centre, ties to the higher-ranked.

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
    _check_embedding(Z, len(scores))
    check_batch_params(candidates=candidates, density_power=density_power,
                       cluster_pick=cluster_pick)
    if density_neighbors is not None and (isinstance(density_neighbors, bool)
                                          or not isinstance(density_neighbors, (int, np.integer))
                                          or density_neighbors < 1):
        raise ValueError(f"density_neighbors must be an integer >= 1 or None; "
                         f"got {density_neighbors!r}.")
    n_cand = min(len(scores), int(np.ceil(candidates * n_instances)))
    if density_neighbors is None:
        top, weights = select_top_k(scores, n_cand)
    else:
        # Twice the candidates by score, re-ranked by score x density: isolated rows
        # drop out of the candidates instead of only weighing less in k-means, whose
        # squared distances would still give a far row a cluster of its own.
        wide, _ = select_top_k(scores, min(len(scores), 2 * n_cand))
        weights = scores[wide] * candidate_density(Z[wide], density_neighbors) ** density_power
        order = np.argsort(-weights, kind="stable")[:n_cand]
        top, weights = wide[order], weights[order]
    if n_cand == n_instances:
        top = top[np.argsort(-scores[top], kind="stable")]
        return top, scores[top]
    km = KMeans(n_clusters=n_instances, n_init=1, random_state=check_random_state(random_state))
    # Weights keep cluster centres near the informative rows; a floor keeps
    # zero-score rows from being ignored altogether.
    labels = km.fit(Z[top], sample_weight=np.maximum(weights, 1e-6)).labels_
    # ``top`` is sorted by weight, best first, so each cluster's first member is its best;
    # 'central' puts each cluster's members in order of distance to its centre first.
    rank = np.arange(len(top))
    if cluster_pick == "central":
        dist = ((Z[top] - km.cluster_centers_[labels]) ** 2).sum(axis=1)
        rank = np.lexsort((rank, dist))
    _, first = np.unique(labels[rank], return_index=True)
    picked = top[np.sort(rank[first])]
    if len(picked) < n_instances:  # k-means left clusters empty: fill by weight
        rest = top[~np.isin(top, picked)]
        picked = np.r_[picked, rest[:n_instances - len(picked)]]
    picked = picked[np.argsort(-scores[picked], kind="stable")]
    return picked, scores[picked]


def isolated_share(picked: np.ndarray, scores: np.ndarray, embedding: np.ndarray,
                   n_candidates: int, n_neighbors: int = DENSITY_NEIGHBORS) -> float:
    """Share of ``picked`` among the 10% most isolated of the ``n_candidates``
    highest-scored rows (:func:`candidate_density` among them); 0.1 by chance.

    A diverse batch well above it spends its clusters on outliers (see
    ``density_neighbors`` of :func:`select_diverse_top_k`).

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.r_[np.zeros((9, 1)) + np.arange(9)[:, None] * 0.01, [[50.0]]]
    >>> isolated_share(np.array([9]), np.linspace(1, 0.5, 10), Z, 10)
    1.0
    """
    top, _ = select_top_k(scores, min(len(scores), n_candidates))
    density = candidate_density(np.asarray(embedding, dtype=np.float64)[top], n_neighbors)
    isolated = top[density < np.quantile(density, 0.1)]
    return float(np.isin(picked, isolated).mean())


def select_batch(scores: np.ndarray, embedding: np.ndarray, n_instances: int, *,
                 selection: str = "diverse", candidates: float = 10.0,
                 density_power: float = 1.0, random_state: Any = None,
                 row_weight: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                 cluster_pick: str = "best",
                 ) -> Tuple[Tuple[np.ndarray, np.ndarray], Dict[str, Any]]:
    """A batch by one of :data:`SELECTIONS`, and what the choice was.

    ``'topk'``: :func:`select_top_k`; ``'diverse'``: :func:`select_diverse_top_k`;
    ``'dense'``: the same with ``density_neighbors=DENSITY_NEIGHBORS``;
    ``'auto'``: the diverse batch, unless its :func:`isolated_share` exceeds
    :data:`ISOLATED_SHARE_MAX`, then the dense one.

    ``row_weight``: ``indices -> weights`` in ``[0, 1]``, called once on the
    ``2 * candidates * n_instances`` highest-scored rows; every rule, ``'topk'``
    included, then ranks those rows by score times weight, so a row the weight
    distrusts gives its place to the next. The returned scores stay the
    unweighted ones. ``cluster_pick``: :func:`select_diverse_top_k`'s, for the
    rules that cluster.

    Returns
    -------
    (indices, scores) : the batch, best first
    info : dict
        ``selection`` (the rule that made the batch) and ``isolated_share``
        (of the diverse batch; NaN where none was drawn); with ``row_weight``,
        ``down_weighted``: the share of the rows it was asked about that got a weight below 1.
    """
    check_batch_params(selection, candidates, density_power, cluster_pick=cluster_pick)
    scores = np.asarray(scores, dtype=np.float64)
    n_instances = check_n_instances(n_instances, len(scores))
    info: Dict[str, Any] = {"selection": selection, "isolated_share": float("nan")}
    if selection == "topk" and row_weight is None:
        return select_top_k(scores, n_instances), info
    # Every rule below looks at no more than the 2 x candidates best rows (the dense
    # re-ranking's reach): rank the pool once. Kept in row order, so ties break as on
    # the whole pool and each rule picks what it would pick there.
    n_cand = min(len(scores), int(np.ceil(candidates * n_instances)))
    wide = np.sort(select_top_k(scores, min(len(scores), 2 * n_cand))[0])
    ranked = scores[wide]
    if row_weight is not None:
        weight = np.asarray(row_weight(wide), dtype=np.float64)
        if weight.shape != wide.shape or not np.all((weight >= 0) & (weight <= 1)):
            got = f", range [{weight.min()}, {weight.max()}]" if weight.size else ""
            raise ValueError(f"row_weight must return one weight in [0, 1] per row of "
                             f"{wide.shape}; got shape {weight.shape}{got}.")
        ranked = ranked * weight
        info["down_weighted"] = float(np.mean(weight < 1))   # did the weight change anything?
        if selection == "topk":
            picked = select_top_k(ranked, n_instances)[0]
            return (wide[picked], scores[wide[picked]]), info
    embedding = np.asarray(embedding, dtype=np.float64)
    _check_embedding(embedding, len(scores))
    Z = embedding[wide]
    diverse = partial(select_diverse_top_k, ranked, Z, n_instances, candidates=candidates,
                      random_state=random_state, cluster_pick=cluster_pick)
    dense = partial(diverse, density_neighbors=DENSITY_NEIGHBORS, density_power=density_power)
    if selection == "dense":
        picked, _ = dense()
    else:   # 'diverse', or 'auto': the diverse batch is kept unless it is too isolated
        picked, _ = diverse()
        if selection == "auto":
            info["isolated_share"] = isolated_share(picked, ranked, Z, n_cand)
            if info["isolated_share"] > ISOLATED_SHARE_MAX:
                info["selection"] = "dense"
                picked, _ = dense()
            else:
                info["selection"] = "diverse"
    return (wide[picked], scores[wide[picked]]), info


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
