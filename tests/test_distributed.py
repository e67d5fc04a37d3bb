"""Data-parallel scoring and training with 2 CPU processes (accelerate launch)."""
import os
import pickle
import subprocess
import sys

import numpy as np
from modAL.models import ActiveLearner
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modal_sraal import SRAAL, coreset_query
from modal_sraal.distributed import DistributedSRAAL, data_parallel, shard_bounds
from modal_sraal.pool import pool_predict_proba

HERE = os.path.dirname(__file__)


def _flatten_scaled(a):
    return np.asarray(a, dtype=np.float32).reshape(len(a), -1) / 255.0


def _setup(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (300, 1, 12, 12)).astype(np.uint8)
    y = (X.reshape(300, -1)[:, :72].mean(axis=1) > X.reshape(300, -1)[:, 72:].mean(axis=1)).astype(int)
    pool = np.lib.format.open_memmap(tmp_path / "pool.npy", mode="w+", dtype=np.uint8,
                                     shape=(261, 1, 12, 12))
    pool[:] = X[39:]
    pool.flush()
    est = make_pipeline(FunctionTransformer(_flatten_scaled), LogisticRegression(max_iter=300))
    learner = ActiveLearner(est, X_training=X[:39], y_training=y[:39])
    fitted = SRAAL(n_iter=20, discriminator_refit_steps=20, random_state=0)
    X_all = np.concatenate([X[:39], X[39:]]).astype(np.float32)
    fitted.fit(X_all, np.r_[y[:39], -np.ones(261, int)], uncertainty=learner.predict_proba(X[39:]))
    with open(tmp_path / "fitted.pkl", "wb") as f:
        pickle.dump((fitted, learner), f)
    return np.load(tmp_path / "pool.npy", mmap_mode="r"), fitted, learner


def test_shard_bounds_cover_every_row_once():
    for n in (0, 1, 7, 100):
        for world in (1, 2, 3, 8):
            bounds = [shard_bounds(n, r, world) for r in range(world)]
            rows = np.concatenate([np.arange(a, b) for a, b in bounds])
            np.testing.assert_array_equal(rows, np.arange(n))


def test_one_process_data_parallel_changes_nothing(tmp_path):
    pool, fitted, learner = _setup(tmp_path)
    plain = fitted.score_samples(pool)
    with data_parallel():
        np.testing.assert_array_equal(fitted.score_samples(pool), plain)
        model = DistributedSRAAL(n_iter=10, discriminator_refit_steps=10, random_state=0)
        ref = SRAAL(n_iter=10, discriminator_refit_steps=10, random_state=0)
        X = np.asarray(pool, dtype=np.float32)
        y = np.r_[np.arange(20) % 2, -np.ones(len(X) - 20, int)]
        u = np.random.RandomState(1).rand(len(X) - 20)
        np.testing.assert_array_equal(model.fit(X, y, u).score_samples(X),
                                      ref.fit(X, y, u).score_samples(X))


def test_two_processes_match_one(tmp_path):
    pool, fitted, learner = _setup(tmp_path)
    launcher = os.path.join(os.path.dirname(sys.executable), "accelerate")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.path.dirname(HERE)}
    cmd = [launcher, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no",
           os.path.join(HERE, "distributed_check.py"), str(tmp_path)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    r0, r1 = (np.load(tmp_path / f"rank{r}.npz") for r in (0, 1))
    assert int(r0["world"]) == 2
    # Scoring: the same as one process, on both processes.
    for r in (r0, r1):
        np.testing.assert_allclose(r["scores"], fitted.score_samples(pool), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(r["codes"], fitted.transform(pool), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(r["proba"], pool_predict_proba(learner, pool), atol=1e-7)
        np.testing.assert_array_equal(
            r["core_idx"], coreset_query(learner, pool, 5, embedding="projection")[0])
    one = np.argsort(-fitted.score_samples(pool), kind="stable")[:10]
    two = np.argsort(-r0["scores"], kind="stable")[:10]
    np.testing.assert_array_equal(one, two)
    # Training: both processes end with the same networks and the same batch.
    np.testing.assert_array_equal(r0["params"], r1["params"])
    np.testing.assert_array_equal(r0["picked"], r1["picked"])
