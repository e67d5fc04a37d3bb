"""EagerAdam: torch's Adam, bit for bit, without importing torch._dynamo."""
import copy
import pickle

import numpy as np
import pytest
import torch

from modal_sraal.discriminator import SRAALDiscriminator
from modal_sraal.generator import SRAALGenerator
from modal_sraal.optim import EagerAdam


def _train(optimizer_cls, steps=25, state=None, schedule=False, **kwargs):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
    opt = optimizer_cls(net.parameters(), lr=0.05, **kwargs)
    if state is not None:
        opt.load_state_dict(state)
    sched = torch.optim.lr_scheduler.StepLR(opt, 10, 0.5) if schedule else None
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(16, 5, generator=gen)
        opt.zero_grad()
        loss = net(x).pow(2).mean()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
    return net, opt


@pytest.mark.parametrize("kwargs", [
    {"foreach": False}, {"foreach": True},
    {"foreach": True, "weight_decay": 0.01, "amsgrad": True},
    {"foreach": False, "betas": (0.5, 0.9), "maximize": True},
])
@pytest.mark.parametrize("schedule", [False, True])
def test_same_update_as_torch_adam(kwargs, schedule):
    ours, ours_opt = _train(EagerAdam, schedule=schedule, **kwargs)
    theirs, theirs_opt = _train(torch.optim.Adam, schedule=schedule, **kwargs)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)
    ours_state, theirs_state = ours_opt.state_dict(), theirs_opt.state_dict()
    assert ours_state["param_groups"] == theirs_state["param_groups"]
    for key, value in theirs_state["state"].items():
        for name, tensor in value.items():
            assert torch.equal(ours_state["state"][key][name], tensor), name


def test_state_dict_moves_between_torch_adam_and_eager_adam():
    # A checkpoint written with torch's Adam resumes in EagerAdam (and back), same numbers.
    _, first = _train(torch.optim.Adam, steps=7)
    state = first.state_dict()   # loading shares its tensors, which the steps update in place
    resumed, resumed_opt = _train(EagerAdam, steps=5, state=copy.deepcopy(state))
    reference, _ = _train(torch.optim.Adam, steps=5, state=copy.deepcopy(state))
    for a, b in zip(resumed.parameters(), reference.parameters()):
        assert torch.equal(a, b)
    assert int(resumed_opt.state_dict()["state"][0]["step"]) == 12
    back = pickle.loads(pickle.dumps(resumed_opt))
    assert isinstance(back, EagerAdam) and int(back.state_dict()["state"][0]["step"]) == 12


def test_sraal_networks_default_to_eager_adam():
    for cls in (SRAALGenerator, SRAALDiscriminator):
        assert cls().get_params()["optimizer"] is EagerAdam


def test_sraal_fit_is_the_same_with_torch_adam(default_fit_twice, monkeypatch):
    # Both phases and the warm-started second fit: the scores are torch Adam's, bit for bit.
    eager = default_fit_twice(2)
    assert isinstance(eager[2].discriminator_.optimizer_, EagerAdam)
    for cls in (SRAALGenerator, SRAALDiscriminator):
        monkeypatch.setitem(cls.__init__.__kwdefaults__, "optimizer", torch.optim.Adam)
    plain = default_fit_twice(2)
    assert type(plain[2].generator_.optimizer_) is torch.optim.Adam
    np.testing.assert_array_equal(eager[0], plain[0])
    np.testing.assert_array_equal(eager[1], plain[1])
