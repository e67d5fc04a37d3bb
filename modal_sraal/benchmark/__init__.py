"""Benchmark harness: the paper's protocol (§4) with this package.

    python -m modal_sraal.benchmark --dataset digits --experiment main --seeds 0 1 2 3 4 \\
        --out runs/bench/digits-main

One idea a module: :mod:`~.methods` (the compared methods and the
experiments' lists, a :class:`~.registry.Registry`), :mod:`~.data` (data
sets, target models, initial pools), :mod:`~.protocol` (:class:`RunSettings`,
one run, resume), :mod:`~.storage` (the results CSV), :mod:`~.report`
(tables, paired tests and intervals, plots) and :mod:`~.cli` (the command line).
"""
from .cli import main
from .data import DATASETS, DataSet, dataset_task, load_benchmark_data, synthetic_segmentation
from .methods import EXPERIMENTS, METHODS, SEGMENTATION_METHODS, Method
from .protocol import RunSettings, run_benchmark, run_one, sraal_diagnostics
from .registry import Registry
from .report import ceiling_gap, run_difference, summarize
from .storage import FIELDS

__all__ = ["METHODS", "EXPERIMENTS", "DATASETS", "SEGMENTATION_METHODS", "FIELDS", "Method",
           "DataSet", "Registry", "RunSettings", "run_benchmark", "run_one", "summarize",
           "run_difference", "ceiling_gap", "main", "dataset_task", "load_benchmark_data",
           "synthetic_segmentation", "sraal_diagnostics"]
