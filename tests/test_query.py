"""sraal_query / coreset_query through modAL's ActiveLearner, end to end on digits."""
import sys
from functools import partial

import numpy as np
import pytest
import torch
from modAL.models import ActiveLearner
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modal_sraal import (
    SRAAL, PoorTrackingWarning, PoolRows, coreset_query, kcenter_init, reconstruction_weight,
    select_diverse_top_k, select_top_k, sraal_query,
)
from modal_sraal.models import make_target_classifier
from modal_sraal.selection import ISOLATED_SHARE_MAX, candidate_density, select_batch

FAST = dict(n_iter=20, latent_dim=8, random_state=0)


def _check_indices(idx, n, pool_size):
    idx = np.asarray(idx)
    assert idx.shape == (n,) and idx.dtype.kind in "iu"
    assert len(set(idx.tolist())) == n
    assert idx.min() >= 0 and idx.max() < pool_size


@pytest.fixture(scope="module")
def loop_data():
    from modal_sraal.datasets import train_test

    X, X_test, y, y_test = train_test("digits")
    return X[:600], y[:600], X_test, y_test


def test_end_to_end_modal_loop_with_skorch(loop_data):
    """kcenter_init -> ActiveLearner(query_strategy=sraal_query) -> query 1, 2, 7 -> teach."""
    X, y, X_test, y_test = loop_data
    init_idx = kcenter_init(X, 60, random_state=0, max_epochs=5)
    _check_indices(init_idx, 60, len(X))
    net = make_target_classifier(X.shape[1:], 10, max_epochs=15, random_state=0)
    learner = ActiveLearner(estimator=net, query_strategy=sraal_query,
                            X_training=X[init_idx], y_training=y[init_idx])
    pool = np.setdiff1d(np.arange(len(X)), init_idx)
    acc0 = learner.score(X_test, y_test)
    # The default SRAAL (no sraal=...), kept on the learner between calls.
    idx, rows = learner.query(X[pool], n_instances=1, random_state=0)
    _check_indices(idx, 1, len(pool))
    np.testing.assert_array_equal(rows, X[pool][idx])
    model = learner.sraal_
    assert model.warm_start and model.n_iter_ > 0
    first_iters = model.n_iter_
    for n in (2, 7):
        idx, _ = learner.query(X[pool], n_instances=n)
        _check_indices(idx, n, len(pool))
    assert learner.sraal_.n_iter_ > first_iters          # later cycles warm-start
    # diagnostics of the last fit (how high the tracking gets on this tiny set depends on
    # the platform's arithmetic; test_discriminator_refit_raises_tracking checks its level)
    assert -1 <= learner.sraal_.tracking_ <= 1 and 0 <= learner.sraal_.separation_ <= 1
    learner.teach(X[pool[idx]], y[pool[idx]])
    pool = np.delete(pool, idx)
    assert len(learner.X_training) == 67
    idx, _ = learner.query(X[pool], n_instances=7)
    _check_indices(idx, 7, len(pool))
    assert 0.1 < acc0 <= 1


def test_query_returns_scores_best_first(loop_data):
    X, y, *_ = loop_data
    net = make_target_classifier(X.shape[1:], 10, max_epochs=5, random_state=0)
    learner = ActiveLearner(estimator=net, X_training=X[:50], y_training=y[:50],
                            query_strategy=partial(sraal_query, sraal=SRAAL(**FAST)))
    all_scores = None
    for selection in ("topk", "diverse", "dense", "auto"):
        idx, _, scores = learner.query(X[50:300], n_instances=5, return_metrics=True,
                                       selection=selection)
        assert np.all(np.diff(scores) <= 0)
        all_scores = learner.query_strategy.keywords["sraal"].score_samples(X[50:300])
        np.testing.assert_allclose(scores, all_scores[idx])
        # candidates per pick: 10, or 20 where the discriminator tracks poorly (0.22)
        n_cand = 5 * int(learner.query_strategy.keywords["sraal"].batch_selection_["candidates"])
        if selection == "topk":       # the paper's §3.4: the highest states
            np.testing.assert_allclose(scores, np.sort(all_scores)[::-1][:5])
        elif selection == "diverse":  # among the candidates, one per cluster
            assert np.all(all_scores[idx] >= np.sort(all_scores)[::-1][n_cand - 1])
        else:                         # dense: re-ranked among twice the candidates
            assert np.all(all_scores[idx] >= np.sort(all_scores)[::-1][2 * n_cand - 1])


