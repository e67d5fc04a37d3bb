"""Shared machinery for the skorch nets of this package."""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Optional

import numpy as np
import torch

from ._validation import check_random_state_seed, check_same_sample_shape, check_samples

#: Adam's multi-tensor update for SRAAL's networks (torch uses it by default on CUDA
#: only). On these small networks a step's update is many tiny per-tensor ops; batching
#: them takes 2-6% off a CPU query (digits) for the same numbers, bit for bit (tested).
ADAM_FOREACH = True


def resolve_device(device: Optional[str]) -> str:
    """``'auto'`` (or None) -> ``'cuda'`` when available, else ``'cpu'``; any other
    device is checked here, with a clear error, rather than deep inside torch.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device='tpu' is not a device torch knows ...
    """
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a device torch knows (use 'auto', 'cpu', "
                         f"'cuda' or 'cuda:N').") from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r}, but this machine has no CUDA GPU that torch "
                             f"can use (torch.cuda.is_available() is False); use device='auto' "
                             f"(CUDA when present, else the CPU) or 'cpu'.")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}, but torch sees {torch.cuda.device_count()} "
                             f"CUDA device(s).")
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r}, but MPS is not available here; use 'auto' or 'cpu'.")
    return str(device)


@contextlib.contextmanager
def seeded_torch(seed: Optional[int], device: str = "cpu") -> Iterator[None]:
    """Run a block with torch's RNG seeded, restoring the global RNG after.

    Keeps ``random_state`` local: fitting an estimator does not disturb the
    caller's torch random stream.
    """
    if seed is None:
        yield
        return
    devices = [torch.cuda.current_device()] if str(device).startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def even_batch_size(n_rows: int, batch_size: int) -> int:
    """The mini-batch size that cuts ``n_rows`` into as many batches as
    ``batch_size`` would, all of nearly equal size.

    With a fixed size, an epoch over 129 rows in batches of 64 ends on a batch
    of one row, and that step, as large as any under Adam, is the last before
    the model is used: on digits the target CNN trained on 129 rows scored 0.53
    against 0.79 on 128, and 0.82 on 129 with even batches (validation, 4 seeds;
    ``docs/benchmarks.rst``, version 0.8).

    Examples
    --------
    >>> even_batch_size(129, 64), even_batch_size(128, 64), even_batch_size(40, 64)
    (43, 64, 64)
    """
    if batch_size <= 0 or n_rows <= batch_size:
        return batch_size
    n_batches = -(-n_rows // batch_size)
    return -(-n_rows // n_batches)


class EvenBatchesMixin:
    """skorch net whose training epochs are cut into near-equal mini-batches
    (:func:`even_batch_size`) while ``even_batches`` is true.

    Same number of steps per epoch and the same shuffling as skorch's
    fixed ``batch_size``; only the sizes are evened out.
    """

    even_batches: bool = True

    def get_iterator(self, dataset, training=False):
        if not (training and self.even_batches):
            return super().get_iterator(dataset, training)
        kwargs = self.get_params_for("iterator_train")
        batch_size = kwargs.get("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        kwargs["batch_size"] = even_batch_size(len(dataset), batch_size)
        return self.iterator_train(dataset, **kwargs)


class DataShapedNetMixin:
    """Shared behaviour of this package's skorch nets.

    * Infer the module's shape arguments from the data: skorch builds the
      module in ``initialize_module`` from ``module__*`` parameters; a net
      fills the ones the user did not give from the first ``fit`` call's data
      (``_module_kwargs_from_data``).
    * Validate every input through :func:`check_samples` in ``get_dataset``
      (NaN/inf rejected with a clear message; lists, DataFrames, object and
      float64 arrays converted to float32, torch's dtype).
    * Seed each ``fit`` with ``random_state`` (initialization, shuffling,
      sampling noise), without touching the global torch RNG.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]  # torch computes in float32
        return tags

    def get_dataset(self, X, y=None):
        if not isinstance(X, torch.utils.data.Dataset):
            X = self._checked_samples(X)
        return super().get_dataset(X, y)

    def _checked_samples(self, X) -> np.ndarray:
        X = check_samples(X, "X")
        expected = getattr(self, "data_module_kwargs_", {}).get("input_shape")
        if expected is None and "input_dim" in getattr(self, "data_module_kwargs_", {}):
            expected = (self.data_module_kwargs_["input_dim"],)
        if expected is not None and getattr(self, "initialized_", False):
            check_same_sample_shape(X, expected, "X", "the data the net was fitted on")
        return X

    def inference_batches(self, X) -> Iterator[torch.Tensor]:
        """Validated rows of ``X`` as tensors on the net's device, ``batch_size`` at a time.

        For passes where nothing is learned: no DataLoader (whose per-batch
        cost dominated the training checks), the module in eval mode; call
        it under ``torch.inference_mode``.
        """
        self.check_is_fitted()
        X = self._checked_samples(X)
        self.module_.eval()
        for start in range(0, len(X), self.batch_size):
            yield torch.as_tensor(X[start:start + self.batch_size], device=self.device)

    def _set_training(self, training: bool = True) -> None:
        # skorch calls this at every step; Module.train re-sets the flag on every
        # submodule through Module.__setattr__, which costs as much as a layer of a
        # small net. Modules already in the mode are left as they are.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and any(
                    m.training != training for m in module.modules()):
                module.train(training)

    def _module_kwargs_from_data(self, X: np.ndarray, y: Any) -> Dict[str, Any]:
        raise NotImplementedError

    def initialize_module(self):
        kwargs = {**getattr(self, "data_module_kwargs_", {}), **self.get_params_for("module")}
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

    def initialize_for_data(self, X: np.ndarray, y: Any = None) -> "DataShapedNetMixin":
        """(Re)build the module for data like ``X``, ``y`` unless warm-starting."""
        if not (self.warm_start and getattr(self, "initialized_", False)):
            self.data_module_kwargs_ = self._module_kwargs_from_data(X, y)
            self.initialize()
        return self

    def fit(self, X, y=None, **fit_params):
        seed = None
        if self.random_state is not None:
            seed = check_random_state_seed(self.random_state)
        with seeded_torch(seed, str(self.device)):
            # Shapes are re-read on each (non warm) fit, so the shape check in
            # get_dataset must not compare against a previous fit's data.
            if not (self.warm_start and getattr(self, "initialized_", False)):
                self.initialized_ = False
            self.initialize_for_data(X, y)
            self.n_features_in_ = int(np.prod(X.shape[1:]))
            return self.partial_fit(X, y, **fit_params)
