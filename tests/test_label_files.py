"""The parts of the Label Studio loop that need no server: files, labels, ordering, config."""
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from modal_sraal.annotation import choices_config, serving_priority
from modal_sraal.kcenter import kcenter_init
from modal_sraal.label_folder import (
    LabelFolder, detect_channels, find_images, load_images, read_labels, write_labels,
)
from modal_sraal.labelstudio import LabelStudioClient, _is_jwt


def _image(path, mode="L", size=(20, 30), value=100):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 255)).save(path)


def test_find_images_subfolders_suffixes_and_hidden(tmp_path):
    for rel in ["a.png", "sub/b.JPG", "sub/deeper/c.jpeg", "notes.txt", ".modal_sraal/x.png",
                ".hidden.png", "sub/d.gif"]:
        _image(str(tmp_path / rel)) if rel.lower().endswith((".png", ".jpg", ".jpeg")) \
            else (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True) \
            or (tmp_path / rel).write_text("x")
    assert find_images(str(tmp_path)) == ["a.png", "sub/b.JPG", "sub/deeper/c.jpeg"]


def test_load_images_converts_channels_and_size(tmp_path):
    _image(str(tmp_path / "g.png"), "L", (40, 10), 200)
    _image(str(tmp_path / "c.jpg"), "RGB", (7, 9))
    X = load_images(str(tmp_path), ["g.png", "c.jpg"], size=16, channels=3)
    assert X.shape == (2, 3, 16, 16) and X.dtype == np.uint8
    assert np.all(X[0] == 200)                      # gray -> three equal channels
    assert load_images(str(tmp_path), ["c.jpg"], size=8, channels=1).shape == (1, 1, 8, 8)
    assert detect_channels(str(tmp_path), ["g.png"]) == 1
    assert detect_channels(str(tmp_path), ["g.png", "c.jpg"]) == 3
    with pytest.raises(FileNotFoundError, match="'gone.png' is missing"):
        load_images(str(tmp_path), ["gone.png"])
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="Cannot read image 'bad.png'"):
        load_images(str(tmp_path), ["bad.png"])


def test_labels_csv_round_trip_and_errors(tmp_path):
    assert read_labels(str(tmp_path)) == {}
    write_labels(str(tmp_path), {"b.png": "dog", "a/c.png": "cat"})
    text = (tmp_path / "labels.csv").read_text()
    assert text == "path,label\na/c.png,cat\nb.png,dog\n"
    assert read_labels(str(tmp_path)) == {"a/c.png": "cat", "b.png": "dog"}
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]   # no leftover
    (tmp_path / "labels.csv").write_text("file,class\nx,y\n")
    with pytest.raises(ValueError, match="path,label"):
        read_labels(str(tmp_path))
    (tmp_path / "labels.csv").write_text("path,label\nx.png,\n")
    with pytest.raises(ValueError, match="line 2"):
        read_labels(str(tmp_path))


def test_labels_are_checked_against_classes_and_images(tmp_path):
    _image(str(tmp_path / "a.png"))
    write_labels(str(tmp_path), {"a.png": "cat", "b.png": "cat"})
    folder = LabelFolder(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"\['b.png'\]"):
        folder.labels(["cat", "dog"], find_images(str(tmp_path)))
    write_labels(str(tmp_path), {"a.png": "bird"})
    with pytest.raises(ValueError, match="bird"):
        folder.labels(["cat", "dog"])


def test_init_checks_before_any_network_call(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "token")
    root = tmp_path / "root"
    _image(str(root / "imgs" / "a.png"))
    folder = LabelFolder(str(root / "imgs"))
    with pytest.raises(ValueError, match="--classes"):
        folder.init(["cat"], document_root=str(root))
    with pytest.raises(ValueError, match="--classes"):
        folder.init(["cat", "cat"], document_root=str(root))
    with pytest.raises(ValueError, match="--size"):
        folder.init(["cat", "dog"], document_root=str(root), size=4)
    with pytest.raises(ValueError, match="document root"):
        folder.init(["cat", "dog"], document_root=str(root / "imgs"))   # the root itself
    monkeypatch.delenv("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT", raising=False)
    with pytest.raises(ValueError, match="--document-root"):
        folder.init(["cat", "dog"])
    empty = root / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no .png"):
        LabelFolder(str(empty)).init(["cat", "dog"], document_root=str(root))
    with pytest.raises(FileNotFoundError, match="not a folder"):
        LabelFolder(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="label init"):
        folder.status()


def test_serving_priority_serves_the_highest_score_first():
    scores = np.array([0.2, 0.9, 0.5, 0.9])
    priority = serving_priority(scores)
    # Label Studio serves the lowest priority first: 0.9 (first given), 0.9, 0.5, 0.2
    assert np.argsort(priority).tolist() == [1, 3, 2, 0]
    assert priority.min() == 0 and priority.max() < 1


def test_choices_config_escapes_class_names():
    config = choices_config(['a "quoted" <class>', "b&c"])
    root = ET.fromstring(config)
    values = [c.get("value") for c in root.iter("Choice")]
    assert values == ['a "quoted" <class>', "b&c"]
    assert root.find("Image").get("value") == "$image"


def test_client_needs_url_and_token(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(ValueError, match="LABEL_STUDIO_URL"):
        LabelStudioClient(token="x")
    with pytest.raises(ValueError, match="LABEL_STUDIO_API_KEY"):
        LabelStudioClient("http://127.0.0.1:9")
    assert _is_jwt("eyJhbGciOi.eyJ0b2tl.sig") and not _is_jwt("0123abcd")


def test_kcenter_init_grows_the_cover_from_already_selected():
    rng = np.random.RandomState(0)
    X = np.r_[rng.rand(30, 2), rng.rand(30, 2) + 10]   # two far clusters
    picked = kcenter_init(X, 1, already_selected=np.arange(30), embedding="raw", random_state=0)
    assert picked[0] >= 30   # the far cluster, not a row near the labeled ones
    picked = kcenter_init(X, 5, already_selected=[0, 40], embedding="raw", random_state=0)
    assert not {0, 40} & set(picked.tolist()) and len(set(picked.tolist())) == 5
    with pytest.raises(ValueError, match="n_instances"):
        kcenter_init(X, 59, already_selected=[0, 1], embedding="raw")
    with pytest.raises(ValueError, match="already_selected"):
        kcenter_init(X, 2, already_selected=[60], embedding="raw")
