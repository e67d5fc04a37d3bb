"""SRAALGenerator, SRAALDiscriminator and SRAAL: fit/transform/predict, clone, pickle."""
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from modal_sraal import (
    SRAAL, DiscriminatorCollapseWarning, PoorTrackingWarning, SRAALDiscriminator, SRAALGenerator,
    SRAALTrainingError,
)
from modal_sraal.sraal import state_separation, state_tracking


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 28, 28), (1, 9, 13), (3, 32, 32), (2, 64, 48), (17,)])
def test_generator_any_input_size(shape):
    rng = np.random.RandomState(0)
    X = rng.rand(12, *shape).astype("float32")
    y = np.r_[[0, 1, 2, 0], -np.ones(8, dtype=int)]
    gen = SRAALGenerator(latent_dim=4, max_epochs=2, verbose=0).fit(X, y)
    x_hat = gen.forward(X)[0]
    assert tuple(x_hat.shape) == (12, *shape)           # UIR reconstructs the input
    Z = gen.transform(X)
    assert Z.shape == (12, 8) and np.all(np.isfinite(Z))  # [mu_uir, mu_stl]
    assert gen.transform_uir(X).shape == (12, 4)
    logits = gen.forward(X)[5]
    assert tuple(logits.shape) == (12, 3)                # STL classifier head


def test_generator_rejects_tiny_images():
    with pytest.raises(ValueError, match="at least 8x8"):
        SRAALGenerator(max_epochs=1).fit(np.zeros((4, 1, 4, 4), "float32"))


def test_generator_loss_terms_follow_eq7(small_images):
    X, y, _ = small_images
    gen = SRAALGenerator(latent_dim=4, max_epochs=1, verbose=0, lambda_uir=2.0,
                         lambda_stl=3.0, beta=0.5).fit(X, y)
    p = gen.loss_parts_
    expected = 2.0 * (p["recon"] + 0.5 * p["kl_uir"]) + 3.0 * (p["ce"] + 0.5 * p["kl_stl"])
    assert p["loss"] == pytest.approx(expected, rel=1e-5)
    assert "adv" not in p                                # no discriminator attached
    # Unlabeled-only data trains the UIR alone: no STL terms.
    gen.fit(X)
    assert "ce" not in gen.loss_parts_


def test_generator_stl_uses_only_labeled_rows(small_images):
    X, y, _ = small_images
    gen = SRAALGenerator(latent_dim=4, max_epochs=1, verbose=0).fit(X, y)
    out = gen.forward(X, training=False)
    y_all_labeled = np.where(y < 0, 0, y)
    with torch.no_grad():
        gen.module_.eval()
        loss_partial = gen.get_loss(out, torch.as_tensor(y), X=torch.as_tensor(X))
        ce_partial = gen.loss_parts_["ce"]
        gen.get_loss(out, torch.as_tensor(y_all_labeled), X=torch.as_tensor(X))
        ce_full = gen.loss_parts_["ce"]
    expected = torch.nn.functional.cross_entropy(out[5][y >= 0], torch.as_tensor(y[y >= 0]))
    assert ce_partial == pytest.approx(float(expected), rel=1e-5)
    assert ce_partial != pytest.approx(ce_full)
    assert torch.isfinite(loss_partial)


def test_generator_clone_pickle(small_images):
    X, y, _ = small_images
    gen = SRAALGenerator(latent_dim=4, max_epochs=1, verbose=0, lambda_stl=2.5).fit(X, y)
    c = clone(gen)
    assert c.get_params()["lambda_stl"] == 2.5 and not getattr(c, "initialized_", False)
    g2 = pickle.loads(pickle.dumps(gen))
    np.testing.assert_array_equal(g2.transform(X), gen.transform(X))


