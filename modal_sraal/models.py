"""Target models: the classifiers whose uncertainty SRAAL relabels with."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch
from skorch import NeuralNetClassifier
from torch import nn

from ._skorch_utils import EvenBatchesMixin, resolve_device, seeded_torch
from ._validation import check_samples
from .optim import EagerAdam

__all__ = ["ConvClassifierModule", "ResNet18Module", "TargetClassifier", "make_target_classifier"]


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


class ResNet18Module(nn.Module):
    """torchvision's ResNet-18 adapted to small images, the paper's CIFAR target model.

    The 7x7 stride-2 stem and the max-pool, made for 224 px inputs, become one
    3x3 stride-1 convolution, so 32x32 inputs keep their resolution into the
    residual stages. Dropout before the classifier lets MC-Dropout sample.
    No pretrained weights (nothing downloads).

    Examples
    --------
    >>> ResNet18Module((3, 32, 32), 10)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, input_shape: Sequence[int], n_classes: int, dropout: float = 0.25):
        super().__init__()
        from torchvision.models import resnet18

        if len(input_shape) != 3:
            raise ValueError(f"ResNet18Module needs images (c, H, W); got input_shape {input_shape}.")
        net = resnet18(weights=None, num_classes=n_classes)
        net.conv1 = nn.Conv2d(input_shape[0], 64, 3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        net.fc = nn.Sequential(nn.Dropout(dropout), nn.Linear(net.fc.in_features, n_classes))
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


#: Target architectures of :func:`make_target_classifier`.
ARCHITECTURES = {"cnn": ConvClassifierModule, "resnet18": ResNet18Module}


class TargetClassifier(EvenBatchesMixin, NeuralNetClassifier):
    """``NeuralNetClassifier`` whose every ``fit`` is seeded by ``random_state``.

    Active learning retrains the target model from scratch each cycle; with a
    seed, the same labeled pool gives the same model (on CPU). With
    ``even_batches`` (the default) each epoch's mini-batches are of nearly
    equal size (:func:`~modal_sraal._skorch_utils.even_batch_size`): a
    labeled count just above a multiple of ``batch_size`` no longer ends each
    epoch on a one-row step. ``even_batches=False`` gives skorch's fixed
    ``batch_size`` (every target before version 0.8).

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

    def __init__(self, module, *args, random_state: Optional[int] = None,
                 even_batches: bool = True, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.random_state = random_state
        self.even_batches = even_batches

    def get_dataset(self, X, y=None):
        # Any real dtype (uint8 images, float64 features, DataFrames) becomes
        # float32, torch's, once, here at the boundary.
        if not isinstance(X, torch.utils.data.Dataset):
            X = check_samples(X, "X")
        return super().get_dataset(X, y)

    def fit(self, X, y=None, **fit_params):
        with seeded_torch(self.random_state, str(self.device)):
            return super().fit(X, y, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # fit goes through here too: labels are encoded once
        return super().partial_fit(X, self._encode_y(y), classes=classes, **fit_params)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row, as a label of ``classes_`` (strings too)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def _encode_y(self, y):
        """Labels to column indices ``0..n_classes-1`` of ``classes_``.

        Labels that are not integer codes (strings, say) are looked up in
        ``classes``; with the default ``classes`` (``0..n_classes-1``) and
        string labels, the classes are taken from the first ``y`` when it
        holds all ``n_classes`` of them, as a scikit-learn classifier would.
        """
        if y is None:
            return y
        from ._validation import to_numpy

        y = np.asarray(to_numpy(y))
        classes = np.asarray(self.classes_)
        if y.dtype.kind in "iu" and classes.dtype.kind in "iu" \
                and np.array_equal(classes, np.arange(len(classes))):
            return y.astype(np.int64)
        if y.dtype.kind not in "iuf" and classes.dtype.kind in "iu":
            found = np.unique(y)
            if len(found) != len(classes):
                raise ValueError(
                    f"y holds labels {found.tolist()} ({len(found)} classes) but the target "
                    f"model has {len(classes)} outputs: pass classes=[...] (all "
                    f"{len(classes)} labels) to make_target_classifier.")
            self.classes = classes = found
        unknown = np.setdiff1d(np.unique(y), classes)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown.tolist()} that are not among classes "
                             f"{classes.tolist()}.")
        order = np.argsort(classes, kind="stable")   # classes in any order
        return order[np.searchsorted(classes, y, sorter=order)].astype(np.int64)


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
    arch: str = "cnn",
    classes: Optional[Sequence[Any]] = None,
    **kwargs: Any,
) -> TargetClassifier:
    """A ready-to-use skorch target model for the learner.

    ``arch``: ``'cnn'`` (a small CNN, the default for digits and MNIST) or
    ``'resnet18'`` (:class:`ResNet18Module`, the paper's model for CIFAR).
    ``classes`` (default ``0..n_classes-1``) fixes the labels of the
    ``n_classes`` outputs, so ``predict_proba`` always has ``n_classes``
    columns, even while the labeled pool misses a class; labels of any type
    work (``classes=["cat", "dog"]``; string labels with the default are
    read from the first ``fit`` when it holds all classes). Inputs of any
    real dtype (uint8 images, float64 features) are converted to float32.

    Examples
    --------
    >>> import numpy as np
    >>> net = make_target_classifier((1, 8, 8), n_classes=10, max_epochs=1)
    >>> X = np.random.RandomState(0).rand(12, 1, 8, 8).astype("float32")
    >>> net.fit(X, np.arange(12) % 3).predict_proba(X).shape   # 10 columns, 3 classes seen
    (12, 10)
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)}; got {arch!r}.")
    return TargetClassifier(
        ARCHITECTURES[arch],
        module__input_shape=tuple(input_shape),
        module__n_classes=n_classes,
        criterion=nn.CrossEntropyLoss,
        optimizer=EagerAdam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        classes=np.arange(n_classes) if classes is None else np.asarray(classes),
        device=resolve_device(device),
        random_state=random_state,
        verbose=verbose,
        **kwargs,
    )
