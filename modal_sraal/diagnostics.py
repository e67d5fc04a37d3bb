"""How well the state discriminator does its job: tracking and separation.

Measured on fixed probe rows during training (:mod:`modal_sraal.training`)
and on every row at the end of a fit (``SRAAL.tracking_``, ``separation_``).
"""
from __future__ import annotations

from typing import Any, Dict

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from ._validation import user_stacklevel

__all__ = ["state_tracking", "state_separation", "diagnostics", "monitored", "stl_accuracy",
           "fitted_diagnostics",
           "DiscriminatorCollapseWarning", "PoorTrackingWarning", "POOR_TRACKING",
           "PROBE_UNLABELED", "PROBE_LABELED"]

#: ``tracking_`` below this triggers :class:`PoorTrackingWarning`.
POOR_TRACKING = 0.3
#: Rows on which the tracking is measured during training (fixed per fit).
PROBE_UNLABELED, PROBE_LABELED = 512, 256


class DiscriminatorCollapseWarning(ConvergenceWarning):
    """The discriminator gives (nearly) the same state to every sample."""


class PoorTrackingWarning(ConvergenceWarning):
    """The discriminator's ranking of the pool agrees little with the relabeled states."""


def state_tracking(scores: np.ndarray, states: np.ndarray) -> float:
    """Spearman rank correlation between discriminator outputs and relabeled states.

    NaN when either is constant (e.g. VAAL's binary state).

    Examples
    --------
    >>> state_tracking([0.1, 0.5, 0.3], [0.0, 0.9, 0.2])
    1.0
    >>> state_tracking([0.3, 0.2, 0.1], [0.0, 0.5, 0.9])
    -1.0
    """
    scores, states = np.asarray(scores), np.asarray(states)
    if len(scores) < 3 or np.ptp(states) == 0 or np.ptp(scores) == 0:
        return float("nan")
    from scipy.stats import spearmanr

    return float(spearmanr(scores, states)[0])


def state_separation(scores_labeled: np.ndarray, scores_unlabeled: np.ndarray) -> float:
    """ROC AUC of the scores for telling unlabeled (positive) from labeled rows.

    Examples
    --------
    >>> state_separation([0.1, 0.2], [0.3, 0.15])
    0.75
    """
    from scipy.stats import rankdata

    # The Mann-Whitney form of the AUC (ties count one half): what
    # roc_auc_score computes, without its input checks, which cost more than
    # the AUC itself at every training check.
    n_lab, n_unl = len(scores_labeled), len(scores_unlabeled)
    ranks = rankdata(np.r_[scores_labeled, scores_unlabeled])
    return float((ranks[n_lab:].sum() - n_unl * (n_unl + 1) / 2) / (n_lab * n_unl))


def diagnostics(discriminator: Any, Z_lab: np.ndarray, Z_unl: np.ndarray,
                states: np.ndarray) -> Dict[str, float]:
    """``tracking`` and ``separation`` of ``discriminator`` on these representations."""
    return _scored(discriminator, Z_lab, Z_unl, states)[1]


def _scored(discriminator: Any, Z_lab: np.ndarray, Z_unl: np.ndarray, states: np.ndarray):
    """The unlabeled rows' predicted states, and the tracking and separation they give."""
    s_unl = discriminator.predict_state(Z_unl)
    if not np.all(np.isfinite(s_unl)):   # NaN scores: no ranking to measure
        return s_unl, {"tracking": float("nan"), "separation": float("nan")}
    s_lab = discriminator.predict_state(Z_lab)
    return s_unl, {"tracking": state_tracking(s_unl, states),
                   "separation": state_separation(s_lab, s_unl)}


def monitored(entry: Dict[str, float]) -> float:
    """What convergence watches: the tracking, or the separation for a binary state."""
    return entry["tracking"] if np.isfinite(entry["tracking"]) else entry["separation"]


@torch.inference_mode()
def stl_accuracy(generator: Any, Z_lab: np.ndarray, y_lab: np.ndarray, ignore_label: int) -> float:
    """Accuracy of the STL's classifier on the labeled rows' codes (per pixel for
    masks, ``ignore_label`` pixels left out); NaN without an STL."""
    module = generator.module_
    if not module.use_stl:
        return float("nan")
    mu_stl = torch.as_tensor(Z_lab[:, module.latent_dim:], device=generator.device)
    module.eval()
    pred = torch.cat([module.classifier(chunk).argmax(1).cpu()
                      for chunk in mu_stl.split(256)]).numpy()
    keep = y_lab != ignore_label
    return float((pred == y_lab)[keep].mean()) if keep.any() else float("nan")


def fitted_diagnostics(discriminator: Any, generator: Any, Z_lab: np.ndarray, Z_unl: np.ndarray,
                       states: np.ndarray, y_lab: np.ndarray, ignore_label: int) -> Dict[str, float]:
    """Tracking, separation, STL accuracy and score spread on every row after a fit.

    Warns :class:`DiscriminatorCollapseWarning` for a constant output and
    :class:`PoorTrackingWarning` for a tracking below :data:`POOR_TRACKING`;
    ``score_std`` is NaN when a score is (the caller decides what that means).
    """
    scores, metrics = _scored(discriminator, Z_lab, Z_unl, states)
    out = {"score_std": float(scores.std()), **metrics,
           "stl_accuracy": stl_accuracy(generator, Z_lab, y_lab, ignore_label)}
    if not np.isfinite(out["score_std"]):
        return out
    if out["score_std"] < 1e-4:
        warnings.warn(
            f"The SRAAL discriminator collapsed to a constant output "
            f"(mean {scores.mean():.4f}, std {out['score_std']:.2e} over "
            f"{len(scores)} unlabeled rows; target states: mean "
            f"{states.mean():.4f}, std {states.std():.4f}). Its top-K is "
            f"arbitrary: raise n_iter, lower lambda_adv or lr_discriminator, "
            f"and read training_log_.",
            DiscriminatorCollapseWarning, stacklevel=user_stacklevel(),
        )
    elif np.isfinite(out["tracking"]) and out["tracking"] < POOR_TRACKING:
        warnings.warn(
            f"The SRAAL discriminator tracks the relabeled states poorly: "
            f"Spearman {out['tracking']:.2f} over {len(scores)} unlabeled rows "
            f"(below {POOR_TRACKING}), so its ranking carries little of the "
            f"target model's uncertainty. Raise discriminator_refit_steps or "
            f"n_iter, lower lambda_adv, and read training_log_. If the target "
            f"model is weak (few labels for the task), its uncertainty may carry "
            f"little signal anyway: compare against random_query on a held-out "
            f"split (docs: Benchmarks, weak targets).",
            PoorTrackingWarning, stacklevel=user_stacklevel(),
        )
    return out

