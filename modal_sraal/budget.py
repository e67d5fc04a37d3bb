"""How much training one SRAAL fit gets: the cost that follows the data.

:func:`resolve_budget` turns SRAAL's budget parameters (``n_iter``,
``discriminator_refit_steps``, ``batch_size``, each an integer or
``'auto'``) into the steps of this fit's two phases; :func:`resolve_hidden`
does the same for the discriminator's width (``discriminator_hidden``).

The ``'auto'`` rules come from measuring, across data shapes, how many steps
each phase needs before the discriminator's tracking of the relabeled states
stops rising (docs: Benchmarks, "Query cost"):

* the adversarial phase needs more iterations on a larger pool (digits'
  1,350 rows plateau near 60 iterations of 32 + 32 rows; MNIST-5k's 3,750
  still gain at 240), so ``n_iter`` grows with the rows, between
  :data:`AUTO_ITER_MIN` and :data:`AUTO_ITER_MAX`: one iteration per 30 rows
  in a cold fit (:data:`AUTO_COLD_ITER_PER_ROW`; one per 20 up to 0.8, whose
  extra third bought no accuracy on either validation split), and a warm
  start gets :data:`WARM_FRACTION` of the 1-per-20 budget;
* the refit on frozen representations is a fixed regression of the
  states, scored on the rows it is trained on: :data:`AUTO_REFIT` gives it
  60 passes over the unlabeled rows (100 to 1,000 steps) on standardized
  codes and runs them all, so that it tracks the states closely (version
  0.3's refit, :data:`REFIT_V03`, stopped on the first flat stretch); a
  warm fit's refit starts from fresh weights at the states' level, with 1.5x
  the passes (version 0.4's, :data:`REFIT_V04`, continued from the weights
  it had); since 0.6 a refit that tracks worse than the discriminator it
  started from is undone (``RefitRule.keep_better``; 0.5's: :data:`REFIT_V05`);
* a 2 x 128 discriminator tracks nearly as well as the authors' 4 x 512 on
  these representations (digits: 0.86 / 0.81 against 0.88 / 0.85 in a cold /
  warm fit, ``examples/step_choices.py``) at a quarter of the fit's time; a
  2 x 64 one made digits' first query 12% cheaper and lost 0.64 points on
  digits' validation split (0.17, ``sraal_d64``: not adopted).

The plateau stop (``n_iter_no_change``) ends the adversarial phase earlier.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["Budget", "RefitRule", "AUTO_REFIT", "REFIT_V05", "REFIT_V04", "REFIT_V03", "resolve_budget",
           "resolve_hidden", "AUTO"]

AUTO = "auto"
#: Adversarial iterations per row of the data (labeled + unlabeled) a warm start's
#: share is taken of (the cold fit's rate up to 0.8) ...
AUTO_ITER_PER_ROW = 1 / 20
#: ... and a cold fit's (0.9: a third fewer; validation: -0.04 / -0.01 points on digits /
#: MNIST-5k for a first query about 0.8x as long; docs: Benchmarks, version 0.9).
AUTO_COLD_ITER_PER_ROW = 1 / 30
AUTO_ITER_MIN, AUTO_ITER_MAX = 40, 400
#: Share of the 1-per-20 budget a warm-started fit gets (it starts near the plateau).
WARM_FRACTION = 0.5


@dataclass(frozen=True)
class RefitRule:
    """How the ``'auto'`` refit is sized and run.

    Steps: enough to see the unlabeled rows ``epochs`` times in batches of
    ``batch_factor * batch_size`` rows from each pool, between ``min_steps``
    and ``max_steps``; the learning rate is ``lr_factor * lr_discriminator``,
    from fresh Adam moments; ``standardize`` rescales the frozen codes to
    zero mean and unit variance first; ``plateau_stop`` lets
    ``n_iter_no_change`` end the refit early.
    """

    epochs: float
    min_steps: int
    max_steps: int
    batch_factor: int
    lr_factor: float
    standardize: bool
    plateau_stop: bool
    #: A warm fit's refit starts from fresh discriminator weights ...
    reset_warm: bool = False
    #: ... with the output at the level of the states' mean.
    reset_level: bool = True
    #: The rows whose passes size the refit: ``'unlabeled'`` or ``'all'``.
    passes_over: str = "unlabeled"
    #: A warm fit's refit gets ``warm_factor`` times the passes and the step cap.
    warm_factor: float = 1.0
    #: A cold fit's refit starts from fresh weights too (as ``reset_warm``).
    reset_cold: bool = False
    #: Keep the refit only if it tracks the states better, on the probe rows, than the
    #: discriminator it started from (else that one is restored).
    keep_better: bool = False


#: The refit of 0.6: it fits the states closely. The codes are frozen, so the
#: refit is a fixed regression, scored on the very rows it is trained on; the
#: closer it tracks the states, the closer the batch is to what the target's
#: uncertainty asks for (validation: the default batch rule on the OUI itself
#: beat 0.3's discriminator by 0.46 / 0.89 points on digits / MNIST-5k).
#: 60 passes over the unlabeled rows on standardized codes, all of them (0.3's
#: plateau stop ended the refit on a flat stretch). A warm fit's refit starts
#: from fresh weights, its output at the states' mean log-odds, with 1.5x the
#: passes: the weights carried over from earlier cycles and the adversarial phase
#: fit the new states slowly (warm tracking 0.61-0.82 on MNIST-5k's validation
#: split in 0.4, 0.80-0.91 with this rule; docs: Benchmarks, 0.5).
AUTO_REFIT = RefitRule(epochs=60, min_steps=100, max_steps=1000, batch_factor=8, lr_factor=10.0,
                       standardize=True, plateau_stop=False, reset_warm=True, warm_factor=1.5,
                       keep_better=True)
#: The refit of 0.5 (kept to measure against): 0.6's, but kept whatever it tracks. When the
#: states crowd near 1 (a weak target: every row uncertain) this refit could track far
#: worse than the discriminator the adversarial phase left (docs: Benchmarks, 0.6).
REFIT_V05 = dataclasses.replace(AUTO_REFIT, keep_better=False)
#: The refit of 0.4 (kept to measure against): 0.5's, but a warm fit's refit
#: continues from the discriminator as it is, with the cold fit's passes.
REFIT_V04 = RefitRule(epochs=60, min_steps=100, max_steps=1000, batch_factor=8, lr_factor=10.0,
                      standardize=True, plateau_stop=False)
#: The refit of 0.3 (kept to measure against): 30 passes of 128 + 128 rows at
#: 3x the rate, 100 to 500 steps, ended by the plateau stop.
REFIT_V03 = RefitRule(epochs=30, min_steps=100, max_steps=500, batch_factor=4, lr_factor=3.0,
                      standardize=False, plateau_stop=True)
#: Rows drawn from each pool (labeled, unlabeled) per step.
AUTO_BATCH_SIZE = 32
AUTO_HIDDEN = (128, 128)


@dataclass(frozen=True)
class Budget:
    """Steps of one fit: adversarial iterations, refit steps, rows per pool and step."""

    n_iter: int
    refit_steps: int
    batch_size: int
    refit_batch_size: int
    #: Multiplies ``lr_discriminator`` during the refit.
    refit_lr_factor: float = 1.0
    #: Start the refit with fresh Adam moments (those of the adversarial
    #: phase, or of the previous cycle, slow the fit of the new states).
    refit_fresh_optimizer: bool = False
    #: Standardize the frozen codes at the refit's start
    #: (``DiscriminatorModule.rescale_inputs``).
    refit_standardize: bool = False
    #: Let the plateau stop (``n_iter_no_change``) end the refit early.
    refit_plateau_stop: bool = True
    #: Re-initialize the discriminator's weights at the refit's start ...
    refit_reset: bool = False
    #: ... with its output's bias at the log-odds of a batch's mean state.
    refit_reset_level: bool = True
    #: Restore the discriminator the refit started from if the refit tracks worse.
    refit_keep_better: bool = False


def auto_n_iter(n_rows: int, warm: bool, per_row: Optional[float] = None) -> int:
    """The ``'auto'`` adversarial iterations for ``n_rows`` rows.

    A cold fit: :data:`AUTO_COLD_ITER_PER_ROW` per row; a warm one: :data:`WARM_FRACTION`
    of :data:`AUTO_ITER_PER_ROW` per row; both within :data:`AUTO_ITER_MIN` and
    :data:`AUTO_ITER_MAX` before the warm share. ``per_row`` replaces either rate.

    Examples
    --------
    >>> auto_n_iter(500, warm=False), auto_n_iter(1797, warm=False), auto_n_iter(1797, warm=True)
    (40, 60, 45)
    >>> auto_n_iter(1_000_000, warm=False)
    400
    """
    if per_row is None:
        per_row = AUTO_ITER_PER_ROW if warm else AUTO_COLD_ITER_PER_ROW
    n_iter = int(np.clip(round(n_rows * per_row), AUTO_ITER_MIN, AUTO_ITER_MAX))
    return max(1, int(round(n_iter * WARM_FRACTION))) if warm else n_iter


def resolve_budget(model: Any, n_lab: int, n_unl: int, warm: bool,
                   refit_rule: RefitRule = AUTO_REFIT,
                   cold_iter_per_row: float = AUTO_COLD_ITER_PER_ROW) -> Budget:
    """The budget of ``model``'s next fit on ``n_lab`` labeled and ``n_unl`` unlabeled rows.

    ``warm``: the networks continue from a previous fit. An explicit integer
    parameter is used as given; ``refit_rule`` sizes an ``'auto'`` refit and
    ``cold_iter_per_row`` a cold fit's ``'auto'`` adversarial phase.
    """
    n_iter = model.n_iter if model.n_iter != AUTO else \
        auto_n_iter(n_lab + n_unl, warm, per_row=None if warm else cold_iter_per_row)
    batch = AUTO_BATCH_SIZE if model.batch_size == AUTO else model.batch_size
    if model.discriminator_refit_steps == AUTO:
        refit_batch = refit_rule.batch_factor * int(batch)
        rows = n_unl + n_lab if refit_rule.passes_over == "all" else n_unl
        factor = refit_rule.warm_factor if warm else 1.0
        refit = int(np.clip(np.ceil(factor * refit_rule.epochs * rows / refit_batch),
                            refit_rule.min_steps, factor * refit_rule.max_steps))
        return Budget(int(n_iter), refit, int(batch), refit_batch, refit_rule.lr_factor,
                      refit_fresh_optimizer=True, refit_standardize=refit_rule.standardize,
                      refit_plateau_stop=refit_rule.plateau_stop,
                      refit_reset=refit_rule.reset_warm if warm else refit_rule.reset_cold,
                      refit_reset_level=refit_rule.reset_level,
                      refit_keep_better=refit_rule.keep_better)
    return Budget(int(n_iter), int(model.discriminator_refit_steps), int(batch), int(batch))


def resolve_hidden(hidden: Any) -> Tuple[int, ...]:
    """``discriminator_hidden``, with ``'auto'`` resolved."""
    return AUTO_HIDDEN if isinstance(hidden, str) and hidden == AUTO else tuple(hidden)
