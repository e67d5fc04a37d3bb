"""SRAAL's training loop as named parts: two phases, one runner, hooks.

The loop has two phases of the same shape (draw a batch, step, check every
few steps, maybe stop):

* :class:`AdversarialPhase`: Eq. 5-7, the generator against the state
  discriminator, batches drawn from the labeled and the unlabeled pool in
  parallel;
* :class:`RefitPhase`: Eq. 5 again, the discriminator alone on the frozen
  unified representations.

:func:`run_phase` drives either one. What cuts across both lives in hooks, in
the spirit of skorch's callbacks: :class:`DivergenceGuard`,
:class:`LRSchedule` (``torch.optim.lr_scheduler.StepLR``),
:class:`TrainingLog`, :class:`PlateauStop`, :class:`ProgressBar`,
:class:`PhaseTimer`, :class:`TimeBudget` and :class:`ResumeAdversary`. A subclass of
:class:`~modal_sraal.SRAAL` adds its own hooks
(:meth:`~modal_sraal.SRAAL.training_hooks`) instead of overriding the loop.
"""
from __future__ import annotations

import copy
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from .diagnostics import PROBE_LABELED, diagnostics, monitored
from .labels import UNLABELED

__all__ = ["TrainingHook", "AdversarialPhase", "RefitPhase", "run_phase", "check_interval",
           "DivergenceGuard", "LRSchedule", "TrainingLog", "PlateauStop", "ProgressBar",
           "PhaseTimer", "TimeBudget", "ResumeAdversary", "SRAALTrainingError"]


class SRAALTrainingError(RuntimeError):
    """Training diverged (a loss became NaN or inf)."""


