"""Does reduced precision pay on this machine? One discriminator step in each precision
====================================================================================

    python examples/bf16_step.py [--steps 300] [--device cpu]

Times one training step (forward, BCE, backward, Adam) of the default 2 x 128
state discriminator on a 256 + 256-row refit batch of 64-dimensional codes,
and of the authors' 512-wide MLP for comparison, in each ``precision`` of
:class:`~modal_sraal.SRAALDiscriminator` (``'float32'``; ``'bfloat16'`` under
autocast; ``'float16'`` under autocast with loss scaling), one thread. Prints
the milliseconds per step and the CPU capability torch reports. For the whole
query, see ``examples/query_cost.py --precisions``.
"""
from __future__ import annotations

import argparse
import time

PRECISIONS = ("float32", "bfloat16", "float16")


def time_steps(hidden, z, target, steps: int, precision: str, device: str) -> float:
    """Milliseconds per training step of a discriminator with ``hidden`` layers."""
    import torch

    from modal_sraal import SRAALDiscriminator

    disc = SRAALDiscriminator(module__hidden=hidden, lr=5e-3, precision=precision,
                              device=device, verbose=0)
    disc.data_module_kwargs_ = {"input_dim": z.shape[1]}
    disc.initialize()
    z, target = z.to(device), target.to(device)
    for _ in range(20):   # warm-up: first-call allocations and kernel selection
        disc.train_step((z, target))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        disc.train_step((z, target))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps * 1e3


def main(argv=None):
    import torch

    from modal_sraal import describe_environment
    from modal_sraal._skorch_utils import resolve_device

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--device", default="cpu")
    a = p.parse_args(argv)
    device = resolve_device(a.device)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    z, target = torch.randn(512, 64), torch.rand(512)
    print(describe_environment(device))
    for label, hidden in [("2 x 128 (default)", (128, 128)), ("4 x 512 (authors')", (512,) * 4)]:
        ms = {p: time_steps(hidden, z, target, a.steps, p, device) for p in PRECISIONS}
        print(f"{label:20s} " + "   ".join(
            f"{p} {ms[p]:.2f} ms ({ms['float32'] / ms[p]:.2f}x)" for p in PRECISIONS))


if __name__ == "__main__":
    main()
