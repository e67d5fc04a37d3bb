"""Pools on disk: memmap, HDF5 and zarr, read in bounded pieces."""
from functools import partial

import h5py
import numpy as np
import pytest
import zarr
from modAL.models import ActiveLearner
from modAL.uncertainty import uncertainty_sampling
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modal_sraal import SRAAL, coreset_query, kcenter_init, sraal_query
from modal_sraal import pool as pool_module
from modal_sraal.pool import PoolRows, as_rows, is_streamed, pool_predict_proba, take_rows
from modal_sraal.query import subsampled

N_LAB, N_POOL = 40, 360


def _flatten_scaled(a):
    return np.asarray(a, dtype=np.float32).reshape(len(a), -1) / 255.0


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (N_LAB + N_POOL, 1, 12, 12)).astype(np.uint8)
    flat = X.reshape(len(X), -1).astype(float)
    y = (flat[:, :72].mean(axis=1) > flat[:, 72:].mean(axis=1)).astype(int)
    return X, y


@pytest.fixture(scope="module")
def stores(data, tmp_path_factory):
    """The pool part as an in-memory array, a memmap, an HDF5 and a zarr array."""
    X, _ = data
    d = tmp_path_factory.mktemp("pools")
    mm = np.lib.format.open_memmap(d / "pool.npy", mode="w+", dtype=np.uint8,
                                   shape=X[N_LAB:].shape)
    mm[:] = X[N_LAB:]
    mm.flush()
    h5 = h5py.File(d / "pool.h5", "w")
    h5.create_dataset("x", data=X[N_LAB:], chunks=(32, 1, 12, 12))
    z = zarr.create_array(str(d / "pool.zarr"), shape=X[N_LAB:].shape, dtype="uint8",
                          chunks=(32, 1, 12, 12))
    z[:] = X[N_LAB:]
    return {"memory": X[N_LAB:], "memmap": np.load(d / "pool.npy", mmap_mode="r"),
            "hdf5": h5["x"], "zarr": zarr.open_array(str(d / "pool.zarr"), mode="r")}


def _learner(data, strategy):
    X, y = data
    est = make_pipeline(FunctionTransformer(_flatten_scaled), LogisticRegression(max_iter=300))
    return ActiveLearner(est, strategy or uncertainty_sampling, X_training=X[:N_LAB], y_training=y[:N_LAB])


