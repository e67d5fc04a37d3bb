"""Greedy k-center at scale
==========================

Time and peak memory of ``kcenter_greedy`` against scikit-activeml's
``k_greedy_center`` (same data, same picks).

    python examples/kcenter_speed.py                       # ours
    python examples/kcenter_speed.py --impl skactiveml     # in an env with scikit-activeml

Data: 50,000 x 64 standard normal (seed 0), 1,024 already labeled, 2,000
new centres. Time: one untraced run. Peak memory: a second run's largest
total of allocations (``tracemalloc``; numpy reports its buffers to it),
beyond the input the caller holds.
"""
import argparse
import json
import time
import tracemalloc

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--impl", choices=["ours", "skactiveml"], default="ours")
    p.add_argument("--n", type=int, default=50_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--labeled", type=int, default=1024)
    p.add_argument("--centres", type=int, default=2000)
    p.add_argument("--json")
    args = p.parse_args(argv)
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((args.n, args.dim))
    labeled = np.sort(rng.choice(args.n, args.labeled, replace=False))
    if args.impl == "ours":
        from modal_sraal import kcenter_greedy

        def run():
            return kcenter_greedy(Z, args.centres, already_selected=labeled)
    else:
        from skactiveml.pool._core_set import k_greedy_center

        y = np.full(args.n, np.nan)
        y[labeled] = 0

        def run():
            return k_greedy_center(Z, y, batch_size=args.centres, random_state=0)[0]

    t = time.perf_counter()
    picks = run()
    seconds = time.perf_counter() - t
    # Memory in a second run: tracing slows numpy's small allocations down.
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    out = {"impl": args.impl, "seconds": round(seconds, 2), "peak_mib": round(peak, 1),
           "input_mib": round(Z.nbytes / 2**20, 1), "picks": [int(i) for i in picks]}
    print(json.dumps({k: v for k, v in out.items() if k != "picks"}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
