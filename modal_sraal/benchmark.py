"""Benchmark harness: the paper's protocol (§4) with this package.

    python -m modal_sraal.benchmark --dataset digits --experiment main --seeds 0 1 2 3 4 \
        --out runs/bench/digits-main

Protocol: the initial labeled pool is 10% of the training split (random, or
``kcenter_init`` with ``--init kcenter``), +5% per cycle until 40%; each
cycle the target model is trained from scratch on the labeled pool and scored
on the fixed test split; within a seed, every method starts from the same
initial pool. Every method runs through modAL's ``ActiveLearner`` with its
query strategy as a function.

Outputs in ``--out``: ``results.csv`` (one row per method, init, seed,
cycle; experiments may share one folder and reuse each other's runs),
``<experiment>.md`` and ``.rst`` (mean +- std per budget, paired comparisons
against the reference method) and ``<experiment>.png`` (learning curves with std bands). A killed
run resumes: finished (method, seed) runs are skipped, and an unfinished one
continues from its checkpoint after the last finished cycle.
"""
from __future__ import annotations

import argparse
import csv
import os
import time
import warnings
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from modAL.models import ActiveLearner
from modAL.uncertainty import entropy_sampling, margin_sampling

from ._skorch_utils import resolve_device
from .baselines import mc_dropout_query, pixel_entropy_query, random_query
from .checkpoint import load_checkpoint, save_checkpoint
from .datasets import FILE_DATASETS, load_file_dataset, train_test
from .kcenter import kcenter_init
from .models import make_target_classifier
from .query import batch_spread, coreset_query, default_sraal, sraal_query
from .sraal import SRAAL, sraal_v02

__all__ = ["METHODS", "EXPERIMENTS", "run_benchmark", "summarize", "main"]


def _sraal(n_iter_factor: int = 1, query: Optional[Dict] = None, base: Callable = None,
           **kw) -> Callable[[int, np.ndarray], Callable]:
    """Factory of a SRAAL-family strategy: ``base`` (default :func:`default_sraal`)
    plus ``kw``, training ``n_iter_factor`` times as long, queried with ``query``
    (keyword arguments of :func:`sraal_query`)."""
    def make(seed: int, X_pool: np.ndarray, device: str) -> Callable:
        model = (base or default_sraal)(X_pool, random_state=seed)
        model.set_params(device=device, n_iter=n_iter_factor * model.n_iter, **kw)
        return partial(sraal_query, sraal=model, **(query or {}))
    return make


def _old_defaults(X_pool: np.ndarray, random_state=None) -> SRAAL:
    """The defaults of version 0.1, kept to compare against (top-K, no refit)."""
    return sraal_v02(X_pool, random_state).set_params(
        lambda_adv=1.0, lambda_stl=1.0, n_iter_no_change=None, discriminator_refit_steps=0)


def _paper(X_pool: np.ndarray, random_state=None) -> SRAAL:
    """The authors' configuration, iterations scaled to this CPU (``PAPER_CPU_ITERATIONS``)."""
    return SRAAL.paper_config(n_iter=PAPER_CPU_ITERATIONS, random_state=random_state)


#: Iterations of the paper configuration in the benchmark (authors: 20,000 on a GPU;
#: here about 1.1 s per iteration on one CPU thread for digits).
PAPER_CPU_ITERATIONS = 100
TOPK = {"selection": "topk"}


def _plain(strategy: Callable) -> Callable:
    return lambda seed, X_pool, device: strategy


def _random(seed: int, X_pool, device) -> Callable:
    # A RandomState (not a seed): successive cycles draw differently, and the
    # generator's state is saved in checkpoints along with the strategy.
    return partial(random_query, random_state=np.random.RandomState(seed))