def test_same_random_state_same_selection(loop_data):
    X, y, *_ = loop_data

    def run(seed):
        net = make_target_classifier(X.shape[1:], 10, max_epochs=5, random_state=0)
        learner = ActiveLearner(estimator=net, query_strategy=sraal_query,
                                X_training=X[:50], y_training=y[:50])
        return learner.query(X[50:250], n_instances=10, sraal=SRAAL(**{**FAST, "random_state": seed}))[0]

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_pipeline_estimator_and_on_transformed(loop_data):
    X, y, *_ = loop_data
    Xf = X.reshape(len(X), -1)
    pipe = make_pipeline(StandardScaler(), make_target_classifier((64,), 10, max_epochs=5))
    for on_transformed in (False, True):
        learner = ActiveLearner(estimator=clone_pipe(pipe), X_training=Xf[:50], y_training=y[:50],
                                query_strategy=partial(sraal_query, sraal=SRAAL(**FAST)),
                                on_transformed=on_transformed)
        idx, _ = learner.query(Xf[50:250], n_instances=4)
        _check_indices(idx, 4, 200)
        learner.teach(Xf[50:250][idx], y[50:250][idx])


def clone_pipe(pipe):
    from sklearn.base import clone
    return clone(pipe)


def test_plain_sklearn_classifier_on_flat_features(loop_data):
    X, y, *_ = loop_data
    Xf = X.reshape(len(X), -1)
    learner = ActiveLearner(estimator=LogisticRegression(max_iter=200), X_training=Xf[:40],
                            y_training=y[:40], query_strategy=sraal_query)
    idx, _ = learner.query(Xf[40:240], n_instances=3, sraal=SRAAL(**FAST))
    _check_indices(idx, 3, 200)


def test_string_labels(loop_data):
    X, y, *_ = loop_data
    Xf = X.reshape(len(X), -1)
    names = np.array(list("abcdefghij"))[y]
    learner = ActiveLearner(estimator=LogisticRegression(max_iter=200), X_training=Xf[:40],
                            y_training=names[:40], query_strategy=sraal_query)
    idx, _ = learner.query(Xf[40:240], n_instances=3, sraal=SRAAL(**FAST))
    _check_indices(idx, 3, 200)


def test_coreset_query_picks_far_points():
    # Two tight clusters; labeled pool inside the first: Core-set must go to the second.
    rng = np.random.RandomState(0)
    A, B = rng.randn(30, 2) * 0.1, rng.randn(30, 2) * 0.1 + 10
    X = np.r_[A, B].astype("float32")
    # two classes among the five labeled rows, all from the first cluster
    learner = ActiveLearner(estimator=LogisticRegression(), X_training=X[:5], y_training=np.array([0, 1, 0, 1, 0]),
                            query_strategy=coreset_query)
    idx, _, dist = learner.query(X[5:], n_instances=3, return_metrics=True)
    _check_indices(idx, 3, 55)
    assert (idx[0] + 5) >= 30 and dist[0] > 5          # the first pick is in the far cluster
    assert np.all(np.diff(dist) <= 1e-9)                 # greedy radii never grow


def test_diverse_selection_spreads_a_batch_over_regions():
    """Two tight clusters; the highest scores all lie in the first: top-K takes
    every pick there, the diverse selection takes the best of each region."""
    rng = np.random.RandomState(0)
    Z = np.r_[rng.randn(50, 2) * 0.01, rng.randn(50, 2) * 0.01 + 10]
    scores = np.r_[np.linspace(0.9, 0.8, 50), np.linspace(0.7, 0.6, 50)]
    top, _ = select_top_k(scores, 2)
    assert set(top) <= set(range(50))
    idx, s = select_diverse_top_k(scores, Z, 2, candidates=50, random_state=0)
    np.testing.assert_array_equal(idx, [0, 50])          # the best of each region, best first
    np.testing.assert_allclose(s, scores[[0, 50]])
    # candidates=1 is the plain top-K
    np.testing.assert_array_equal(select_diverse_top_k(scores, Z, 5, candidates=1)[0],
                                  select_top_k(scores, 5)[0])
    # same seed, same batch: run twice on the same input
    r = rng.rand(100)
    a = select_diverse_top_k(r, Z, 10, random_state=3)[0]
    np.testing.assert_array_equal(a, select_diverse_top_k(r, Z, 10, random_state=3)[0])
    with pytest.raises(ValueError, match="candidates"):
        select_diverse_top_k(scores, Z, 2, candidates=0.5)
    with pytest.raises(ValueError, match="embedding"):
        select_diverse_top_k(scores, Z[:10], 2)
    assert len(set(a.tolist())) == 10


