"""Mixed precision for the training steps of SRAAL's networks.

A cross-cutting concern kept in one place: :class:`MixedPrecisionMixin` gives a
skorch net a ``precision`` and runs the forward pass and loss of each
``train_step`` under :func:`torch.autocast`, with loss scaling
(:class:`torch.amp.GradScaler`) for ``'float16'``. Weights, optimizer state and
every pass where nothing is learned (encoding the pool, scoring it) stay
float32, so a ranking never depends on a rounding the training chose.

``'float32'`` (the default) runs exactly the float32 code. Reduced precision
pays where large matrix products dominate a step on hardware made for them
(tensor cores); on this project's CPU bfloat16 paid only for large image
pools and float16 was many times slower (docs: Benchmarks, version 0.11), and
it has not been timed on a GPU here.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Dict, Optional

import torch
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator

__all__ = ["PRECISIONS", "check_precision", "MixedPrecisionMixin"]

#: Accepted values of ``precision`` and the dtype autocast computes in.
PRECISIONS: Dict[str, Optional[torch.dtype]] = {
    "float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16,
}


def _device_type(device: Any) -> str:
    return torch.device("cpu" if device in (None, "auto") else device).type


def check_precision(precision: Any, device: Any = "cpu") -> str:
    """``precision`` checked against :data:`PRECISIONS` and, where one is given,
    what torch's autocast supports on ``device``; returns it.

    Without this check torch only warns and trains in float32 when autocast
    does not support a dtype on a device; asking for reduced precision and not
    getting it should be an error.

    Examples
    --------
    >>> check_precision("bfloat16", "cpu")
    'bfloat16'
    >>> check_precision("half")
    Traceback (most recent call last):
    ...
    ValueError: precision must be one of 'float32', 'bfloat16', 'float16'; got 'half'.
    """
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"precision must be one of "
                         f"{', '.join(repr(p) for p in PRECISIONS)}; got {precision!r}.")
    dtype, device_type = PRECISIONS[precision], _device_type(device)
    if dtype is None:
        return precision
    if device_type == "cuda" and dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        raise ValueError("precision='bfloat16', but this GPU does not support bfloat16; "
                         "use precision='float16' (loss-scaled) or 'float32'.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # torch warns, then disables autocast (or the scaler)
        try:
            with torch.autocast(device_type=device_type, dtype=dtype):
                pass
            if dtype == torch.float16:
                torch.amp.GradScaler(device_type)
        except (RuntimeError, UserWarning) as e:
            raise ValueError(f"precision={precision!r} is not supported on device "
                             f"{device!r} by this torch ({torch.__version__}): {e}") from None
    return precision


class MixedPrecisionMixin:
    """skorch net whose training steps run in its ``precision``.

    ``train_step_single`` computes the forward pass and the loss under
    :func:`torch.autocast` and back-propagates through :meth:`backward`;
    for ``'float16'``, ``train_step`` scales the loss and unscales the
    gradients before the optimizer's step (``grad_scaler_``), so small
    gradients do not underflow. Inference (``infer`` outside a training step,
    ``forward``) is not cast.
    """

    precision: str = "float32"

    def autocast(self) -> Any:
        """The context a training step's forward pass and loss run in."""
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=_device_type(self.device), dtype=dtype)

    def grad_scaler(self) -> Optional[torch.amp.GradScaler]:
        """The loss scaler of ``'float16'`` (made at its first step); None otherwise."""
        if self.precision != "float16":
            return None
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            scaler = self.grad_scaler_ = torch.amp.GradScaler(_device_type(self.device))
        return scaler

    def backward(self, loss: torch.Tensor) -> None:
        """``loss.backward()``, through the loss scaler where there is one."""
        scaler = self.grad_scaler()
        (loss if scaler is None else scaler.scale(loss)).backward()

    def train_step_single(self, batch, loss_kwargs: Optional[Dict[str, Any]] = None,
                          **fit_params):
        """skorch's step (forward, loss, backward) in the net's precision;
        ``loss_kwargs`` go to ``get_loss`` (e.g. the generator's ``adversary``)."""
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        with self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True, **(loss_kwargs or {}))
        self.backward(loss)
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        scaler = self.grad_scaler()
        if scaler is None:   # skorch's step, unchanged
            return super().train_step(batch, **fit_params)
        # GradScaler.step takes no closure, so the step is taken here, as skorch's
        # train_step does for an optimizer without one.
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        self.notify("on_grad_computed", named_parameters=TeeGenerator(
            self.get_all_learnable_params()), batch=batch, training=True)
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()
        return step

    def __getstate__(self):
        state = super().__getstate__()
        # The scaler holds tensors on the training device; it is made again at the next
        # step, so a model pickled on a GPU still loads where there is none.
        state.pop("grad_scaler_", None)
        return state

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        check_precision(self.precision, self.device)
        return super().partial_fit(X, y, classes=classes, **fit_params)
