"""modAL compatibility layer: teach on today's scikit-learn, N-D labels, idempotence."""
import warnings

import numpy as np
import pytest
from modAL.models import ActiveLearner
from sklearn.base import BaseEstimator

import modAL.models.learners as modal_learners
from modal_sraal.compat import MODAL_MODULE, modal_check_X_y, patch_modal


class _MaskModel(BaseEstimator):
    """Stands for a user's segmentation net: fits on images and raw masks (n, H, W)."""

    def fit(self, X, y):
        assert y.ndim == 3 and len(y) == len(X)
        self.n_seen_ = len(X)
        return self

    def predict(self, X):
        return np.zeros((len(X), *X.shape[2:]), dtype=int)


def test_teach_accepts_raw_masks():
    rng = np.random.RandomState(0)
    X, masks = rng.rand(12, 1, 8, 8), rng.randint(0, 3, (12, 8, 8))
    learner = ActiveLearner(_MaskModel(), X_training=X[:4], y_training=masks[:4])
    learner.teach(X[4:8], masks[4:8])                  # "dim 3" error without the layer
    assert learner.y_training.shape == (8, 8, 8) and learner.estimator.n_seen_ == 8
    learner.teach(X[8:], masks[8:], only_new=True)
    assert learner.estimator.n_seen_ == 4


def test_teach_validates_as_before_without_deprecated_keyword():
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.RandomState(0).rand(20, 3), np.arange(20) % 2
    learner = ActiveLearner(LogisticRegression(), X_training=X[:10], y_training=y[:10])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)    # no force_all_finite deprecation
        learner.teach(X[10:15], y[10:15])
    bad = X[15:].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        learner.teach(bad, y[15:])
    assert len(learner.X_training) == 15                 # a refused batch is not added
    masks_wrong_length = np.zeros((3, 8, 8), dtype=int)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        modal_check_X_y(np.zeros((2, 1, 8, 8)), masks_wrong_length, allow_nd=True,
                        multi_output=True)


def test_patch_is_idempotent_scoped_and_fails_clearly(monkeypatch):
    import sklearn.utils

    patch_modal()
    patch_modal()
    assert modal_learners.check_X_y is modal_check_X_y
    assert sklearn.utils.check_X_y is not modal_check_X_y   # scikit-learn itself untouched
    monkeypatch.delattr(modal_learners, "check_X_y")
    with pytest.raises(ImportError, match=MODAL_MODULE):
        patch_modal()


def test_modal_strategies_users_reach_run_on_this_numpy():
    """modAL's strategies, batch mode, density, Committee and multilabel run on the
    installed numpy (2.x in CI's main environment); expected_error stays broken
    (modAL uses ``np.float``, removed in numpy 1.24): documented, not patched."""
    from modAL import batch, density, disagreement, multilabel, uncertainty
    from modAL.models import Committee
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import SVC

    rng = np.random.RandomState(0)
    X = rng.rand(60, 4)
    y = (X[:, 0] > 0.5).astype(int)
    for strategy in (uncertainty.uncertainty_sampling, uncertainty.margin_sampling,
                     uncertainty.entropy_sampling, batch.uncertainty_batch_sampling):
        learner = ActiveLearner(LogisticRegression(), strategy, X_training=X[:10], y_training=y[:10])
        idx, _ = learner.query(X[10:], n_instances=3)
        assert len(set(np.asarray(idx).tolist())) == 3
        learner.teach(X[10:13], y[10:13])
    assert density.information_density(X, "euclidean").shape == (60,)
    committee = Committee([ActiveLearner(LogisticRegression(), X_training=X[:10], y_training=y[:10])
                           for _ in range(2)], query_strategy=disagreement.vote_entropy_sampling)
    for strategy in (disagreement.vote_entropy_sampling, disagreement.max_disagreement_sampling,
                     disagreement.consensus_entropy_sampling):
        committee.query_strategy = strategy
        assert len(committee.query(X[10:], n_instances=2)[0]) == 2
    committee.teach(X[10:12], y[10:12])
    assert len(committee.learner_list[0].X_training) == 12
    Y = np.c_[y, 1 - y, X[:, 1] > 0.5].astype(int)
    ml = ActiveLearner(OneVsRestClassifier(SVC(probability=True, random_state=0)),
                       multilabel.min_confidence, X_training=X[:20], y_training=Y[:20])
    for strategy in (multilabel.min_confidence, multilabel.avg_confidence,
                     multilabel.max_score, multilabel.avg_score):
        ml.query_strategy = strategy
        assert len(ml.query(X[20:], n_instances=2)[0]) == 2
    ml.teach(X[20:22], Y[20:22])
    if not hasattr(np, "float"):
        with pytest.raises(AttributeError, match="float"):
            import modAL.expected_error  # noqa: F401