def test_central_pick_takes_each_clusters_typical_row():
    """Two regions, each a tight core with one far row scored highest: 'best' takes
    each region's far row, 'central' the core row nearest the (weighted) centre."""
    rng = np.random.RandomState(0)
    cores = [rng.randn(30, 2) * 0.1, rng.randn(30, 2) * 0.1 + 20]
    Z = np.r_[cores[0], [[2.0, 0.0]], cores[1], [[22.0, 0.0]]]
    scores = np.r_[np.full(30, 0.8), 0.95, np.full(30, 0.8), 0.95]
    best, _ = select_diverse_top_k(scores, Z, 2, candidates=31, random_state=0)
    assert set(best) == {30, 61}
    central, s = select_diverse_top_k(scores, Z, 2, candidates=31, random_state=0,
                                      cluster_pick="central")
    assert not set(central) & {30, 61} and np.all(np.diff(s) <= 0)
    for i, core in zip(sorted(central), (range(30), range(31, 61))):
        assert i in core
        centre = np.average(Z[list(core) + [core[-1] + 1]], axis=0,
                            weights=scores[list(core) + [core[-1] + 1]])
        assert np.argmin(((Z[list(core)] - centre) ** 2).sum(1)) == i - core[0]
    # select_batch passes it on to every clustering rule; 'best' is the default
    for selection in ("diverse", "dense", "auto"):
        np.testing.assert_array_equal(
            select_batch(scores, Z, 2, selection=selection, candidates=31, random_state=0)[0][0],
            select_batch(scores, Z, 2, selection=selection, candidates=31, random_state=0,
                         cluster_pick="best")[0][0])
    np.testing.assert_array_equal(
        select_batch(scores, Z, 2, selection="diverse", candidates=31, random_state=0,
                     cluster_pick="central")[0][0], central)
    with pytest.raises(ValueError, match="cluster_pick"):
        select_diverse_top_k(scores, Z, 2, cluster_pick="middle")


def test_dense_selection_leaves_isolated_rows_out():
    """A crowd of 200 rows and 20 isolated ones, all with similar scores (the
    isolated ones a little higher): k-means gives the isolated rows clusters of
    their own, so the plain diverse batch is mostly outliers; weighting by
    density keeps them out and still spreads the batch over the crowd."""
    rng = np.random.RandomState(0)
    crowd = rng.randn(200, 2)
    outliers = rng.randn(20, 2) * 0.1 + 25 * np.c_[np.cos(np.arange(20)), np.sin(np.arange(20))]
    Z = np.r_[crowd, outliers]
    scores = np.r_[rng.uniform(0.80, 0.90, 200), rng.uniform(0.85, 0.95, 20)]
    plain, _ = select_diverse_top_k(scores, Z, 10, candidates=10, random_state=0)
    dense, s = select_diverse_top_k(scores, Z, 10, candidates=10, random_state=0,
                                    density_neighbors=10)
    assert np.sum(plain >= 200) >= 8
    assert np.sum(dense >= 200) == 0
    assert np.all(np.diff(s) <= 0) and len(set(dense.tolist())) == 10
    assert Z[dense].std(axis=0).min() > 0.5        # spread over the crowd, not one spot
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="density_neighbors"):
            select_diverse_top_k(scores, Z, 10, density_neighbors=bad)
    # density to the power 0: the scores alone, the plain diverse batch
    np.testing.assert_array_equal(
        select_diverse_top_k(scores, Z, 10, random_state=0, density_neighbors=10,
                             density_power=0)[0], plain)
    with pytest.raises(ValueError, match="density_power"):
        select_diverse_top_k(scores, Z, 10, density_neighbors=10, density_power=-0.5)


def test_auto_selection_turns_dense_only_when_the_diverse_batch_is_isolated_rows():
    rng = np.random.RandomState(0)
    crowd = rng.randn(200, 2)
    outliers = rng.randn(20, 2) * 0.1 + 25 * np.c_[np.cos(np.arange(20)), np.sin(np.arange(20))]
    scores = np.r_[rng.uniform(0.80, 0.90, 200), rng.uniform(0.85, 0.95, 20)]
    Z = np.r_[crowd, outliers]
    (idx, s), info = select_batch(scores, Z, 10, selection="auto", random_state=0)
    assert info["selection"] == "dense" and info["isolated_share"] > ISOLATED_SHARE_MAX
    np.testing.assert_array_equal(idx, select_batch(scores, Z, 10, selection="dense",
                                                    random_state=0)[0][0])
    # the crowd alone: the diverse batch stays, the same as selection='diverse'
    (idx, s), info = select_batch(scores[:200], crowd, 10, selection="auto", random_state=0)
    assert info["selection"] == "diverse" and info["isolated_share"] <= ISOLATED_SHARE_MAX
    np.testing.assert_array_equal(idx, select_diverse_top_k(scores[:200], crowd, 10,
                                                            random_state=0)[0])
    (idx, _), info = select_batch(scores, Z, 10, selection="topk")
    np.testing.assert_array_equal(idx, select_top_k(scores, 10)[0])
    assert info == {"selection": "topk", "isolated_share": info["isolated_share"]}
    with pytest.raises(ValueError, match="selection"):
        select_batch(scores, Z, 10, selection="dense-ish")


