"""Relabeling scores: the online uncertainty indicator (OUI) and its rivals.

Each score maps predicted class probabilities ``(n, C)`` (or ``(n, C, *spatial)``
for segmentation) to one value per sample in ``[0, 1]``; SRAAL uses it as the
*relabeled state* of unlabeled samples, i.e. the discriminator's target
(paper §3.3, Table 1).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import numpy as np

from ._validation import check_proba, to_numpy

__all__ = [
    "online_uncertainty",
    "entropy_uncertainty",
    "std_uncertainty",
    "binary_state",
    "RELABELING_SCORES", "margin_uncertainty", "oui_rank_uncertainty", "relabeled_states",
    "relabeling_score",
]


def _min_variance(max_p: np.ndarray, n_classes: int) -> np.ndarray:
    """``MINVar(V)`` of Eq. 4: the population variance of the vector ``V'``
    whose maximum is ``max(V)`` and whose other ``C - 1`` entries all equal
    ``(1 - max(V)) / (C - 1)``."""
    C = n_classes
    rest = (1.0 - max_p) / (C - 1)
    return ((1.0 / C - max_p) ** 2 + (C - 1) * (1.0 / C - rest) ** 2) / C


def online_uncertainty(proba: Any, ignore_mask: Any = None) -> np.ndarray:
    """Online uncertainty indicator (OUI), Eq. 3-4 of the SRAAL paper.

    ``OUI(V) = 1 - max(V) * MINVar(V) / Var(V)``

    where ``V`` is a sample's predicted probability vector over ``C`` classes.

    *Variance.* ``Var`` and ``MINVar`` both use the **population** variance
    (divide by ``C``), as printed in Eq. 4. (The authors' code uses the
    unbiased variance for ``Var`` only, so its ratio is off by ``(C-1)/C``.)
    With one definition on both sides, ``0 < MINVar(V) <= Var(V)`` and the
    score lies in the paper's ``[0, 1)``.

    *Edge cases.* A one-hot ``V`` scores 0. A uniform ``V`` makes the ratio
    0/0; its limit along vectors of the ``V'`` form is 1, so it scores
    ``1 - 1/C`` (not the maximum: ``[0, .5, .5]`` scores 0.875 > 2/3, since
    mass concentrated on two classes is *more* ambiguous than spread evenly). Any ``V`` with ``Var(V)`` below ``1e-12`` is
    treated as uniform.

    Parameters
    ----------
    proba : array-like or torch.Tensor of shape (n, C) or (n, C, H, W, ...)
        Predicted probabilities; rows sum to 1. For segmentation, each sample's
        vector is the mean of its per-pixel vectors (§3.3).
    ignore_mask : array-like of bool, shape (n, H, W, ...), optional
        Segmentation: pixels left out of the mean, e.g. ``masks == 255``
        (the ignore label) where masks are known.

    Returns
    -------
    scores : ndarray of shape (n,)
        Higher means more uncertain.

    Raises
    ------
    ValueError
        If ``C < 2``, or ``proba`` has NaN, negative entries or rows that do
        not sum to 1.

    Examples
    --------
    >>> online_uncertainty([[1.0, 0.0], [0.5, 0.5], [0.7, 0.3]]).round(3)
    array([0. , 0.5, 0.3])
    """
    P = check_proba(proba, "proba", ignore_mask=ignore_mask)
    C = P.shape[1]
    max_p = P.max(axis=1)
    var = P.var(axis=1)  # population variance (ddof=0), as MINVar
    min_var = _min_variance(max_p, C)
    uniform = var < 1e-12
    ratio = np.where(uniform, 1.0, min_var / np.where(uniform, 1.0, var))
    # MINVar <= Var holds exactly; clip rounding noise so the score stays >= 0.
    ratio = np.clip(ratio, 0.0, 1.0)
    return 1.0 - max_p * ratio


def _shannon_entropy(P: np.ndarray, axis: int = 1) -> np.ndarray:
    """Shannon entropy (nats) of probabilities along ``axis``; ``0 log 0 = 0``.
    No validation: the shared core of the entropy-based scores and queries."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(P > 0, P * np.log(P), 0.0).sum(axis=axis)


def entropy_uncertainty(proba: Any) -> np.ndarray:
    """Shannon entropy of the predicted probabilities, normalized to ``[0, 1]``
    by ``log(C)`` (Table 1, "Entropy").

    Parameters
    ----------
    proba : array-like of shape (n, C) or (n, C, H, W, ...)

    Returns
    -------
    scores : ndarray of shape (n,)

    Examples
    --------
    >>> entropy_uncertainty([[1.0, 0.0], [0.5, 0.5]])
    array([0., 1.])
    """
    P = check_proba(proba, "proba")
    # "+ 0.0" turns the -0.0 of a one-hot row into 0.0
    return np.clip(_shannon_entropy(P) / np.log(P.shape[1]), 0.0, 1.0) + 0.0


def std_uncertainty(proba: Any) -> np.ndarray:
    """Standard-deviation score (Table 1, "SD"): ``1 - std(V) / std(one-hot)``.

    A flat ``V`` (std 0) scores 1, a one-hot ``V`` scores 0; population
    standard deviation on both sides.

    Examples
    --------
    >>> std_uncertainty([[1.0, 0.0], [0.5, 0.5]])
    array([0., 1.])
    """
    P = check_proba(proba, "proba")
    C = P.shape[1]
    std_one_hot = np.sqrt(C - 1) / C
    return np.clip(1.0 - P.std(axis=1) / std_one_hot, 0.0, 1.0)