def test_query_calls_the_strategy_once_and_lets_errors_through():
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.RandomState(0).rand(30, 2), np.arange(30) % 2
    calls = []

    def interrupted(learner, X_pool, n_instances=1):
        calls.append(1)
        raise KeyboardInterrupt

    learner = ActiveLearner(LogisticRegression(), interrupted, X_training=X[:6], y_training=y[:6])
    with pytest.raises(KeyboardInterrupt):
        learner.query(X[6:])
    assert len(calls) == 1                               # modAL's own: 2 calls, then a TypeError

    def failing(learner, X_pool, n_instances=1):
        calls.append(1)
        raise ValueError("the first error")

    learner.query_strategy = failing
    with pytest.raises(ValueError, match="the first error"):
        learner.query(X[6:])
    assert len(calls) == 2

    # a strategy that returns bare indices of length 2 is not mis-read as (indices, metrics)
    learner.query_strategy = lambda lrn, X_pool, n_instances=1: np.array([3, 5])
    idx, rows = learner.query(X[6:])
    np.testing.assert_array_equal(idx, [3, 5])
    np.testing.assert_array_equal(rows, X[6:][[3, 5]])


def test_teach_with_dataframes_and_both_finiteness_keywords():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    df = pd.DataFrame(rng.rand(20, 3), columns=list("abc"))
    y = pd.Series(np.arange(20) % 2)
    learner = ActiveLearner(LogisticRegression(), X_training=df[:10], y_training=y[:10])
    learner.teach(df[10:15], y[10:15])                   # DataFrame.append is gone in pandas 2
    assert isinstance(learner.X_training, pd.DataFrame) and len(learner.X_training) == 15
    assert learner.y_training.tolist() == y[:15].tolist()
    X, yy = rng.rand(4, 2), np.arange(4) % 2
    for kw in ({"force_all_finite": True}, {"ensure_all_finite": True},
               {"force_all_finite": True, "ensure_all_finite": True}, {}):
        assert modal_check_X_y(X, yy, **kw)[0].shape == (4, 2)
    with pytest.raises(ValueError, match="disagree"):
        modal_check_X_y(X, yy, force_all_finite=True, ensure_all_finite=False)


def test_unpatch_restores_modal_and_patch_installs_again():
    from modAL.models import base

    from modal_sraal.compat import modal_committee_query, modal_query, unpatch_modal

    unpatch_modal()
    try:
        assert modal_learners.check_X_y is not modal_check_X_y
        assert base.BaseLearner.query is not modal_query
        assert modal_learners.data_vstack.__module__ == "modAL.utils.data"
    finally:
        patch_modal()
    assert modal_learners.check_X_y is modal_check_X_y and base.BaseLearner.query is modal_query
    assert base.BaseCommittee.query is modal_committee_query


def test_clone_of_an_active_learner_fails_in_modal_as_documented():
    """modAL's ActiveLearner does not keep its parameters the scikit-learn way, so
    ``clone`` fails (docs: compatibility layer); the documented workaround, a new
    learner from the same parts, works."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.RandomState(0).rand(10, 2), np.arange(10) % 2
    learner = ActiveLearner(LogisticRegression(), X_training=X, y_training=y)
    with pytest.raises(AttributeError, match="bootstrap_init"):
        clone(learner)
    again = ActiveLearner(clone(learner.estimator), learner.query_strategy, X_training=X,
                          y_training=y)
    assert again.score(X, y) == learner.score(X, y)