def test_row_weight_gives_a_distrusted_rows_place_to_the_next():
    rng = np.random.RandomState(0)
    scores = np.linspace(1.0, 0.5, 100)
    Z = rng.randn(100, 2)
    weight = np.ones(100)
    weight[:5] = 0.1                       # the five best rows distrusted
    seen = []

    def row_weight(rows):
        seen.append(rows.copy())
        return weight[rows]
    for selection in ("topk", "diverse", "dense", "auto"):
        (idx, s), info = select_batch(scores, Z, 5, selection=selection, candidates=2,
                                      random_state=0, row_weight=row_weight)
        assert not np.isin(idx, np.arange(5)).any(), selection
        assert info["down_weighted"] == 5 / 20
        np.testing.assert_array_equal(s, scores[idx])      # the unweighted scores come back
        # asked once, for the 2 x candidates x n_instances best rows only
        np.testing.assert_array_equal(seen.pop(), np.arange(20))
        assert not seen
        # weights of 1 change nothing
        np.testing.assert_array_equal(
            select_batch(scores, Z, 5, selection=selection, candidates=2, random_state=0,
                         row_weight=lambda rows: np.ones(len(rows)))[0][0],
            select_batch(scores, Z, 5, selection=selection, candidates=2, random_state=0)[0][0])
    for bad in (lambda rows: np.ones(len(rows) + 1), lambda rows: np.full(len(rows), 1.5),
                lambda rows: np.full(len(rows), np.nan)):
        with pytest.raises(ValueError, match="row_weight"):
            select_batch(scores, Z, 5, selection="topk", row_weight=bad)


@pytest.fixture(scope="module")
def noisy_rows():
    """Digits with a fifth of the pool drowned in pixel noise (sd three times the pixels')."""
    from modal_sraal.datasets import train_test

    X, _, y, _ = train_test("digits")
    X, y = X[:400].copy(), y[:400]
    rng = np.random.RandomState(0)
    noisy = np.zeros(len(X), bool)
    noisy[rng.choice(np.arange(60, 400), 68, replace=False)] = True
    X[noisy] += rng.randn(noisy.sum(), *X.shape[1:]).astype(np.float32) * 3 * X.std()
    return X, y, noisy


def test_reconstruction_weight_distrusts_rows_the_uir_cannot_represent(noisy_rows):
    X, y, noisy = noisy_rows
    model = SRAAL(relabel="binary", **FAST)
    Z = model.fit_transform(X, np.r_[y[:60], np.full(340, -1)])
    err = model.reconstruction_error(X)
    assert err.shape == (400,) and np.all(err >= 0)
    assert err[noisy].min() > np.median(err[~noisy])
    # from the codes the fit made, only the decoder runs: the same errors
    np.testing.assert_allclose(model.reconstruction_error(X, codes=Z), err, rtol=1e-4)
    # a streamed pool gives the same errors, chunk by chunk, with or without codes
    for codes in (None, Z):
        np.testing.assert_allclose(model.reconstruction_error(PoolRows(X, chunk_rows=64), codes),
                                   err, rtol=1e-4)
    with pytest.raises(ValueError, match="codes must have shape"):
        model.reconstruction_error(X, codes=Z[:10])
    w = reconstruction_weight(err, err[:60])
    assert np.all((w > 0) & (w <= 1))
    assert w[noisy].max() < 0.5 < np.median(w[~noisy]) and (w[:60] == 1).mean() >= 0.5
    # a tolerance of t: full weight up to t times the reference error, the same curve beyond
    np.testing.assert_allclose(reconstruction_weight(err, err[:60], tolerance=2.0),
                               np.minimum(1.0, 2 * w), rtol=1e-12)
    assert reconstruction_weight([0.0], [1.0])[0] == 1.0     # decoded exactly: representable
    with pytest.raises(ValueError, match="reconstruction_tolerance"):
        reconstruction_weight(err, err[:60], tolerance=0.5)
    for bad in ([], [np.nan], [-1.0], [[1.0]]):
        with pytest.raises(ValueError, match="reference_error"):
            reconstruction_weight(err, bad)
    with pytest.raises(ValueError, match="error must be"):
        reconstruction_weight([np.inf], [1.0])


def test_reconstruction_power_keeps_noisy_rows_out_of_the_batch(noisy_rows):
    X, y, noisy = noisy_rows
    picks = {}
    # The plain diverse batch gives isolated (noisy) rows clusters of their own, so without
    # the weight it takes some (12 of 20 here); the default rule ('auto') may fall back on
    # the dense batch, which leaves fewer or none depending on the CPU's float sums.
    for selection, power in (("diverse", 0.0), ("diverse", 1.0), ("auto", 1.0)):
        learner = ActiveLearner(LogisticRegression(max_iter=200), X_training=X[:60].reshape(60, -1),
                                y_training=y[:60],
                                query_strategy=partial(sraal_query, sraal=SRAAL(**FAST),
                                                       reconstruction_power=power,
                                                       selection=selection))
        idx, _ = learner.query(X[60:].reshape(340, -1), n_instances=20, random_state=0)
        _check_indices(idx, 20, 340)
        picks[selection, power] = noisy[60:][idx].sum()
        # the query's record says how many candidates the weight distrusted
        record = learner.query_strategy.keywords["sraal"].batch_selection_
        assert (record.get("down_weighted", 0) > 0) == (power > 0)
    assert picks["diverse", 0.0] > 0
    assert picks["diverse", 1.0] == picks["auto", 1.0] == 0