#: Method name -> factory(seed, X_pool, device) -> modAL query strategy.
METHODS: Dict[str, Callable] = {
    "random": _random,
    "entropy": _plain(entropy_sampling),
    "margin": _plain(margin_sampling),
    "coreset": _plain(coreset_query),
    "mc_dropout": _plain(partial(mc_dropout_query, n_passes=10, acquisition="bald")),
    "vaal": _sraal(relabel="binary", use_stl=False),          # = SRAAL w/o OUI and STL
    "sraal": _sraal(),
    "sraal_topk": _sraal(query=TOPK),                         # discriminator-only top-K (§3.4)
    "sraal_v02": _sraal(base=sraal_v02),                      # version 0.2 defaults
    "sraal_cand5": _sraal(query={"candidates": 5.0}),         # tuning candidates of 0.3
    "sraal_cand20": _sraal(query={"candidates": 20.0}),
    "sraal_old": _sraal(base=_old_defaults, query=TOPK),      # version 0.1 defaults
    "vaal_old": _sraal(base=_old_defaults, query=TOPK, relabel="binary", use_stl=False),
    "sraal_no_oui_old": _sraal(base=_old_defaults, query=TOPK, relabel="binary"),
    "sraal_no_stl_old": _sraal(base=_old_defaults, query=TOPK, use_stl=False),
    "sraal_entropy_old": _sraal(base=_old_defaults, query=TOPK, relabel="entropy"),
    "sraal_std_old": _sraal(base=_old_defaults, query=TOPK, relabel="std"),
    "sraal_paper": _sraal(base=_paper, query=TOPK),           # authors' settings, CPU iterations
    "sraal_no_refit": _sraal(discriminator_refit_steps=0),
    "sraal_no_early_stop": _sraal(n_iter_no_change=None),
    "sraal_adv1": _sraal(lambda_adv=1.0),
    "sraal_stl1": _sraal(lambda_stl=1.0),
    "sraal_fresh_bn": _sraal(warm_start=False, batchnorm=True),
    "sraal_no_oui": _sraal(relabel="binary"),
    "sraal_no_stl": _sraal(use_stl=False),
    "sraal_entropy": _sraal(relabel="entropy"),
    "sraal_std": _sraal(relabel="std"),
}
# Version 0.1's tuning candidates: changes to its defaults, queried with top-K.
METHODS.update({name: _sraal(base=_old_defaults, query=TOPK, **kw) for name, kw in {
    "sraal_adv0.1": dict(lambda_adv=0.1), "sraal_adv0": dict(lambda_adv=0.0),
    "sraal_n2x": dict(n_iter_factor=2), "sraal_stl0.1": dict(lambda_stl=0.1),
    "sraal_latent16": dict(latent_dim=16), "sraal_latent64": dict(latent_dim=64),
    "sraal_lr3e-4": dict(lr_generator=3e-4, lr_discriminator=3e-4),
    "sraal_lr3e-3": dict(lr_generator=3e-3, lr_discriminator=3e-3),
}.items()})

#: The paper's experiments: methods compared (the first is the reference).
EXPERIMENTS: Dict[str, Sequence[str]] = {
    "main": ["sraal", "sraal_old", "sraal_topk", "vaal", "vaal_old", "random", "entropy",  # Fig. 3-5
             "margin", "coreset", "mc_dropout"],
    "ablation": ["sraal", "sraal_no_oui", "sraal_no_stl", "vaal"],                     # Fig. 7
    "relabel": ["sraal", "sraal_entropy", "sraal_std"],                                # Table 1
    "init": ["sraal"],                                                                 # Fig. 6 (--init random kcenter)
    "paper": ["sraal", "sraal_paper", "sraal_old", "vaal", "random", "entropy"],       # authors' settings
    # the same experiments with the defaults of version 0.1 (top-K, lambdas 1, no refit)
    "ablation_old": ["sraal_old", "sraal_no_oui_old", "sraal_no_stl_old", "vaal_old"],
    "relabel_old": ["sraal_old", "sraal_entropy_old", "sraal_std_old"],
    "init_old": ["sraal_old"],
    # tuning, with --validation: version 0.1's candidates, then this version's
    "tune": ["sraal_old", "sraal_adv0.1", "sraal_adv0", "sraal_stl0.1", "sraal_n2x",
             "sraal_latent16", "sraal_latent64", "sraal_lr3e-4", "sraal_lr3e-3", "random"],
    "tune3": ["sraal", "sraal_v02", "sraal_cand5", "sraal_cand20", "sraal_topk", "margin",
              "entropy", "random"],
    "tune2": ["sraal", "sraal_topk", "sraal_no_refit", "sraal_no_early_stop",
              "sraal_adv1", "sraal_stl1", "sraal_fresh_bn", "sraal_old", "random", "entropy"],
}
# Segmentation datasets run SEGMENTATION_METHODS for the 'main' experiment.

