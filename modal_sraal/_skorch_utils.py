"""Shared machinery for the skorch nets of this package."""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Optional

import numpy as np
import torch


def resolve_device(device: Optional[str]) -> str:
    """``'auto'`` (or None) -> ``'cuda'`` when available, else ``'cpu'``."""
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


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


class DataShapedNetMixin:
    """Let a skorch net infer its module's shape arguments from the data.

    skorch builds the module in ``initialize_module`` from ``module__*``
    parameters. Mixing this in, a net fills the ones the user did not give
    from the first ``fit`` call's data (``_module_kwargs_from_data``), so users
    do not have to repeat shapes the data already tells.
    """

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
        self.initialize_for_data(X, y)
        return self.partial_fit(X, y, **fit_params)