def check_interval(n_steps: int) -> int:
    """Steps between two checks of a phase of ``n_steps``: about 20 checks, at least 10 steps apart."""
    return max(10, n_steps // 20)


#: Above this many rows a batch is drawn in O(batch) instead of O(rows): ``RandomState.choice``
#: without replacement permutes the whole pool (about 13 ms a draw at a million rows, most
#: of a refit step there). Up to it the draws are those of earlier versions, draw for draw.
FAST_DRAW_ROWS = 200_000


def draw_rows(rng: np.random.RandomState, n: int, size: int) -> np.ndarray:
    """``size`` distinct row indices out of ``n``, uniformly.

    Above :data:`FAST_DRAW_ROWS` rows: draws with replacement, keeping the new
    distinct ones, until ``size`` are in hand (sorted: a pool on disk reads them
    in order); each round draws from the whole range, so every subset is equally likely.
    """
    if n <= FAST_DRAW_ROWS or size > n // 2:
        return rng.choice(n, size, replace=False)
    picked = np.unique(rng.randint(0, n, size=size))
    while len(picked) < size:
        picked = np.union1d(picked, rng.randint(0, n, size=size - len(picked)))
    return picked


def draw_pair(rng: np.random.RandomState, n_lab: int, b_lab: int, n_unl: int, b_unl: int):
    """Row indices of a labeled and an unlabeled batch, drawn in parallel."""
    return draw_rows(rng, n_lab, b_lab), draw_rows(rng, n_unl, b_unl)


class Phase:
    """What :func:`run_phase` needs of a phase; see the two below."""

    name: str = ""
    #: The skorch nets whose optimizers this phase steps (for :class:`LRSchedule`).
    nets: Sequence[Any] = ()
    #: Learning rate of each net at the start of the phase.
    start_lrs: Sequence[float] = ()
    #: Whether :class:`PlateauStop` may end the phase.
    plateau_stop: bool = True

    def __init__(self, model: Any, n_steps: int, rng: np.random.RandomState):
        self.model, self.n_steps, self.rng = model, n_steps, rng
        self.check_every = check_interval(n_steps)

    def step(self) -> Dict[str, float]:  # pragma: no cover - interface
        """One training step; returns its losses (floats)."""
        raise NotImplementedError

    def check(self, step: int, losses: Dict[str, float]) -> Dict[str, Any]:  # pragma: no cover
        """A log entry with the diagnostics after ``step`` (0-based)."""
        raise NotImplementedError

    def is_check(self, step: int) -> bool:
        return (step + 1) % self.check_every == 0 or step + 1 == self.n_steps


class AdversarialPhase(Phase):
    """Eq. 5-7: ``generator_steps`` generator steps, then one discriminator step.

    Each generator step draws a labeled and an unlabeled batch in parallel
    and minimizes Eq. 7 with the adversarial term of Eq. 6 (the
    discriminator is passed to the generator's ``train_step`` as
    ``adversary``); the discriminator then takes one step of Eq. 5 on the
    latent means of the last batch, with soft targets: 0 for labeled rows,
    the relabeled state for unlabeled rows.
    """

    name = "adversarial"

    def __init__(self, model, X_lab, y_lab, X_unl, states, rng, probe_lab, probe_unl):
        super().__init__(model, model.budget_.n_iter, rng)
        self.X_lab, self.y_lab, self.X_unl, self.states = X_lab, y_lab, X_unl, states
        self.probe_lab, self.probe_unl = probe_lab, probe_unl
        self.b_lab = min(model.budget_.batch_size, len(X_lab))
        self.b_unl = min(model.budget_.batch_size, len(X_unl))
        self.zeros = np.zeros(self.b_lab, dtype=np.float32)
        self.nets = (model.generator_, model.discriminator_)
        self.start_lrs = (model.lr_generator, model.lr_discriminator)

    def step(self) -> Dict[str, float]:
        gen, disc, model = self.model.generator_, self.model.discriminator_, self.model
        nl, nu = len(self.X_lab), len(self.X_unl)
        for _ in range(model.generator_steps):
            il, iu = draw_pair(self.rng, nl, self.b_lab, nu, self.b_unl)
            xb = np.concatenate([self.X_lab[il], self.X_unl[iu]])
            yb = np.concatenate([self.y_lab[il], np.full((self.b_unl, *self.y_lab.shape[1:]), UNLABELED)])
            gen.train_step((torch.as_tensor(xb), torch.as_tensor(yb)), adversary=disc.module_)
        # Eq. 5 on the latent means of the last batch; nothing is learned here.
        with torch.inference_mode():
            gen.module_.eval()
            mu = gen.module_.encode(torch.as_tensor(xb, device=gen.device))
            z = torch.cat([mu[0], mu[2]], dim=1)
        z = z.clone()  # an ordinary tensor again: the discriminator's step saves it for backward
        targets = torch.as_tensor(np.concatenate([self.zeros, self.states[iu]]))
        d_loss = float(disc.train_step((z, targets))["loss"].detach())
        return {**gen.loss_parts_, "disc_loss": d_loss}

    def check(self, step, losses):
        model = self.model
        diag = diagnostics(model.discriminator_, model.represent(self.X_lab[self.probe_lab]),
                           model.represent(self.X_unl[self.probe_unl]), self.states[self.probe_unl])
        return {"phase": self.name, "iter": model.n_iter_ + step + 1, **losses, **diag}


#: Rows per chunk when summing over a pool's codes (float64 copies stay small).
MOMENT_CHUNK = 65536


def _pooled_moments(*blocks: np.ndarray):
    """Per-column mean and standard deviation of the stacked ``blocks``, two
    passes in float64 chunks: a million rows of codes are never stacked or copied whole."""
    def chunks():
        for b in blocks:
            for start in range(0, len(b), MOMENT_CHUNK):
                yield np.asarray(b[start:start + MOMENT_CHUNK], dtype=np.float64)

    n = sum(len(b) for b in blocks)
    mean = sum(c.sum(0) for c in chunks()) / n
    var = sum(((c - mean) ** 2).sum(0) for c in chunks()) / n
    return (torch.as_tensor(mean, dtype=torch.float32),
            torch.as_tensor(np.sqrt(var), dtype=torch.float32))


class RefitPhase(Phase):
    """Eq. 5 again, on the frozen unified representations.

    The adversarial phase moves the representation under the discriminator
    at every step; once it is fixed, the discriminator can fit the states on
    it at the cost of a small MLP step. With ``budget_.refit_reset`` (a warm
    fit's refit, by default) it starts from fresh weights, its output at the
    log-odds of a batch's mean state: the weights carried through earlier
    cycles fit the new states slowly. With ``budget_.refit_keep_better`` (the
    default) :meth:`keep_if_better` restores the discriminator the refit started
    from, weights and optimizer, when the refit tracks the states worse than it did.
    """

    name = "refit"

    def __init__(self, model, Z_lab, Z_unl, states, rng, probe_unl, n_steps):
        super().__init__(model, n_steps, rng)
        self.Z_lab, self.Z_unl, self.states, self.probe_unl = Z_lab, Z_unl, states, probe_unl
        self.zl, self.zu = torch.as_tensor(Z_lab), torch.as_tensor(Z_unl)
        self.b_lab = min(model.budget_.refit_batch_size, len(Z_lab))
        self.b_unl = min(model.budget_.refit_batch_size, len(Z_unl))
        self.zeros = np.zeros(self.b_lab, dtype=np.float32)
        self.nets = (model.discriminator_,)
        self.start_lrs = (model.lr_discriminator * model.budget_.refit_lr_factor,)
        self.plateau_stop = model.budget_.refit_plateau_stop
        disc = model.discriminator_
        # What the refit has to beat, taken before the reset and the standardization.
        self.start = ((copy.deepcopy(disc.module_.state_dict()), disc.optimizer_,
                       self._probe_diagnostics())
                      if model.budget_.refit_keep_better else None)
        if not self.plateau_stop:
            # Nothing stops on the checks: four are enough for the training log.
            self.check_every = max(self.check_every, -(-n_steps // 4))
        if model.budget_.refit_reset:
            # A batch's mean target: the unlabeled rows' mean state, the labeled rows' 0.
            rate = self.b_unl * float(np.mean(states)) / (self.b_lab + self.b_unl)
            model.discriminator_.module_.reset_weights(
                output_rate=rate if model.budget_.refit_reset_level else None)
        if model.budget_.refit_standardize:
            model.discriminator_.module_.rescale_inputs(*_pooled_moments(Z_lab, Z_unl))
        if model.budget_.refit_fresh_optimizer:
            model.discriminator_.initialize_optimizer()

    def step(self) -> Dict[str, float]:
        il, iu = draw_pair(self.rng, len(self.Z_lab), self.b_lab, len(self.Z_unl), self.b_unl)
        z = torch.cat([self.zl[il], self.zu[iu]])
        targets = torch.as_tensor(np.concatenate([self.zeros, self.states[iu]]))
        d_loss = float(self.model.discriminator_.train_step((z, targets))["loss"].detach())
        return {"disc_loss": d_loss}

    def _probe_diagnostics(self) -> Dict[str, float]:
        return diagnostics(self.model.discriminator_, self.Z_lab[:PROBE_LABELED],
                           self.Z_unl[self.probe_unl], self.states[self.probe_unl])

    def check(self, step, losses):
        return {"phase": self.name, "iter": step + 1, **losses, **self._probe_diagnostics()}

    def keep_if_better(self) -> bool:
        """After the refit: keep it (True), or restore the discriminator it started
        from (False) if that one tracked the states better on the probe rows.

        When the states crowd near 1 (a weak target, every row uncertain), the
        refit on frozen codes can undo the ranking the adversarial phase reached
        (synthetic 3x32x32 images: 0.75 before the refit, 0.13 after).
        """
        if self.start is None:
            return True
        weights, optimizer, start = self.start
        # Like with like: the tracking, or the separation for a binary state (constant
        # scores after the refit have no tracking, which counts as worse).
        key = "tracking" if np.isfinite(start["tracking"]) else "separation"
        before, after = start[key], self._probe_diagnostics()[key]
        if not np.isfinite(before) or (np.isfinite(after) and after >= before):
            return True
        disc = self.model.discriminator_
        disc.module_.load_state_dict(weights)
        disc.optimizer_ = optimizer   # the same parameters, updated in place by the refit
        return False


class TrainingHook:
    """Base class of the training loop's hooks (all methods optional).

    ``on_check`` receives the stop decision of the hooks before it and
    returns its own; the others return nothing.
    """

    def on_build(self, model) -> None:
        """After the networks were (re)built."""

    def on_train_begin(self, model, train) -> None:
        """Before the first phase; ``train`` holds ``rng`` and ``total_steps``."""

    def on_phase_begin(self, phase: Phase) -> None:
        """Before a phase's first step."""

    def on_step_end(self, phase: Phase, step: int, losses: Dict[str, float]) -> None:
        """After each step."""

    def on_check(self, phase: Phase, entry: Dict[str, Any], stop: bool) -> bool:
        """At each check; returns whether the phase should stop."""
        return stop

    def stop_now(self, phase: Phase) -> bool:
        """Polled after every step: True ends the phase at once, without a check."""
        return False

    def on_phase_end(self, phase: Phase) -> None:
        """After a phase's last step (also when it stopped early)."""

    def on_train_end(self, model) -> None:
        """After the last phase, also when training failed."""

    def on_encode(self, model) -> None:
        """Before rows are encoded by the generator."""


def notify(hooks: Sequence[TrainingHook], event: str, *args: Any) -> None:
    for hook in hooks:
        getattr(hook, event)(*args)


def run_phase(phase: Phase, hooks: Sequence[TrainingHook]) -> int:
    """Run ``phase`` until its ``n_steps`` or until a hook stops it; returns the steps run."""
    notify(hooks, "on_phase_begin", phase)
    step = -1
    try:
        for step in range(phase.n_steps):
            losses = phase.step()
            notify(hooks, "on_step_end", phase, step, losses)
            if any(hook.stop_now(phase) for hook in hooks):
                break
            if phase.is_check(step):
                entry = phase.check(step, losses)
                stop = False
                for hook in hooks:
                    stop = bool(hook.on_check(phase, entry, stop))
                if stop:
                    break
    finally:
        notify(hooks, "on_phase_end", phase)
    return step + 1


class DivergenceGuard(TrainingHook):
    """Raise :class:`SRAALTrainingError` as soon as a loss is NaN or inf."""

    def on_step_end(self, phase, step, losses):
        if all(np.isfinite(v) for v in losses.values()):
            return
        if phase.name == "refit":
            raise SRAALTrainingError(
                f"SRAAL's discriminator refit diverged at step {step}: loss "
                f"{losses['disc_loss']}. Lower lr_discriminator.")
        raise SRAALTrainingError(
            f"SRAAL training diverged at iteration {step}: generator loss "
            f"{losses.get('loss')}, discriminator loss {losses['disc_loss']}. Lower "
            f"lr_generator/lr_discriminator or check X for extreme values.")


class ResumeAdversary(TrainingHook):
    """A warm fit's adversarial phase resumes the discriminator the previous
    adversarial phase ended with (weights and Adam moments, kept on the model as
    ``adversary_state_``), not the one the previous refit left, which goes on
    scoring the pool until this fit's refit replaces it.

    Why: the refit's discriminator is a regression of the states fitted at a
    higher rate on standardized codes. Where the codes lie close together (images
    with noise: a spread of 0.03-0.11 per dimension) its slopes are steep, the
    generator's first steps cross them, the adversarial game swings and the STL
    forgets the labels (``examples/warm_adversary.py``). Must come before
    :class:`LRSchedule`: the optimizer's state is loaded before the phase's rates are set.
    """

    def on_build(self, model):
        model.__dict__.pop("adversary_state_", None)   # of networks no longer there

    def on_train_begin(self, model, train):
        self.model = model

    def on_phase_begin(self, phase):
        state = getattr(self.model, "adversary_state_", None)
        # n_iter_ counts earlier fits' iterations: > 0 in a warm fit only
        if phase.name == "adversarial" and self.model.n_iter_ > 0 and state is not None:
            weights, optimizer = state
            self.model.discriminator_.module_.load_state_dict(weights)
            self.model.discriminator_.optimizer_.load_state_dict(optimizer)

    def on_phase_end(self, phase):
        if phase.name == "adversarial":
            # copies: the refit trains the same weights in place
            disc = self.model.discriminator_
            self.model.adversary_state_ = (copy.deepcopy(disc.module_.state_dict()),
                                           copy.deepcopy(disc.optimizer_.state_dict()))


class LRSchedule(TrainingHook):
    """Each phase starts at the model's learning rates; the adversarial phase
    decays them by ``lr_decay`` every ``n_steps / 30`` steps (authors' schedule)."""

    def __init__(self, lr_decay: float):
        self.lr_decay = lr_decay
        self.schedulers: List[Any] = []

    def on_phase_begin(self, phase):
        for net, lr in zip(phase.nets, phase.start_lrs):
            for group in net.optimizer_.param_groups:
                group["lr"] = lr
        self.schedulers = []
        if phase.name == "adversarial" and self.lr_decay != 1.0:
            every = max(1, phase.n_steps // 30)
            self.schedulers = [torch.optim.lr_scheduler.StepLR(net.optimizer_, every, self.lr_decay)
                               for net in phase.nets]

    def on_step_end(self, phase, step, losses):
        for scheduler in self.schedulers:
            scheduler.step()


class TrainingLog(TrainingHook):
    """Keeps every check's entry in the model's ``training_log_``."""

    def on_train_begin(self, model, train):
        self.model = model
        model.training_log_ = []

    def on_check(self, phase, entry, stop):
        self.model.training_log_.append(entry)
        return stop


class PlateauStop(TrainingHook):
    """Stop a phase once ``patience`` checks in a row bring no rise of the
    tracking (or the separation, for a binary state) above ``tol``."""

    def __init__(self, patience: Optional[int], tol: float):
        self.patience, self.tol = patience, tol

    def on_phase_begin(self, phase):
        self.best, self.stale = -np.inf, 0

    def on_check(self, phase, entry, stop):
        value = monitored(entry)
        if not phase.plateau_stop or self.patience is None or not np.isfinite(value):
            return stop
        if value > self.best + self.tol:
            self.best, self.stale = value, 0
        else:
            self.stale += 1
        return stop or self.stale >= self.patience


class TimeBudget(TrainingHook):
    """End each phase at the first step past its share of ``max_seconds``.

    The adversarial phase gets ``adversarial_share`` of the budget, the
    refit the rest of it.
    """

    def __init__(self, max_seconds: float, adversarial_share: float = 0.8):
        self.max_seconds, self.share = max_seconds, adversarial_share

    def on_train_begin(self, model, train):
        self.t0 = time.perf_counter()

    def stop_now(self, phase):
        limit = self.max_seconds * (self.share if phase.name == "adversarial" else 1.0)
        return time.perf_counter() - self.t0 >= limit


class ProgressBar(TrainingHook):
    """A tqdm bar over both phases' steps, with the losses and diagnostics."""

    def on_train_begin(self, model, train):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=train.total_steps, desc="SRAAL", leave=False)

    def on_step_end(self, phase, step, losses):
        self.bar.update(1)

    def on_check(self, phase, entry, stop):
        shown = {"gen": entry.get("loss"), "disc": entry["disc_loss"]}
        self.bar.set_postfix(**{k: f"{v:.3f}" for k, v in shown.items() if v is not None},
                             track=f"{entry['tracking']:.2f}", sep=f"{entry['separation']:.2f}")
        return stop

    def on_train_end(self, model):
        self.bar.close()
        self.bar = None   # kept on the model in hooks_: no open stream in a pickle


class PhaseTimer(TrainingHook):
    """Wall seconds of each phase in the model's ``fit_phases_`` (``<phase>_s``)."""

    def on_train_begin(self, model, train):
        self.model = model

    def on_phase_begin(self, phase):
        self.t0 = time.perf_counter()

    def on_phase_end(self, phase):
        self.model.fit_phases_[f"{phase.name}_s"] = time.perf_counter() - self.t0
