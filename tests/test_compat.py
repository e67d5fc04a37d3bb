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
