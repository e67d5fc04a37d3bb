"""The unified representation generator of SRAAL (§3.2) as a skorch net."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np
import torch
from sklearn.base import TransformerMixin
from skorch import NeuralNet
from torch.nn import functional as F

from ._networks import GeneratorModule
from ._skorch_utils import DataShapedNetMixin
from ._validation import check_samples
from .optim import EagerAdam
from .precision import MixedPrecisionMixin
from .labels import IGNORE_LABEL, UNLABELED

__all__ = ["SRAALGenerator", "gaussian_kl"]


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``D_KL(q(z|x) || N(0, I))`` per row, summed over latent dimensions."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


class SRAALGenerator(MixedPrecisionMixin, DataShapedNetMixin, TransformerMixin, NeuralNet):
    """Unified representation generator: UIR + STL on one encoder (§3.2).

    A VAE-style encoder (a CNN for images ``(n, c, H, W)`` of any size from
    8x8, an MLP for flat features ``(n, d)``) with two Gaussian latents:

    * **UIR** (unsupervised image reconstructor): its decoder reconstructs the
      input; trained on labeled *and* unlabeled rows (Eq. 1);
    * **STL** (supervised target learner): its decoder is a classifier;
      trained on labeled rows only (Eq. 2).

    The loss is Eq. 7::

        L_G = lambda_uir * L_UIR + lambda_stl * L_STL + lambda_adv * L_adv

    with ``L_UIR = MSE(x_hat, x) + beta * KL_uir`` over all rows,
    ``L_STL = CE(classifier(z_stl), y) + beta * KL_stl`` over labeled rows and
    ``L_adv = BCE(D(z), 1)`` over all rows (Eq. 6), which is active only in
    a ``train_step(batch, adversary=discriminator_module)``: :class:`SRAAL`
    passes its discriminator there while it trains the two adversarially.

    Labels ``y`` are integers ``0..n_classes-1``; ``-1`` marks unlabeled
    rows. ``y=None`` means all rows are unlabeled (UIR only). The module's
    shape (``input_shape``, ``n_classes``) is inferred at the first ``fit``;
    any ``module__*`` parameter given by the user wins.

    Parameters
    ----------
    module : torch module class, default :class:`~modal_sraal._networks.GeneratorModule`
    latent_dim : int, default=32
        Size of *each* latent (UIR and STL).
    use_stl : bool, default=True
        False drops the STL latent (the paper's "w/o STL" ablation).
    lambda_uir, lambda_stl, lambda_adv : float
        Weights of Eq. 7.
    beta : float, default=1.0
        Weight of the KL terms inside ``L_UIR`` and ``L_STL``.
    ignore_label : int, default=255
        Mask pixels with this label are left out of the segmentation STL loss.
    random_state : int, RandomState or None
        Seeds each ``fit`` (initialization, shuffling, sampling noise).
    precision : {'float32', 'bfloat16', 'float16'}, default='float32'
        What a training step's forward pass and loss compute in
        (:class:`~modal_sraal.precision.MixedPrecisionMixin`); weights and
        ``transform`` stay float32.

    Segmentation: pass ``y`` as masks ``(n, H, W)`` (a mask of -1 marks an
    unlabeled row); the STL decoder then predicts a per-pixel label map and
    ``L_STL`` is the per-pixel cross-entropy over labeled, non-ignored pixels.
    **kwargs
        Any :class:`skorch.NeuralNet` parameter (``max_epochs``, ``lr``,
        ``batch_size``, ``device``, ``callbacks``, ...).

    Attributes
    ----------
    loss_parts_ : dict
        The terms of the last loss computed (floats), for diagnostics.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.RandomState(0).rand(40, 1, 8, 8).astype("float32")
    >>> y = np.r_[np.arange(10) % 2, -np.ones(30, dtype=int)]
    >>> gen = SRAALGenerator(max_epochs=1, verbose=0).fit(X, y)
    >>> gen.transform(X).shape
    (40, 64)
    """

    def __init__(
        self,
        module=GeneratorModule,
        *args,
        latent_dim: int = 32,
        use_stl: bool = True,
        lambda_uir: float = 1.0,
        lambda_stl: float = 1.0,
        lambda_adv: float = 1.0,
        beta: float = 1.0,
        ignore_label: int = IGNORE_LABEL,
        random_state=None,
        precision: str = "float32",
        criterion=torch.nn.MSELoss,
        optimizer=EagerAdam,
        lr: float = 5e-4,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module, *args, criterion=criterion, optimizer=optimizer, lr=lr,
            train_split=train_split, **kwargs,
        )
        self.latent_dim = latent_dim
        self.use_stl = use_stl
        self.lambda_uir = lambda_uir
        self.lambda_stl = lambda_stl
        self.lambda_adv = lambda_adv
        self.beta = beta
        self.ignore_label = ignore_label
        self.random_state = random_state
        self.precision = precision

    # -- skorch hooks ------------------------------------------------------
    def _module_kwargs_from_data(self, X: np.ndarray, y: Any) -> Dict[str, Any]:
        n_classes, task = 0, "classification"
        if y is not None and self.use_stl:
            y = np.asarray(y)
            task = "segmentation" if y.ndim == 3 else "classification"
            values = y[(y != UNLABELED) & (y != self.ignore_label)]
            n_classes = int(values.max()) + 1 if values.size else 0
        return {
            "input_shape": tuple(X.shape[1:]),
            "n_classes": n_classes,
            "latent_dim": self.latent_dim,
            "use_stl": self.use_stl,
            "task": task,
        }

    def train_step_single(self, batch, adversary: Optional[torch.nn.Module] = None, **fit_params):
        """skorch's step, with the discriminator module the loss plays against (Eq. 6).

        ``adversary`` reaches here from ``train_step(batch, adversary=...)``,
        skorch's way of passing per-step arguments; it is kept out of the
        module's ``forward``.
        """
        return super().train_step_single(batch, loss_kwargs={"adversary": adversary},
                                         **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False, adversary=None):
        """Eq. 7 (see the class docstring); records the terms in ``loss_parts_``.

        ``adversary``: the discriminator module of Eq. 6 (None: no adversarial term).
        """
        # The terms in float32 under any precision (a no-op on float32 tensors).
        x_hat, mu_uir, logvar_uir, mu_stl, logvar_stl, logits = (
            None if t is None else t.float() for t in y_pred)
        X = torch.as_tensor(X, device=x_hat.device)
        # Eq. 1: reconstruction + KL over labeled and unlabeled rows.
        recon = F.mse_loss(x_hat, X)
        kl_uir = gaussian_kl(mu_uir, logvar_uir).mean()
        loss_uir = recon + self.beta * kl_uir
        parts = {"recon": recon, "kl_uir": kl_uir}
        loss = self.lambda_uir * loss_uir

        # Eq. 2: classification (or per-pixel labels) + KL over labeled rows only.
        if self.module_.use_stl and y_true is not None:
            y_true = torch.as_tensor(y_true, device=x_hat.device).long()
            labeled = (y_true != UNLABELED) if y_true.ndim == 1 else \
                (y_true != UNLABELED).flatten(1).any(dim=1)
            if labeled.any():
                target = y_true[labeled]
                if target.ndim > 1:  # masks: -1 pixels inside a labeled mask are ignored too
                    target = target.masked_fill(target == UNLABELED, self.ignore_label)
                ce = F.cross_entropy(logits[labeled], target, ignore_index=self.ignore_label)
                kl_stl = gaussian_kl(mu_stl[labeled], logvar_stl[labeled]).mean()
                loss = loss + self.lambda_stl * (ce + self.beta * kl_stl)
                parts.update(ce=ce, kl_stl=kl_stl)

        # Eq. 6: fool the discriminator into calling every row labeled (state 1
        # in the generator's view, as in the authors' code).
        if adversary is not None and self.lambda_adv:
            logits_d = adversary(torch.cat([mu_uir, mu_stl], dim=1)).float()
            adv = F.binary_cross_entropy_with_logits(logits_d, torch.ones_like(logits_d))
            loss = loss + self.lambda_adv * adv
            parts["adv"] = adv
        parts["loss"] = loss
        self.loss_parts_ = {k: float(v.detach()) for k, v in parts.items()}
        return loss

    def fit(self, X, y=None, **fit_params):
        """Train UIR (all rows) and STL (rows with ``y != -1``).

        Parameters
        ----------
        X : array-like of shape (n, d) or (n, c, H, W)
        y : array-like of shape (n,) or (n, H, W), optional
            Integer labels, ``-1`` for unlabeled rows, or segmentation masks
            (a mask of ``-1`` for unlabeled rows); None: all unlabeled.
        """
        X = check_samples(X, "X")
        y = self._check_y(y, len(X), X.shape[2:] if X.ndim == 4 else None)
        return super().fit(X, y, **fit_params)

    @staticmethod
    def _check_y(y: Any, n: int, spatial: Any = None) -> np.ndarray:
        if y is None:
            return np.full(n, UNLABELED, dtype=np.int64)
        y = np.asarray(y)
        masks = spatial is not None and y.shape == (n, *spatial)
        if y.shape != (n,) and not masks:
            raise ValueError(f"y must have shape ({n},), one label per row of X, or be masks "
                             f"(n, H, W) matching the images; got {y.shape}.")
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)  # integral floats are labels too
        if y.dtype.kind not in "iu" or (y < UNLABELED).any():
            raise ValueError("y must hold integer class indices >= 0, or -1 for unlabeled rows.")
        return y.astype(np.int64)

    # -- representations ---------------------------------------------------
    @torch.inference_mode()
    def encode(self, X) -> Dict[str, np.ndarray]:
        """Latent means and log-variances of UIR and STL for each row of ``X``."""
        outs = [[t.cpu() for t in self.module_.encode(Xi)] for Xi in self.inference_batches(X)]
        names = ("mu_uir", "logvar_uir", "mu_stl", "logvar_stl")
        return {k: torch.cat([o[i] for o in outs]).numpy() for i, k in enumerate(names)}

    @torch.inference_mode()
    def reconstruction_error(self, X, mu_uir: Optional[np.ndarray] = None) -> np.ndarray:
        """Each row's mean squared error of reconstruction from its UIR latent
        mean (Eq. 1's first term, per row), shape ``(n,)``.

        ``mu_uir``: the rows' UIR latent means, if already known (from
        :meth:`encode`): only the decoder runs.
        """
        errors, start = [], 0
        for Xi in self.inference_batches(X):
            if mu_uir is None:
                x_hat = self.module_(Xi)[0]
            else:
                x_hat = self.module_.decoder(
                    torch.as_tensor(mu_uir[start:start + len(Xi)], device=Xi.device))
            start += len(Xi)
            errors.append((x_hat.float() - Xi.float()).square().flatten(1).mean(dim=1).cpu())
        return torch.cat(errors).numpy()

    def transform(self, X) -> np.ndarray:
        """The unified representation: ``[mu_uir, mu_stl]`` (§3.2), shape ``(n, r)``."""
        codes = self.encode(X)
        return np.concatenate([codes["mu_uir"], codes["mu_stl"]], axis=1)

    def transform_uir(self, X) -> np.ndarray:
        """The UIR latent means alone (the space of Alg. 1's distances)."""
        return self.encode(X)["mu_uir"]