FIELDS = ["dataset", "method", "init", "seed", "cycle", "labeled", "fraction", "accuracy",
          "target_fit_s", "strategy_fit_s", "scoring_s", "query_s",
          # diagnostics: SRAAL's fit (blank for other methods) and the queried batch's spread
          "tracking", "separation", "stl_accuracy", "sraal_iters", "batch_classes", "batch_top_share"]


def _read_rows(path: str) -> List[Dict]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _append_row(path: str, row: Dict) -> None:
    new = not os.path.exists(path)
    if not new:
        with open(path, newline="") as f:
            header = next(csv.reader(f), [])
        if header != FIELDS:  # a file from an older version: rewrite it with today's columns
            _write_rows(path, _read_rows(path))
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow(row)
        f.flush()
        os.fsync(f.fileno())


def initial_pool(X: np.ndarray, m: int, init: str, seed: int, out: str, device: str) -> np.ndarray:
    """The seed's initial labeled pool, shared by every method (cached in ``out``)."""
    path = os.path.join(out, f"init_{init}_seed{seed}.npy")
    if os.path.exists(path):
        return np.load(path)
    if init == "random":
        idx = np.random.RandomState(seed).choice(len(X), m, replace=False)
    elif init == "kcenter":
        idx = kcenter_init(X, m, random_state=seed, device=device)
    else:
        raise ValueError(f"init must be 'random' or 'kcenter'; got {init!r}.")
    np.save(path, idx)
    return idx


SEGMENTATION_DATASETS = {"synthetic-seg": dict(n_train=600, n_test=200, size=32, n_classes=4)}

#: Methods of the segmentation comparison (§4.2): entropy is the mean per-pixel entropy.
SEGMENTATION_METHODS = ["sraal", "random", "entropy", "coreset", "vaal"]


#: Target architecture per data set read from files (the paper's ResNet-18 for CIFAR).
FILE_DATASET_ARCH = {"cifar10": "resnet18", "cifar100": "resnet18", "caltech101": "resnet18"}


def dataset_task(dataset: str) -> str:
    """``'segmentation'`` or ``'classification'``."""
    if dataset in FILE_DATASETS:
        return FILE_DATASETS[dataset][0]
    return "segmentation" if dataset in SEGMENTATION_DATASETS else "classification"


def load_benchmark_data(dataset: str, data_root: Optional[str] = None):
    """``(X, X_test, y, y_test, task)``; segmentation masks come flattened (modAL).

    ``digits``, ``mnist5k`` and the synthetic segmentation set install with the
    package; ``cifar10``, ``cifar100``, ``caltech101`` and ``cityscapes`` are read
    from ``data_root`` (:func:`modal_sraal.datasets.load_file_dataset`).
    """
    if dataset in FILE_DATASETS:
        from .segmentation import flatten_masks

        X, Xt, y, yt, task = load_file_dataset(dataset, data_root)
        if task == "segmentation":
            y, yt = flatten_masks(y), flatten_masks(yt)
        return X, Xt, y, yt, task
    if dataset in SEGMENTATION_DATASETS:
        from .segmentation import flatten_masks, make_synthetic_segmentation

        cfg = SEGMENTATION_DATASETS[dataset]
        X, y = make_synthetic_segmentation(cfg["n_train"], cfg["size"], cfg["n_classes"], random_state=0)
        Xt, yt = make_synthetic_segmentation(cfg["n_test"], cfg["size"], cfg["n_classes"], random_state=1)
        return X, Xt, flatten_masks(y), flatten_masks(yt), "segmentation"
    X, X_test, y, y_test = train_test(dataset)
    return X, X_test, y, y_test, "classification"


def make_target(task: str, X: np.ndarray, y: np.ndarray, max_epochs: int, seed: int, device: str,
                dataset: str = ""):
    if task == "segmentation":
        from .segmentation import make_target_segmenter

        n_classes = 19 if dataset == "cityscapes" else int(y[y != 255].max()) + 1
        return make_target_segmenter(X.shape[1], n_classes, max_epochs=max_epochs,
                                     random_state=seed, device=device)
    return make_target_classifier(X.shape[1:], int(y.max()) + 1, max_epochs=max_epochs,
                                  random_state=seed, device=device,
                                  arch=FILE_DATASET_ARCH.get(dataset, "cnn"))


