"""The training loop's named parts: phases, runner, hooks, budget, the fit_transform contract."""
import inspect

import numpy as np
import pytest
import torch

from modal_sraal import SRAAL, SRAALTrainingError
from modal_sraal.benchmark import Registry
from modal_sraal.budget import (
    AUTO_ITER_MAX, AUTO_ITER_MIN, REFIT_V03, auto_n_iter, resolve_budget,
)
from modal_sraal.training import (
    LRSchedule, Phase, PlateauStop, TimeBudget, TrainingHook, check_interval, run_phase,
)


class CountingPhase(Phase):
    """A phase whose check reports a scripted tracking value."""

    name = "adversarial"

    def __init__(self, n_steps, tracking, net=None):
        super().__init__(model=None, n_steps=n_steps, rng=np.random.RandomState(0))
        self.tracking = list(tracking)
        self.nets = (net,) if net is not None else ()
        self.start_lrs = (0.1,) if net is not None else ()
        self.checks = 0

    def step(self):
        return {"loss": 1.0, "disc_loss": 1.0}

    def check(self, step, losses):
        value = self.tracking[min(self.checks, len(self.tracking) - 1)]
        self.checks += 1
        return {"phase": self.name, "iter": step + 1, "tracking": value, "separation": 0.5,
                **losses}


def test_check_interval_about_twenty_checks_at_least_ten_steps_apart():
    assert [check_interval(n) for n in (5, 200, 1000)] == [10, 10, 50]


def test_plateau_stop_ends_a_phase_after_patience_checks_without_progress():
    phase = CountingPhase(1000, tracking=[0.1, 0.5, 0.50, 0.505, 0.509, 0.9])
    steps = run_phase(phase, [PlateauStop(patience=3, tol=0.01)])
    assert steps == 5 * phase.check_every        # best 0.5 at check 2, stale at 3, 4, 5
    none = CountingPhase(100, tracking=[0.5])
    assert run_phase(none, [PlateauStop(patience=None, tol=0.01)]) == 100


def test_hooks_see_every_event_in_order_and_later_hooks_get_the_stop_decision():
    events = []

    class Recorder(TrainingHook):
        def on_phase_begin(self, phase):
            events.append("begin")

        def on_step_end(self, phase, step, losses):
            events.append("step")

        def on_check(self, phase, entry, stop):
            events.append(("check", stop))
            return stop

        def on_phase_end(self, phase):
            events.append("end")

    class StopNow(TrainingHook):
        def on_check(self, phase, entry, stop):
            return True

    phase = CountingPhase(100, tracking=[0.1])
    assert run_phase(phase, [StopNow(), Recorder()]) == phase.check_every
    assert events[0] == "begin" and events[-1] == "end"
    assert events.count("step") == phase.check_every and ("check", True) in events


def test_lr_schedule_resets_then_decays_every_thirtieth_through_steplr():
    net = type("Net", (), {})()
    param = torch.nn.Parameter(torch.zeros(1))
    net.optimizer_ = torch.optim.Adam([param], lr=5.0)
    phase = CountingPhase(60, tracking=[0.1])
    phase.nets, phase.start_lrs = (net,), (0.1,)
    schedule = LRSchedule(lr_decay=0.5)
    seen = []

    class Watch(TrainingHook):
        def on_step_end(self, phase, step, losses):
            seen.append(net.optimizer_.param_groups[0]["lr"])

    param.grad = torch.zeros(1)
    # StepLR warns if it steps before the optimizer: step the optimizer each step too.
    class OptStep(TrainingHook):
        def on_step_end(self, phase, step, losses):
            net.optimizer_.step()

    run_phase(phase, [OptStep(), schedule, Watch()])
    assert seen[0] == pytest.approx(0.1)                 # reset from 5.0 to the start rate
    assert seen[1] == pytest.approx(0.05)                # halved every 60 // 30 = 2 steps
    assert seen[-1] == pytest.approx(0.1 * 0.5 ** 30)


def test_time_budget_stops_at_the_first_step_past_its_share():
    phase = CountingPhase(10_000, tracking=[0.1])
    budget = TimeBudget(max_seconds=1e-9)
    budget.on_train_begin(None, None)
    assert run_phase(phase, [budget]) == 1               # stopped after its first step


def test_divergence_guard_names_the_phase(small_images):
    X, y, u = small_images
    with pytest.raises(SRAALTrainingError, match="diverged"):
        SRAAL(n_iter=5, latent_dim=4, lr_generator=1e12, lr_discriminator=1e12,
              random_state=0).fit(X * 1e30, y, uncertainty=u)


