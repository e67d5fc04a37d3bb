"""Label conventions shared by every module: unlabeled rows, ignored pixels, masks."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import to_numpy

__all__ = ["UNLABELED", "IGNORE_LABEL", "labeled_rows", "as_masks", "encode_labels"]

#: Label marking unlabeled rows (scikit-learn's semi-supervised convention).
#: For segmentation masks, an unlabeled row is a mask filled with -1.
UNLABELED = -1

#: Default ignore label of segmentation masks (the Cityscapes convention).
IGNORE_LABEL = 255


def labeled_rows(y: np.ndarray) -> np.ndarray:
    """Boolean ``(n,)``: which rows of ``y`` (labels or masks) are labeled.

    Examples
    --------
    >>> labeled_rows([3, -1, 0]).tolist()
    [True, False, True]
    """
    y = np.asarray(y)
    if y.ndim == 1:
        return y != UNLABELED
    return (y.reshape(len(y), -1) != UNLABELED).any(axis=1)


def as_masks(y: Any, X: np.ndarray) -> np.ndarray:
    """Labels back to masks ``(n, H, W)`` when they are (flattened) masks for images ``X``;
    1-D class labels are returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> as_masks(np.zeros((2, 20), int), np.zeros((2, 3, 4, 5))).shape
    (2, 4, 5)
    """
    y = np.asarray(to_numpy(y))
    if X.ndim == 4 and y.ndim >= 2 and y[0].size == X.shape[2] * X.shape[3]:
        return y.reshape(len(y), X.shape[2], X.shape[3])
    return y


def encode_labels(y_lab: np.ndarray, ignore_label: int = IGNORE_LABEL):
    """``(classes, codes)``: class codes ``0..k-1`` for labeled rows; masks keep their
    ignored (and unlabeled) pixels as ``ignore_label``.

    Examples
    --------
    >>> classes, codes = encode_labels(np.array(["b", "a", "b"]))
    >>> classes.tolist(), codes.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    if y_lab.ndim == 1:
        classes, codes = np.unique(y_lab, return_inverse=True)
        return classes, codes.astype(np.int64)
    y_lab = y_lab.astype(np.int64)
    keep = (y_lab != ignore_label) & (y_lab != UNLABELED)
    classes = np.unique(y_lab[keep])
    codes = np.full(y_lab.shape, ignore_label, dtype=np.int64)
    codes[keep] = np.searchsorted(classes, y_lab[keep])
    return classes, codes