def test_stores_are_streamed_and_small_arrays_are_not(stores):
    assert not is_streamed(stores["memory"])
    for kind in ("memmap", "hdf5", "zarr"):
        assert is_streamed(stores[kind]), kind
    big = np.broadcast_to(np.zeros(1, np.uint8), (pool_module.STREAM_BYTES // 4 + 1, 1))
    assert is_streamed(big)


@pytest.mark.parametrize("kind", ["memmap", "hdf5", "zarr"])
def test_rows_read_by_index_in_any_order(stores, kind):
    idx = np.array([5, 3, 300, 3, 0])
    np.testing.assert_array_equal(take_rows(stores[kind], idx), stores["memory"][idx])
    rows = as_rows(stores[kind], "X_pool")
    assert rows.shape == (N_POOL, 1, 12, 12) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows[idx], stores["memory"][idx].astype(np.float32))
    sub = rows.subset([10, 2])
    np.testing.assert_array_equal(sub[[1, 0]], stores["memory"][[2, 10]].astype(np.float32))


def test_stacked_rows_read_across_parts(data, stores):
    X, _ = data
    rows = PoolRows(X[:N_LAB], stores["hdf5"], name="X")
    idx = np.array([N_LAB + 7, 3, N_LAB, 0, N_LAB + 359])
    np.testing.assert_array_equal(rows[idx], X[idx].astype(np.float32))
    chunked = PoolRows(X[:N_LAB], stores["hdf5"], chunk_rows=64)
    got = np.concatenate([c for _, c in chunked.chunks()])
    np.testing.assert_array_equal(got, X.astype(np.float32))


def test_bad_rows_are_named(tmp_path):
    mm = np.lib.format.open_memmap(tmp_path / "bad.npy", mode="w+", dtype=np.float32,
                                   shape=(10, 4))
    mm[:] = 0
    mm[7, 1] = np.nan
    mm.flush()
    rows = as_rows(np.load(tmp_path / "bad.npy", mmap_mode="r"), "X_pool")
    with pytest.raises(ValueError, match="X_pool"):
        rows[np.arange(10)]
    with pytest.raises(ValueError, match="different sample shapes"):
        PoolRows(np.zeros((2, 3)), np.zeros((2, 4)), name="X")
    with pytest.raises(IndexError, match="X_pool"):
        rows.raw([10])


def test_standardizer_pass_matches_in_memory(data):
    from modal_sraal.sraal import ChannelStandardizer

    X, _ = data
    a = ChannelStandardizer().fit(X.astype(np.float32))
    b = ChannelStandardizer().fit(PoolRows(X, chunk_rows=37))
    np.testing.assert_allclose(b.mean_, a.mean_, rtol=1e-6)
    np.testing.assert_allclose(b.scale_, a.scale_, rtol=1e-6)


@pytest.mark.parametrize("kind", ["memmap", "hdf5", "zarr"])
def test_sraal_query_on_a_store_picks_what_the_array_picks(data, stores, kind):
    strategy = partial(sraal_query, sraal=SRAAL(n_iter=20, discriminator_refit_steps=20,
                                                random_state=0), random_state=0)
    ref_idx, ref_rows = _learner(data, strategy).query(stores["memory"], n_instances=5)
    idx, rows = _learner(data, strategy).query(stores[kind], n_instances=5)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(np.asarray(rows), ref_rows)   # modAL's retrieve_rows too


def test_sraal_fit_score_transform_on_a_store(data, stores):
    X, y = data
    y_all = np.r_[y[:N_LAB], -np.ones(N_POOL, int)]
    u = np.random.RandomState(0).rand(N_POOL)
    a = SRAAL(n_iter=15, discriminator_refit_steps=10, random_state=0)
    a.fit(X, y_all, uncertainty=u)
    b = SRAAL(n_iter=15, discriminator_refit_steps=10, random_state=0)
    b.fit(PoolRows(X[:N_LAB], stores["hdf5"]), y_all, uncertainty=u)
    np.testing.assert_allclose(b.score_samples(stores["zarr"]), a.score_samples(X[N_LAB:]),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.transform(stores["memmap"]), a.transform(X[N_LAB:]),
                               rtol=1e-5, atol=1e-5)
    assert b.transform_uir(stores["memmap"]).shape == (N_POOL, a.latent_dim)


def test_predict_proba_in_chunks_sees_raw_rows(data, stores, monkeypatch):
    learner = _learner(data, None)
    monkeypatch.setattr(pool_module, "CHUNK_BYTES", 4 * 144 * 50)   # 50 rows a chunk
    seen = []
    orig = learner.predict_proba
    learner.predict_proba = lambda chunk: (seen.append((len(chunk), chunk.dtype)), orig(chunk))[1]
    proba = pool_predict_proba(learner, stores["memmap"])
    np.testing.assert_allclose(proba, orig(stores["memory"]), rtol=1e-5, atol=1e-7)  # float32 BLAS
    assert max(n for n, _ in seen) == 50 and {d for _, d in seen} == {np.dtype(np.uint8)}


@pytest.mark.parametrize("kind", ["memmap", "hdf5"])
def test_coreset_on_a_store(data, stores, kind):
    ref, d_ref = coreset_query(_learner(data, None), stores["memory"], 6, embedding="raw")
    got, d_got = coreset_query(_learner(data, None), stores[kind], 6, embedding="raw")
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_allclose(d_got, d_ref, rtol=1e-5)
    proj, _ = coreset_query(_learner(data, None), stores[kind], 6, embedding="projection")
    assert len(set(proj.tolist())) == 6


def test_coreset_auto_embedding_never_takes_raw_pixels_of_a_large_pool(data, stores, monkeypatch):
    from modal_sraal.embedding import resolve_embedding

    learner = _learner(data, None)
    assert resolve_embedding("auto", stores["memory"], learner) == "raw"
    assert resolve_embedding("auto", stores["memmap"], learner) == "projection"   # no torch net
    monkeypatch.setattr("modal_sraal.embedding.STREAM_BYTES", 1000)
    with pytest.raises(ValueError, match="embedding='raw'"):
        coreset_query(learner, stores["memmap"], 3, embedding="raw")


def test_kcenter_init_on_a_store(stores):
    idx = kcenter_init(stores["hdf5"], 8, embedding="projection", random_state=0)
    ref = kcenter_init(stores["memory"], 8, embedding="projection", random_state=0)
    np.testing.assert_array_equal(idx, ref)
    uir = kcenter_init(stores["memmap"], 8, max_epochs=1, random_state=0)
    assert len(set(uir.tolist())) == 8 and uir.max() < N_POOL


def test_on_transformed_with_a_store_is_refused(data, stores):
    learner = _learner(data, None)
    with pytest.raises(ValueError, match="on_transformed"):
        sraal_query(learner, stores["memmap"], 2, on_transformed=True)


def test_subsampled_scores_only_a_subset(data, stores):
    seen = []

    def spy(learner, X_pool, n_instances=1):
        seen.append(len(X_pool))
        return uncertainty_sampling(learner, X_pool, n_instances)

    learner = _learner(data, subsampled(spy, 100, random_state=0))
    idx, rows = learner.query(stores["memmap"], n_instances=4)
    assert seen == [100] and len(set(idx.tolist())) == 4
    np.testing.assert_array_equal(np.asarray(rows), stores["memory"][idx])
    # the subset's own pick, mapped back: the best of the 100 by uncertainty
    learner2 = _learner(data, subsampled(uncertainty_sampling, N_POOL + 1, random_state=0))
    full = learner2.query(stores["memory"], n_instances=4)[0]
    np.testing.assert_array_equal(full, uncertainty_sampling(learner2, stores["memory"], 4)[0])
    with pytest.raises(ValueError, match="max_candidates"):
        subsampled(spy, 0)
    with pytest.raises(ValueError, match="max_candidates"):
        _learner(data, subsampled(spy, 3)).query(stores["memmap"], n_instances=4)


def test_sraal_query_memory_stays_bounded_on_a_streamed_pool(tmp_path, monkeypatch):
    """Peak traced allocations (numpy's included) of a query on a memmap pool
    stay far below the pool's float32 size, which a float copy would take."""
    import tracemalloc

    rng = np.random.RandomState(0)
    n, shape = 16000, (1, 28, 28)
    X = rng.randint(0, 256, (40, *shape)).astype(np.uint8)
    y = (X[:, 0, :14].mean(axis=(1, 2)) > X[:, 0, 14:].mean(axis=(1, 2))).astype(int)
    mm = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.uint8,
                                   shape=(n, *shape))
    for start in range(0, n, 4000):
        mm[start:start + 4000] = rng.randint(0, 256, (4000, *shape))
    mm.flush()
    pool = np.load(tmp_path / "big.npy", mmap_mode="r")
    monkeypatch.setattr(pool_module, "CHUNK_BYTES", 2 * 2**20)
    strategy = partial(sraal_query, sraal=SRAAL(n_iter=5, discriminator_refit_steps=5, width=8,
                                                batch_size=32, random_state=0))
    est = make_pipeline(FunctionTransformer(_flatten_scaled), LogisticRegression(max_iter=300))
    ActiveLearner(est, strategy, X_training=X, y_training=y).query(pool[:500], n_instances=5)
    learner = ActiveLearner(est, strategy, X_training=X, y_training=y)
    tracemalloc.start()
    learner.query(pool, n_instances=5)   # warm: imports and caches are in place
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    pool_float32 = n * 784 * 4
    # what remains: the per-row codes (64 floats a row) and a few chunks
    assert peak < 0.5 * pool_float32, (peak, pool_float32)


