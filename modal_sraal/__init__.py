"""modal_sraal: State-Relabeling Adversarial Active Learning (SRAAL) for modAL.

Public API::

    online_uncertainty, entropy_uncertainty, std_uncertainty, binary_state
    SRAALGenerator, SRAALDiscriminator, SRAAL
    sraal_query, coreset_query, select_top_k, select_diverse_top_k, reconstruction_weight
    kcenter_init, kcenter_greedy
    subsampled, PoolRows            (large pools: modal_sraal.pool, modal_sraal.distributed)
    describe_environment            (what a seed's results depend on besides the seed)
"""
import importlib
from typing import Any

from ._modal import require_modal

require_modal()   # fails early, with the install lines, without importing modAL or torch
from .compat import patch_modal, patch_modal_when_imported  # noqa: E402

# modAL's teach on today's scikit-learn, with N-D labels (masks), its query run
# once: applied now if modAL is loaded, else the moment it is imported.
patch_modal_when_imported()

__version__ = "0.26.0"

#: Public name -> the module that defines it; imported on first use, so that
#: ``import modal_sraal`` (and ``modal-sraal --help``) does not load torch.
_LAZY = {
    "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
    "SRAALDiscriminator": "discriminator", "SRAALGenerator": "generator",
    "IGNORE_LABEL": "labels", "UNLABELED": "labels",
    "covering_radius": "kcenter", "kcenter_greedy": "kcenter", "kcenter_init": "kcenter",
    "PoolRows": "pool",
    "coreset_query": "query", "sraal_query": "query", "subsampled": "query",
    "reconstruction_weight": "query",
    "select_diverse_top_k": "selection", "select_top_k": "selection",
    "SRAAL": "sraal", "DiscriminatorCollapseWarning": "sraal", "PoorTrackingWarning": "sraal",
    "SRAALTrainingError": "sraal", "default_sraal": "sraal",
    "RELABELING_SCORES": "uncertainty", "binary_state": "uncertainty",
    "entropy_uncertainty": "uncertainty", "online_uncertainty": "uncertainty",
    "std_uncertainty": "uncertainty",
    "describe_environment": "reproducibility", "numeric_environment": "reproducibility",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})


__all__ = [
    "online_uncertainty", "entropy_uncertainty", "std_uncertainty", "binary_state",
    "RELABELING_SCORES", "SRAALGenerator", "SRAALDiscriminator", "SRAAL",
    "SRAALTrainingError", "DiscriminatorCollapseWarning", "PoorTrackingWarning",
    "UNLABELED", "IGNORE_LABEL",
    "sraal_query", "coreset_query", "default_sraal", "select_top_k", "select_diverse_top_k",
    "reconstruction_weight", "kcenter_init", "kcenter_greedy", "covering_radius", "subsampled", "PoolRows",
    "save_checkpoint", "load_checkpoint", "patch_modal",
    "describe_environment", "numeric_environment",
]
