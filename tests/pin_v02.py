"""Selections of SRAAL at version 0.2's defaults on digits (seed 0, all cycles).

``tests/data/v02_digits_seed0.npz`` holds the picks that version 0.2's code
(commit :data:`V02_COMMIT`) made, one recording per kind of CPU it was run on;
``tests/test_v02_pin.py`` replays the same loop with today's code and the
``sraal_v02`` defaults and compares the picks.

Why one recording per CPU: training in float32 is reproducible on one machine,
but MKL and torch's kernels sum in a different order on another CPU (vendor,
vector width), and six cycles of training amplify the last bit into different
picks (an AMD EPYC gave 16 of the first 67 picks of the first recording).
Where no recording matches, :func:`record_with_v02_code` runs 0.2's code here,
from this clone's history, so the comparison is always made on one machine.
``python tests/pin_v02.py record`` adds this machine's recording to the file.
"""
from __future__ import annotations

import os
import sys
from functools import partial

import numpy as np

PIN_PATH = os.path.join(os.path.dirname(__file__), "data", "v02_digits_seed0.npz")
#: Version 0.2 as it landed, and the commit whose ``tests/pin_v02.py`` recorded it.
V02_COMMIT = "9fed6886ac12ba1cdcd45b9363f79c189572a86c"
RECORDER_COMMIT = "c3c59fa460ac366da440bb45d1d10ea6bac39d4c"
#: The benchmark's protocol (10% random start, +5% per cycle to 40%), with a
#: target trained 5 epochs so the replay stays short.
START, STEP, STOP, EPOCHS, SEED = 0.10, 0.05, 0.40, 5, 0


def replay(make_sraal):
    """Picked pool rows per cycle (as indices of the training split)."""
    import torch

    # Float sums depend on the thread count: one thread makes the picks reproducible.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _replay(make_sraal)
    finally:
        torch.set_num_threads(threads)


def _replay(make_sraal):
    from modAL.models import ActiveLearner

    from modal_sraal import sraal_query
    from modal_sraal.benchmark.methods import DIVERSE
    from modal_sraal.datasets import train_test
    from modal_sraal.models import make_target_classifier

    X, _, y, _ = train_test("digits")
    n = len(X)
    m, k = int(round(START * n)), int(round(STEP * n))
    init = np.random.RandomState(SEED).choice(n, m, replace=False)
    pool = np.setdiff1d(np.arange(n), init)
    # 0.2's batch rule, as the benchmark's sraal_v02 queries: the diverse batch without
    # the reconstruction weight (a default since 0.14) or the widening where the tracking
    # is poor (0.22), either of which changes 0.2's picks.
    strategy = partial(sraal_query, sraal=make_sraal(X[pool], SEED), **DIVERSE)
    # 0.2's target trained on skorch's fixed mini-batches (even ones came in 0.8)
    net = make_target_classifier(X.shape[1:], 10, max_epochs=EPOCHS, random_state=SEED, device="cpu",
                                 even_batches=False)
    learner = ActiveLearner(net, strategy, X_training=X[init], y_training=y[init])
    picks = []
    for _ in range(int(round((STOP - START) / STEP))):
        idx, _ = learner.query(X[pool], n_instances=k)
        picks.append(pool[idx])
        learner.teach(X[pool[idx]], y[pool[idx]])
        pool = np.delete(pool, idx)
    return np.array(picks)


def recordings():
    """The recorded picks, shape ``(n_recordings, cycles, batch)``, and where each was made."""
    data = np.load(PIN_PATH)
    return data["picks"].reshape((-1,) + data["picks"].shape[-2:]), list(data["recorded_on"])


def record_with_v02_code(root=None):
    """Picks of version 0.2's own code on this machine, run from the git history of
    ``root`` (default: this clone).

    Raises ``RuntimeError`` naming what is missing when the history is not there
    (a shallow clone or an exported tree).
    """
    import subprocess
    import tempfile

    root = root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            tree = subprocess.run(["git", "-C", root, "archive", V02_COMMIT, "modal_sraal"],
                                  check=True, capture_output=True).stdout
            recorder = subprocess.run(["git", "-C", root, "show", f"{RECORDER_COMMIT}:tests/pin_v02.py"],
                                      check=True, capture_output=True).stdout
        except (OSError, subprocess.CalledProcessError) as err:
            raise RuntimeError(f"version 0.2's code (commit {V02_COMMIT[:7]}) is not in this clone's "
                               f"git history ({err}); clone the repository with its history to "
                               f"record 0.2's picks on this machine") from err
        subprocess.run(["tar", "-x", "-C", tmp], input=tree, check=True)
        os.makedirs(os.path.join(tmp, "tests", "data"))
        with open(os.path.join(tmp, "tests", "pin_v02.py"), "wb") as f:
            f.write(recorder)
        env = dict(os.environ, PYTHONPATH=tmp)
        subprocess.run([sys.executable, os.path.join("tests", "pin_v02.py"), "record"], cwd=tmp,
                       env=env, check=True, capture_output=True)
        return np.load(os.path.join(tmp, "tests", "data", "v02_digits_seed0.npz"))["picks"]


def machine():
    """The CPU a recording was made on, in words."""
    import platform

    import torch

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()})"


if __name__ == "__main__" and sys.argv[1:] == ["record"]:
    picks = record_with_v02_code()
    known, where = recordings()
    if not any(np.array_equal(picks, k) for k in known):
        np.savez(PIN_PATH, picks=np.concatenate([known, picks[None]]), recorded_on=where + [machine()])
    print(picks.shape, picks[:, :5])
