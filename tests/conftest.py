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
