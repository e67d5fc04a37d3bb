"""Image-patch data sets that install offline: natural photographs and scientific images.

Issue 17 asks that SRAAL be checked on natural and scientific images the
project never tuned on. None such installs as a labeled set, so these build
classification sets from the few full images that do: each class is one image
and one cell of a ``grid`` x ``grid`` division of it, and a row is a random
``size`` x ``size`` patch from that cell. Telling cells of one image apart asks
for texture and content, not colour or brightness, so the target stays weak,
as on the hard scientific sets the issue reports.

* :func:`photo_patches`: scikit-learn's two sample photographs (RGB).
* :func:`science_patches`: four scientific images bundled with scikit-image
  (histology, astronomy, a retinal fundus, fluorescence microscopy), in grey
  levels; needs ``pip install modal_sraal[science]``.

The training and test sets are drawn with different seeds from the same
cells, so a test patch may overlap training patches (as two photographs of
one slide would).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

__all__ = ["image_patches", "photo_patches", "science_patches", "SCIENCE_IMAGES"]

#: scikit-image's bundled scientific images (``skimage.data`` functions), in class order.
SCIENCE_IMAGES = ("immunohistochemistry", "hubble_deep_field", "retina", "cell")


def image_patches(images: Sequence[np.ndarray], per_image: int, seed: int, size: int = 32,
                  grid: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """``per_image`` random patches of each image, labeled by image and grid cell.

    Parameters
    ----------
    images : sequence of ndarray
        ``(H, W)`` or ``(H, W, C)`` uint8 images, all with the same number of channels.
    per_image : int
        Patches drawn from each image, cells chosen uniformly.
    seed : int
        Seed of the draw (another seed gives a test set).
    size : int
        Side of a patch; each cell must be larger.
    grid : int
        Each image is cut into ``grid`` x ``grid`` cells; there are
        ``len(images) * grid ** 2`` classes.

    Returns
    -------
    X : ndarray of shape (n, C, size, size), float32 in [0, 1]
    y : ndarray of shape (n,), int: ``image * grid ** 2 + row_cell * grid + col_cell``

    Examples
    --------
    >>> img = np.arange(64 * 64, dtype=np.uint8).reshape(64, 64)
    >>> X, y = image_patches([img, img], per_image=5, seed=0, size=8)
    >>> X.shape, set(y.tolist()) <= set(range(8))
    ((10, 1, 8, 8), True)
    """
    if per_image < 1:
        raise ValueError(f"per_image must be at least 1; got {per_image}.")
    rng = np.random.RandomState(seed)
    X, y = [], []
    for k, image in enumerate(images):
        image = image[:, :, None] if image.ndim == 2 else image
        cell_h, cell_w = image.shape[0] // grid, image.shape[1] // grid
        if min(cell_h, cell_w) <= size:
            raise ValueError(f"image {k} ({image.shape[0]}x{image.shape[1]}) has cells of "
                             f"{cell_h}x{cell_w} px with grid={grid}; size={size} needs larger.")
        for _ in range(per_image):
            a, b = rng.randint(grid), rng.randint(grid)
            r = rng.randint(a * cell_h, (a + 1) * cell_h - size)
            c = rng.randint(b * cell_w, (b + 1) * cell_w - size)
            X.append(image[r:r + size, c:c + size].transpose(2, 0, 1))
            y.append(k * grid * grid + a * grid + b)
    # divided in float64, then rounded: the values of 0.14's natural-patch runs
    return (np.asarray(X) / 255.0).astype(np.float32), np.asarray(y)


def photo_patches(per_photo: int, seed: int, size: int = 32,
                  grid: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`image_patches` of scikit-learn's two sample photographs, RGB
    ``(n, 3, size, size)``: ``2 * grid ** 2`` classes."""
    from sklearn.datasets import load_sample_images

    return image_patches(load_sample_images().images, per_photo, seed, size, grid)


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    # ITU-R 601 luma, as PIL's "L" mode
    return np.rint(image[..., :3] @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)


def science_patches(per_image: int, seed: int, size: int = 32,
                    grid: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`image_patches` of :data:`SCIENCE_IMAGES` in grey levels,
    ``(n, 1, size, size)``: ``4 * grid ** 2`` classes.

    The images ship inside scikit-image's wheel (no download). Grey levels
    keep the stain's and the sky's colours from naming the image.
    """
    try:
        from skimage import data
    except ImportError as e:   # an optional dependency: say how to get it
        raise ImportError("science_patches needs scikit-image: pip install "
                          "'modal_sraal[science]' (or scikit-image).") from e
    images = [_grey(getattr(data, name)()) for name in SCIENCE_IMAGES]
    return image_patches(images, per_image, seed, size, grid)
