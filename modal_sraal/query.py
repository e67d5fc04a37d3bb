"""modAL query strategies: SRAAL (§3.4) and the Core-set baseline.

Both follow modAL's contract: ``strategy(learner, X_pool, n_instances=1,
**kwargs)`` returns a 2-tuple ``(indices, scores)``.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._validation import (
    check_n_instances, check_proba, check_same_sample_shape, check_samples, to_numpy,
)
from .compat import modal_retrieve_rows
from .embedding import Embedding, embed, resolve_embedding
from .kcenter import kcenter_greedy
from .labels import UNLABELED, as_masks
from .pool import PoolRows, as_rows, is_streamed, pool_predict_proba
from .selection import (SELECTIONS, batch_spread, check_batch_params, select_batch,
                        select_diverse_top_k, select_top_k)
from .sraal import SRAAL, default_sraal

__all__ = ["sraal_query", "coreset_query", "default_sraal", "select_top_k",
           "select_diverse_top_k", "batch_spread", "labeled_pool", "subsampled", "SELECTIONS",
           "reconstruction_weight", "REFERENCE_ROWS", "WIDEN_BELOW_TRACKING"]

#: Default ``poor_tracking_below`` of :func:`sraal_query`: the tracking under which
#: ``poor_tracking_candidates`` applies. Under the lowest tracking of any published cycle of
#: 0.14's defaults on the digits and MNIST-5k sets (0.66), above most cycles' on
#: science-patches, whose target is weak (docs: Benchmarks, version 0.22); 0.8 lost on the
#: photographs' validation split (version 0.23).
WIDEN_BELOW_TRACKING = 0.6

#: Attribute of the learner holding the default SRAAL between query calls.
LEARNER_ATTRIBUTE = "sraal_"


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
    selection: str = "auto",
    candidates: float = 10.0,
    density_power: float = 1.0,
    reconstruction_power: float = 2.0,
    reconstruction_tolerance: float = 2.0,
    cluster_pick: str = "best",
    poor_tracking_candidates: Optional[float] = 20.0,
    poor_tracking_below: float = WIDEN_BELOW_TRACKING,
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
       ``selection='dense'``: the same, with each candidate's score weighted
       by its density among the candidates
       (:func:`~modal_sraal.selection.candidate_density`), so isolated rows
       neither get clusters of their own nor win one; ``selection='auto'``:
       the diverse batch, or the dense one when more than
       :data:`~modal_sraal.selection.ISOLATED_SHARE_MAX` of the diverse
       batch lies among the candidates' 10% most isolated
       (:func:`~modal_sraal.selection.select_batch`; the choice is kept as
       ``batch_selection_`` on the fitted SRAAL). Where the discriminator
       tracks the relabeled states poorly (``tracking_`` below
       ``poor_tracking_below``), the candidates widen to
       ``poor_tracking_candidates`` per pick: its ranking then says little
       about which rows to take.

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
        The SRAAL to fit. A copy is fitted and, once the query succeeds, its
        fitted state is given to this object (a fit that fails leaves it as
        it was). Default: one made by :func:`default_sraal`. Either way the
        fitted SRAAL is kept on the learner as ``learner.sraal_`` (with its
        diagnostics), so that later cycles warm-start.
    on_transformed : bool, default=False
        Run SRAAL on the pipeline-transformed samples (also when
        ``learner.on_transformed`` is True).
    random_state : int, RandomState or None
        Seed of the default SRAAL (ignored if ``sraal`` is given) and of the
        clustering of ``selection='diverse'``.
    selection : {'auto', 'diverse', 'dense', 'topk'}, default='auto'
        How the batch is taken from the discriminator's ranking. ``'auto'``
        is the default since 0.7 (0.3 to 0.6: ``'diverse'``).
    candidates : float, default=10.0
        ``selection`` other than ``'topk'``: candidate rows per pick (>= 1).
    density_power : float, default=1.0
        ``selection='dense'`` (or ``'auto'`` when it turns dense): the
        ranking is score times density to this power (>= 0).
    reconstruction_power : float, default=2.0
        Above 0, the candidates are ranked by score times
        :func:`reconstruction_weight` to this power: rows the UIR reconstructs
        far worse than the labeled ones (heavy noise, artifacts: unlearnable
        rather than informative) give their places to the next
        (:func:`~modal_sraal.selection.select_batch`'s ``row_weight``). 0: the
        scores alone (the default up to 0.13).
    reconstruction_tolerance : float, default=2.0
        With ``reconstruction_power``: rows reconstructed up to this many
        times worse than the labeled rows' median keep full weight (>= 1;
        :func:`reconstruction_weight`'s ``tolerance``). At 2, data of even
        quality keep their ranking (benchmarks: digits, digits-noisy).
    cluster_pick : {'best', 'central'}, default='best'
        ``selection`` other than ``'topk'``: each cluster gives its
        highest-ranked candidate, or (``'central'``) the one nearest its centre
        (:func:`~modal_sraal.selection.select_diverse_top_k`).
    poor_tracking_candidates : float or None, default=20.0
        Candidate rows per pick (>= 1) used, if more than ``candidates``, when the
        fitted discriminator's ``tracking_`` is below
        ``poor_tracking_below``: a ranking that agrees little with the
        target's uncertainty should narrow the pool little (default since
        0.22; validation: +1.10 points on science-patches, whose target is
        weak, no change where the ranking tracks). The number used is kept in
        ``batch_selection_['candidates']``. None: always ``candidates`` (up to
        0.21).
    poor_tracking_below : float, default=WIDEN_BELOW_TRACKING
        The tracking (a rank correlation, in [-1, 1]) below which
        ``poor_tracking_candidates`` applies; a number in [-1, 2] (2: always).

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
    check_batch_params(selection, candidates, density_power, reconstruction_power,
                       reconstruction_tolerance, cluster_pick,
                       poor_tracking_candidates, poor_tracking_below)   # before any fit
    X_lab, y_lab, X_pool_arr = labeled_pool(learner, X_pool, on_transformed)
    n_instances = check_n_instances(n_instances, len(X_pool_arr))
    y_lab = as_masks(y_lab, X_lab)   # flattened segmentation masks back to (n, H, W)
    segmentation = y_lab.ndim == 3
    if not segmentation:
        _check_learner_classes(learner, y_lab)
    model = sraal if sraal is not None else getattr(learner, LEARNER_ATTRIBUTE, None)
    if model is None:
        model = default_sraal(X_pool_arr, random_state)
    values = y_lab[(y_lab != model.ignore_label) & (y_lab != UNLABELED)] if segmentation else y_lab
    if len(np.unique(values)) < 2:
        raise ValueError(
            "learner.y_training holds a single class: the target model's probabilities "
            "(the relabeled state) and the STL need at least 2 classes. Label a more "
            "diverse first pool (e.g. kcenter_init) or query with coreset_query first."
        )
    proba = check_proba(pool_predict_proba(learner, X_pool), "learner.predict_proba(X_pool)")

    # Fit a copy, so that a fit that fails (or is interrupted) leaves the
    # learner's SRAAL, or the user's, as it was; commit it at the end.
    fitted = _copy_fitted(model)
    # A streamed pool is stacked under the labeled rows without a copy.
    X_all = (as_rows(X_lab, "X", X_pool_arr) if isinstance(X_pool_arr, PoolRows)
             else np.concatenate([X_lab, X_pool_arr]))
    if segmentation:  # masks as they are; an unlabeled row is a mask of -1
        y_all = np.concatenate([y_lab.astype(np.int64),
                                np.full((len(X_pool_arr), *y_lab.shape[1:]), UNLABELED)])
    else:  # labels of any type to codes; -1 is reserved for the unlabeled rows
        codes = np.unique(y_lab, return_inverse=True)[1]
        y_all = np.concatenate([codes, np.full(len(X_pool_arr), UNLABELED)])
    Z_all = fitted.fit_transform(X_all, y_all, uncertainty=proba)
    Z = Z_all[len(X_lab):]   # the pool's codes
    scores = fitted.discriminator_.predict_state(Z)
    seed = random_state if random_state is not None else fitted.random_state
    # Only the candidates are decoded, when the batch rule asks for them.
    row_weight = None if not reconstruction_power else _candidate_weight(
        fitted, X_lab, Z_all[:len(X_lab)], X_pool_arr, Z, reconstruction_power,
        reconstruction_tolerance)
    if poor_tracking_candidates is not None and fitted.tracking_ < poor_tracking_below:
        # widened, never narrowed; a NaN tracking (nothing measured) leaves it as it is
        candidates = max(candidates, poor_tracking_candidates)
    picked, fitted.batch_selection_ = select_batch(
        scores, Z, n_instances, selection=selection, candidates=candidates,
        density_power=density_power, random_state=seed, row_weight=row_weight,
        cluster_pick=cluster_pick)
    fitted.batch_selection_["candidates"] = float(candidates)
    # The batch's spread over the target model's predicted classes: a collapse
    # onto one region shows here without any labels.
    fitted.batch_spread_ = batch_spread(proba[picked[0]].argmax(axis=1))
    if sraal is not None:   # the user's object becomes the fitted one
        sraal.__dict__.update(fitted.__dict__)
        fitted = sraal
    setattr(learner, LEARNER_ATTRIBUTE, fitted)
    return picked


#: Labeled rows whose median reconstruction error is the reference of the
#: reconstruction weight in :func:`sraal_query` (evenly spaced over larger labeled pools).
REFERENCE_ROWS = 1000


def reconstruction_weight(error: Any, reference_error: Any, tolerance: float = 1.0) -> np.ndarray:
    """How representable each row is next to rows of known-good quality:
    ``tolerance`` times the median of ``reference_error`` over the row's
    ``error``, capped at 1 (:meth:`~modal_sraal.SRAAL.reconstruction_error`
    gives both).

    The UIR learns the structure the images share (Eq. 1); a row it
    reconstructs several times worse than the labeled ones (heavy noise,
    artifacts, a broken acquisition) is uncertain to the target for reasons a
    label does not fix. Rows reconstructed up to ``tolerance`` times worse than
    the labeled rows' median keep weight 1, so on data of even quality, where
    the spread of the errors is the images' own, the ranking does not change.

    Parameters
    ----------
    error : array-like of shape (n,)
        The rows' reconstruction errors (>= 0).
    reference_error : array-like of shape (m,)
        Those of the reference rows (the labeled pool); ``m >= 1``.
    tolerance : float, default=1.0
        How many times the reference's median a row may reach at full weight (>= 1).

    Returns
    -------
    weights : ndarray of shape (n,), in (0, 1]

    Examples
    --------
    >>> reconstruction_weight([0.5, 1.0, 2.0, 8.0], [1.0, 1.0, 3.0], tolerance=2.0)
    array([1.  , 1.  , 1.  , 0.25])
    """
    check_batch_params(reconstruction_tolerance=tolerance)
    error = np.asarray(error, dtype=np.float64)
    reference_error = np.asarray(reference_error, dtype=np.float64)
    for name, e in (("error", error), ("reference_error", reference_error)):
        if e.ndim != 1 or not np.all(np.isfinite(e)) or (e < 0).any():
            raise ValueError(f"{name} must be a 1-D array of finite errors >= 0.")
    if not len(reference_error):
        raise ValueError("reference_error must hold at least one error.")
    reference = np.median(reference_error)
    # A row decoded exactly has error 0: as representable as can be.
    return np.minimum(1.0, tolerance * reference / np.maximum(error, np.finfo(np.float32).tiny))


def _candidate_weight(model: SRAAL, X_lab: Any, Z_lab: np.ndarray, X_pool: Any,
                      Z_pool: np.ndarray, power: float, tolerance: float) -> Callable:
    """:func:`select_batch`'s ``row_weight``: the candidates' :func:`reconstruction_weight`
    to ``power``, from the codes the fit already made (only the decoder runs)."""
    ref = np.unique(np.linspace(0, len(X_lab) - 1, min(len(X_lab), REFERENCE_ROWS)).astype(np.int64))

    def weight(rows: np.ndarray) -> np.ndarray:
        reference = model.reconstruction_error(X_lab[ref], Z_lab[ref])
        error = model.reconstruction_error(X_pool[rows], Z_pool[rows])
        return reconstruction_weight(error, reference, tolerance) ** power
    return weight


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

