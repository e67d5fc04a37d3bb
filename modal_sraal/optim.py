"""The optimizer of SRAAL's own networks (generator and state discriminator).

:class:`EagerAdam` is ``torch.optim.Adam`` with the same update, bit for bit, minus
one cost: torch wraps ``Optimizer.add_param_group``, ``zero_grad``, ``state_dict``,
``load_state_dict`` and ``Adam.step`` in guards for its compiler (``torch.compile``),
and the first call of any of them imports ``torch._dynamo``: about 1.1 s of CPU, once
per Python process. With a torch target model its first fit pays that anyway; with a
scikit-learn target SRAAL's first query paid it, which put a process's first query on
a 500-row tabular pool at 1.6-2.1 s against 0.5 s for the later ones. SRAAL's
networks are trained eagerly and never compiled, so the guards have nothing to guard.

Pass ``optimizer=torch.optim.Adam`` to :class:`~modal_sraal.SRAALGenerator` or
:class:`~modal_sraal.SRAALDiscriminator` to train them under ``torch.compile``.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional

import torch

__all__ = ["EagerAdam"]

# The undecorated methods: torch's decorators keep the original as ``__wrapped__``
# (functools.wraps), and ``Optimizer.__init__`` may have wrapped ``Adam.step`` once
# more in its profiling hook, hence ``unwrap`` (all layers) rather than one attribute.
_ADD_PARAM_GROUP = inspect.unwrap(torch.optim.Optimizer.add_param_group)
_ZERO_GRAD = inspect.unwrap(torch.optim.Optimizer.zero_grad)
_STATE_DICT = inspect.unwrap(torch.optim.Optimizer.state_dict)
_LOAD_STATE_DICT = inspect.unwrap(torch.optim.Optimizer.load_state_dict)
_ADAM_STEP = inspect.unwrap(torch.optim.Adam.step)


class EagerAdam(torch.optim.Adam):
    """``torch.optim.Adam`` for eager training, without the import of ``torch._dynamo``.

    Takes ``torch.optim.Adam``'s arguments and runs its update (single-tensor or
    ``foreach``), so parameters, state and ``state_dict`` are the same, bit for bit
    (``tests/test_optim.py``); checkpoints move between the two classes. Learning-rate
    schedulers and skorch treat it as any torch optimizer.

    What it leaves out are torch's compiler guards around its methods, whose first
    call imports ``torch._dynamo`` (about 1.1 s, once per process): the cost that
    made the first SRAAL query of a process with a scikit-learn target take three
    times the later ones. Not for use inside ``torch.compile``; use
    ``torch.optim.Adam`` there.

    Examples
    --------
    >>> net = torch.nn.Linear(3, 1)
    >>> opt = EagerAdam(net.parameters(), lr=0.1)
    >>> net(torch.ones(2, 3)).sum().backward()
    >>> opt.step(); opt.zero_grad()
    >>> int(opt.state_dict()["state"][0]["step"])
    1
    """

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        _ADD_PARAM_GROUP(self, param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        _ZERO_GRAD(self, set_to_none)

    def state_dict(self) -> Dict[str, Any]:
        return _STATE_DICT(self)

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        _LOAD_STATE_DICT(self, state_dict)

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        # torch's own wrapper turns autograd off for the update (unless the optimizer is
        # ``differentiable``); that is all of it that eager training needs.
        with torch.set_grad_enabled(self.defaults["differentiable"]):
            return _ADAM_STEP(self, closure)