def sraal_diagnostics(model: SRAAL) -> Dict[str, float]:
    """The fitted SRAAL's diagnostics, as benchmark CSV columns."""
    return {"tracking": model.tracking_, "separation": model.separation_,
            "stl_accuracy": model.stl_accuracy_, "sraal_iters": model.n_iter_last_}


def run_one(method: str, init: str, seed: int, X, y, X_test, y_test, *, dataset: str,
            start: float, step: float, stop: float, max_epochs: int, out: str, device: str,
            csv_path: str, done_cycles: int, progress, task: str = "classification") -> None:
    """One (method, init, seed) run, resuming from its checkpoint if any."""
    n = len(X)
    m, k = int(round(start * n)), int(round(step * n))
    n_cycles = int(round((stop - start) / step))
    ckpt_path = os.path.join(out, "checkpoints", f"{method}_{init}_seed{seed}.pkl")
    # done_cycles: the last cycle in the CSV, -1 for none (a run killed after
    # its first cycle resumes from that cycle's checkpoint too)
    ckpt = load_checkpoint(ckpt_path) if done_cycles >= 0 and os.path.exists(ckpt_path) else None
    if ckpt is not None and ckpt["cycle"] == done_cycles:
        learner, pool, strategy = ckpt["learner"], ckpt["pool"], ckpt["strategy"]
        cycle = ckpt["cycle"]
    else:  # fresh (a CSV without a matching checkpoint restarts the run)
        if done_cycles >= 0:
            _drop_rows(csv_path, method, init, seed, after=-1)
        init_idx = initial_pool(X, m, init, seed, out, device)
        pool = np.setdiff1d(np.arange(n), init_idx)
        if task == "segmentation" and method == "entropy":
            strategy = pixel_entropy_query
        else:
            strategy = METHODS[method](seed, X[pool], device)
        net = make_target(task, X, y, max_epochs, seed, device, dataset)
        t = time.perf_counter()
        learner = ActiveLearner(estimator=net, query_strategy=strategy,
                                X_training=X[init_idx], y_training=y[init_idx])
        fit_s, cycle = time.perf_counter() - t, 0
        _append_row(csv_path, dict(dataset=dataset, method=method, init=init, seed=seed, cycle=0,
                                   labeled=m, fraction=m / n, accuracy=learner.score(X_test, y_test),
                                   target_fit_s=fit_s, strategy_fit_s="", scoring_s="", query_s=""))
        save_checkpoint(ckpt_path, learner, pool=pool, cycle=0, strategy=strategy)
        progress.update(1)
    while cycle < n_cycles:
        t = time.perf_counter()
        idx, _ = learner.query(X[pool], n_instances=k)
        query_s = time.perf_counter() - t
        model = getattr(strategy, "keywords", {}).get("sraal")
        strategy_fit_s = getattr(model, "fit_seconds_", np.nan) if isinstance(model, SRAAL) else np.nan
        diag = sraal_diagnostics(model) if isinstance(model, SRAAL) else {}
        if y.ndim == 1:  # the batch's spread over the true classes
            diag.update(batch_spread(y[pool[idx]]))
        t = time.perf_counter()
        learner.teach(X[pool[idx]], y[pool[idx]])
        fit_s = time.perf_counter() - t
        pool = np.delete(pool, idx)
        cycle += 1
        _append_row(csv_path, dict(
            dataset=dataset, method=method, init=init, seed=seed, cycle=cycle,
            labeled=len(learner.X_training), fraction=len(learner.X_training) / n,
            accuracy=learner.score(X_test, y_test), target_fit_s=fit_s,
            strategy_fit_s=strategy_fit_s, query_s=query_s,
            scoring_s=(query_s - strategy_fit_s) if np.isfinite(strategy_fit_s) else np.nan, **diag))
        save_checkpoint(ckpt_path, learner, pool=pool, cycle=cycle, strategy=strategy)
        progress.update(1)


