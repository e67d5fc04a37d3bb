"""How noisy are the images each method queried? (weak-target sets)
===================================================================

    python examples/noise_of_picks.py runs/v15/digits-mixed-weak --dataset digits-mixed --validation

Reads a benchmark's output folder (``python -m modal_sraal.benchmark ... --out DIR``): for each
method and seed, the rows its last checkpoint holds beyond the initial pool are the rows it
queried; each one's added noise standard deviation comes from
:func:`~modal_sraal.benchmark.data.noise_levels`. Prints the pool's mean, then each method's
mean over its queried rows and seeds: on ``digits-mixed`` (each image its own noise level) a
method above the pool's mean is filling its batches with the noisiest images.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
from typing import Dict, List

import numpy as np


def queried_noise(out: str, dataset: str, validation: bool) -> Dict[str, List[float]]:
    """Method -> the mean noise sd of the rows it queried, one value per seed."""
    from modal_sraal.benchmark.data import load_benchmark_data, noise_levels
    from modal_sraal.checkpoint import load_checkpoint

    X = load_benchmark_data(dataset, validation=validation)[0]
    sd = noise_levels(dataset, validation=validation)
    row_of = {x.tobytes(): i for i, x in enumerate(np.asarray(X, dtype=np.float32))}
    result: Dict[str, List[float]] = {}
    for path in sorted(glob.glob(os.path.join(out, "checkpoints", "*_random_seed*.pkl"))):
        method, seed = re.fullmatch(r"(.+)_random_seed(\d+)\.pkl", os.path.basename(path)).groups()
        init = set(np.load(os.path.join(out, f"init_random_seed{seed}.npy")).tolist())
        labeled = np.asarray(load_checkpoint(path)["learner"].X_training, dtype=np.float32)
        rows = [row_of[x.tobytes()] for x in labeled]
        queried = [i for i in rows if i not in init]
        result.setdefault(method, []).append(float(sd[queried].mean()))
    return result


def main(argv=None) -> Dict[str, List[float]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", help="a benchmark's --out folder")
    p.add_argument("--dataset", default="digits-mixed")
    p.add_argument("--validation", action="store_true", help="the runs used --validation")
    a = p.parse_args(argv)
    from modal_sraal.benchmark.data import noise_levels

    print(f"{a.dataset}: pool mean noise sd "
          f"{noise_levels(a.dataset, validation=a.validation).mean():.3f}")
    result = queried_noise(a.out, a.dataset, a.validation)
    for method, values in result.items():
        print(f"{method:12s} queried rows' mean noise sd {np.mean(values):.3f} "
              f"(n={len(values)} seeds)")
    return result


if __name__ == "__main__":
    main()