def test_candidate_density_is_high_in_a_crowd_and_low_when_isolated():
    Z = np.r_[np.zeros((5, 3)) + np.arange(5)[:, None] * 0.01, [[10.0, 0, 0]]]
    d = candidate_density(Z, n_neighbors=3)
    assert d.max() == 1.0 and d[-1] < 0.01 and np.all(d[:5] > 0.3)
    np.testing.assert_array_equal(candidate_density(Z[:1]), [1.0])   # no neighbours: flat
    assert candidate_density(Z, n_neighbors=50).shape == (6,)        # fewer rows than asked


def test_diverse_batches_cover_more_classes_than_topk(loop_data):
    """On digits, the default selection's batch spans more classes than the
    paper's top-K of the same fitted SRAAL ranking."""
    X, y, *_ = loop_data
    net = make_target_classifier(X.shape[1:], 10, max_epochs=10, random_state=0)
    spread = {}
    for selection in ("topk", "diverse", "dense", "auto"):
        learner = ActiveLearner(estimator=net, X_training=X[:60], y_training=y[:60],
                                query_strategy=partial(sraal_query, sraal=SRAAL(**FAST)))
        idx, _ = learner.query(X[60:], n_instances=30, selection=selection)
        spread[selection] = np.bincount(y[60:][idx]).max()
        made = learner.query_strategy.keywords["sraal"].batch_selection_["selection"]
        assert made in ("diverse", "dense") if selection == "auto" else made == selection
        # the query records the batch's spread over the target's predicted classes
        predicted = learner.predict(X[60:][idx])
        assert learner.query_strategy.keywords["sraal"].batch_spread_ == {
            "batch_classes": len(np.unique(predicted)),
            "batch_top_share": np.bincount(predicted).max() / 30}
    assert max(spread["diverse"], spread["dense"], spread["auto"]) < spread["topk"]


@pytest.mark.parametrize("kwargs, name", [(dict(selection="nope"), "selection"),
                                          (dict(candidates=0), "candidates"),
                                          (dict(selection="dense", density_power=-1), "density_power"),
                                          (dict(selection="dense", density_power=float("nan")),
                                           "density_power"),
                                          (dict(reconstruction_power=-1), "reconstruction_power"),
                                          (dict(reconstruction_power=float("inf")),
                                           "reconstruction_power"),
                                          (dict(reconstruction_power="1"), "reconstruction_power"),
                                          (dict(reconstruction_power=1, reconstruction_tolerance=0.9),
                                           "reconstruction_tolerance"),
                                          (dict(cluster_pick="centre"), "cluster_pick"),
                                          (dict(poor_tracking_candidates=0.5),
                                           "poor_tracking_candidates"),
                                          (dict(poor_tracking_below=2.5), "poor_tracking_below"),
                                          (dict(poor_tracking_below=float("nan")),
                                           "poor_tracking_below"),
                                          (dict(poor_tracking_below="0.6"),
                                           "poor_tracking_below")])
def test_bad_selection_arguments(fitted_learner, loop_data, kwargs, name):
    model_before = fitted_learner.sraal_
    with pytest.raises(ValueError, match=name):
        sraal_query(fitted_learner, loop_data[0][40:100], n_instances=2, **kwargs)
    assert fitted_learner.sraal_ is model_before


@pytest.mark.parametrize("threshold", [2.0, -1.0])
def test_poor_tracking_candidates_apply_only_below_the_tracking_threshold(loop_data, threshold):
    # Every real tracking lies in [-1, 1]: a threshold of 2 always widens, -1 never does.
    # Widened, the batch is the one candidates=20 gives; otherwise the default's.
    X, y, *_ = loop_data
    base = partial(sraal_query, poor_tracking_below=threshold)

    def run(**kw):
        net = make_target_classifier(X.shape[1:], 10, max_epochs=3, random_state=0)
        learner = ActiveLearner(estimator=net, query_strategy=base,
                                X_training=X[:40], y_training=y[:40])
        model = SRAAL(**FAST)
        idx = learner.query(X[40:400], n_instances=8, sraal=model, **kw)[0]
        return idx, model

    gated, model = run()   # the default: poor_tracking_candidates=20
    widened = threshold > model.tracking_
    assert model.batch_selection_["candidates"] == (20.0 if widened else 10.0)
    fixed = partial(run, poor_tracking_candidates=None)
    np.testing.assert_array_equal(gated, fixed(candidates=20.0 if widened else 10.0)[0])
    assert not np.array_equal(fixed(candidates=20.0)[0], fixed()[0])   # the width matters here
    # widened, never narrowed: a user's wider candidates stay
    _, model = run(candidates=30.0)
    assert model.batch_selection_["candidates"] == 30.0


