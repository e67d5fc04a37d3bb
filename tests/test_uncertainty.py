import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from modal_sraal import (
    binary_state, entropy_uncertainty, online_uncertainty, std_uncertainty,
)
from modal_sraal.uncertainty import RELABELING_SCORES, relabeling_score


def oui_by_hand(v):
    """Eq. 3-4 written out literally, population variance."""
    v = np.asarray(v, float)
    C, m = len(v), v.max()
    var = ((v - v.mean()) ** 2).sum() / C
    vprime = np.r_[m, np.full(C - 1, (1 - m) / (C - 1))]
    minvar = ((vprime - vprime.mean()) ** 2).sum() / C
    return 1 - m * minvar / var


@pytest.mark.parametrize("v", [[0.7, 0.3], [0.4, 0.4, 0.2, 0.0], [0.5, 0.3, 0.2],
                               [0.6, 0.1, 0.1, 0.1, 0.1], [0.9, 0.05, 0.05]])
def test_oui_matches_hand_computation(v):
    assert online_uncertainty([v])[0] == pytest.approx(oui_by_hand(v), abs=1e-12)


def test_oui_hand_values():
    # [0.4, 0.4, 0.2, 0]: Var = 0.0275, MINVar = 0.0075 -> 1 - 0.4 * 0.0075 / 0.0275
    assert online_uncertainty([[0.4, 0.4, 0.2, 0.0]])[0] == pytest.approx(1 - 0.4 * 0.0075 / 0.0275)
    # Two classes: V is always of the V' form, so the ratio is 1 and OUI = 1 - max.
    np.testing.assert_allclose(online_uncertainty([[0.7, 0.3], [0.9, 0.1]]), [0.3, 0.1])


@pytest.mark.parametrize("C", [2, 3, 10, 100])
def test_oui_edges_uniform_and_one_hot(C):
    uniform = np.full((1, C), 1.0 / C)
    one_hot = np.eye(C)[:1]
    assert online_uncertainty(uniform)[0] == pytest.approx(1 - 1 / C)
    assert online_uncertainty(one_hot)[0] == pytest.approx(0.0, abs=1e-12)
    # Near-uniform vectors approach the limit value continuously.
    near = uniform + np.r_[1e-7, -1e-7, np.zeros(C - 2)]
    assert online_uncertainty(near)[0] == pytest.approx(1 - 1 / C, abs=1e-5)


def test_oui_property_1_bounds():
    rng = np.random.RandomState(0)
    P = rng.dirichlet(np.full(10, 0.3), size=2000)
    s = online_uncertainty(P)
    assert s.shape == (2000,) and np.all(s >= 0) and np.all(s < 1)


def test_oui_property_2_decreases_with_max():
    # Fixed spread of the rest (V' form): higher max -> lower score.
    maxes = np.linspace(0.2, 1.0, 30)
    P = np.array([np.r_[m, np.full(4, (1 - m) / 4)] for m in maxes])
    s = online_uncertainty(P)
    assert np.all(np.diff(s) < 0)


def test_oui_property_3_increases_with_concentration():
    # Same max, MINVar/Var measures how concentrated the rest is: the more evenly
    # the rest is spread (ratio -> 1), the lower the score... and the more it
    # concentrates on a runner-up (ratio smaller), the higher the score.
    even = online_uncertainty([[0.5, 0.125, 0.125, 0.125, 0.125]])[0]
    runner_up = online_uncertainty([[0.5, 0.45, 0.05, 0.0, 0.0]])[0]
    assert runner_up > even


def test_oui_segmentation_mean_over_pixels():
    rng = np.random.RandomState(0)
    P = rng.dirichlet(np.ones(4), size=(3, 5, 6)).transpose(0, 3, 1, 2)  # (n, C, H, W)
    expected = online_uncertainty(P.mean(axis=(2, 3)))
    np.testing.assert_allclose(online_uncertainty(P), expected)


