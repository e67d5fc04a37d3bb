"""Does bfloat16 pay on this CPU? One discriminator step in float32 and under autocast
===================================================================================

    python examples/bf16_step.py [--steps 300]

Times one training step (forward, BCE, backward, Adam) of the default 2 x 128
state discriminator on a 256 + 256-row refit batch of 64-dimensional codes,
and of the authors' 512-wide MLP for comparison, in float32 and under
``torch.autocast('cpu', dtype=torch.bfloat16)``, one thread. Prints the
milliseconds per step and the CPU capability torch reports.
"""
from __future__ import annotations

import argparse
import time


def time_steps(module, z, target, steps: int, bf16: bool) -> float:
    """Milliseconds per training step of ``module`` on one fixed batch."""
    import torch

    optimizer = torch.optim.Adam(module.parameters(), lr=5e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = module(z)
        loss_fn(logits.float(), target).backward()   # the loss in float32 either way
        optimizer.step()

    for _ in range(20):   # warm-up: first-call allocations and kernel selection
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e3


def main(argv=None):
    import torch

    from modal_sraal._networks import DiscriminatorModule

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    z, target = torch.randn(512, 64), torch.rand(512)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    for label, hidden in [("2 x 128 (default)", (128, 128)), ("4 x 512 (authors')", (512,) * 4)]:
        ms = [time_steps(DiscriminatorModule(64, hidden), z, target, a.steps, bf16)
              for bf16 in (False, True)]
        print(f"{label:20s} float32 {ms[0]:.2f} ms   bfloat16 autocast {ms[1]:.2f} ms "
              f"({ms[0] / ms[1]:.2f}x)")


if __name__ == "__main__":
    main()