def margin_uncertainty(proba: Any) -> np.ndarray:
    """Margin score: ``1 - (p_(1) - p_(2))``, one minus the gap between the two
    most probable classes (the state modAL's ``margin_sampling`` ranks by).

    Not in the paper's Table 1; offered as one more relabeling (docs: Benchmarks).

    Examples
    --------
    >>> margin_uncertainty([[1.0, 0.0, 0.0], [0.5, 0.4, 0.1]])
    array([0. , 0.9])
    """
    P = check_proba(proba, "proba")
    top2 = -np.partition(-P, 1, axis=1)[:, :2]
    return np.clip(1.0 - (top2[:, 0] - top2[:, 1]), 0.0, 1.0) + 0.0


def oui_rank_uncertainty(proba: Any) -> np.ndarray:
    """The OUI (Eq. 3-4) replaced by its rank among the rows, scaled to ``[0, 1]``.

    Same order as :func:`online_uncertainty`, so the same top-K for a
    discriminator that tracked it perfectly; but the states spread evenly over
    ``[0, 1]`` instead of crowding near 0 when the target model is confident
    on most rows, so the discriminator's loss weighs the top of the ranking as
    much as its bottom. Ties share their mean rank. Not in the paper: a
    candidate measured on validation (docs: Benchmarks).

    Examples
    --------
    >>> oui_rank_uncertainty([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    array([0. , 1. , 0.5])
    """
    from scipy.stats import rankdata

    u = online_uncertainty(proba)
    if len(u) < 2:
        return u
    return (rankdata(u) - 1.0) / (len(u) - 1.0)


def binary_state(proba: Any) -> np.ndarray:
    """The binary state of VAAL: every unlabeled sample is 1 (no relabeling).

    ``proba`` is validated only for its number of rows.

    Examples
    --------
    >>> binary_state([[0.2, 0.8], [0.5, 0.5]])
    array([1., 1.])
    """
    P = check_proba(proba, "proba")
    return np.ones(P.shape[0])


#: Relabeling scores by the name ``SRAAL(relabel=...)`` accepts.
RELABELING_SCORES: Dict[str, Callable[[Any], np.ndarray]] = {
    "oui": online_uncertainty,
    "entropy": entropy_uncertainty,
    "std": std_uncertainty,
    "margin": margin_uncertainty,
    "oui_rank": oui_rank_uncertainty,
    "binary": binary_state,
}


def relabeling_score(relabel: Any) -> Callable[[Any], np.ndarray]:
    """Return the score function for ``relabel`` (a name or a callable)."""
    if callable(relabel):
        return relabel
    try:
        return RELABELING_SCORES[relabel]
    except (KeyError, TypeError):
        raise ValueError(
            f"relabel must be one of {sorted(RELABELING_SCORES)} or a callable; "
            f"got {relabel!r}."
        ) from None


def relabeled_states(uncertainty: Any, relabel: Any, unlabeled: np.ndarray) -> np.ndarray:
    """The relabeled state of each unlabeled row (§3.3), float32 in ``[0, 1]``.

    Parameters
    ----------
    uncertainty : array-like or None
        Scores ``(n_unlabeled,)`` in ``[0, 1]``, or the target model's
        probabilities ``(n_unlabeled, C)`` to which ``relabel`` is applied;
        rows may also be given for every row (labeled entries ignored).
        None only with ``relabel='binary'``.
    relabel : str or callable
        A name of :data:`RELABELING_SCORES` or ``proba -> (n,)``.
    unlabeled : ndarray of bool, shape (n,)
        Which rows are unlabeled.

    Examples
    --------
    >>> relabeled_states([[1.0, 0.0], [0.5, 0.5]], "entropy", np.array([False, True, True]))
    array([0., 1.], dtype=float32)
    """
    n_unl = int(np.sum(unlabeled))
    if uncertainty is None:
        if isinstance(relabel, str) and relabel == "binary":
            return np.ones(n_unl, dtype=np.float32)
        raise ValueError(
            f"uncertainty is required with relabel={relabel!r}: pass the "
            f"target model's predict_proba on the unlabeled rows (n_unlabeled, "
            f"n_classes), or their scores (n_unlabeled,)."
        )
    u = to_numpy(uncertainty)
    u = np.asarray(u, dtype=np.float64) if not isinstance(u, np.ndarray) else u
    if u.ndim >= 2:  # probabilities: apply the relabeling score
        if len(u) == len(unlabeled) and len(u) != n_unl:
            u = u[unlabeled]
        check_proba(u, "uncertainty")
        u = relabeling_score(relabel)(u)
    u = np.asarray(u, dtype=np.float64)
    if u.ndim == 1 and len(u) == len(unlabeled) and len(u) != n_unl:
        u = u[unlabeled]
    if u.shape != (n_unl,):
        raise ValueError(
            f"uncertainty must have one value per unlabeled row ({n_unl}); got shape {u.shape}."
        )
    if not np.all(np.isfinite(u)) or u.min() < 0 or u.max() > 1:
        raise ValueError("uncertainty scores must be finite and in [0, 1].")
    return u.astype(np.float32)

