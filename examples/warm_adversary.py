"""Which discriminator a warm adversarial phase plays against (0.9 against 0.10)
==============================================================================

    python examples/warm_adversary.py [--dataset mnist5k-noisy] [--seed 0]

Runs the benchmark's first two cycles on a validation split (10% random start,
+5%, +5%) for 0.9's defaults (``sraal_v09``) and 0.10's (``sraal``, the
``tune10`` candidate), then prints the second cycle's SRAAL fit, the first
warm one: its training log (losses and tracking at each check of the
adversarial phase and the refit) and the STL's accuracy on the labeled rows.

In 0.9 a warm adversarial phase starts from the discriminator the previous
refit left: a sharp regression of the states on frozen, standardized codes.
On images with noise, whose codes have a small spread, the generator moves
them across that function's steep slopes in a few steps: the discriminator's
loss jumps (to about 20 on ``mnist5k-noisy``), the phase oscillates and the
STL's cross-entropy climbs back to chance (ln 10 = 2.30). 0.10
starts the phase from the discriminator the previous adversarial phase ended
with. Each run writes under ``--out`` (default: a temporary folder); about
three minutes on two cores.
"""
from __future__ import annotations

import argparse
import os
import tempfile


def main(argv=None):
    import pandas as pd

    from modal_sraal.benchmark import run_benchmark
    from modal_sraal.checkpoint import load_checkpoint

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist5k-noisy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for the runs (default: temporary)")
    p.add_argument("--subset", type=int, default=None, help="the first N training rows only")
    p.add_argument("--max-epochs", type=int, default=40, help="the target's epochs")
    args = p.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="warm_adversary_")
    pd.set_option("display.width", 200)
    columns = ["phase", "iter", "recon", "ce", "adv", "disc_loss", "tracking"]
    for method in ("sraal_v09", "sraal"):
        folder = os.path.join(out, method)
        # cycle 1 (the cold fit), then the harness resumes from its checkpoint for cycle 2
        for stop in (0.15, 0.20):
            run_benchmark(args.dataset, [method], [args.seed], folder, stop=stop,
                          validation=True, subset=args.subset, max_epochs=args.max_epochs,
                          verbose=0)
            ckpt = load_checkpoint(os.path.join(folder, "checkpoints",
                                                f"{method}_random_seed{args.seed}.pkl"))
            model = ckpt["strategy"].sraal
            log = pd.DataFrame(model.training_log_)
            log = log[[c for c in columns if c in log]].round(3)
            kind = "warm" if ckpt["cycle"] > 1 else "cold"
            print(f"== {method}: cycle {ckpt['cycle']}'s fit ({kind}), {model.n_iter_last_} "
                  f"adversarial iterations; STL accuracy on the labeled rows "
                  f"{model.stl_accuracy_:.3f}, tracking {model.tracking_:.3f}")
            # the cold fit is the same for both: its last adversarial check is enough
            shown = log if kind == "warm" else log[log.phase == "adversarial"].tail(1)
            print(shown.to_string(index=False))


if __name__ == "__main__":
    main()
