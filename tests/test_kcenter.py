import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from modal_sraal import covering_radius, kcenter_greedy, kcenter_init


def optimal_radius(Z, k):
    return min(covering_radius(Z, c) for c in itertools.combinations(range(len(Z)), k))


@pytest.mark.parametrize("seed", range(8))
def test_greedy_within_twice_optimum(seed):
    rng = np.random.RandomState(seed)
    Z = rng.randn(11, 2) * rng.rand(1, 2) * 5
    for k in (1, 2, 3, 4):
        greedy = covering_radius(Z, kcenter_greedy(Z, k))
        assert greedy <= 2 * optimal_radius(Z, k) + 1e-9


def test_greedy_with_already_selected_picks_the_farthest():
    Z = np.array([[0.0], [1.0], [10.0], [4.0]])
    idx, d = kcenter_greedy(Z, 2, already_selected=[0], return_distances=True)
    np.testing.assert_array_equal(idx, [2, 3])
    np.testing.assert_allclose(d, [10.0, 4.0])  # 4 is 4 from 0, 6 from 10


def test_greedy_never_reselects_duplicates():
    Z = np.zeros((6, 3))                                 # all points identical
    idx = kcenter_greedy(Z, 4, already_selected=[1])
    assert len(set(idx.tolist()) | {1}) == 5


def test_greedy_errors():
    Z = np.random.rand(5, 2)
    with pytest.raises(ValueError, match="n_instances"):
        kcenter_greedy(Z, 5, already_selected=[0])
    with pytest.raises(ValueError, match="already_selected"):
        kcenter_greedy(Z, 1, already_selected=[7])
    with pytest.raises(ValueError, match="Z"):
        kcenter_greedy(np.full((5, 2), np.nan), 1)


@pytest.mark.slow  # a timing; greedy's picks are covered by the tests around it
def test_greedy_is_fast_on_large_embeddings():
    Z = np.random.RandomState(0).randn(50_000, 64).astype(np.float32)
    t = time.perf_counter()
    idx = kcenter_greedy(Z, 5_000)
    elapsed = time.perf_counter() - t
    assert len(np.unique(idx)) == 5_000
    assert elapsed < 60, f"5,000 of 50,000 x 64 took {elapsed:.1f}s"


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 4)),
              elements=st.floats(-100, 100, allow_nan=False)), st.data())
def test_greedy_properties(Z, data):
    k = data.draw(st.integers(1, len(Z)))
    idx = kcenter_greedy(Z, k)
    assert len(set(idx.tolist())) == k                     # never twice
    radii = [covering_radius(Z, idx[:i]) for i in range(1, k + 1)]
    assert all(b <= a + 1e-7 for a, b in zip(radii, radii[1:]))  # radius never increases


def test_kcenter_init_uir_raw_callable_and_seed(digits):
    X = digits[0][:400]
    a = kcenter_init(X, 40, random_state=0, max_epochs=3)
    b = kcenter_init(X, 40, random_state=0, max_epochs=3)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 40
    raw = kcenter_init(X, 40, embedding="raw", n_random=5, random_state=0)
    assert len(np.unique(raw)) == 40
    # The raw cover is at least as good as random on its own metric.
    Zr = X.reshape(len(X), -1)
    rand = np.random.RandomState(0).choice(len(X), 40, replace=False)
    assert covering_radius(Zr, raw) < covering_radius(Zr, rand)
    f = kcenter_init(X, 10, embedding=lambda X: X.reshape(len(X), -1)[:, :5], random_state=0)
    assert len(np.unique(f)) == 10
    with pytest.raises(ValueError, match="n_random"):
        kcenter_init(X, 10, n_random=11, embedding="raw")
    with pytest.raises(ValueError, match="n_instances"):
        kcenter_init(X, 401, embedding="raw")


def test_kcenter_precision_float64_small_float32_large(monkeypatch):
    import modal_sraal.kcenter as K

    # Exact ties (integer coordinates) break by the lower index in float64.
    Z = np.array([[0, 0], [3, 4], [-3, 4], [4, 3], [0, 1]], dtype=float)
    assert kcenter_greedy(Z, 1, already_selected=[0])[0] == 1
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((3000, 16))
    ref = kcenter_greedy(Z, 50, already_selected=[0, 1], dtype=np.float64)
    monkeypatch.setattr(K, "FLOAT64_ROWS", 1000)       # now a "large" input: float32
    got, dist = kcenter_greedy(Z, 50, already_selected=[0, 1], return_distances=True)
    np.testing.assert_array_equal(got, ref)             # no near-ties among random points
    assert np.isfinite(dist).all()


def test_distances_to_the_labeled_set_in_bounded_blocks(monkeypatch):
    import modal_sraal.kcenter as K

    rng = np.random.RandomState(1)
    Z = rng.standard_normal((500, 8))
    ref = kcenter_greedy(Z, 20, already_selected=np.arange(100))
    monkeypatch.setattr(K, "BLOCK_ENTRIES", 64)          # many small blocks
    np.testing.assert_array_equal(kcenter_greedy(Z, 20, already_selected=np.arange(100),
                                                 chunk_size=7), ref)