def _cnn_learner():
    from modal_sraal.models import make_target_classifier

    rng = np.random.RandomState(0)
    X = rng.rand(300, 1, 8, 8).astype(np.float32)
    y = np.arange(300) % 3
    net = make_target_classifier((1, 8, 8), 3, max_epochs=1, random_state=0)
    learner = ActiveLearner(net, partial(sraal_query, sraal=SRAAL(n_iter=2, random_state=0)),
                            X_training=X[:30], y_training=y[:30])
    return learner, X


@pytest.mark.parametrize("kind", ["memmap", "hdf5"])
def test_nan_in_a_pool_on_disk_names_the_pool_and_the_first_bad_row(tmp_path, kind):
    learner, X = _cnn_learner()
    X = X.copy()
    X[123, 0, 2, 2], X[200, 0, 0, 0] = np.nan, np.inf
    if kind == "memmap":
        np.save(tmp_path / "p.npy", X)
        pool = np.load(tmp_path / "p.npy", mmap_mode="r")
    else:
        f = h5py.File(tmp_path / "p.h5", "w")
        f["x"] = X
        pool = f["x"]
    with pytest.raises(ValueError, match=r"X_pool contains NaN or inf: first at row 123\."):
        learner.query(pool, n_instances=2)
    assert len(learner.X_training) == 30


def test_a_memmap_whose_file_shrank_is_a_clear_error_not_a_crash(tmp_path):
    import os

    learner, X = _cnn_learner()
    np.save(tmp_path / "p.npy", X)
    pool = np.load(tmp_path / "p.npy", mmap_mode="r")
    os.truncate(tmp_path / "p.npy", 2000)             # reading the map now would be SIGBUS
    with pytest.raises(ValueError, match="truncated or replaced after it was opened"):
        learner.query(pool, n_instances=2)
    with pytest.raises(ValueError, match="truncated"):
        PoolRows(pool[10:20], name="X")               # a view of the map: the same check


def test_an_hdf5_dataset_of_a_closed_file_says_so(tmp_path):
    learner, X = _cnn_learner()
    with h5py.File(tmp_path / "p.h5", "w") as f:
        f["x"] = X
    f = h5py.File(tmp_path / "p.h5", "r")
    pool = f["x"]
    f.close()
    with pytest.raises(ValueError, match="X_pool is an HDF5 dataset whose file is closed"):
        learner.query(pool, n_instances=2)
