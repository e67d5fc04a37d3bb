"""How much room does each published set leave above random sampling?
=====================================================================

    python examples/headroom.py

Issue 17 asks SRAAL for +1.5 points over random sampling on every set. For each set of the
Benchmarks page's status table, this reads the target trained on every training label (the
"ceiling", ``docs/_static/bench/v026/ceiling``, one run per seed) beside the published rows
of today's defaults, and prints random's gap to the ceiling over the cycles after the start,
what SRAAL and each baseline gain over random, and the share of the gap each gain closes
(:func:`~modal_sraal.benchmark.ceiling_gap`). The last column is the share that +1.5 points
asks for: a set with little room asks for more of it.
"""
from __future__ import annotations

import os

from bar_confidence import published_root   # the examples' folder is on the path
from modal_sraal.benchmark import ceiling_gap
from modal_sraal.benchmark.storage import read_rows

#: Each set's published rows of today's defaults, on the ceilings' machine where there is a
#: choice (AMD EPYC), and the baselines they hold.
RUNS = {
    "digits": "v025/test/digits",
    "digits-noisy": "v015/test-amd/digits-noisy",
    "digits-mixed": "v015/test-amd/digits-mixed",
    "mnist5k": "v018/mnist5k-test-10seeds",
    "mnist5k-noisy": "v019/mnist5k-noisy-10seeds",
    "mnist5k-mixed": "v025/test/mnist5k-mixed-10seeds",
    "photo-patches": "v023/test/photo-patches-20seeds",
    "science-patches": "v023/test/science-patches-20seeds",
}
METHODS = ("sraal", "margin", "entropy")
CEILINGS = "v026/ceiling"


def gaps(root: str, runs=RUNS, methods=METHODS):
    """``(set, method, result of ceiling_gap)`` for every method a set's rows hold, over the
    seeds that have a ceiling."""
    out = []
    for name, rel in runs.items():
        top = os.path.join(root, CEILINGS, name, "results.csv")
        if not os.path.exists(top):
            continue
        path = os.path.join(root, rel, "results.csv")
        held = {r["method"] for r in read_rows(path)}
        out += [(name, m, ceiling_gap(path, top, m)) for m in methods if m in held]
    return out


def main(argv=None) -> None:
    root = published_root(argv, __doc__.splitlines()[0])
    print("| set | method | seeds | ceiling (%) | random's gap | gain over random | "
          "share of the gap | +1.5's share | random's gap by budget |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, method, r in gaps(root):
        budgets = ", ".join(f"{100 * f:.0f}%: {g:.1f}" for f, g in sorted(r["gap_by_fraction"].items()))
        print(f"| {name} | {method} | {r['n']} | {r['ceiling']:.2f} | {r['gap']:.2f} | "
              f"{r['gain']:+.2f} | {r['share']:.2f} | {r['bar_share']:.2f} | {budgets} |")


if __name__ == "__main__":
    main()