def test_auto_budget_follows_the_rows_one_per_30_cold_half_of_one_per_20_warm():
    assert auto_n_iter(100, warm=False) == AUTO_ITER_MIN
    assert auto_n_iter(10 ** 7, warm=False) == AUTO_ITER_MAX
    assert auto_n_iter(3000, warm=False) == 100 and auto_n_iter(3000, warm=True) == 75
    assert auto_n_iter(3000, warm=False, per_row=1 / 20) == 150   # the cold fit up to 0.8
    b = resolve_budget(SRAAL(), 300, 2700, warm=False)
    assert (b.n_iter, b.refit_steps, b.batch_size, b.refit_batch_size) == (100, 633, 32, 256)
    assert resolve_budget(SRAAL(), 300, 2700, warm=False, cold_iter_per_row=1 / 20).n_iter == 150
    assert resolve_budget(SRAAL(), 300, 2700, warm=True, cold_iter_per_row=1 / 20).n_iter == 75
    assert b.refit_standardize and not b.refit_plateau_stop and b.refit_lr_factor == 10.0
    assert resolve_budget(SRAAL(), 300, 10 ** 6, warm=False).refit_steps == 1000
    v03 = resolve_budget(SRAAL(), 300, 2700, warm=False, refit_rule=REFIT_V03)
    assert (v03.refit_steps, v03.refit_batch_size, v03.refit_lr_factor) == (500, 128, 3.0)
    assert v03.refit_plateau_stop and not v03.refit_standardize
    small = resolve_budget(SRAAL(), 50, 450, warm=False)     # 60 passes over 450 rows
    assert (small.n_iter, small.refit_steps) == (40, 106)
    assert resolve_budget(SRAAL(), 5, 40, warm=False).refit_steps == 100
    explicit = resolve_budget(SRAAL(n_iter=7, discriminator_refit_steps=3, batch_size=5), 10, 90,
                              warm=True)
    assert (explicit.n_iter, explicit.refit_steps, explicit.batch_size) == (7, 3, 5)
    assert not explicit.refit_fresh_optimizer and explicit.refit_lr_factor == 1.0


def test_fit_uses_the_auto_budget_and_records_it(small_images):
    X, y, u = small_images
    m = SRAAL(latent_dim=4, n_iter_no_change=None, random_state=0, warm_start=True)
    m.fit(X, y, uncertainty=u)
    assert m.budget_.n_iter == AUTO_ITER_MIN == m.n_iter_last_
    assert m.refit_steps_ == m.budget_.refit_steps
    m.fit(X, y, uncertainty=u)                           # warm: half the cold budget
    assert m.n_iter_last_ == AUTO_ITER_MIN // 2
    hidden = [l.out_features for l in m.discriminator_.module_.modules()
              if isinstance(l, torch.nn.Linear)]
    assert hidden == [128, 128, 1]


def test_max_seconds_caps_the_training(small_images):
    X, y, u = small_images
    m = SRAAL(n_iter=100_000, discriminator_refit_steps=100_000, n_iter_no_change=None,
              latent_dim=4, max_seconds=0.5, random_state=0).fit(X, y, uncertainty=u)
    assert m.n_iter_last_ < 100_000 and m.refit_steps_ < 100_000
    assert m.fit_seconds_ < 5
    with pytest.raises(ValueError, match="max_seconds"):
        SRAAL(max_seconds=-1).fit(X, y, uncertainty=u)
    with pytest.raises(ValueError, match="n_iter must be an integer >= 1 or 'auto'"):
        SRAAL(n_iter="many").fit(X, y, uncertainty=u)
    with pytest.raises(ValueError, match="discriminator_hidden"):
        SRAAL(discriminator_hidden="wide").fit(X, y, uncertainty=u)


def test_fit_transform_returns_the_codes_transform_gives(small_images):
    X, y, u = small_images
    m = SRAAL(n_iter=5, latent_dim=4, random_state=0)
    Z = m.fit_transform(X, y, uncertainty=u)
    assert Z.shape == (60, 8) and Z.dtype == np.float32
    np.testing.assert_allclose(Z, m.transform(X), rtol=1e-5, atol=1e-6)
    assert m.n_features_in_ == 64


