"""The offline image-patch sets (modal_sraal.patches) and their benchmark entries."""
import sys

import numpy as np
import pytest

from modal_sraal.benchmark import run_benchmark
from modal_sraal.benchmark.data import DATASETS, load_benchmark_data
from modal_sraal.patches import image_patches, photo_patches, science_patches


def _cell_coded(k, side=64, grid=2):
    """An image whose every pixel holds its own cell's code (and the image's)."""
    cell = side // grid
    rows, cols = np.indices((side, side)) // cell
    return (k * 10 + (rows * grid + cols) * 40).astype(np.uint8)


def test_each_patch_lies_inside_the_cell_its_label_names():
    images = [_cell_coded(0), np.stack([_cell_coded(1)] * 3, axis=-1)[..., 0]]
    X, y = image_patches(images, per_image=200, seed=3, size=8)
    assert X.shape == (400, 1, 8, 8) and X.dtype == np.float32
    assert set(y.tolist()) == set(range(8))   # every cell of both images drawn
    image, cell = y // 4, y % 4
    expected = image * 10 + cell * 40
    values = np.rint(X * 255).reshape(len(X), -1)
    # a patch that crossed a cell border would hold two codes
    assert (values == expected[:, None]).all()


def test_same_seed_same_patches_other_seed_other_patches():
    images = [np.random.RandomState(0).randint(0, 256, (80, 80, 3)).astype(np.uint8)]
    a, b, c = (image_patches(images, 30, seed=s, size=16) for s in (0, 0, 1))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == (30, 3, 16, 16) and 0.0 <= a[0].min() and a[0].max() <= 1.0


def test_bad_sizes_name_the_argument():
    img = np.zeros((40, 40), dtype=np.uint8)
    with pytest.raises(ValueError, match="per_image"):
        image_patches([img], 0, seed=0)
    with pytest.raises(ValueError, match="size=32"):
        image_patches([img], 5, seed=0, size=32, grid=2)


def test_photo_and_science_sets_have_their_classes():
    X, y = photo_patches(40, seed=0)
    assert X.shape == (80, 3, 32, 32) and set(y.tolist()) <= set(range(8))
    X, y = science_patches(60, seed=0)
    assert X.shape == (240, 1, 32, 32) and len(set(y.tolist())) == 16
    # four different images: their patches' mean grey levels differ
    means = [X[y // 4 == k].mean() for k in range(4)]
    assert len({round(float(m), 2) for m in means}) == 4


def test_science_patches_without_scikit_image_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)   # import fails as if not installed
    with pytest.raises(ImportError, match=r"modal_sraal\[science\]"):
        science_patches(5, seed=0)


def test_benchmark_loads_the_patch_sets_and_runs_a_cycle(tmp_path):
    assert {"photo-patches", "science-patches"} <= set(DATASETS)
    X, X_test, y, y_test, task = load_benchmark_data("science-patches")
    assert X.shape == (2000, 1, 32, 32) and X_test.shape == (2000, 1, 32, 32)
    assert task == "classification" and len(set(y.tolist())) == 16
    Xv, Xv_test, yv, _, _ = load_benchmark_data("photo-patches", validation=True)
    assert len(Xv) == 1500 and len(Xv_test) == 500    # a quarter held out
    run_benchmark("photo-patches", ["sraal", "random"], [0], str(tmp_path), subset=200,
                  stop=0.15, max_epochs=1, verbose=0)
    rows = (tmp_path / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 2     # header, then cycles 0 and 1 of both methods
    assert all(r.startswith("photo-patches,") for r in rows[1:])