def test_discriminator_soft_targets_fit_predict():
    rng = np.random.RandomState(0)
    Z = rng.randn(400, 6).astype("float32")
    state = 1 / (1 + np.exp(-2 * Z[:, 0]))                 # soft targets in (0, 1)
    torch.manual_seed(0)
    disc = SRAALDiscriminator(max_epochs=30, lr=1e-3, verbose=0,
                              module__hidden=(32, 32)).fit(Z, state)
    s = disc.predict_state(Z)
    assert s.shape == (400,) and np.all((s > 0) & (s < 1))
    assert np.corrcoef(s, state)[0, 1] > 0.9               # it learned the soft state
    P = disc.predict_proba(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[:, 1], s)
    d2 = pickle.loads(pickle.dumps(disc))
    np.testing.assert_array_equal(d2.predict_state(Z), s)
    assert clone(disc).get_params()["module__hidden"] == (32, 32)
    with pytest.raises(ValueError, match="y"):
        disc.fit(Z, state * 2)


def test_sraal_fit_score_transform(small_images):
    X, y, u = small_images
    model = SRAAL(n_iter=10, latent_dim=4, random_state=0).fit(X, y, uncertainty=u)
    s = model.score_samples(X[y == -1])
    assert s.shape == (40,) and np.all((s > 0) & (s < 1))
    assert model.transform(X).shape == (60, 8)
    assert model.n_iter_ == 10 and model.n_iter_last_ == 10
    adversarial = [r for r in model.training_log_ if r["phase"] == "adversarial"]
    assert [r["iter"] for r in adversarial] == [10]       # checks every max(10, n_iter // 20)
    assert set(adversarial[-1]) >= {"recon", "kl_uir", "ce", "adv", "disc_loss", "tracking",
                                    "separation"}
    assert any(r["phase"] == "refit" for r in model.training_log_)
    # the fitted diagnostics are the functions' values on every row, not a probe
    from modal_sraal.diagnostics import state_separation as sep, state_tracking as track
    s_lab = model.score_samples(X[y != -1])
    assert model.tracking_ == pytest.approx(track(s, u), abs=1e-6)
    assert model.separation_ == pytest.approx(sep(s_lab, s), abs=1e-6)
    Z = model.transform(X[y != -1])
    module = model.generator_.module_
    import torch
    with torch.no_grad():
        pred = module.classifier(torch.as_tensor(Z[:, 4:])).argmax(1).numpy()
    assert model.stl_accuracy_ == pytest.approx(np.mean(pred == y[y != -1]))
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])


def test_sraal_uncertainty_as_probabilities_or_full_length(small_images):
    X, y, _ = small_images
    P = np.random.RandomState(1).dirichlet(np.ones(3), size=40)
    from modal_sraal import online_uncertainty
    a = SRAAL(n_iter=3, latent_dim=4, random_state=0).fit(X, y, uncertainty=P)
    b = SRAAL(n_iter=3, latent_dim=4, random_state=0).fit(X, y, uncertainty=online_uncertainty(P))
    full = np.r_[np.zeros(20), online_uncertainty(P)]
    c = SRAAL(n_iter=3, latent_dim=4, random_state=0).fit(X, y, uncertainty=full)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    np.testing.assert_array_equal(a.score_samples(X), c.score_samples(X))


def test_sraal_same_seed_same_scores_different_seed_differs(small_images):
    X, y, u = small_images
    s = [SRAAL(n_iter=5, latent_dim=4, random_state=rs).fit(X, y, uncertainty=u).score_samples(X)
         for rs in (3, 3, 4)]
    np.testing.assert_array_equal(s[0], s[1])
    assert not np.allclose(s[0], s[2])


def test_sraal_does_not_touch_global_torch_rng(small_images):
    X, y, u = small_images
    torch.manual_seed(123)
    a = torch.rand(1)
    torch.manual_seed(123)
    SRAAL(n_iter=2, latent_dim=4, random_state=0).fit(X, y, uncertainty=u)
    assert torch.rand(1) == a