def test_same_seed_same_fit_twice_different_seed_differs(small_images):
    X, y, u = small_images

    def scores(seed):
        return SRAAL(n_iter=5, latent_dim=4, random_state=seed).fit(X, y, uncertainty=u) \
            .score_samples(X)

    np.testing.assert_array_equal(scores(3), scores(3))
    assert not np.array_equal(scores(3), scores(4))


def test_foreach_adam_changes_no_number_of_a_fit(default_fit_twice, monkeypatch):
    # ADAM_FOREACH only batches the update's ops: a default fit (both phases, warm start
    # included) gives the same scores, bit for bit, with the single-tensor update.
    import modal_sraal.sraal as sraal_module

    fast = default_fit_twice(1)
    assert all(net.optimizer_.defaults["foreach"] for net in (fast[2].generator_,
                                                              fast[2].discriminator_))
    monkeypatch.setattr(sraal_module, "ADAM_FOREACH", False)
    plain = default_fit_twice(1)
    assert not plain[2].discriminator_.optimizer_.defaults["foreach"]
    np.testing.assert_array_equal(fast[0], plain[0])
    np.testing.assert_array_equal(fast[1], plain[1])


def test_registry_extends_without_editing_globals():
    reg = Registry("method", {"a": 1})
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", 2)
    with reg.registered("b", 2):
        assert reg["b"] == 2 and "b" in reg
    assert "b" not in reg
    with pytest.raises(ValueError, match="unknown method 'b'"):
        reg["b"]


