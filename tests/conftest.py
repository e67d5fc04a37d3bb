import warnings

import numpy as np
import pytest

warnings.filterwarnings("ignore", message=".*force_all_finite.*")


@pytest.fixture(scope="session")
def digits():
    """Fixed train/test split of scikit-learn's digits as (n, 1, 8, 8) images."""
    from modal_sraal.datasets import train_test

    return train_test("digits")


@pytest.fixture
def small_images():
    rng = np.random.RandomState(0)
    X = rng.rand(60, 1, 8, 8).astype("float32")
    y = np.r_[rng.randint(0, 3, 20), -np.ones(40, dtype=int)]
    return X, y, rng.rand(40)


@pytest.fixture
def default_fit_twice(small_images):
    """``fit_twice(seed)``: a default SRAAL fit on ``small_images`` (both phases), then
    its warm-started refit on the reversed uncertainties; returns (first scores, second
    scores, model), for checks that a change of machinery changes no number."""
    from modal_sraal import SRAAL

    X, y, u = small_images

    def fit_twice(seed):
        m = SRAAL(n_iter=12, discriminator_refit_steps="auto", warm_start=True, random_state=seed)
        first = m.fit(X, y, uncertainty=u).score_samples(X)
        return first, m.fit(X, y, uncertainty=u[::-1].copy()).score_samples(X), m

    return fit_twice