def test_sraal_variants_vaal_and_ablations(small_images):
    X, y, u = small_images
    vaal = SRAAL(relabel="binary", use_stl=False, n_iter=3, latent_dim=4, random_state=0).fit(X, y)
    assert vaal.transform(X).shape == (60, 4)             # UIR only
    from modal_sraal.diagnostics import state_tracking as track
    from modal_sraal.uncertainty import relabeling_score
    P = np.random.RandomState(0).dirichlet(np.ones(3), size=40)
    for relabel in ("entropy", "std"):
        m = SRAAL(relabel=relabel, n_iter=2, latent_dim=4, random_state=0).fit(X, y, uncertainty=P)
        # the tracking is measured against this relabeling's states, not the OUI's
        states = relabeling_score(relabel)(P)
        assert m.tracking_ == pytest.approx(track(m.score_samples(X[y == -1]), states), abs=1e-6)


def test_sraal_warm_start_continues_and_rebuilds_on_new_classes(small_images):
    X, y, u = small_images
    m = SRAAL(n_iter=3, latent_dim=4, random_state=0, warm_start=True).fit(X, y, uncertainty=u)
    gen = m.generator_
    m.fit(X, y, uncertainty=u)
    assert m.generator_ is gen and m.n_iter_ == 6
    y2 = y.copy()
    y2[0] = 7                                            # a new class appears
    m.fit(X, y2, uncertainty=u)
    assert m.generator_ is not gen and m.n_iter_ == 3 and 7 in m.classes_


def test_sraal_clone_and_pickle(small_images):
    X, y, u = small_images
    m = SRAAL(n_iter=3, latent_dim=4, lambda_stl=2.0, random_state=0).fit(X, y, uncertainty=u)
    c = clone(m)
    assert c.get_params() == m.get_params() and not hasattr(c, "generator_")
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.score_samples(X), m.score_samples(X))
    # A pickled model keeps training (the generator's adversary is re-attached).
    m2.set_params(warm_start=True).fit(X, y, uncertainty=u)


def test_sraal_accepts_uint8_lists_and_float64(small_images):
    X, y, u = small_images
    X8 = (X * 255).astype(np.uint8)
    s8 = SRAAL(n_iter=2, latent_dim=4, random_state=0).fit(X8, y, uncertainty=u).score_samples(X8)
    s64 = SRAAL(n_iter=2, latent_dim=4, random_state=0).fit(
        X8.astype(np.float64), list(y), uncertainty=list(u)).score_samples(X8.tolist())
    np.testing.assert_allclose(s8, s64, rtol=1e-5)


@pytest.mark.parametrize("y_kind, match", [("all_unlabeled", "no labeled rows"),
                                           ("none_unlabeled", "no unlabeled rows"),
                                           ("short", "one label per row")])
def test_sraal_fit_rejects_bad_y(small_images, y_kind, match):
    X, y, u = small_images
    bad = {"all_unlabeled": -np.ones(60, int), "none_unlabeled": np.zeros(60, int),
           "short": y[:10]}[y_kind]
    with pytest.raises(ValueError, match=match):
        SRAAL(n_iter=1).fit(X, bad, uncertainty=u)


def test_sraal_fit_rejects_bad_uncertainty(small_images):
    X, y, u = small_images
    with pytest.raises(ValueError, match="uncertainty is required"):
        SRAAL(n_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="uncertainty"):
        SRAAL(n_iter=1).fit(X, y, uncertainty=u[:5])
    with pytest.raises(ValueError, match="uncertainty"):
        SRAAL(n_iter=1).fit(X, y, uncertainty=u * 3)
    with pytest.raises(ValueError, match="n_iter"):
        SRAAL(n_iter=0).fit(X, y, uncertainty=u)
    with pytest.raises(ValueError, match="relabel"):
        SRAAL(relabel="nope").fit(X, y, uncertainty=u)


def test_sraal_score_rejects_mismatched_shape(small_images):
    X, y, u = small_images
    m = SRAAL(n_iter=1, latent_dim=4).fit(X, y, uncertainty=u)
    with pytest.raises(ValueError, match="shape"):
        m.score_samples(np.zeros((3, 1, 9, 9)))
    with pytest.raises(ValueError, match="NaN"):
        m.score_samples(np.full((3, 1, 8, 8), np.nan))


