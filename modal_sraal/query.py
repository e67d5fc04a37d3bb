"""modAL query strategies: SRAAL (§3.4) and the Core-set baseline.

Both follow modAL's contract: ``strategy(learner, X_pool, n_instances=1,
**kwargs)`` returns a 2-tuple ``(indices, scores)``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._validation import (
    check_n_instances, check_proba, check_same_sample_shape, check_samples, to_numpy,
)
from .compat import modal_retrieve_rows
from .embedding import Embedding, embed, resolve_embedding
from .generator import IGNORE_LABEL, UNLABELED
from .kcenter import kcenter_greedy
from .pool import PoolRows, as_rows, is_streamed, pool_predict_proba
from .segmentation import as_masks
from .sraal import SRAAL

__all__ = ["sraal_query", "coreset_query", "default_sraal", "select_top_k",
           "select_diverse_top_k", "batch_spread", "labeled_pool", "subsampled", "SELECTIONS"]

#: Batch selections of ``sraal_query``: the paper's top-K, and top-K spread
#: over clusters of the highest-scored rows (:func:`select_diverse_top_k`).
SELECTIONS = ("diverse", "topk")

#: Attribute of the learner holding the default SRAAL between query calls.
LEARNER_ATTRIBUTE = "sraal_"


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


def labeled_pool(learner: Any, X_pool: Any, on_transformed: bool = False):
    """Validated ``(X_labeled, y_labeled, X_pool)`` as float32 arrays.

    With ``on_transformed`` (or ``learner.on_transformed``), both pools pass
    through the learner's pipeline first (all steps but the estimator). A
    streamed pool (:func:`~modal_sraal.pool.is_streamed`: a memmap, HDF5 or
    zarr array) comes back as :class:`~modal_sraal.pool.PoolRows`, read in chunks.
    """
    if getattr(learner, "X_training", None) is None or len(learner.X_training) == 0:
        raise ValueError(
            "learner has no labeled data (learner.X_training is empty): start the "
            "ActiveLearner with X_training/y_training, e.g. from kcenter_init."
        )
    X_lab, X_pool_in = learner.X_training, X_pool
    streamed = is_streamed(X_pool)
    if on_transformed or getattr(learner, "on_transformed", False):
        if streamed:
            raise ValueError(
                "on_transformed is not supported for a streamed X_pool (memmap, HDF5, "
                "zarr or larger than modal_sraal.pool.STREAM_BYTES): transform the pool "
                "into a store of features first, then query on that store.")
        X_lab = learner.transform_without_estimating(X_lab)
        X_pool_in = learner.transform_without_estimating(X_pool)
    X_lab = check_samples(X_lab, "learner.X_training")
    X_pool_arr = as_rows(X_pool_in, "X_pool") if streamed else check_samples(X_pool_in, "X_pool")
    check_same_sample_shape(X_pool_arr, X_lab.shape[1:], "X_pool", "learner.X_training")
    y_lab = np.asarray(to_numpy(learner.y_training))
    if len(y_lab) != len(X_lab):
        raise ValueError(
            f"learner.y_training has {len(y_lab)} labels for {len(X_lab)} rows of "
            f"learner.X_training."
        )
    return X_lab, y_lab, X_pool_arr


def default_sraal(X_pool: np.ndarray, random_state: Any = None) -> SRAAL:
    """A SRAAL configured for data shaped like ``X_pool`` (CPU-sized training).

    The class defaults (``lambda_adv=0.2``, ``lambda_stl=5``, training
    stopped when the discriminator's tracking of the states plateaus, then a
    discriminator refit on the frozen representations) plus, by shape:
    images get the CNN encoder, flat features the MLP (chosen by the
    generator from the shape); the cap ``n_iter`` grows with the pool,
    ``clip(n_pool // 16, 150, 500)``; images of 16 px and more get a
    narrower encoder (``width=16``: 181 ms per training iteration against
    444 ms at width 32 on MNIST-5k, one thread); later cycles warm-start.
    These were chosen on validation splits (docs: Benchmarks).

    Examples
    --------
    >>> import numpy as np
    >>> m = default_sraal(np.zeros((3200, 1, 28, 28)), random_state=0)
    >>> m.n_iter, m.width, m.warm_start, m.lambda_adv, m.discriminator_refit_steps
    (200, 16, True, 0.2, 1000)
    """
    shape = np.shape(X_pool)   # read from the array or store, no data loaded
    n_iter = int(np.clip(shape[0] // 16, 150, 500))
    width = 16 if len(shape) == 4 and min(shape[2:]) >= 16 else 32
    return SRAAL(n_iter=n_iter, width=width, warm_start=True, random_state=random_state)


def _check_learner_classes(learner: Any, y_lab: np.ndarray) -> None:
    """Labels the target model has never seen make its probabilities meaningless."""
    classes = getattr(getattr(learner, "estimator", None), "classes_", None)
    if classes is None:
        return
    unseen = np.setdiff1d(np.unique(y_lab), np.asarray(classes))
    if unseen.size:
        raise ValueError(
            f"learner.y_training holds labels {unseen.tolist()} that the learner's "
            f"estimator has never seen (its classes_ are {np.asarray(classes).tolist()}): "
            f"refit the learner (learner.fit or teach) before querying."
        )


def sraal_query(
    learner: Any,
    X_pool: Any,
    n_instances: int = 1,
    *,
    sraal: Optional[SRAAL] = None,
    on_transformed: bool = False,
    random_state: Any = None,
    selection: str = "diverse",
    candidates: float = 10.0,
) -> Tuple[np.ndarray, np.ndarray]:
    """SRAAL query strategy for modAL (§3.4).

    1. Relabeled state: ``online_uncertainty(learner.predict_proba(X_pool))``
       (or the score named by ``sraal.relabel``); the learner's estimator,
       trained on the labeled pool, is the target model.
    2. Fit SRAAL on the labeled pool (``learner.X_training``,
       ``learner.y_training``) and the unlabeled pool ``X_pool``.
    3. Rank the pool by the discriminator's state and return
       ``n_instances`` rows: the top-K (``selection='topk'``, the paper's
       §3.4), or by default the top-K spread over ``n_instances`` clusters
       of the ``candidates * n_instances`` highest-ranked rows in the
       unified representation (``selection='diverse'``,
       :func:`select_diverse_top_k`), so a batch does not collapse onto one
       region. The discriminator's score alone ranks the rows either way.

    Segmentation: the learner's ``predict_proba`` returns ``(n, C, H, W)``
    and its labels are masks ``(n, H, W)``, or flattened ``(n, H * W)``
    (:func:`~modal_sraal.segmentation.flatten_masks`);
    the OUI is then taken on the mean per-pixel vector and the STL predicts
    label maps.

    Parameters
    ----------
    learner : modAL.models.ActiveLearner
        Its estimator must have ``predict_proba`` (a skorch
        ``NeuralNetClassifier``, a ``Pipeline`` ending in one, any
        scikit-learn classifier, or a
        :class:`~modal_sraal.segmentation.TargetSegmenter`).
    X_pool : array-like of shape (n_pool, ...)
        The unlabeled pool; samples shaped like ``learner.X_training``.
    n_instances : int, default=1
        How many to select; ``1 <= n_instances <= n_pool``.
    sraal : SRAAL, optional
        The SRAAL to fit (it is fitted in place). Default: one made by
        :func:`default_sraal` and kept on the learner as ``learner.sraal_``,
        so that later cycles warm-start.
    on_transformed : bool, default=False
        Run SRAAL on the pipeline-transformed samples (also when
        ``learner.on_transformed`` is True).
    random_state : int, RandomState or None
        Seed of the default SRAAL (ignored if ``sraal`` is given) and of the
        clustering of ``selection='diverse'``.
    selection : {'diverse', 'topk'}, default='diverse'
        How the batch is taken from the discriminator's ranking.
    candidates : float, default=10.0
        ``selection='diverse'``: candidate rows per pick (>= 1).

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Rows of ``X_pool``, best first.
    scores : ndarray of shape (n_instances,)
        Their discriminator states.

    Examples
    --------
    >>> import numpy as np
    >>> from functools import partial
    >>> from modAL.models import ActiveLearner
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.rand(100, 4), np.arange(100) % 2
    >>> strategy = partial(sraal_query, sraal=SRAAL(n_iter=10, random_state=0))
    >>> learner = ActiveLearner(LogisticRegression(), strategy,
    ...                         X_training=X[:10], y_training=y[:10])
    >>> idx, rows = learner.query(X[10:], n_instances=3)
    >>> idx.shape
    (3,)
    """
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}; got {selection!r}.")
    if not isinstance(candidates, (int, float, np.number)) or not candidates >= 1:
        raise ValueError(f"candidates must be a number >= 1; got {candidates!r}.")
    X_lab, y_lab, X_pool_arr = labeled_pool(learner, X_pool, on_transformed)
    n_instances = check_n_instances(n_instances, len(X_pool_arr))
    y_lab = as_masks(y_lab, X_lab)   # flattened segmentation masks back to (n, H, W)
    segmentation = y_lab.ndim == 3
    if not segmentation:
        _check_learner_classes(learner, y_lab)
    values = y_lab[(y_lab != IGNORE_LABEL) & (y_lab != UNLABELED)] if segmentation else y_lab
    if len(np.unique(values)) < 2:
        raise ValueError(
            "learner.y_training holds a single class: the target model's probabilities "
            "(the relabeled state) and the STL need at least 2 classes. Label a more "
            "diverse first pool (e.g. kcenter_init) or query with coreset_query first."
        )
    proba = check_proba(pool_predict_proba(learner, X_pool), "learner.predict_proba(X_pool)")

    model = sraal if sraal is not None else getattr(learner, LEARNER_ATTRIBUTE, None)
    if model is None:
        model = default_sraal(X_pool_arr, random_state)
    # Fit a copy when the model is the learner's own, so a failed fit leaves
    # the learner's SRAAL as it was.
    candidate = model if sraal is not None else _copy_fitted(model)
    # A streamed pool is stacked under the labeled rows without a copy.
    X_all = (as_rows(X_lab, "X", X_pool_arr) if isinstance(X_pool_arr, PoolRows)
             else np.concatenate([X_lab, X_pool_arr]))
    if segmentation:  # masks as they are; an unlabeled row is a mask of -1
        y_all = np.concatenate([y_lab.astype(np.int64),
                                np.full((len(X_pool_arr), *y_lab.shape[1:]), UNLABELED)])
    else:  # labels of any type to codes; -1 is reserved for the unlabeled rows
        codes = np.unique(y_lab, return_inverse=True)[1]
        y_all = np.concatenate([codes, np.full(len(X_pool_arr), UNLABELED)])
    Z = candidate._fit(X_all, y_all, uncertainty=proba)  # the pool's representations
    scores = candidate.discriminator_.predict_state(Z)
    if selection == "topk":
        picked = select_top_k(scores, n_instances)
    else:
        seed = random_state if random_state is not None else candidate.random_state
        picked = select_diverse_top_k(scores, Z, n_instances, candidates=candidates,
                                      random_state=seed)
    # The batch's spread over the target model's predicted classes: a collapse
    # onto one region shows here without any labels.
    candidate.batch_spread_ = batch_spread(proba[picked[0]].argmax(axis=1))
    if sraal is None:
        setattr(learner, LEARNER_ATTRIBUTE, candidate)
    return picked


def _copy_fitted(model: SRAAL) -> SRAAL:
    import copy

    return copy.deepcopy(model) if hasattr(model, "generator_") else clone(model)


def coreset_query(
    learner: Any,
    X_pool: Any,
    n_instances: int = 1,
    *,
    embedding: Embedding = "auto",
    on_transformed: bool = False,
) -> Tuple[np.ndarray, np.ndarray]:
    """Core-set query strategy (Sener & Savarese, 2018), the paper's baseline.

    Greedy k-center (:func:`kcenter_greedy`) over the labeled and the pool
    rows: picks, one at a time, the pool row farthest from everything
    labeled or already picked.

    Parameters
    ----------
    learner : modAL.models.ActiveLearner
    X_pool : array-like of shape (n_pool, ...)
    n_instances : int, default=1
    embedding : {'auto', 'raw', 'features', 'projection', 'proba'} or callable, default='auto'
        The space of the Euclidean distances: the flattened samples, the
        target network's penultimate features, a random projection of the
        samples to 128 dimensions, the learner's probabilities, or
        ``embedding(X) -> (n, k)``. ``'auto'`` takes the raw samples while
        their float32 copy fits in :data:`~modal_sraal.pool.STREAM_BYTES`
        (256 MiB) and the pool is in memory, else the target network's
        features (a skorch net ending in a linear layer), else the
        projection, so that a large pool is embedded in one streaming pass
        (:func:`~modal_sraal.embedding.resolve_embedding`).
    on_transformed : bool, default=False
        Embed the pipeline-transformed samples.

    Returns
    -------
    indices : ndarray of shape (n_instances,)
        Pool rows in the order picked.
    scores : ndarray of shape (n_instances,)
        Each pick's distance to the nearest centre at the time it was picked.

    Examples
    --------
    >>> import numpy as np
    >>> from modAL.models import ActiveLearner
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [0.1], [5.0], [9.0], [9.1]])
    >>> learner = ActiveLearner(LogisticRegression(), coreset_query,
    ...                         X_training=X[:2], y_training=[0, 1])
    >>> learner.query(X[2:], n_instances=1)[0]
    array([2])
    """
    X_lab, _, X_pool_arr = labeled_pool(learner, X_pool, on_transformed)
    n_instances = check_n_instances(n_instances, len(X_pool_arr))
    # One embedding for both sets, chosen on the pool (the large one).
    embedding = resolve_embedding(embedding, X_pool_arr, learner)
    Z = np.concatenate([embed(X_lab, embedding, learner), embed(X_pool_arr, embedding, learner)])
    picked, dist = kcenter_greedy(
        Z, n_instances, already_selected=np.arange(len(X_lab)), return_distances=True
    )
    return picked - len(X_lab), dist


def subsampled(strategy: Callable, max_candidates: int, random_state: Any = None) -> Callable:
    """A query strategy that sees only a random subset of the pool.

    Each call draws ``max_candidates`` rows of ``X_pool`` without
    replacement (all of them if the pool is smaller), runs ``strategy`` on
    that subset, and maps the picked indices back to ``X_pool``: the cost of
    scoring (``predict_proba``, SRAAL's training and encoding, k-center
    distances) then follows ``max_candidates`` instead of the pool size, as
    baal's ``max_sample`` and scikit-activeml's ``SubSamplingWrapper`` do.
    The trade-off: the batch is the best of a random sample, not of the
    pool, so the rarest informative rows may never be seen in a cycle
    (docs: Scale). Off unless you wrap a strategy.

    Parameters
    ----------
    strategy : callable
        A modAL query strategy, ``strategy(learner, X_pool, n_instances, **kw)``.
    max_candidates : int
        Rows scored per query (>= 1).
    random_state : int, RandomState or None
        Draws the subsets (a new subset at every call).

    Examples
    --------
    >>> import numpy as np
    >>> from modAL.models import ActiveLearner
    >>> from modAL.uncertainty import uncertainty_sampling
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.rand(200, 2), np.arange(200) % 2
    >>> learner = ActiveLearner(LogisticRegression(), subsampled(uncertainty_sampling, 50, 0),
    ...                         X_training=X[:10], y_training=y[:10])
    >>> idx, _ = learner.query(X, n_instances=5)
    >>> idx.shape, bool(idx.max() < 200)
    ((5,), True)
    """
    if (isinstance(max_candidates, (bool, np.bool_))
            or not isinstance(max_candidates, (int, np.integer)) or max_candidates < 1):
        raise ValueError(f"max_candidates must be an integer >= 1; got {max_candidates!r}.")
    rng = check_random_state(random_state)

    def query(learner: Any, X_pool: Any, n_instances: int = 1, **kwargs: Any):
        n_pool = len(X_pool) if not hasattr(X_pool, "shape") else X_pool.shape[0]
        n_instances = check_n_instances(n_instances, n_pool)
        if n_pool <= max_candidates:
            return strategy(learner, X_pool, n_instances, **kwargs)
        if n_instances > max_candidates:
            raise ValueError(f"n_instances={n_instances} is larger than max_candidates="
                             f"{max_candidates}: a subset cannot yield that many rows.")
        subset = np.sort(rng.choice(n_pool, max_candidates, replace=False))
        result = strategy(learner, modal_retrieve_rows(X_pool, subset), n_instances, **kwargs)
        indices = subset[np.asarray(result[0] if isinstance(result, tuple) else result)]
        return (indices, *result[1:]) if isinstance(result, tuple) else indices

    query.__name__ = f"subsampled_{getattr(strategy, '__name__', 'strategy')}"
    return query

