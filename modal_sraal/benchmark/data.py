"""The data sets a benchmark runs on, their target models and initial pools."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from ..datasets import FILE_DATASETS, load_file_dataset, train_test
from ..kcenter import kcenter_init
from ..models import make_target_classifier
from ..patches import photo_patches, science_patches
from .registry import Registry

__all__ = ["DataSet", "DATASETS", "synthetic_segmentation", "load_benchmark_data", "make_target",
           "initial_pool", "dataset_task", "noisy", "noise_levels", "patch_set"]


@dataclass(frozen=True)
class DataSet:
    """How to load a benchmark data set and which target model it gets.

    ``load(data_root)`` returns ``(X, X_test, y, y_test)``; segmentation
    masks come flattened ``(n, H * W)``, as modAL passes labels.
    """

    load: Callable[[Optional[str]], Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    task: str = "classification"
    #: Target architecture (:func:`~modal_sraal.models.make_target_classifier`'s ``arch``).
    arch: str = "cnn"
    #: Segmentation classes (None: read from the labels).
    n_classes: Optional[int] = None
    #: For sets with added noise: ``() -> (sd, sd_test, y)``, each image's noise
    #: standard deviation in the order ``load`` returns the images, and the
    #: training labels (the validation split stratifies on them) (else None).
    noise_sd: Optional[Callable[[], Tuple[np.ndarray, np.ndarray, np.ndarray]]] = None


def synthetic_segmentation(n_train: int, n_test: int, size: int, n_classes: int) -> DataSet:
    """The offline synthetic segmentation set (:mod:`modal_sraal.segmentation`)."""
    def load(root=None):
        from ..segmentation import flatten_masks, make_synthetic_segmentation

        X, y = make_synthetic_segmentation(n_train, size, n_classes, random_state=0)
        Xt, yt = make_synthetic_segmentation(n_test, size, n_classes, random_state=1)
        return X, Xt, flatten_masks(y), flatten_masks(yt)
    return DataSet(load, task="segmentation")


def noisy(name: str, sigma: float, mixed: bool = False, seed: int = 12345) -> DataSet:
    """``name``'s fixed split with Gaussian pixel noise of standard deviation ``sigma``.

    A weak-target regime from installed data: the target CNN's accuracy
    stays far from the clean set's (digits, sigma 0.5: about 35% at 10%
    labeled, 64% at 40%; MNIST-5k, sigma 1.0: 41% and 68%), so most rows
    are uncertain and the states crowd near 1, as on the hard scientific
    images of issue 17. ``mixed``: each image gets its own standard
    deviation, uniform in ``[0, 2 * sigma]``: clean images beside nearly
    unlearnable ones, as in scientific images of uneven quality, where an
    uncertainty score alone keeps picking the noisiest rows. The noise is
    drawn once, from ``seed``, train split first, so every run sees the
    same images.
    """
    def add_noise(X, rng):
        scale = (rng.uniform(0, 2 * sigma, len(X)) if mixed else np.full(len(X), sigma))
        noise = rng.standard_normal(X.shape).astype(np.float32)
        return X + scale.astype(np.float32).reshape(-1, *[1] * (X.ndim - 1)) * noise, scale

    def draw():
        X, Xt, y, yt = train_test(name)
        rng = np.random.RandomState(seed)
        (X, sd), (Xt, sd_t) = add_noise(X, rng), add_noise(Xt, rng)
        return X, Xt, y, yt, sd, sd_t

    def levels():
        _, _, y, _, sd, sd_t = draw()
        return sd, sd_t, y
    return DataSet(lambda root=None: draw()[:4], noise_sd=levels)


def patch_set(make, per_image: int, test_per_image: int) -> DataSet:
    """An offline patch set of :mod:`modal_sraal.patches`: ``make(per_image, seed)``,
    training rows from seed 0 and test rows from seed 1."""
    def load(root=None):
        (X, y), (Xt, yt) = make(per_image, 0), make(test_per_image, 1)
        return X, Xt, y, yt
    return DataSet(load)


def _file_dataset(name: str) -> DataSet:
    task = FILE_DATASETS[name][0]

    def load(root=None):
        X, Xt, y, yt, _ = load_file_dataset(name, root)
        if task == "segmentation":
            from ..segmentation import flatten_masks

            y, yt = flatten_masks(y), flatten_masks(yt)
        return X, Xt, y, yt
    arch = "resnet18" if name in ("cifar10", "cifar100", "caltech101") else "cnn"
    return DataSet(load, task=task, arch=arch, n_classes=19 if name == "cityscapes" else None)


#: Name -> :class:`DataSet`. ``digits``, ``mnist5k`` and the synthetic
#: segmentation set install with the package; the others are read from
#: ``--data-root`` (never downloaded; the paper's ResNet-18 for CIFAR).
DATASETS: Registry = Registry("dataset", {
    "digits": DataSet(lambda root=None: train_test("digits")),
    "mnist5k": DataSet(lambda root=None: train_test("mnist5k")),
    # Weak targets (docs: Benchmarks, weak targets); sigma chosen on the
    # target's accuracy alone, before any active learning ran on them.
    "digits-noisy": noisy("digits", 0.5),
    "mnist5k-noisy": noisy("mnist5k", 1.0),
    "digits-mixed": noisy("digits", 0.5, mixed=True),
    "mnist5k-mixed": noisy("mnist5k", 1.0, mixed=True),
    # Natural and scientific images that install offline (issue 17's unseen-set check);
    # sizes chosen on the target's accuracy alone, before any active learning ran.
    "photo-patches": patch_set(photo_patches, 1000, 1000),
    "science-patches": patch_set(science_patches, 500, 500),
    "synthetic-seg": synthetic_segmentation(n_train=600, n_test=200, size=32, n_classes=4),
    **{name: _file_dataset(name) for name in FILE_DATASETS},
})


def dataset_task(dataset: str) -> str:
    """``'segmentation'`` or ``'classification'``."""
    return DATASETS[dataset].task


def load_benchmark_data(dataset: str, data_root: Optional[str] = None, validation: bool = False):
    """``(X, X_test, y, y_test, task)`` of a registered data set.

    With ``validation=True`` the test split is never touched: a stratified
    quarter of the training split (always the same) is returned as
    ``X_test, y_test`` and the rest as ``X, y``, for tuning.
    """
    entry = DATASETS[dataset]
    X, X_test, y, y_test = entry.load(data_root)
    if validation:
        X, X_test, y, y_test = _validation_split(X, y)
    return X, X_test, y, y_test, entry.task


def _validation_split(*arrays: np.ndarray, y: Optional[np.ndarray] = None) -> list:
    """The validation split of the training rows: ``train_test_split`` of ``arrays``, stratified
    on ``y`` (default: the last array). Always the same rows, whatever ``arrays`` hold."""
    from sklearn.model_selection import train_test_split

    return train_test_split(*arrays, test_size=0.25, random_state=1,
                            stratify=arrays[-1] if y is None else y)


def noise_levels(dataset: str, validation: bool = False) -> np.ndarray:
    """Each training image's added noise standard deviation, in the order of
    :func:`load_benchmark_data`'s ``X`` (for the weak-target sets made by :func:`noisy`).

    Examples
    --------
    >>> sd = noise_levels("digits-noisy")
    >>> sd.shape, float(sd.min()), float(sd.max())
    ((1347,), 0.5, 0.5)
    """
    entry = DATASETS[dataset]
    if entry.noise_sd is None:
        raise ValueError(f"dataset={dataset!r} has no added noise; noise_levels needs one of "
                         f"{sorted(n for n, d in DATASETS.items() if d.noise_sd is not None)}.")
    sd, _, y = entry.noise_sd()   # one draw: the labels come with the levels
    if validation:
        sd = _validation_split(sd, y=y)[0]
    return sd


def make_target(dataset: str, X: np.ndarray, y: np.ndarray, max_epochs: int, seed: int,
                device: str, even_batches: bool = True):
    """A fresh target model for ``dataset`` (a CNN classifier, ResNet-18 or FCN segmenter)."""
    entry = DATASETS[dataset]
    if entry.task == "segmentation":
        from ..segmentation import make_target_segmenter

        n_classes = entry.n_classes or int(y[y != 255].max()) + 1
        return make_target_segmenter(X.shape[1], n_classes, max_epochs=max_epochs,
                                     random_state=seed, device=device,
                                     even_batches=even_batches)
    return make_target_classifier(X.shape[1:], int(y.max()) + 1, max_epochs=max_epochs,
                                  random_state=seed, device=device, arch=entry.arch,
                                  even_batches=even_batches)


def initial_pool(X: np.ndarray, m: int, init: str, seed: int, out: str, device: str) -> np.ndarray:
    """The seed's initial labeled pool, shared by every method (cached in ``out``)."""
    path = os.path.join(out, f"init_{init}_seed{seed}.npy")
    if os.path.exists(path):
        return np.load(path)
    if init == "random":
        idx = np.random.RandomState(seed).choice(len(X), m, replace=False)
    elif init == "kcenter":
        idx = kcenter_init(X, m, random_state=seed, device=device)
    else:
        raise ValueError(f"init must be 'random' or 'kcenter'; got {init!r}.")
    np.save(path, idx)
    return idx