def test_oui_accepts_torch_tensors():
    P = torch.softmax(torch.randn(8, 5), dim=1)
    np.testing.assert_allclose(online_uncertainty(P), online_uncertainty(P.numpy()), rtol=1e-6)


@pytest.mark.parametrize("bad, match", [
    ([[1.0], [1.0]], "at least 2 classes"),
    ([[np.nan, 1.0]], "NaN"),
    ([[1.2, -0.2]], "negative"),
    ([[0.5, 0.6]], "sum to 1"),
    ([0.5, 0.5], "shape"),
    (np.zeros((0, 3)), "empty"),
])
@pytest.mark.parametrize("score", list(RELABELING_SCORES.values()))
def test_scores_reject_malformed_probabilities(bad, match, score):
    with pytest.raises(ValueError, match=match) as exc:
        score(bad)
    assert "proba" in str(exc.value)


def test_entropy_and_std_scores():
    P = np.array([[1.0, 0, 0, 0], [0.25] * 4, [0.5, 0.5, 0, 0]])
    np.testing.assert_allclose(entropy_uncertainty(P), [0, 1, 0.5])
    # SD: 1 - std / std(one-hot); std of [.5,.5,0,0] is .25, of one-hot sqrt(3)/4
    np.testing.assert_allclose(std_uncertainty(P), [0, 1, 1 - 0.25 / (np.sqrt(3) / 4)])
    np.testing.assert_array_equal(binary_state(P), [1, 1, 1])


def test_relabeling_score_lookup():
    assert relabeling_score("oui") is online_uncertainty
    f = lambda p: np.zeros(len(p))  # noqa: E731
    assert relabeling_score(f) is f
    with pytest.raises(ValueError, match="relabel"):
        relabeling_score("least-confident")


def test_margin_uncertainty_is_one_minus_the_top_two_gap():
    from modal_sraal.uncertainty import margin_uncertainty

    P = np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(margin_uncertainty(P), [0.5, 1.0, 0.0])
    assert relabeling_score("margin") is margin_uncertainty


prob_rows = arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(2, 12)),
                   elements=st.floats(0, 1, allow_nan=False)).filter(
    lambda a: np.all(a.sum(axis=1) > 1e-3))


@settings(max_examples=200, deadline=None)
@given(prob_rows)
def test_oui_in_range_for_any_valid_matrix(A):
    P = A / A.sum(axis=1, keepdims=True)
    s = online_uncertainty(P)
    assert np.all(np.isfinite(s)) and np.all(s >= 0) and np.all(s < 1)


@settings(max_examples=100, deadline=None)
@given(prob_rows, st.randoms(use_true_random=False))
def test_oui_invariant_to_class_permutation(A, rnd):
    P = A / A.sum(axis=1, keepdims=True)
    perm = list(range(P.shape[1]))
    rnd.shuffle(perm)
    np.testing.assert_allclose(online_uncertainty(P[:, perm]), online_uncertainty(P), atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 12), st.floats(0.0, 1.0), st.floats(0.05, 0.9), st.floats(0.05, 0.9))
def test_oui_decreasing_in_max_at_fixed_spread(C, spread, m1, m2):
    """Rest of the vector shaped the same (a fixed mix of flat and runner-up),
    rescaled to 1 - max: a larger max gives a lower (or equal) score."""
    lo, hi = sorted((1 / C + m1 * (1 - 1 / C), 1 / C + m2 * (1 - 1 / C)))
    shape = (1 - spread) * np.full(C - 1, 1 / (C - 1)) + spread * np.eye(C - 1)[0]

    def vec(m):
        rest = (1 - m) * shape
        return np.r_[m, np.minimum(rest, m)] / np.r_[m, np.minimum(rest, m)].sum()

    v_lo, v_hi = vec(lo), vec(hi)
    if v_lo.argmax() != 0 or v_hi.argmax() != 0 or v_hi[0] <= v_lo[0]:
        return
    assert online_uncertainty([v_hi])[0] <= online_uncertainty([v_lo])[0] + 1e-9
