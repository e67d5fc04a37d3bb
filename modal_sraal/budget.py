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
  :data:`AUTO_ITER_MIN` and :data:`AUTO_ITER_MAX`, and a warm start gets
  :data:`WARM_FRACTION` of it;
* the refit on frozen representations plateaus within a few hundred steps
  of a small MLP at every size measured: it gets about
  :data:`AUTO_REFIT_EPOCHS` passes over the unlabeled rows, between
  :data:`AUTO_REFIT_MIN` and :data:`AUTO_REFIT_STEPS` steps;
* a 2 x 128 discriminator tracks nearly as well as the authors' 4 x 512 on
  these representations (digits: 0.86 / 0.81 against 0.88 / 0.85 in a cold /
  warm fit, ``examples/step_choices.py``) at a quarter of the fit's time.

The plateau stop (``n_iter_no_change``) still ends either phase earlier.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np

__all__ = ["Budget", "resolve_budget", "resolve_hidden", "AUTO"]

AUTO = "auto"
#: Adversarial iterations per row of the data (labeled + unlabeled), cold start.
AUTO_ITER_PER_ROW = 1 / 20
AUTO_ITER_MIN, AUTO_ITER_MAX = 40, 400
#: Share of the cold budget a warm-started fit gets (it starts near the plateau).
WARM_FRACTION = 0.5
#: Refit steps: enough to see the unlabeled pool ``AUTO_REFIT_EPOCHS`` times,
#: between AUTO_REFIT_MIN and AUTO_REFIT_STEPS (a tabular pool of 450 unlabeled rows
#: needs 100 steps, not the 500 an MNIST-sized one uses).
AUTO_REFIT_STEPS = 500
AUTO_REFIT_MIN = 100
AUTO_REFIT_EPOCHS = 30
#: The auto refit steps on larger batches, at a larger learning rate, from
#: fresh Adam moments: the codes are frozen, so the discriminator fits a fixed
#: regression (digits: tracking 0.85-0.90 in 350-400 steps of 128 + 128 rows
#: at 3x the rate, against 0.76 in 500 steps of 32 + 32 rows at 1x; in warm
#: cycles 0.89-0.90 in about 330 steps with fresh moments, 0.70-0.77 in 500
#: with the carried-over ones).
AUTO_REFIT_BATCH_FACTOR, AUTO_REFIT_LR_FACTOR = 4, 3.0
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
    #: (:meth:`~modal_sraal._networks.DiscriminatorModule.rescale_inputs`).
    refit_standardize: bool = False
    #: Let the plateau stop (``n_iter_no_change``) end the refit early.
    refit_plateau_stop: bool = True


def auto_n_iter(n_rows: int, warm: bool) -> int:
    """The ``'auto'`` adversarial iterations for ``n_rows`` rows.

    Examples
    --------
    >>> auto_n_iter(500, warm=False), auto_n_iter(1797, warm=False), auto_n_iter(1797, warm=True)
    (40, 90, 45)
    >>> auto_n_iter(1_000_000, warm=False)
    400
    """
    n_iter = int(np.clip(round(n_rows * AUTO_ITER_PER_ROW), AUTO_ITER_MIN, AUTO_ITER_MAX))
    return max(1, int(round(n_iter * WARM_FRACTION))) if warm else n_iter


def resolve_budget(model: Any, n_lab: int, n_unl: int, warm: bool) -> Budget:
    """The budget of ``model``'s next fit on ``n_lab`` labeled and ``n_unl`` unlabeled rows.

    ``warm``: the networks continue from a previous fit. An explicit integer
    parameter is used as given.
    """
    n_iter = auto_n_iter(n_lab + n_unl, warm) if model.n_iter == AUTO else model.n_iter
    batch = AUTO_BATCH_SIZE if model.batch_size == AUTO else model.batch_size
    if model.discriminator_refit_steps == AUTO:
        refit_batch = AUTO_REFIT_BATCH_FACTOR * int(batch)
        refit = int(np.clip(np.ceil(AUTO_REFIT_EPOCHS * n_unl / refit_batch), AUTO_REFIT_MIN,
                            AUTO_REFIT_STEPS))
        return Budget(int(n_iter), refit, int(batch), refit_batch, AUTO_REFIT_LR_FACTOR,
                      refit_fresh_optimizer=True)
    return Budget(int(n_iter), int(model.discriminator_refit_steps), int(batch), int(batch))


def resolve_hidden(hidden: Any) -> Tuple[int, ...]:
    """``discriminator_hidden``, with ``'auto'`` resolved."""
    return AUTO_HIDDEN if isinstance(hidden, str) and hidden == AUTO else tuple(hidden)
