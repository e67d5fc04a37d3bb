"""The state discriminator of SRAAL (§3.3) as a skorch net."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
import torch
from skorch import NeuralNet

from ._networks import DiscriminatorModule
from ._skorch_utils import DataShapedNetMixin
from ._validation import check_samples
from .optim import EagerAdam
from .precision import MixedPrecisionMixin

__all__ = ["SRAALDiscriminator"]


class SRAALDiscriminator(MixedPrecisionMixin, DataShapedNetMixin, NeuralNet):
    """State discriminator: MLP on the unified representation, sigmoid output.

    Trained with binary cross-entropy on *soft* targets (Eq. 5 as the authors'
    code runs it): 0 for labeled rows, the relabeled state (e.g. the OUI
    score, in ``[0, 1]``) for unlabeled rows. Its output, the predicted state,
    is high for samples that look unlabeled and uncertain: SRAAL queries the
    highest (§3.4).

    Parameters
    ----------
    module : torch module class, default :class:`~modal_sraal._networks.DiscriminatorModule`
        Built with ``input_dim`` inferred from the data at the first ``fit``;
        ``module__hidden`` sets the hidden layers (default 4 x 512).
    random_state : int, RandomState or None
        Seeds each ``fit``.
    precision : {'float32', 'bfloat16', 'float16'}, default='float32'
        What a training step's forward pass and loss compute in
        (:class:`~modal_sraal.precision.MixedPrecisionMixin`); weights and
        :meth:`predict_state` stay float32.
    **kwargs
        Any :class:`skorch.NeuralNet` parameter.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.random.RandomState(0).randn(50, 8).astype("float32")
    >>> state = (Z[:, 0] > 0).astype("float32")
    >>> disc = SRAALDiscriminator(max_epochs=2, verbose=0).fit(Z, state)
    >>> disc.predict_proba(Z).shape
    (50, 2)
    """

    def __init__(
        self,
        module=DiscriminatorModule,
        *args,
        random_state=None,
        precision: str = "float32",
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=EagerAdam,
        lr: float = 5e-4,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module, *args, criterion=criterion, optimizer=optimizer, lr=lr,
            train_split=train_split, **kwargs,
        )
        self.random_state = random_state
        self.precision = precision

    def _module_kwargs_from_data(self, X: np.ndarray, y: Any) -> Dict[str, Any]:
        return {"input_dim": int(np.prod(X.shape[1:]))}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # Soft targets: BCE accepts any value in [0, 1], not only {0, 1}; states and
        # logits in float32 under any precision (.float() is a no-op on float32).
        y_pred = y_pred.float()
        y_true = torch.as_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def fit(self, X, y, **fit_params):
        """Fit on representations ``X`` ``(n, r)`` and states ``y`` in ``[0, 1]``."""
        X = check_samples(X, "X")
        y = np.asarray(y, dtype=np.float32)
        if y.shape != (len(X),):
            raise ValueError(f"y must have shape ({len(X)},); got {y.shape}.")
        if not np.all(np.isfinite(y)) or y.min() < 0 or y.max() > 1:
            raise ValueError("y (the states) must be finite and in [0, 1].")
        return super().fit(X, y, **fit_params)

    @torch.inference_mode()
    def predict_state(self, X) -> np.ndarray:
        """The predicted state ``sigmoid(D(z))`` of each row, shape ``(n,)``."""
        logits = [self.module_(Xi).cpu() for Xi in self.inference_batches(X)]
        return torch.sigmoid(torch.cat(logits)).numpy().astype(np.float64)

    def predict_proba(self, X) -> np.ndarray:
        """``[1 - state, state]`` per row, shape ``(n, 2)`` (scikit-learn layout)."""
        s = self.predict_state(X)
        return np.stack([1.0 - s, s], axis=1)
