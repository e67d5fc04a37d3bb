"""Target models: the classifiers whose uncertainty SRAAL relabels with."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch
from skorch import NeuralNetClassifier
from torch import nn

from ._skorch_utils import resolve_device, seeded_torch

__all__ = ["ConvClassifierModule", "TargetClassifier", "make_target_classifier"]


class ConvClassifierModule(nn.Module):
    """A small CNN for images ``(c, H, W)`` from 8x8 up (an MLP for flat inputs),
    with dropout (so MC-Dropout baselines have something to sample)."""

    def __init__(self, input_shape: Sequence[int], n_classes: int, width: int = 32,
                 dropout: float = 0.25):
        super().__init__()
        if len(input_shape) == 3:
            c = input_shape[0]
            self.features = nn.Sequential(
                nn.Conv2d(c, width, 3, padding=1), nn.ReLU(),
                nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
                nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            )
            feat = 8 * width
        else:
            self.features = nn.Sequential(nn.Linear(int(np.prod(input_shape)), 256), nn.ReLU())
            feat = 256
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(feat, 128), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(128, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class TargetClassifier(NeuralNetClassifier):
    """``NeuralNetClassifier`` whose every ``fit`` is seeded by ``random_state``.

    Active learning retrains the target model from scratch each cycle; with a
    seed, the same labeled pool gives the same model (on CPU).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.RandomState(0).rand(20, 5).astype("float32")
    >>> y = np.arange(20) % 2
    >>> a = make_target_classifier((5,), 2, max_epochs=2, random_state=0).fit(X, y)
    >>> b = make_target_classifier((5,), 2, max_epochs=2, random_state=0).fit(X, y)
    >>> bool(np.array_equal(a.predict_proba(X), b.predict_proba(X)))
    True
    """

    def __init__(self, module, *args, random_state: Optional[int] = None, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.random_state = random_state

    def fit(self, X, y=None, **fit_params):
        with seeded_torch(self.random_state, str(self.device)):
            return super().fit(X, y, **fit_params)


def make_target_classifier(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    max_epochs: int = 30,
    lr: float = 1e-3,
    batch_size: int = 64,
    device: str = "auto",
    random_state: Optional[int] = 0,
    verbose: int = 0,
    **kwargs: Any,
) -> TargetClassifier:
    """A ready-to-use skorch target model for the learner.

    ``classes`` is fixed to ``0..n_classes-1`` so ``predict_proba`` always has
    ``n_classes`` columns, even while the labeled pool misses a class.

    Examples
    --------
    >>> import numpy as np
    >>> net = make_target_classifier((1, 8, 8), n_classes=10, max_epochs=1)
    >>> X = np.random.RandomState(0).rand(12, 1, 8, 8).astype("float32")
    >>> net.fit(X, np.arange(12) % 3).predict_proba(X).shape   # 10 columns, 3 classes seen
    (12, 10)
    """
    return TargetClassifier(
        ConvClassifierModule,
        module__input_shape=tuple(input_shape),
        module__n_classes=n_classes,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        classes=np.arange(n_classes),
        device=resolve_device(device),
        random_state=random_state,
        verbose=verbose,
        **kwargs,
    )
