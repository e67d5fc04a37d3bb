"""modal_sraal: State-Relabeling Adversarial Active Learning (SRAAL) for modAL.

Public API::

    online_uncertainty, entropy_uncertainty, std_uncertainty, binary_state
    SRAALGenerator, SRAALDiscriminator, SRAAL
    sraal_query, coreset_query, select_top_k, select_diverse_top_k
    kcenter_init, kcenter_greedy
    subsampled, PoolRows            (large pools: modal_sraal.pool, modal_sraal.distributed)
"""
from . import _modal  # noqa: F401  (fails early with install instructions)
from .compat import patch_modal

patch_modal()  # modAL's teach on today's scikit-learn, and with N-D labels (masks)
from .checkpoint import load_checkpoint, save_checkpoint
from .discriminator import SRAALDiscriminator
from .generator import SRAALGenerator
from .labels import IGNORE_LABEL, UNLABELED
from .kcenter import covering_radius, kcenter_greedy, kcenter_init
from .pool import PoolRows
from .query import coreset_query, sraal_query, subsampled
from .selection import select_diverse_top_k, select_top_k
from .sraal import (
    SRAAL, DiscriminatorCollapseWarning, PoorTrackingWarning, SRAALTrainingError, default_sraal,
)
from .uncertainty import (
    RELABELING_SCORES, binary_state, entropy_uncertainty, online_uncertainty, std_uncertainty,
)

__version__ = "0.2.0"

__all__ = [
    "online_uncertainty", "entropy_uncertainty", "std_uncertainty", "binary_state",
    "RELABELING_SCORES", "SRAALGenerator", "SRAALDiscriminator", "SRAAL",
    "SRAALTrainingError", "DiscriminatorCollapseWarning", "PoorTrackingWarning",
    "UNLABELED", "IGNORE_LABEL",
    "sraal_query", "coreset_query", "default_sraal", "select_top_k", "select_diverse_top_k",
    "kcenter_init", "kcenter_greedy", "covering_radius", "subsampled", "PoolRows",
    "save_checkpoint", "load_checkpoint", "patch_modal",
]
