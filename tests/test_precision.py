"""Mixed precision of the training steps (modal_sraal.precision)."""
import pickle
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from modAL.models import ActiveLearner
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from modal_sraal import SRAAL, kcenter_init, sraal_query
from modal_sraal.precision import check_precision

FAST = dict(n_iter=20, latent_dim=8, random_state=0)


def _recording_dtypes(model, run):
    """Run ``run()`` and return the dtypes of the outputs of ``model``'s two
    networks' forward passes, under autocast (``'cast'``) and outside it."""
    seen = {"cast": set(), "plain": set()}

    def record(module, inputs, output):
        out = output[0] if isinstance(output, tuple) else output
        seen["cast" if torch.is_autocast_enabled(out.device.type) else "plain"].add(out.dtype)

    handles = [model.generator_.module_.register_forward_hook(record),
               model.discriminator_.module_.register_forward_hook(record)]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return seen


@pytest.mark.parametrize("precision, dtype", [("bfloat16", torch.bfloat16),
                                              ("float16", torch.float16)])
def test_reduced_precision_trains_in_its_dtype_and_keeps_weights_and_scores_float32(
        small_images, precision, dtype):
    X, y, u = small_images
    model = SRAAL(precision=precision, warm_start=True, **FAST).fit(X, y, uncertainty=u)
    # a warm fit, so the hooks see its training steps
    seen = _recording_dtypes(model, lambda: model.fit(X, y, uncertainty=u))
    assert seen["cast"] == {dtype}                   # the training steps' passes are cast
    assert seen["plain"] == {torch.float32}          # the encodings between them are not
    seen = _recording_dtypes(model, lambda: (model.score_samples(X), model.transform(X)))
    assert seen == {"cast": set(), "plain": {torch.float32}}   # nor scoring
    for net in (model.generator_, model.discriminator_):
        assert net.precision == precision
        assert {p.dtype for p in net.module_.parameters()} == {torch.float32}
        scaler = getattr(net, "grad_scaler_", None)
        # float16 scales its losses (a finite scale, updated by the steps); bfloat16 needs none
        assert (scaler is not None and np.isfinite(scaler.get_scale())) == (precision == "float16")
    scores = model.score_samples(X[20:])
    assert scores.dtype == np.float64 and np.isfinite(scores).all()
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.score_samples(X[20:]), scores)
    # the scaler is not pickled (its tensors live on the training device) and is made again
    assert getattr(restored.generator_, "grad_scaler_", None) is None
    restored.fit(X, y, uncertainty=u)
    assert (getattr(restored.generator_, "grad_scaler_", None) is not None) == (
        precision == "float16")
    assert clone(model).precision == precision


def test_float32_default_casts_nothing(small_images):
    X, y, u = small_images
    model = SRAAL(warm_start=True, **FAST).fit(X, y, uncertainty=u)
    assert model.precision == "float32"
    seen = _recording_dtypes(model, lambda: model.fit(X, y, uncertainty=u))
    assert seen == {"cast": set(), "plain": {torch.float32}}
    assert getattr(model.generator_, "grad_scaler_", None) is None


def test_reduced_precision_learns_the_same_ranking(small_images):
    X, y, u = small_images
    ref = SRAAL(**FAST).fit(X, y, uncertainty=u).score_samples(X[20:])
    for precision in ("bfloat16", "float16"):
        scores = SRAAL(precision=precision, **FAST).fit(X, y, uncertainty=u).score_samples(X[20:])
        assert spearmanr(scores, ref)[0] > 0.9, precision


def test_precision_is_synced_to_a_warm_models_networks(small_images):
    X, y, u = small_images
    model = SRAAL(warm_start=True, **FAST).fit(X, y, uncertainty=u)
    gen = model.generator_
    model.set_params(precision="bfloat16").fit(X, y, uncertainty=u)
    assert model.generator_ is gen                   # the same networks, now cast
    assert (gen.precision, model.discriminator_.precision) == ("bfloat16", "bfloat16")


def test_unknown_precision_is_a_clear_error_and_leaves_the_model_as_it_was(small_images):
    X, y, u = small_images
    with pytest.raises(ValueError, match="precision must be one of"):
        SRAAL(precision="half", **FAST).fit(X, y, uncertainty=u)
    model = SRAAL(warm_start=True, **FAST).fit(X, y, uncertainty=u)
    gen, weights = model.generator_, [p.detach().clone() for p in model.generator_.module_.parameters()]
    with pytest.raises(ValueError, match="precision"):
        model.set_params(precision=torch.float16).fit(X, y, uncertainty=u)
    assert model.generator_ is gen and gen.precision == "float32"
    assert all(torch.equal(a, b) for a, b in zip(weights, gen.module_.parameters()))


def test_precision_the_device_cannot_run_is_an_error_not_a_silent_float32(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(ValueError, match="does not support bfloat16"):
        check_precision("bfloat16", "cuda")

    class WarningAutocast:   # what torch does for a dtype a device's autocast lacks
        def __init__(self, *a, **k):
            warnings.warn("autocast does not support this dtype; disabling autocast")

    monkeypatch.setattr(torch, "autocast", WarningAutocast)
    with pytest.raises(ValueError, match="not supported on device 'cpu'"):
        check_precision("float16", "cpu")
    assert check_precision("float32", "cpu") == "float32"   # no autocast needed


def test_query_with_mixed_precision_through_modal(small_images):
    X, y, _ = small_images
    X_lab, y_lab = X[:20].reshape(20, -1), y[:20]
    learner = ActiveLearner(LogisticRegression(max_iter=200),
                            partial(sraal_query, sraal=SRAAL(precision="bfloat16", **FAST)),
                            X_training=X_lab, y_training=y_lab)
    idx, _ = learner.query(X[20:].reshape(40, -1), n_instances=5)
    assert len(set(idx.tolist())) == 5
    assert learner.sraal_.precision == "bfloat16"


def test_kcenter_init_trains_its_uir_in_the_precision_asked(small_images):
    X, _, _ = small_images
    idx = kcenter_init(X, 10, max_epochs=2, latent_dim=4, precision="bfloat16", random_state=0)
    assert len(set(idx.tolist())) == 10
    with pytest.raises(ValueError, match="precision must be one of"):
        kcenter_init(X, 10, max_epochs=2, precision="fp8", random_state=0)