def test_rescale_inputs_keeps_the_discriminator_function_and_standardizes_its_input():
    from modal_sraal._networks import DiscriminatorModule
    torch.manual_seed(0)
    d = DiscriminatorModule(6, hidden=(8,))
    z = torch.randn(50, 6) * torch.tensor([0.05, 0.1, 1.0, 3.0, 0.5, 2.0]) + 4.0
    before = d(z)
    d.rescale_inputs(z.mean(0), z.std(0))
    torch.testing.assert_close(d(z), before, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(d.input_shift, z.mean(0))
    d.rescale_inputs(torch.zeros(6), torch.ones(6))          # and back: still the same function
    torch.testing.assert_close(d(z), before, atol=1e-5, rtol=1e-5)


def test_pooled_moments_equal_those_of_the_stacked_blocks(monkeypatch):
    from modal_sraal.training import _pooled_moments
    rng = np.random.RandomState(0)
    a, b = rng.randn(7, 3).astype(np.float32) * 2 + 1, rng.randn(30, 3).astype(np.float32)
    mean, std = _pooled_moments(a, b)
    stacked = np.concatenate([a, b])
    monkeypatch.setattr("modal_sraal.training.MOMENT_CHUNK", 4)   # several chunks per block
    np.testing.assert_allclose(_pooled_moments(a, b)[1].numpy(), stacked.std(0), rtol=1e-5)
    np.testing.assert_allclose(mean.numpy(), stacked.mean(0), rtol=1e-5)
    np.testing.assert_allclose(std.numpy(), stacked.std(0), rtol=1e-5)


def test_refit_without_plateau_stop_runs_its_whole_budget():
    phase = CountingPhase(200, tracking=[0.5])
    phase.plateau_stop = False          # what RefitPhase sets from budget_.refit_plateau_stop
    assert run_phase(phase, [PlateauStop(patience=1, tol=0.01)]) == 200
    phase.plateau_stop = True
    assert run_phase(phase, [PlateauStop(patience=1, tol=0.01)]) < 200


def test_reset_weights_draws_new_weights_at_the_given_level_and_keeps_the_standardization():
    from modal_sraal._networks import DiscriminatorModule
    torch.manual_seed(0)
    d = DiscriminatorModule(6, hidden=(16, 16))
    z = torch.randn(400, 6) * 3 + 2
    d.rescale_inputs(z.mean(0), z.std(0))
    first = d.net[0].weight.clone()
    d.reset_weights(output_rate=0.02)
    assert not torch.equal(d.net[0].weight, first)
    torch.testing.assert_close(d.input_shift, z.mean(0))             # still standardized
    assert d.net[-1].bias.item() == pytest.approx(np.log(0.02 / 0.98), rel=1e-6)
    # fresh weights, output bias at the level: the mean prediction sits near 2%, not 50%
    assert 0.005 < torch.sigmoid(d(z)).mean().item() < 0.08
    d.reset_weights()                                               # default bias draw
    assert abs(d.net[-1].bias.item()) < 1.0


def test_default_refit_resets_and_lengthens_only_warm_fits():
    import dataclasses
    from modal_sraal.budget import AUTO_REFIT, REFIT_V04
    cold = resolve_budget(SRAAL(), 300, 2700, warm=False)
    warm = resolve_budget(SRAAL(), 300, 2700, warm=True)
    assert not cold.refit_reset and warm.refit_reset and warm.refit_reset_level
    assert (cold.refit_steps, warm.refit_steps) == (633, 950)       # 60 and 90 passes of 256
    assert resolve_budget(SRAAL(), 300, 10 ** 6, warm=True).refit_steps == 1500
    v04 = resolve_budget(SRAAL(), 300, 2700, warm=True, refit_rule=REFIT_V04)
    assert not v04.refit_reset and v04.refit_steps == 633
    every_row = dataclasses.replace(REFIT_V04, passes_over="all")
    assert resolve_budget(SRAAL(), 300, 2700, warm=False, refit_rule=every_row).refit_steps == 704
    reset_all = dataclasses.replace(AUTO_REFIT, reset_cold=True)
    assert resolve_budget(SRAAL(), 300, 2700, warm=False, refit_rule=reset_all).refit_reset
    from modal_sraal.budget import REFIT_V05
    assert cold.refit_keep_better and warm.refit_keep_better      # 0.6: keep the better one
    v05 = resolve_budget(SRAAL(), 300, 2700, warm=True, refit_rule=REFIT_V05)
    assert not v05.refit_keep_better and v05.refit_steps == warm.refit_steps


def test_a_warm_refit_starts_from_fresh_weights_at_the_states_level(small_images):
    X, y, u = small_images
    seen = []

    class Spy(TrainingHook):
        def on_phase_begin(self, phase):
            if phase.name == "refit":   # after RefitPhase's set-up: the weights it starts from
                seen.append(phase.model.discriminator_.module_.net[-1].bias.item())

    m = SRAAL(n_iter=4, latent_dim=4, warm_start=True, random_state=0)
    m.training_hooks = lambda: SRAAL.training_hooks(m) + [Spy()]
    m.fit(X, y, uncertainty=u)
    assert not m.budget_.refit_reset                                 # cold: no reset
    m.fit(X, y, uncertainty=u)                                       # warm: reset at the refit
    assert m.budget_.refit_reset
    from modal_sraal.uncertainty import relabeled_states
    states = relabeled_states(u, m.relabel, y == -1)
    nl, nu = int((y != -1).sum()), int((y == -1).sum())              # batches: all 20 + all 40
    rate = nu * float(np.mean(states)) / (nl + nu)
    assert seen[1] == pytest.approx(np.log(rate / (1 - rate)), rel=1e-5)
    assert seen[0] != pytest.approx(seen[1])
    assert np.isfinite(m.tracking_)


def test_a_refit_that_tracks_worse_is_undone(small_images):
    import torch
    from modal_sraal.budget import REFIT_V05
    X, y, u = small_images
    before = {}

    class Sabotage(TrainingHook):
        def on_phase_end(self, phase):
            disc = phase.model.discriminator_
            if phase.name == "adversarial":   # what the refit starts from
                before["weights"] = {k: v.clone() for k, v in disc.module_.state_dict().items()}
                before["optimizer"] = disc.optimizer_
            else:                              # a refit that ranks nothing: constant scores
                for p in disc.module_.parameters():
                    p.data.zero_()

    m = SRAAL(n_iter=4, latent_dim=4, random_state=0)
    m.training_hooks = lambda: SRAAL.training_hooks(m) + [Sabotage()]
    m.fit(X, y, uncertainty=u)
    assert m.budget_.refit_keep_better and m.refit_kept_ is False
    restored = m.discriminator_.module_.state_dict()
    assert all(torch.equal(restored[k], v) for k, v in before["weights"].items())
    assert m.discriminator_.optimizer_ is before["optimizer"]
    assert np.isfinite(m.tracking_) and m.score_std_ > 0
    # 0.5's rule keeps whatever the refit left: here a constant discriminator
    from modal_sraal.diagnostics import DiscriminatorCollapseWarning
    m5 = SRAAL(n_iter=4, latent_dim=4, random_state=0)
    m5.refit_rule = REFIT_V05
    m5.training_hooks = lambda: SRAAL.training_hooks(m5) + [Sabotage()]
    with pytest.warns(DiscriminatorCollapseWarning):
        m5.fit(X, y, uncertainty=u)
    assert m5.refit_kept_ is True and m5.score_std_ == 0 and np.isnan(m5.tracking_)


def test_draw_rows_matches_choice_on_small_pools_and_is_uniform_above_the_threshold(monkeypatch):
    from modal_sraal import training
    from modal_sraal.training import draw_rows
    small = draw_rows(np.random.RandomState(3), 5000, 64)
    np.testing.assert_array_equal(small, np.random.RandomState(3).choice(5000, 64, replace=False))
    monkeypatch.setattr(training, "FAST_DRAW_ROWS", 100)     # the large-pool path on 1,000 rows
    rng = np.random.RandomState(0)
    counts = np.zeros(1000)
    for _ in range(2000):
        rows = draw_rows(rng, 1000, 200)
        assert len(np.unique(rows)) == 200 and rows.min() >= 0 and rows.max() < 1000
        counts[rows] += 1
    # every row drawn about 2000 * 200 / 1000 = 400 times (sd 18): no row favoured
    assert abs(counts.mean() - 400) < 1e-9 and counts.min() > 320 and counts.max() < 480
    assert len(draw_rows(rng, 1000, 600)) == 600                 # more than half: choice's path


def test_a_fit_on_the_large_pool_draws_is_reproducible(small_images, monkeypatch):
    from modal_sraal import training
    monkeypatch.setattr(training, "FAST_DRAW_ROWS", 10)      # every batch through the O(batch) path
    X, y, u = small_images
    fits = [SRAAL(n_iter=6, latent_dim=4, batch_size=8, random_state=0).fit(X, y, uncertainty=u)
            for _ in range(2)]
    np.testing.assert_array_equal(fits[0].score_samples(X[20:]), fits[1].score_samples(X[20:]))
    assert np.isfinite(fits[0].tracking_)


def test_v08_defaults_differ_from_todays_only_in_a_cold_fits_iterations():
    from modal_sraal.sraal import default_sraal, sraal_v08

    X = np.zeros((1347, 1, 8, 8), dtype=np.float32)
    new, old = default_sraal(X, random_state=0), sraal_v08(X, random_state=0)
    assert new.get_params() == old.get_params()
    for n_lab, n_unl, warm in [(135, 1212, False), (202, 1145, True), (300, 9700, False)]:
        b_new, b_old = new.budget(n_lab, n_unl, warm), old.budget(n_lab, n_unl, warm)
        assert b_new.refit_steps == b_old.refit_steps
        if warm:
            assert b_new == b_old
        else:   # one iteration per 30 rows against one per 20
            assert b_new.n_iter == auto_n_iter(n_lab + n_unl, False) < b_old.n_iter \
                == auto_n_iter(n_lab + n_unl, False, per_row=1 / 20)


def _params_but(model, name):
    """``model.get_params()`` without ``name``: what two methods must share."""
    return {k: v for k, v in model.get_params().items() if k != name}


#: Benchmark methods defined on 0.14's defaults (tune15-17, tune22, tune22b, tune23, tune24; the
#: diagnostics of 0.19 and 0.21; sraal_v021, 0.14-0.21's defaults).
AFTER_014 = ("sraal_central", "sraal_refit40", "sraal_d64", "sraal_topk14", "sraal_typical",
            "sraal_cand20_v22", "sraal_widen_v22", "sraal_v021", "sraal_widen80_v23",
            "sraal_cover_v24")


def test_benchmark_methods_keep_the_defaults_they_were_published_with():
    # 'sraal' is what a user gets; every other SRAAL-family method was defined on
    # 0.8's (or earlier) defaults and keeps their cold fit.
    from modal_sraal.benchmark.methods import METHODS

    X = np.zeros((1212, 1, 8, 8), dtype=np.float32)

    def cold_iters(name):
        return METHODS[name](0, X, "cpu").sraal.budget(135, 1212, warm=False).n_iter

    assert cold_iters("sraal") == cold_iters("sraal_cold30_v08") == 45
    for name in ("sraal_v08", "sraal_v06", "sraal_v05", "sraal_auto", "oui_diverse",
                 "sraal_refit_cold40_v08", "sraal_level_cold40"):
        assert cold_iters(name) == 67, name
    # every registered method builds; only 0.10's defaults resume the adversary
    # (sraal and sraal_v013, sraal_resume_adv, the tune10/tune11 candidate they came from,
    # sraal_bf16, those defaults in bfloat16, and tune13's sraal_recon*); with
    # warm_start=False (sraal_paper) every fit is cold and nothing is resumed
    from modal_sraal.training import ResumeAdversary

    bf16, plain = METHODS["sraal_bf16"](0, X, "cpu").sraal, METHODS["sraal"](0, X, "cpu").sraal
    assert bf16.precision == "bfloat16" and plain.precision == "float32"
    assert _params_but(bf16, "precision") == _params_but(plain, "precision")

    for name, make in METHODS.items():
        model = make(0, X, "cpu").sraal
        if model is not None:
            resumes = model.warm_start and any(isinstance(h, ResumeAdversary)
                                               for h in model.training_hooks())
            assert resumes == (name in ("sraal", "sraal_v013", "sraal_resume_adv", "sraal_bf16")
                               or name in AFTER_014 or name.startswith("sraal_recon")), name
    # tune13's candidates: today's SRAAL, queried with a reconstruction weight; the
    # last one is 0.14's default, so sraal (sraal_query's own defaults) picks as it does
    from modal_sraal.query import sraal_query

    defaults = {k: p.default for k, p in inspect.signature(sraal_query).parameters.items()}
    assert (defaults["reconstruction_power"], defaults["reconstruction_tolerance"]) == (2.0, 2.0)
    for name, power, tolerance in (("sraal_recon", 1.0, 1.0), ("sraal_recon2", 2.0, 1.0),
                                   ("sraal_recon2_t15", 2.0, 1.5), ("sraal_recon2_t2", 2.0, 2.0)):
        method = METHODS[name](0, X, "cpu")
        assert method.sraal.get_params() == plain.get_params()
        assert method.strategy.keywords["reconstruction_power"] == power
        assert method.strategy.keywords["reconstruction_tolerance"] == tolerance
    # every other SRAAL-family method was published without the weight and keeps it off
    for name, make in METHODS.items():
        strategy = make(0, X, "cpu").strategy
        if getattr(strategy, "func", None) is sraal_query and name not in ("sraal", *AFTER_014) \
                and not name.startswith("sraal_recon"):
            assert strategy.keywords["reconstruction_power"] == 0.0, name
    assert "reconstruction_power" not in METHODS["sraal"](0, X, "cpu").strategy.keywords
    # the candidates after 0.14 change one thing each on 0.14's defaults
    central, refit40 = METHODS["sraal_central"](0, X, "cpu"), METHODS["sraal_refit40"](0, X, "cpu")
    assert central.strategy.keywords == {"sraal": central.sraal, "cluster_pick": "central",
                                         "poor_tracking_candidates": None}
    assert central.sraal.get_params() == refit40.sraal.get_params() == plain.get_params()
    assert "cluster_pick" not in refit40.strategy.keywords
    # a third fewer refit passes: 60 -> 40 cold, 90 -> 60 warm (ceil(passes * 1212 / 256) steps)
    for warm, steps, fewer in ((False, 285, 190), (True, 427, 285)):
        assert plain.budget(135, 1212, warm).refit_steps == steps
        assert refit40.sraal.budget(135, 1212, warm).refit_steps == fewer
    # tune17: a 2 x 64 discriminator, in both phases; nothing else changes
    d64 = METHODS["sraal_d64"](0, X, "cpu")
    assert d64.sraal.discriminator_hidden == (64, 64) and plain.discriminator_hidden == "auto"
    assert _params_but(d64.sraal, "discriminator_hidden") == \
        _params_but(plain, "discriminator_hidden")
    assert d64.strategy.keywords == {"sraal": d64.sraal, "poor_tracking_candidates": None}
    # 0.19's diagnostic: 0.14's fit, the paper's top-K, no reconstruction weight
    topk = METHODS["sraal_topk14"](0, X, "cpu")
    assert topk.sraal.get_params() == plain.get_params()
    assert topk.strategy.keywords == {"sraal": topk.sraal, "selection": "topk",
                                      "reconstruction_power": 0.0, "poor_tracking_candidates": None}
    # tune22: 0.14's fit, twice the default's candidates per pick; nothing else changes
    wide = METHODS["sraal_cand20_v22"](0, X, "cpu")
    assert inspect.signature(sraal_query).parameters["candidates"].default == 10.0
    assert wide.sraal.get_params() == plain.get_params()
    assert wide.strategy.keywords == {"sraal": wide.sraal, "candidates": 20.0,
                                      "poor_tracking_candidates": None}
    # tune22b: the same width, only where the discriminator tracks poorly
    widen = METHODS["sraal_widen_v22"](0, X, "cpu")
    assert widen.sraal.get_params() == plain.get_params()
    assert widen.strategy.keywords == {"sraal": widen.sraal, "poor_tracking_candidates": 20.0,
                                       "poor_tracking_below": 0.6}
    # tune23: the same widening from a tracking of 0.8
    widen80 = METHODS["sraal_widen80_v23"](0, X, "cpu")
    assert widen80.sraal.get_params() == plain.get_params()
    assert widen80.strategy.keywords == {"sraal": widen80.sraal, "poor_tracking_candidates": 20.0,
                                         "poor_tracking_below": 0.8}
    # 0.22 made tune22b's candidate the default: sraal queries as a user does, every other
    # method as it was published (never widened), sraal_v021 being 0.14-0.21's defaults
    assert inspect.signature(sraal_query).parameters["poor_tracking_candidates"].default == 20.0
    assert inspect.signature(sraal_query).parameters["poor_tracking_below"].default == 0.6
    today = METHODS["sraal"](0, X, "cpu")
    assert list(today.strategy.keywords) == ["sraal"]
    v021 = METHODS["sraal_v021"](0, X, "cpu")
    assert v021.sraal.get_params() == plain.get_params()
    assert v021.strategy.keywords == {"sraal": v021.sraal, "poor_tracking_candidates": None}
    for name, make in METHODS.items():
        strategy = make(0, X, "cpu").strategy
        if getattr(strategy, "func", None) is sraal_query and name not in (
                "sraal", "sraal_widen_v22", "sraal_widen80_v23"):
            assert strategy.keywords["poor_tracking_candidates"] is None, name


@pytest.mark.parametrize("state, weak", [(0.8, True), (0.2, False)])
def test_tune9_candidate_takes_08s_cold_fit_only_on_a_weak_targets_states(state, weak):
    # sraal_weakcold: one iteration per 20 rows in a cold fit when the states average above
    # 0.5, else 0.9's one per 30; a warm fit as 0.9's; the class's rate is left as it was.
    from modal_sraal.benchmark.methods import METHODS, _WeakColdSRAAL

    rng = np.random.RandomState(0)
    X = rng.rand(1347, 1, 8, 8).astype(np.float32)
    y = np.r_[rng.randint(0, 3, 135), -np.ones(1212, dtype=int)]
    states = np.clip(state + rng.uniform(-0.1, 0.1, 1212), 0, 1)
    model = METHODS["sraal_weakcold"](0, X[135:], "cpu").sraal.set_params(max_seconds=0.01)
    model.fit(X, y, uncertainty=states)
    assert model.budget_.n_iter == (67 if weak else 45)
    assert "cold_iter_per_row" not in vars(model)
    assert _WeakColdSRAAL.cold_iter_per_row == SRAAL.cold_iter_per_row
    model.fit(X, y, uncertainty=states)
    assert model.budget_.n_iter == 34


class _PhaseWeights(TrainingHook):
    """Records the discriminator's first-layer weights at each phase's start and end."""

    def __init__(self, seen):
        self.seen = seen

    def _record(self, phase, when):
        weight = phase.model.discriminator_.module_.net[0].weight.detach().clone()
        self.seen.append((phase.name, when, weight))

    def on_phase_begin(self, phase):
        self._record(phase, "begin")

    def on_phase_end(self, phase):
        self._record(phase, "end")


@pytest.mark.parametrize("resume", [True, False])
def test_warm_adversarial_phase_resumes_its_own_discriminator(resume):
    # 0.10: a warm adversarial phase starts from the discriminator the last adversarial
    # phase ended with, not from the refit's (which still scores the pool);
    # 0.9 (sraal_v09) continues from the refit's.
    import pickle

    from modal_sraal.sraal import _V09SRAAL

    seen = []
    base = SRAAL if resume else _V09SRAAL

    class Probed(base):
        def training_hooks(self):
            return super().training_hooks() + [_PhaseWeights(seen)]

    rng = np.random.RandomState(0)
    X = rng.rand(300, 12).astype(np.float32)
    y = np.r_[rng.randint(0, 3, 60), -np.ones(240, dtype=int)]
    states = rng.uniform(0, 1, 240)
    model = Probed(n_iter=8, warm_start=True, random_state=0)
    model.fit(X, y, uncertainty=states)
    _, a_end, _, r_end = [w for _, _, w in seen]
    assert [p for p, _, _ in seen] == ["adversarial", "adversarial", "refit", "refit"]
    assert not torch.equal(a_end, r_end)                 # the refit moved the scorer
    scorer = model.discriminator_.module_.net[0].weight.detach().clone()
    assert ("adversary_state_" in vars(model)) == resume
    seen.clear()
    model.fit(X, y, uncertainty=states)
    warm_begin = seen[0][2]
    assert seen[0][:2] == ("adversarial", "begin")
    assert torch.equal(warm_begin, a_end if resume else scorer)
    if resume:
        # the snapshot holds the first-layer weights with the scale they were trained on
        snap = model.adversary_state_[0]["net.0.weight"]
        assert torch.equal(snap, seen[1][2])
        plain = base(n_iter=8, warm_start=True, random_state=0).fit(X, y, uncertainty=states)
        again = pickle.loads(pickle.dumps(plain))
        assert torch.equal(again.adversary_state_[0]["net.0.weight"],
                           plain.adversary_state_[0]["net.0.weight"])
    # a rebuild (new latent size) starts cold and never loads the old networks' snapshot
    # (it would not fit the new discriminator's input)
    model.set_params(latent_dim=6).fit(X, y, uncertainty=states)
    assert model.generator_.module_.latent_dim == 6
    if resume:
        assert model.adversary_state_[0]["net.0.weight"].shape[1] == 12


def test_typicality_batch_covers_the_uncovered_clusters_with_their_typical_rows():
    # 0.21's diagnostic: three tight blobs, one already labeled; two picks go to the
    # other two blobs, each the row nearest its blob's centre (where the rows crowd)
    from modal_sraal.benchmark.methods import METHODS, typicality_batch

    rng = np.random.RandomState(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    Z_pool = np.concatenate([c + rng.normal(0, 0.5, (30, 2)) for c in centres])
    Z_lab = centres[:1] + 0.1
    picked = typicality_batch(Z_lab, Z_pool, 2, random_state=0)
    blobs = picked // 30
    assert sorted(blobs) == [1, 2]
    for p, b in zip(picked, blobs):
        blob = Z_pool[30 * b:30 * b + 30]
        near = np.linalg.norm(blob - blob.mean(0), axis=1)
        assert np.argsort(near)[:5].tolist().count(p - 30 * b) == 1
    # its fit is today's SRAAL
    X = np.zeros((1212, 1, 8, 8), dtype=np.float32)
    assert METHODS["sraal_typical"](0, X, "cpu").sraal.get_params() == \
        METHODS["sraal"](0, X, "cpu").sraal.get_params()


@pytest.mark.parametrize("below", [2.0, -1.0])
def test_tune24_candidate_covers_the_representation_only_below_its_tracking_gate(below):
    # sraal_cover_v24: today's query; where the fitted discriminator tracks below the gate,
    # the batch is the greedy k-center cover of the pool in the unified representation,
    # the labeled rows being the first centres (2: always, -1: never)
    from functools import partial

    from modAL.models import ActiveLearner
    from sklearn.linear_model import LogisticRegression

    from modal_sraal.benchmark.methods import METHODS, _cover_when_poor_query
    from modal_sraal.kcenter import kcenter_greedy
    from modal_sraal.query import sraal_query

    rng = np.random.RandomState(0)
    X = rng.rand(120, 6).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(int)
    picks = {}
    for name, strategy in (("cover", partial(_cover_when_poor_query, below=below)),
                           ("today", sraal_query)):
        learner = ActiveLearner(LogisticRegression(), X_training=X[:20], y_training=y[:20])
        model = SRAAL(n_iter=5, random_state=0)
        picks[name] = strategy(learner, X[20:], 7, sraal=model)[0]
        if name == "cover":
            fitted = learner.sraal_
    cover = kcenter_greedy(np.concatenate([fitted.transform(X[:20]), fitted.transform(X[20:])]),
                           7, already_selected=np.arange(20)) - 20
    if below > 1:
        np.testing.assert_array_equal(picks["cover"], cover)
        assert not np.array_equal(np.sort(picks["cover"]), np.sort(picks["today"]))
    else:
        np.testing.assert_array_equal(picks["cover"], picks["today"])
    # the registered candidate fits today's SRAAL
    Xi = np.zeros((1212, 1, 8, 8), dtype=np.float32)
    assert METHODS["sraal_cover_v24"](0, Xi, "cpu").sraal.get_params() == \
        METHODS["sraal"](0, Xi, "cpu").sraal.get_params()
