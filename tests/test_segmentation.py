"""Segmentation (paper §4.2): OUI on masks, mIoU, the STL label map, a modAL loop."""
import numpy as np
import pytest
from modAL.models import ActiveLearner

from modal_sraal import SRAAL, SRAALGenerator, coreset_query, online_uncertainty, sraal_query
from modal_sraal.segmentation import (
    as_masks, flatten_masks, make_synthetic_segmentation, make_target_segmenter, mean_iou,
)


def test_oui_on_masks_mean_vector_and_ignore_label():
    rng = np.random.RandomState(0)
    P = rng.dirichlet(np.ones(3), size=(2, 4, 4)).transpose(0, 3, 1, 2)   # (n, C, H, W)
    masks = np.zeros((2, 4, 4), int)
    masks[:, 0] = 255                                                  # first row ignored
    expected = online_uncertainty(P[:, :, 1:].reshape(2, 3, -1).mean(axis=2))
    np.testing.assert_allclose(online_uncertainty(P, ignore_mask=masks == 255), expected)
    assert not np.allclose(online_uncertainty(P), expected)
    # Hand case: one pixel one-hot, one pixel uniform over 2 classes -> mean [.75, .25].
    Q = np.array([[[1.0, 0.5]], [[0.0, 0.5]]]).transpose(1, 0, 2)[..., None]  # (1, 2, 2, 1)
    assert online_uncertainty(Q)[0] == pytest.approx(0.25)
    # Ignore the uniform pixel: the one-hot pixel alone scores 0.
    assert online_uncertainty(Q, ignore_mask=np.array([[[False], [True]]]))[0] == pytest.approx(0)
    with pytest.raises(ValueError, match="ignore_mask"):
        online_uncertainty(Q, ignore_mask=np.ones((1, 2, 1), bool))
    with pytest.raises(ValueError, match="ignore_mask"):
        online_uncertainty(Q, ignore_mask=np.ones((1, 3), bool))


def test_mean_iou_hand_case():
    t = np.array([[0, 0, 1, 1], [2, 2, 255, 255]])
    p = np.array([[0, 1, 1, 1], [2, 0, 0, 1]])
    # class 0: inter 1, union 3 -> 1/3; class 1: inter 2, union 3 -> 2/3; class 2: 1/2
    assert mean_iou(t, p) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert mean_iou(t, t) == 1.0
    with pytest.raises(ValueError, match="same number of pixels"):
        mean_iou(t, p[:1])


def test_synthetic_set_is_reproducible_and_sane():
    X1, y1 = make_synthetic_segmentation(10, 24, 4, random_state=3)
    X2, y2 = make_synthetic_segmentation(10, 24, 4, random_state=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape == (10, 3, 24, 24) and y1.shape == (10, 24, 24)
    assert set(np.unique(y1)) <= {0, 1, 2, 3, 255} and (y1 == 255).any() and (y1 > 0).any()
    assert not np.array_equal(make_synthetic_segmentation(10, 24, 4, random_state=4)[1], y1)


def test_synthetic_sets_from_different_seeds_share_class_appearance():
    # Train and test sets come from different seeds; a class must look the same in
    # both (its tint), or no model can generalize from one to the other.
    sets = [make_synthetic_segmentation(40, size=32, n_classes=4, random_state=s) for s in (0, 1)]
    for c in (1, 2, 3):
        means = [X.transpose(1, 0, 2, 3)[:, y == c].mean(axis=1) for X, y in sets]
        np.testing.assert_allclose(means[0], means[1], atol=0.05)


def test_masks_round_trip():
    X = np.zeros((3, 3, 5, 6))
    y = np.arange(90).reshape(3, 5, 6)
    np.testing.assert_array_equal(as_masks(flatten_masks(y), X), y)
    np.testing.assert_array_equal(as_masks(np.arange(3), X), np.arange(3))


def test_generator_stl_predicts_label_maps():
    X, y = make_synthetic_segmentation(12, 16, 3, random_state=0)
    y = y.copy()
    y[6:] = -1                                              # unlabeled rows
    gen = SRAALGenerator(latent_dim=4, max_epochs=2, verbose=0, random_state=0).fit(X, y)
    logits = gen.forward(X)[5]
    assert tuple(logits.shape) == (12, 3, 16, 16)
    assert gen.module_.task == "segmentation" and np.isfinite(gen.loss_parts_["ce"])


@pytest.mark.parametrize("layout", ["raw", "flattened"])
def test_segmentation_active_learning_loop_through_modal(layout):
    """Masks through ActiveLearner, sraal_query and teach: raw (n, H, W), and
    flattened for networks that want them."""
    as_labels = (lambda m: m) if layout == "raw" else flatten_masks
    X, y = make_synthetic_segmentation(90, 16, 3, random_state=0)
    X_test, y_test = make_synthetic_segmentation(20, 16, 3, random_state=1)
    net = make_target_segmenter(3, 3, max_epochs=3, random_state=0)
    learner = ActiveLearner(estimator=net, query_strategy=sraal_query,
                            X_training=X[:15], y_training=as_labels(y[:15]))
    pool = np.arange(15, 90)
    model = SRAAL(n_iter=10, latent_dim=4, random_state=0, warm_start=True,
                  discriminator_refit_steps=50)
    for n in (1, 4):
        idx, scores = learner.query(X[pool], n_instances=n, sraal=model)
        assert len(set(np.asarray(idx).tolist())) == n and np.all(np.asarray(idx) < len(pool))
        learner.teach(X[pool[idx]], as_labels(y[pool[idx]]))
        pool = np.delete(pool, idx)
    assert learner.y_training.shape == ((20, 16, 16) if layout == "raw" else (20, 256))
    assert model.generator_.module_.task == "segmentation"
    miou = learner.score(X_test, as_labels(y_test))
    assert 0.0 <= miou <= 1.0
    idx, _ = learner.query(X[pool], n_instances=3, sraal=model)
    idx_c, _ = coreset_query(learner, X[pool], n_instances=3)
    assert len(set(np.asarray(idx_c).tolist())) == 3
    with pytest.raises(ValueError, match="X_pool"):
        sraal_query(learner, np.zeros((4, 3, 8, 8)), n_instances=1, sraal=model)
