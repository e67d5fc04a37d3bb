"""The benchmark's command line: ``python -m modal_sraal.benchmark``.

    python -m modal_sraal.benchmark --dataset digits --experiment main --seeds 0 1 2 3 4 \\
        --out runs/bench/digits-main

Outputs in ``--out``: ``results.csv`` (one row per method, init, seed,
cycle; experiments may share one folder and reuse each other's runs),
``<experiment>.md`` and ``.rst`` (mean +- std per budget, paired comparisons
against the reference method, query and fit seconds) and ``<experiment>.png``.
"""
from __future__ import annotations

import argparse
import os
import time

from .data import DATASETS, dataset_task
from .methods import EXPERIMENTS, METHODS, SEGMENTATION_METHODS
from .protocol import run_benchmark
from .report import summarize

__all__ = ["main"]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="SRAAL benchmark harness (paper §4 protocol).")
    p.add_argument("--dataset", default="digits",
                   choices=list(DATASETS),
                   help="synthetic-seg, cityscapes: segmentation, scored by mean IoU (in the "
                        "accuracy column); cifar10, cifar100, caltech101, cityscapes: read from "
                        "--data-root (never downloaded); photo-patches, science-patches: patches of "
                        "offline photographs and scientific images (modal_sraal.patches; "
                        "science-patches needs scikit-image)")
    p.add_argument("--data-root", default=None, help="folder holding torchvision's files")
    p.add_argument("--experiment", choices=sorted(EXPERIMENTS), default="main",
                   help="preset list of methods (overridden by --methods)")
    p.add_argument("--methods", nargs="+", choices=sorted(METHODS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--init", nargs="+", default=None, choices=["random", "kcenter"],
                   help="initial pool(s); default random ('init' experiment: both)")
    p.add_argument("--start", type=float, default=0.10)
    p.add_argument("--step", type=float, default=0.05)
    p.add_argument("--stop", type=float, default=0.40)
    p.add_argument("--max-epochs", type=int, default=40, help="target model epochs per cycle")
    p.add_argument("--subset", type=int, default=None, help="use the first N training samples")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", required=True)
    p.add_argument("--validation", action="store_true",
                   help="score on a held-out quarter of the training split (tuning), not the test split")
    p.add_argument("--fixed-target-batches", action="store_true",
                   help="train the target on skorch's fixed mini-batches (the last one may hold "
                        "a single row), as every result published with version 0.7 and earlier")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    segmentation = dataset_task(a.dataset) == "segmentation"
    methods = a.methods or (SEGMENTATION_METHODS if segmentation and a.experiment == "main"
                            else list(EXPERIMENTS[a.experiment]))
    inits = a.init or (["random", "kcenter"] if a.experiment.startswith("init") else ["random"])
    t = time.perf_counter()
    csv_path = run_benchmark(a.dataset, methods, a.seeds, a.out, inits=inits, start=a.start,
                             step=a.step, stop=a.stop, max_epochs=a.max_epochs, subset=a.subset,
                             device=a.device, verbose=0 if a.quiet else 1,
                             validation=a.validation, data_root=a.data_root,
                             even_batches=not a.fixed_target_batches)
    name = a.experiment if a.methods is None else "summary"
    metric = "mean IoU" if segmentation else "accuracy"
    metric = ("validation " if a.validation else "test ") + metric
    summarize(csv_path, a.out, reference=methods[0] if len(inits) == 1 else None,
              title=f"{a.dataset}: {a.experiment}", methods=methods, inits=inits, name=name,
              metric=metric)
    print(open(os.path.join(a.out, f"{name}.md")).read())
    print(f"wall time {time.perf_counter() - t:.0f}s; results in {a.out}")