def run_benchmark(dataset: str, methods: Sequence[str], seeds: Sequence[int], out: str, *,
                  inits: Sequence[str] = ("random",), start: float = 0.10, step: float = 0.05,
                  stop: float = 0.40, max_epochs: int = 40, subset: Optional[int] = None,
                  device: str = "auto", verbose: int = 1, validation: bool = False,
                  data_root: Optional[str] = None) -> str:
    """Run (or resume) every (method, init, seed) and write ``results.csv``; returns its path.

    With ``validation=True`` the test split is never touched: a stratified
    quarter of the training split is held out and scored instead (for tuning).

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> path = run_benchmark("digits", ["random"], [0], out, stop=0.15, subset=200,
    ...                      max_epochs=1, verbose=0)
    >>> table = summarize(path, out, name="example")
    >>> sorted(table["random"])
    [0.1, 0.15]
    """
    from tqdm.auto import tqdm

    unknown = [mth for mth in methods if mth not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {sorted(METHODS)}.")
    warnings.filterwarnings("ignore", message=".*force_all_finite.*")
    device = resolve_device(device)
    os.makedirs(os.path.join(out, "checkpoints"), exist_ok=True)
    X, X_test, y, y_test, task = load_benchmark_data(dataset, data_root)
    if validation:
        from sklearn.model_selection import train_test_split

        X, X_test, y, y_test = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    if subset:
        X, y = X[:subset], y[:subset]
    csv_path = os.path.join(out, "results.csv")
    n_cycles = int(round((stop - start) / step))
    done: Dict[tuple, int] = {}
    for r in _read_rows(csv_path):
        key = (r["method"], r["init"], int(r["seed"]))
        done[key] = max(done.get(key, -1), int(r["cycle"]))
    runs = [(mth, ini, s) for s in seeds for ini in inits for mth in methods]
    total = len(runs) * (n_cycles + 1)
    finished = sum(min(done.get(r, -1), n_cycles) + 1 for r in runs)
    with tqdm(total=total, initial=finished, desc=f"{dataset}", disable=not verbose) as progress:
        for mth, ini, s in runs:
            last = done.get((mth, ini, s), -1)
            if last >= n_cycles:
                continue
            if last >= 0 and not os.path.exists(
                    os.path.join(out, "checkpoints", f"{mth}_{ini}_seed{s}.pkl")):
                last = -1  # rows without a checkpoint: the run starts over
            if (mth, ini, s) in done:
                _drop_rows(csv_path, mth, ini, s, after=last)
            progress.set_postfix(method=mth, init=ini, seed=s)
            run_one(mth, ini, s, X, y, X_test, y_test, dataset=dataset, start=start, step=step,
                    stop=stop, max_epochs=max_epochs, out=out, device=device, csv_path=csv_path,
                    done_cycles=last, progress=progress, task=task)
    return csv_path


def _drop_rows(csv_path: str, method: str, init: str, seed: int, after: int) -> None:
    """Remove rows of a run past cycle ``after`` (written after its last checkpoint)."""
    rows = [r for r in _read_rows(csv_path)
            if not (r["method"] == method and r["init"] == init and int(r["seed"]) == seed
                    and int(r["cycle"]) > after)]
    _write_rows(csv_path, rows)


def _write_rows(path: str, rows: List[Dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, restval="", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _label(r: Dict, several_inits: bool) -> str:
    return f"{r['method']} ({r['init']} init)" if several_inits else r["method"]


def summarize(csv_path: str, out: str, reference: Optional[str] = None, title: str = "",
              methods: Optional[Sequence[str]] = None, inits: Optional[Sequence[str]] = None,
              name: str = "summary", metric: str = "test accuracy") -> Dict[str, Dict]:
    """Tables, paired comparisons and learning curves from ``results.csv``.

    Only rows of ``methods`` and ``inits`` (default: all) are used, so several
    experiments can share one results file. Writes ``{name}.md``, ``{name}.rst``
    and ``{name}.png`` to ``out``; returns ``{label: {fraction: (mean, std, n)}}``.
    ``metric`` names what the ``accuracy`` column holds (tables and plot).
    """
    from scipy import stats

    rows = [r for r in _read_rows(csv_path)
            if (methods is None or r["method"] in methods) and (inits is None or r["init"] in inits)]
    if methods is not None:
        order = {m: i for i, m in enumerate(methods)}
        rows.sort(key=lambda r: order[r["method"]])
    several_inits = len({r["init"] for r in rows}) > 1
    acc: Dict[str, Dict[int, Dict[int, float]]] = {}   # label -> cycle -> seed -> accuracy
    frac: Dict[int, float] = {}
    times: Dict[str, List[float]] = {}
    for r in rows:
        lab, c, s = _label(r, several_inits), int(r["cycle"]), int(r["seed"])
        acc.setdefault(lab, {}).setdefault(c, {})[s] = float(r["accuracy"])
        frac[c] = float(r["fraction"])
        if c > 0:
            cyc = float(r["target_fit_s"]) + (float(r["query_s"]) if r["query_s"] else 0.0)
            times.setdefault(lab, []).append(cyc)
    labels = list(acc)
    reference = reference if reference in acc else labels[0]
    cycles = sorted(frac)
    table = {lab: {frac[c]: (np.mean(list(acc[lab][c].values())), np.std(list(acc[lab][c].values())),
                             len(acc[lab][c])) for c in cycles if c in acc[lab]} for lab in labels}

    acc_head = ["method"] + [f"{100 * frac[c]:.0f}%" for c in cycles] + ["s/cycle"]
    acc_rows = []
    for lab in labels:
        cells = [f"{100 * table[lab][frac[c]][0]:.2f} +- {100 * table[lab][frac[c]][1]:.2f} "
                 f"(n={table[lab][frac[c]][2]})" if frac[c] in table[lab] else "" for c in cycles]
        acc_rows.append([lab] + cells + [f"{np.mean(times.get(lab, [np.nan])):.1f}"])
    cmp_head = ["method"] + [f"{100 * frac[c]:.0f}%" for c in cycles[1:]] + ["all"]
    cmp_rows = []
    for lab in labels:
        if lab == reference:
            continue
        cells = []
        for c in cycles[1:] + ["all"]:
            if c == "all":
                seeds = sorted(set.intersection(*[set(acc[reference].get(cc, {})) & set(acc[lab].get(cc, {}))
                                                  for cc in cycles[1:]]))
                a = [np.mean([acc[reference][cc][s] for cc in cycles[1:]]) for s in seeds]
                b = [np.mean([acc[lab][cc][s] for cc in cycles[1:]]) for s in seeds]
            else:
                seeds = sorted(set(acc[reference].get(c, {})) & set(acc[lab].get(c, {})))
                a = [acc[reference][c][s] for s in seeds]
                b = [acc[lab][c][s] for s in seeds]
            if not seeds:
                cells.append("")
                continue
            d = 100 * (np.mean(a) - np.mean(b))
            p = stats.ttest_rel(a, b).pvalue if len(seeds) >= 2 and np.any(np.array(a) != b) else np.nan
            cells.append(f"{d:+.2f} (p={p:.3f})" if np.isfinite(p) else f"{d:+.2f}")
        cmp_rows.append([lab] + cells)
    intro_acc = (f"{metric[:1].upper() + metric[1:]} (%), mean +- std over seeds (n = seeds), "
                 "per labeled fraction of the training split. s/cycle: mean wall seconds per "
                 "cycle (target-model fit + query).")
    intro_cmp = (f"Paired comparison, {reference} minus each method: {metric} difference in "
                 f"points, mean over seeds paired by seed; p: two-sided paired t-test (needs >= 2 "
                 f"seeds). 'all': per-seed mean over every cycle after the start.")
    os.makedirs(out, exist_ok=True)
    md = [f"# {title or os.path.basename(out)}", "", intro_acc, "", *_md_table(acc_head, acc_rows),
          "", f"## {reference} minus each method", "", intro_cmp, "", *_md_table(cmp_head, cmp_rows)]
    diag_head, diag_rows = _diagnostics_table(rows, several_inits)
    intro_diag = ("Diagnostics, mean over cycles after the start (blank: not recorded for that "
                  "method or run). tracking: Spearman between SRAAL's discriminator and the "
                  "relabeled states on the unlabeled pool; separation: its ROC AUC for unlabeled "
                  "vs labeled rows; STL acc.: the STL on the labeled rows; classes / top share: "
                  "distinct classes in a queried batch and the largest class's share; query / "
                  "fit: query seconds over the target model's fit seconds in the same cycle.")
    md += ["", "## Diagnostics", "", intro_diag, "", *_md_table(diag_head, diag_rows)]
    with open(os.path.join(out, f"{name}.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    rst = [intro_acc, "", *_rst_table(acc_head, acc_rows), "", intro_cmp, "",
           *_rst_table(cmp_head, cmp_rows), "", intro_diag, "", *_rst_table(diag_head, diag_rows)]
    with open(os.path.join(out, f"{name}.rst"), "w") as f:
        f.write("\n".join(rst) + "\n")
    _plot(table, os.path.join(out, f"{name}.png"), title or os.path.basename(out), metric)
    return table


#: Diagnostic columns of results.csv and their headings in the summary.
DIAGNOSTICS = [("tracking", "tracking", "{:.2f}"), ("separation", "separation", "{:.2f}"),
               ("stl_accuracy", "STL acc.", "{:.2f}"), ("batch_classes", "classes", "{:.1f}"),
               ("batch_top_share", "top share", "{:.2f}"), ("query_s", "query s", "{:.1f}"),
               ("target_fit_s", "fit s", "{:.1f}")]


def _diagnostics_table(rows: List[Dict], several_inits: bool):
    """Per method: the mean of each diagnostic column over cycles after the start."""
    values: Dict[str, Dict[str, List[float]]] = {}
    for r in rows:
        if int(r["cycle"]) == 0:
            continue
        per = values.setdefault(_label(r, several_inits), {})
        for col, _, _ in DIAGNOSTICS:
            if r.get(col) not in (None, "", "nan"):
                per.setdefault(col, []).append(float(r[col]))
        if r.get("query_s") and float(r["target_fit_s"]) > 0:
            per.setdefault("ratio", []).append(float(r["query_s"]) / float(r["target_fit_s"]))
    head = ["method"] + [h for _, h, _ in DIAGNOSTICS] + ["query / fit"]
    out = []
    for lab, per in values.items():
        cells = [fmt.format(np.nanmean(per[c])) if per.get(c) else "" for c, _, fmt in DIAGNOSTICS]
        cells.append(f"{np.mean(per['ratio']):.2f}" if per.get("ratio") else "")
        out.append([lab] + cells)
    return head, out


def _md_table(head: List[str], rows: List[List[str]]) -> List[str]:
    return (["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
            + ["| " + " | ".join(r) + " |" for r in rows])


def _rst_table(head: List[str], rows: List[List[str]]) -> List[str]:
    out = [".. list-table::", "   :header-rows: 1", ""]
    for r in [head] + rows:
        out.append(f"   * - {r[0]}")
        out += [f"     - {c}" if c else "     -" for c in r[1:]]
    return out


def _plot(table: Dict[str, Dict], path: str, title: str, metric: str = "test accuracy") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for lab, per in table.items():
        fr = sorted(per)
        mean = np.array([per[f][0] for f in fr]) * 100
        std = np.array([per[f][1] for f in fr]) * 100
        x = np.array(fr) * 100
        lw = 2.5 if lab.startswith("sraal") and "_" not in lab.split()[0] else 1.5
        ax.plot(x, mean, marker="o", ms=3, lw=lw, label=lab)
        ax.fill_between(x, mean - std, mean + std, alpha=0.15)
    ax.set_xlabel("labeled (% of training set)")
    ax.set_ylabel(f"{metric} (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="SRAAL benchmark harness (paper §4 protocol).")
    p.add_argument("--dataset", default="digits",
                   choices=["digits", "mnist5k", *SEGMENTATION_DATASETS, *FILE_DATASETS],
                   help="synthetic-seg, cityscapes: segmentation, scored by mean IoU (in the "
                        "accuracy column); cifar10, cifar100, caltech101, cityscapes: read from "
                        "--data-root (never downloaded)")
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
                             validation=a.validation, data_root=a.data_root)
    name = a.experiment if a.methods is None else "summary"
    metric = "mean IoU" if segmentation else "accuracy"
    metric = ("validation " if a.validation else "test ") + metric
    summarize(csv_path, a.out, reference=methods[0] if len(inits) == 1 else None,
              title=f"{a.dataset}: {a.experiment}", methods=methods, inits=inits, name=name,
              metric=metric)
    print(open(os.path.join(a.out, f"{name}.md")).read())
    print(f"wall time {time.perf_counter() - t:.0f}s; results in {a.out}")


if __name__ == "__main__":
    main()