def test_select_top_k_ties_are_deterministic():
    idx, s = select_top_k(np.array([0.5, 0.9, 0.9, 0.1]), 2)
    np.testing.assert_array_equal(idx, [1, 2])
    np.testing.assert_array_equal(s, [0.9, 0.9])


# -- bad input: clear error naming the argument, learner untouched -----------------
@pytest.fixture(scope="module")
def fitted_learner(loop_data):
    X, y, *_ = loop_data
    net = make_target_classifier(X.shape[1:], 10, max_epochs=3, random_state=0)
    learner = ActiveLearner(estimator=net, X_training=X[:40], y_training=y[:40],
                            query_strategy=sraal_query)
    learner.query(X[40:200], n_instances=2, sraal=None, random_state=0)  # sets learner.sraal_
    return learner


def _state(learner):
    return (learner.X_training.copy(), learner.y_training.copy(),
            learner.sraal_.score_samples(learner.X_training[:5]))


def _nan_pool(X):
    Xn = X[40:100].copy()
    Xn[3, 0, 2, 2] = np.nan
    return Xn


def _inf_pool(X):
    Xn = X[40:100].copy()
    Xn[0] = np.inf
    return Xn


BAD_QUERIES = {
    "nan_pool": (lambda X: dict(X_pool=_nan_pool(X), n_instances=2), ValueError, "X_pool"),
    "inf_pool": (lambda X: dict(X_pool=_inf_pool(X), n_instances=2), ValueError, "X_pool"),
    "image_size": (lambda X: dict(X_pool=np.zeros((10, 1, 9, 9)), n_instances=2), ValueError, "X_pool"),
    "channels": (lambda X: dict(X_pool=np.zeros((10, 3, 8, 8)), n_instances=2), ValueError, "X_pool"),
    "flat_vs_images": (lambda X: dict(X_pool=np.zeros((10, 64)), n_instances=2), ValueError, "X_pool"),
    "ndim": (lambda X: dict(X_pool=np.zeros(10), n_instances=2), ValueError, "X_pool"),
    "empty_pool": (lambda X: dict(X_pool=np.zeros((0, 1, 8, 8)), n_instances=1), ValueError, "X_pool"),
    "n_zero": (lambda X: dict(X_pool=X[40:100], n_instances=0), ValueError, "n_instances"),
    "n_negative": (lambda X: dict(X_pool=X[40:100], n_instances=-3), ValueError, "n_instances"),
    "n_float": (lambda X: dict(X_pool=X[40:100], n_instances=2.5), TypeError, "n_instances"),
    "n_too_large": (lambda X: dict(X_pool=X[40:100], n_instances=61), ValueError, "n_instances"),
}


@pytest.mark.parametrize("case", sorted(BAD_QUERIES))
def test_bad_query_input_clear_error_state_untouched(fitted_learner, loop_data, case):
    X = loop_data[0]
    make, exc_type, name = BAD_QUERIES[case]
    before = _state(fitted_learner)
    model_before = fitted_learner.sraal_
    with pytest.raises(exc_type, match=name):
        sraal_query(fitted_learner, **make(X))
    with pytest.raises(exc_type, match=name):
        coreset_query(fitted_learner, **make(X))
    after = _state(fitted_learner)
    assert fitted_learner.sraal_ is model_before
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


class _BadProba:
    """A classifier whose predict_proba is malformed in a chosen way."""

    def __init__(self, kind):
        self.kind = kind
        self.classes_ = np.arange(3)

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        n = len(X)
        return {"nan": np.full((n, 3), np.nan), "negative": np.tile([1.5, -0.5, 0.0], (n, 1)),
                "unnormalized": np.full((n, 3), 0.5), "one_class": np.ones((n, 1)),
                "logits": np.random.RandomState(0).randn(n, 3)}[self.kind]


@pytest.mark.parametrize("kind", ["nan", "negative", "unnormalized", "one_class", "logits"])
def test_malformed_target_probabilities(kind):
    X = np.random.RandomState(0).rand(50, 4).astype("float32")
    learner = ActiveLearner(estimator=_BadProba(kind), X_training=X[:10],
                            y_training=np.arange(10) % 3, query_strategy=sraal_query)
    before = learner.X_training.copy()
    with pytest.raises(ValueError, match=r"predict_proba"):
        sraal_query(learner, X[10:], n_instances=2, sraal=SRAAL(**FAST))
    np.testing.assert_array_equal(learner.X_training, before)
    assert not hasattr(learner, "sraal_")