def test_sraal_nan_loss_raises_clear_error(small_images):
    X, y, u = small_images
    with pytest.raises(SRAALTrainingError, match="diverged"):
        SRAAL(n_iter=5, latent_dim=4, lr_generator=1e30, lr_discriminator=1e30,
              random_state=0).fit(X * 1e30, y, uncertainty=u)


def test_sraal_warns_when_discriminator_collapses(small_images):
    X, y, u = small_images
    # Labeled target 0 and unlabeled target 0 too: the discriminator learns a constant.
    with pytest.warns(DiscriminatorCollapseWarning, match="constant output"):
        SRAAL(n_iter=200, latent_dim=4, lambda_adv=0.0, lr_discriminator=1e-2,
              random_state=0).fit(X, y, uncertainty=np.zeros(40))


def test_sraal_trains_discriminator_toward_states(small_images):
    """With a state the representation can see (the mean brightness), the
    discriminator's scores follow it: the relabeled state is what it learns.
    (The adversarial term works against this: measured correlation 0.97 with
    lambda_adv=0, 0.70 with 0.1, 0.32 with 1.0 on this data.)"""
    rng = np.random.RandomState(0)
    X = rng.rand(300, 1, 8, 8).astype("float32")
    X[:, 0, :4] *= rng.rand(300, 1, 1)   # brightness of the top half varies
    y = np.r_[rng.randint(0, 2, 60), -np.ones(240, int)]
    state = X[60:, 0, :4].mean(axis=(1, 2))
    state = (state - state.min()) / np.ptp(state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = SRAAL(n_iter=300, latent_dim=8, lambda_adv=0.1, random_state=0).fit(
            X, y, uncertainty=state)
    s = m.score_samples(X[60:])
    assert np.corrcoef(s, state)[0, 1] > 0.5
    assert m.score_samples(X[:60]).mean() < s.mean()    # labeled rows look labeled


def test_sraal_verbose_shows_progress_bar(small_images, capsys):
    X, y, u = small_images
    SRAAL(n_iter=10, latent_dim=4, random_state=0, verbose=1,
          discriminator_refit_steps=20).fit(X, y, uncertainty=u)
    err = capsys.readouterr().err
    assert "SRAAL" in err and "/30" in err and "disc=" in err
    assert "track=" in err and "sep=" in err             # the diagnostics, live


def _visible_state_data(n_lab=60, n=300):
    """Images whose relabeled state (top-half brightness) the encoder can see."""
    rng = np.random.RandomState(0)
    X = rng.rand(n, 1, 8, 8).astype("float32")
    X[:, 0, :4] *= rng.rand(n, 1, 1)
    y = np.r_[rng.randint(0, 2, n_lab), -np.ones(n - n_lab, int)]
    state = X[n_lab:, 0, :4].mean(axis=(1, 2))
    return X, y, (state - state.min()) / np.ptp(state)


def test_discriminator_refit_raises_tracking():
    """The refit on frozen codes passes the states on to the discriminator's
    ranking: same adversarial phase, tracking before and after."""
    X, y, state = _visible_state_data()
    common = dict(n_iter=20, latent_dim=8, lambda_adv=1.0, n_iter_no_change=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = SRAAL(discriminator_refit_steps=0, **common).fit(X, y, uncertainty=state)
        after = SRAAL(discriminator_refit_steps=400, **common).fit(X, y, uncertainty=state)
    assert after.tracking_ > before.tracking_ + 0.1
    assert after.tracking_ > 0.8
    # tracking_ is what it says: Spearman between scores and states on the unlabeled rows
    assert after.tracking_ == pytest.approx(state_tracking(after.score_samples(X[60:]), state),
                                            abs=1e-6)


def test_early_stop_on_plateau_and_full_length_without_it(small_images):
    X, y, u = small_images
    # Random states on 40 rows: the tracking plateaus long before 400 iterations.
    stopped = SRAAL(n_iter=400, latent_dim=4, discriminator_refit_steps=0, random_state=0,
                    n_iter_no_change=2, tol=0.05).fit(X, y, uncertainty=u)
    assert stopped.n_iter_last_ < 400
    full = SRAAL(n_iter=30, latent_dim=4, discriminator_refit_steps=0, random_state=0,
                 n_iter_no_change=None).fit(X, y, uncertainty=u)
    assert full.n_iter_last_ == 30


def test_poor_tracking_warns(small_images, monkeypatch):
    X, y, u = small_images
    # States unrelated to the images and no refit: the ranking follows them
    # poorly; the threshold is raised so the warning does not hang on one seed's level.
    import modal_sraal.diagnostics as diagnostics_module

    monkeypatch.setattr(diagnostics_module, "POOR_TRACKING", 0.95)
    with pytest.warns(PoorTrackingWarning, match="Spearman") as record:
        m = SRAAL(n_iter=30, latent_dim=4, discriminator_refit_steps=0, n_iter_no_change=None,
                  random_state=0).fit(X, y, uncertainty=u)
    assert m.tracking_ < 0.95
    assert f"Spearman {m.tracking_:.2f}" in str(record[0].message)
    # a weak target's uncertainty can be uninformative whatever the fit: the message
    # says to measure against random sampling (0.16-0.21: science-patches)
    assert "compare against random_query" in str(record[0].message)


def test_state_metrics():
    assert state_tracking([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 5]) == pytest.approx(1.0)
    assert np.isnan(state_tracking([0.1, 0.2, 0.3], [1, 1, 1]))      # binary state: undefined
    assert state_separation([0.1, 0.2], [0.3, 0.4]) == 1.0
    assert state_separation([0.3, 0.4], [0.1, 0.2]) == 0.0


def test_vaal_converges_on_separation(small_images):
    X, y, _ = small_images
    m = SRAAL(relabel="binary", use_stl=False, n_iter=20, latent_dim=4,
              discriminator_refit_steps=50, random_state=0).fit(X, y)
    assert np.isnan(m.tracking_) and np.isnan(m.stl_accuracy_)
    assert m.separation_ > 0.5


def test_stl_learns_labels_at_default_weight():
    """lambda_stl=5 (the default) lets the STL fit the labeled rows; the
    measured STL accuracy is the classifier's on the labeled rows."""
    X, y, state = _visible_state_data()
    y[:60] = (X[:60, 0, :4].mean(axis=(1, 2)) > np.median(X[:60, 0, :4].mean(axis=(1, 2))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = SRAAL(n_iter=60, latent_dim=8, n_iter_no_change=None, discriminator_refit_steps=0,
                  random_state=0).fit(X, y, uncertainty=state)
        weak = SRAAL(n_iter=60, latent_dim=8, n_iter_no_change=None, discriminator_refit_steps=0,
                     lambda_stl=0.0, random_state=0).fit(X, y, uncertainty=state)
    assert m.stl_accuracy_ > 0.85 and m.stl_accuracy_ > weak.stl_accuracy_


def test_paper_config_and_batchnorm(small_images):
    X, y, u = small_images
    m = SRAAL.paper_config(n_iter=3, latent_dim=4, width=8, batch_size=16, random_state=0)
    assert (m.lambda_adv, m.lambda_stl, m.beta, m.lr_decay, m.warm_start, m.batchnorm) == \
        (0.2, 0.5, 0.2, 0.85, False, True)
    assert m.discriminator_refit_steps == 0 and m.n_iter_no_change is None
    m.fit(X, y, uncertainty=u)
    assert m.n_iter_last_ == 3
    assert any(isinstance(l, torch.nn.BatchNorm2d) for l in m.generator_.module_.modules())
    assert SRAAL.paper_config().n_iter == 20000
