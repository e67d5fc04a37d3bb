"""The paper's data sets through torchvision, from files the user has (never downloaded).

The real files are not installed here; these tests build tiny stand-ins in
torchvision's on-disk layouts and check the loaders, the label mapping and the
errors when files are missing.
"""
import os
import pickle

import numpy as np
import pytest
from PIL import Image

from modal_sraal.benchmark import main, run_benchmark
from modal_sraal.datasets import (
    load_caltech101, load_cifar, load_cityscapes, load_file_dataset,
)
from modal_sraal.models import ResNet18Module, make_target_classifier


@pytest.mark.parametrize("load, name", [
    (lambda r: load_cifar(r, "cifar10"), "CIFAR10"), (lambda r: load_cifar(r, "cifar100"), "CIFAR100"),
    (load_caltech101, "Caltech101"), (load_cityscapes, "Cityscapes"),
])
def test_missing_files_name_the_dataset_and_root(tmp_path, load, name):
    with pytest.raises(FileNotFoundError, match=rf"{name} not found.*data_root=.*download"):
        load(str(tmp_path))


def test_file_dataset_needs_data_root():
    with pytest.raises(ValueError, match="data_root"):
        load_file_dataset("cifar10", None)
    with pytest.raises(ValueError, match="name must be one of"):
        load_file_dataset("imagenet", "/tmp")


def _fake_cifar10(root, n_train=40, n_test=20):
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder)
    rng = np.random.RandomState(0)

    def batch(n, offset):
        return {"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8),
                "labels": [(offset + i) % 10 for i in range(n)]}
    for k in range(1, 6):
        with open(os.path.join(folder, f"data_batch_{k}"), "wb") as f:
            pickle.dump(batch(n_train // 5, k), f)
    with open(os.path.join(folder, "test_batch"), "wb") as f:
        pickle.dump(batch(n_test, 0), f)
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": [str(i) for i in range(10)]}, f)


@pytest.fixture
def fake_cifar(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as cifar

    _fake_cifar10(str(tmp_path))
    monkeypatch.setattr(cifar, "check_integrity", lambda *a, **k: True)   # no real md5s
    return str(tmp_path)


def test_cifar_loader_layout_and_range(fake_cifar):
    X, Xt, y, yt = load_cifar(fake_cifar)
    assert X.shape == (40, 3, 32, 32) and Xt.shape == (20, 3, 32, 32)
    assert X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    assert y.dtype == np.int64 and set(y) <= set(range(10))


def test_cifar_corrupted_files_clear_error(tmp_path):
    _fake_cifar10(str(tmp_path))      # real md5 check: the stand-ins fail it
    with pytest.raises(FileNotFoundError, match="incomplete or corrupted"):
        load_cifar(str(tmp_path))


def test_benchmark_runs_cifar_with_resnet18(fake_cifar, tmp_path):
    out = str(tmp_path / "out")
    csv_path = run_benchmark("cifar10", ["random"], [0], out, data_root=fake_cifar, start=0.25,
                             step=0.25, stop=0.5, max_epochs=1, verbose=0)
    with open(csv_path) as f:
        assert len(f.readlines()) == 3     # header + cycles 0 and 1
    with pytest.raises(ValueError, match="data_root"):
        main(["--dataset", "cifar10", "--methods", "random", "--out", out, "--quiet"])


def test_resnet18_target_adapted_to_32px():
    m = ResNet18Module((3, 32, 32), 10)
    assert m.net.conv1.stride == (1, 1) and m.net.conv1.kernel_size == (3, 3)
    net = make_target_classifier((3, 32, 32), 10, arch="resnet18", max_epochs=1)
    X = np.random.RandomState(0).rand(8, 3, 32, 32).astype(np.float32)
    assert net.fit(X, np.arange(8) % 10).predict_proba(X).shape == (8, 10)
    with pytest.raises(ValueError, match="arch"):
        make_target_classifier((3, 32, 32), 10, arch="vgg")


def test_caltech101_loader_resizes_and_converts_to_rgb(tmp_path):
    base = tmp_path / "caltech101" / "101_ObjectCategories"
    for c, mode in [("BACKGROUND_Google", "RGB"), ("ant", "L"), ("bee", "RGB")]:
        os.makedirs(base / c)
        for i in range(1, 5):
            Image.new(mode, (30 + i, 20)).save(base / c / f"image_{i:04d}.jpg")
    X, Xt, y, yt = load_caltech101(str(tmp_path), size=16)
    assert X.shape[1:] == (3, 16, 16) and len(X) + len(Xt) == 8     # background skipped
    assert sorted(set(y) | set(yt)) == [0, 1]


def test_cityscapes_maps_label_ids_to_19_train_ids(tmp_path):
    ids = np.zeros((16, 32), np.uint8)
    ids[:8] = 7        # road -> train id 0
    ids[8:, :16] = 26  # car -> 13
    ids[8:, 16:] = 0   # unlabeled -> ignore (255)
    for split in ("train", "val"):
        img_dir = tmp_path / "leftImg8bit" / split / "aachen"
        gt_dir = tmp_path / "gtFine" / split / "aachen"
        os.makedirs(img_dir)
        os.makedirs(gt_dir)
        for k in range(2):
            stem = f"aachen_{k:06d}_000019"
            Image.new("RGB", (32, 16), (200, 10, 10)).save(img_dir / f"{stem}_leftImg8bit.png")
            Image.fromarray(ids).save(gt_dir / f"{stem}_gtFine_labelIds.png")
    X, y = load_cityscapes(str(tmp_path), size=(8, 16))
    assert X.shape == (2, 3, 8, 16) and y.shape == (2, 8, 16)
    assert set(np.unique(y)) == {0, 13, 255}
    assert (y[:, :4] == 0).all() and (y[:, 4:, :8] == 13).all() and (y[:, 4:, 8:] == 255).all()
    Xa, Xt, ya, yt, task = load_file_dataset("cityscapes", str(tmp_path))
    assert task == "segmentation" and Xt.shape == (2, 3, 64, 128) and yt.shape == (2, 64, 128)
    # The harness runs it as segmentation (19 classes, mean IoU) from the same files.
    csv_path = run_benchmark("cityscapes", ["entropy"], [0], str(tmp_path / "out"),
                             data_root=str(tmp_path), start=0.5, step=0.5, stop=1.0,
                             max_epochs=1, verbose=0)
    with open(csv_path) as f:
        rows = f.readlines()[1:]
    assert len(rows) == 2 and all(0 <= float(r.split(",")[7]) <= 1 for r in rows)