def test_single_class_labeled_pool_and_unseen_labels():
    X = np.random.RandomState(0).rand(50, 4).astype("float32")
    clf = LogisticRegression()
    with pytest.raises(ValueError):  # scikit-learn refuses a single class at fit
        ActiveLearner(estimator=clf, X_training=X[:10], y_training=np.zeros(10, int))
    learner = ActiveLearner(estimator=LogisticRegression(), X_training=X[:10],
                            y_training=np.arange(10) % 2, query_strategy=sraal_query)
    learner.y_training = np.r_[learner.y_training[:-1], 5]  # a label the model never saw
    with pytest.raises(ValueError, match="never seen"):
        sraal_query(learner, X[10:], n_instances=2, sraal=SRAAL(**FAST))


def test_learner_without_labeled_data():
    learner = ActiveLearner(estimator=LogisticRegression(), query_strategy=sraal_query)
    with pytest.raises(ValueError, match="X_training"):
        sraal_query(learner, np.zeros((5, 3)), n_instances=1)


def test_failed_fit_keeps_learners_sraal(fitted_learner, loop_data):
    """A fit that diverges leaves the learner's kept SRAAL as it was."""
    from modal_sraal import SRAALTrainingError

    X = loop_data[0]
    kept = fitted_learner.sraal_
    snapshot = kept.score_samples(X[:5])
    kept_params = kept.get_params()
    kept.set_params(lr_generator=1e30, lr_discriminator=1e30)
    try:
        with pytest.raises(SRAALTrainingError):
            sraal_query(fitted_learner, X[40:100] * 1e30, n_instances=2)
    finally:
        kept.set_params(**kept_params)
    assert fitted_learner.sraal_ is kept
    np.testing.assert_array_equal(kept.score_samples(X[:5]), snapshot)


def test_nan_in_labeled_pool_is_named(loop_data):
    X, y, *_ = loop_data
    learner = ActiveLearner(estimator=LogisticRegression(max_iter=100),
                            X_training=X[:40].reshape(40, -1), y_training=y[:40],
                            query_strategy=sraal_query)
    bad = learner.X_training.copy()
    bad[0, 0] = np.nan
    learner.X_training = bad
    with pytest.raises(ValueError, match="learner.X_training"):
        sraal_query(learner, X[40:80].reshape(40, -1), n_instances=2, sraal=SRAAL(**FAST))
    assert np.isnan(learner.X_training[0, 0]) and not hasattr(learner, "sraal_")


def test_single_class_labeled_pool_with_fixed_class_net(loop_data):
    X, y, *_ = loop_data
    one = np.flatnonzero(y == 3)[:20]
    net = make_target_classifier(X.shape[1:], 10, max_epochs=2)
    learner = ActiveLearner(estimator=net, X_training=X[one], y_training=y[one],
                            query_strategy=sraal_query)
    before = learner.X_training.copy()
    with pytest.raises(ValueError, match="learner.y_training holds a single class"):
        sraal_query(learner, X[200:260], n_instances=2, sraal=SRAAL(**FAST))
    np.testing.assert_array_equal(learner.X_training, before)
    idx, _ = coreset_query(learner, X[200:260], n_instances=2)   # Core-set needs no classes
    assert len(set(idx.tolist())) == 2


def test_pandas_dataframes_and_lists_are_accepted(loop_data):
    import pandas as pd

    X, y, *_ = loop_data
    Xf = X.reshape(len(X), -1)
    learner = ActiveLearner(estimator=LogisticRegression(max_iter=200), X_training=Xf[:40],
                            y_training=y[:40], query_strategy=sraal_query)
    # The same float64 values in three containers: the target estimator's own arithmetic
    # may follow the dtype (scikit-learn >= 1.8 computes float32 input in float32), and the
    # relabeled states must be identical for the selections to be.
    pool = Xf[40:140].astype(np.float64)
    a = sraal_query(learner, pd.DataFrame(pool), n_instances=3, sraal=SRAAL(**FAST))[0]
    b = sraal_query(learner, pool.tolist(), n_instances=3, sraal=SRAAL(**FAST))[0]
    c = sraal_query(learner, pool, n_instances=3, sraal=SRAAL(**FAST))[0]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_user_supplied_sraal_is_kept_on_the_learner_and_untouched_by_a_failed_fit(loop_data):
    from functools import partial

    from modal_sraal import SRAALTrainingError

    X, y, *_ = loop_data
    net = make_target_classifier(X.shape[1:], 10, max_epochs=2, random_state=0)
    mine = SRAAL(**{**FAST, "random_state": 0, "warm_start": True})
    learner = ActiveLearner(net, partial(sraal_query, sraal=mine), X_training=X[:40],
                            y_training=y[:40])
    learner.query(X[40:120], n_instances=4)
    assert learner.sraal_ is mine and hasattr(mine, "tracking_")    # README: there after a query
    snapshot, iters = mine.score_samples(X[:5]), mine.n_iter_
    mine.set_params(lr_generator=1e30, lr_discriminator=1e30)
    with pytest.raises(SRAALTrainingError):
        learner.query(X[40:120] * 1e30, n_instances=4)
    mine.set_params(lr_generator=1e-3, lr_discriminator=1e-3)
    np.testing.assert_array_equal(mine.score_samples(X[:5]), snapshot)   # not half-trained
    assert mine.n_iter_ == iters


