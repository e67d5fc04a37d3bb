"""Version 0.2's selections, reproduced by today's code at 0.2's defaults."""
import numpy as np

from pin_v02 import PIN_PATH, replay

from modal_sraal.sraal import sraal_v02


def test_sraal_v02_selects_what_version_02_selected_on_digits():
    def v02(X_pool, seed):
        return sraal_v02(X_pool, random_state=seed).set_params(device="cpu")

    picks = replay(v02)
    expected = np.load(PIN_PATH)["picks"]
    assert picks.shape == expected.shape == (6, 67)
    np.testing.assert_array_equal(picks, expected)
