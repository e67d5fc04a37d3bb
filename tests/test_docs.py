"""Every python block of the documentation runs, as a user would paste it.

Blocks that continue a user's own session use the names such a session has
(``X``, ``y``, ``net``, ``learner``, ``X_pool``, ...), set up here from
digits; the scripts shown whole (``literalinclude``) run in
``tests/test_install_and_examples.py``.
"""
import os
import re
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:   .*\n|\n)+)", re.M)
#: Pages whose blocks talk to a Label Studio server: tests/test_labelstudio.py runs them.
SERVER_PAGES = {"labelstudio"}


def python_blocks(pages=None):
    blocks = []
    for page in sorted(DOCS.glob("*.rst")):
        if (page.stem in SERVER_PAGES) != (pages is not None) or \
                (pages is not None and page.stem not in pages):
            continue
        for i, m in enumerate(BLOCK.finditer(page.read_text())):
            code = "\n".join(line[3:] for line in m.group(1).splitlines())
            blocks.append(pytest.param(code, id=f"{page.stem}-{i}"))
    return blocks


@pytest.fixture
def session(tmp_path, monkeypatch):
    """What a user's session holds before a doc block continues it."""
    import h5py
    from modAL.models import ActiveLearner

    from modal_sraal import sraal_query
    from modal_sraal.datasets import train_test
    from modal_sraal.models import make_target_classifier

    X, _, y, _ = train_test("digits")
    X, y = X[:400], y[:400]
    monkeypatch.chdir(tmp_path)
    np.save("pool.npy", X[150:])
    with h5py.File("pool.h5", "w") as f:
        f["images"] = X[150:]
    net = make_target_classifier(X.shape[1:], 10, max_epochs=2, random_state=0)
    init = np.arange(150)
    learner = ActiveLearner(net, sraal_query, X_training=X[init], y_training=y[init])
    return dict(X=X, y=y, init=init, net=net, learner=learner, X_pool=X[150:],
                X0=X[init], y0=y[init])


@pytest.mark.parametrize("code", python_blocks())
def test_doc_python_block_runs(code, session):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    exec(compile(code, "<doc block>", "exec"), dict(session))


def test_every_python_block_is_collected():
    assert len(list(python_blocks())) >= 7