def test_set_params_on_a_warm_started_sraal_takes_effect(small_images):
    X, y, u = small_images
    m = SRAAL(n_iter=3, latent_dim=4, warm_start=True, random_state=0).fit(X, y, uncertainty=u)
    gen = m.generator_
    assert "adv" in m.training_log_[0]
    m.set_params(lambda_adv=0.0, lambda_stl=2.0, lr_generator=5e-4).fit(X, y, uncertainty=u)
    assert m.generator_ is gen                            # warm: the same networks ...
    assert "adv" not in m.training_log_[0]                # ... with today's loss weights
    assert (gen.lambda_stl, gen.lr) == (2.0, 5e-4)
    m.set_params(discriminator_hidden=(16,)).fit(X, y, uncertainty=u)
    assert m.generator_ is not gen                        # a structural change rebuilds
    assert [l.out_features for l in m.discriminator_.module_.modules()
            if isinstance(l, torch.nn.Linear)] == [16, 1]


@pytest.mark.parametrize("device, match", [("tpu", "not a device torch knows"),
                                           ("cuda:7" if torch.cuda.is_available() else "cuda",
                                            "CUDA")])
def test_unknown_or_absent_device_is_a_clear_error(small_images, device, match):
    X, y, u = small_images
    m = SRAAL(n_iter=2, latent_dim=4, device=device)
    with pytest.raises(ValueError, match=match):
        m.fit(X, y, uncertainty=u)
    assert not hasattr(m, "generator_")


def test_training_warnings_point_at_the_callers_line(loop_data, monkeypatch):
    import warnings
    from functools import partial

    import modal_sraal.diagnostics as diagnostics_module

    monkeypatch.setattr(diagnostics_module, "POOR_TRACKING", 2.0)   # always warn
    X, y, *_ = loop_data
    net = make_target_classifier(X.shape[1:], 10, max_epochs=2, random_state=0)
    learner = ActiveLearner(net, partial(sraal_query, sraal=SRAAL(**FAST)), X_training=X[:40],
                            y_training=y[:40])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        learner.query(X[40:120], n_instances=2)
    poor = [w for w in caught if issubclass(w.category, PoorTrackingWarning)]
    assert poor and poor[0].filename == __file__ and poor[0].lineno == line


@pytest.mark.parametrize("case", ["float64", "uint8", "float32 rows, float64 pool", "strings",
                                  "explicit classes"])
def test_package_cnn_takes_any_real_dtype_and_any_labels(loop_data, case):
    from functools import partial

    X, y, *_ = loop_data
    X_lab, X_pool, labels = X[:40], X[40:120], y
    classes = None
    if case == "float64":
        X_lab, X_pool = X_lab.astype(np.float64), X_pool.astype(np.float64)
    elif case == "uint8":
        X_lab, X_pool = (X_lab * 16).astype(np.uint8), (X_pool * 16).astype(np.uint8)
    elif case == "float32 rows, float64 pool":
        X_pool = X_pool.astype(np.float64)
    elif case in ("strings", "explicit classes"):
        names = np.array([f"digit {d}" for d in range(10)])
        labels = names[y]
        classes = names if case == "explicit classes" else None
    net = make_target_classifier(X.shape[1:], 10, max_epochs=2, random_state=0, classes=classes)
    learner = ActiveLearner(net, partial(sraal_query, sraal=SRAAL(**FAST)), X_training=X_lab,
                            y_training=labels[:40])
    idx, _ = learner.query(X_pool, n_instances=3)
    learner.teach(X_pool[idx], labels[40:120][idx])
    pred = learner.predict(X_pool[:5])
    assert set(pred) <= set(labels.tolist()) and learner.predict_proba(X_pool[:5]).shape == (5, 10)
    assert 0 <= learner.score(X_pool, labels[40:120]) <= 1


def test_package_cnn_string_labels_need_every_class_or_explicit_classes(loop_data):
    X, y, *_ = loop_data
    net = make_target_classifier(X.shape[1:], 10, max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="pass classes="):
        net.fit(X[:20], np.array(["a", "b"])[y[:20] % 2])
    net = make_target_classifier(X.shape[1:], 2, max_epochs=1, random_state=0, classes=["a", "b"])
    with pytest.raises(ValueError, match=r"not among classes \['a', 'b'\]"):
        net.fit(X[:3], np.array(["a", "b", "c"]))
