"""The run protocol (paper §4): a start pool, cycles of query + teach, a row per cycle.

The initial labeled pool is ``start`` of the training split (random, or
``kcenter_init``), ``+step`` per cycle until ``stop``; each cycle the target
model is trained from scratch on the labeled pool and scored on the fixed
test split; within a seed, every method starts from the same initial pool.
Every method runs through modAL's ``ActiveLearner`` and the one loop of
:func:`modal_sraal.loop.run_cycles`. A killed run resumes: finished
(method, init, seed) runs are skipped, and an unfinished one continues from
its checkpoint after the last finished cycle.
"""
from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence

import numpy as np
from modAL.models import ActiveLearner

from .._skorch_utils import resolve_device
from ..baselines import pixel_entropy_query
from ..checkpoint import load_checkpoint, save_checkpoint
from ..loop import Cycle, run_cycles
from ..selection import batch_spread
from .data import DATASETS, initial_pool, load_benchmark_data, make_target
from .methods import METHODS, Method
from .storage import append_row, drop_rows, read_rows, record_environment

__all__ = ["RunSettings", "run_one", "run_benchmark", "sraal_diagnostics"]


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs beside the method, the initial pool and the seed."""

    dataset: str
    out: str
    start: float = 0.10
    step: float = 0.05
    stop: float = 0.40
    max_epochs: int = 40
    device: str = "cpu"
    #: The target's near-equal mini-batches (False: fixed ``batch_size``, as
    #: every benchmark published with version 0.7 and earlier).
    even_batches: bool = True

    @property
    def task(self) -> str:
        return DATASETS[self.dataset].task

    @property
    def csv_path(self) -> str:
        return os.path.join(self.out, "results.csv")

    def n_cycles(self) -> int:
        return int(round((self.stop - self.start) / self.step))

    def checkpoint_path(self, method: str, init: str, seed: int) -> str:
        return os.path.join(self.out, "checkpoints", f"{method}_{init}_seed{seed}.pkl")


def sraal_diagnostics(model: Any) -> Dict[str, float]:
    """The fitted SRAAL's diagnostics, as benchmark CSV columns."""
    batch = getattr(model, "batch_selection_", {})
    return {"tracking": model.tracking_, "separation": model.separation_,
            "stl_accuracy": model.stl_accuracy_, "sraal_iters": model.n_iter_last_,
            "batch_selection": batch.get("selection", ""),
            "isolated_share": batch.get("isolated_share", ""),
            "down_weighted": batch.get("down_weighted", "")}


def _make_method(name: str, task: str, seed: int, X_pool, device: str) -> Method:
    if task == "segmentation" and name == "entropy":
        return Method(pixel_entropy_query)
    return METHODS[name](seed, X_pool, device)


def run_one(method: str, init: str, seed: int, data, settings: RunSettings, done_cycles: int,
            progress: Any = None) -> None:
    """One (method, init, seed) run, resuming from its checkpoint if any.

    ``data``: ``(X, y, X_test, y_test)``; ``done_cycles``: the last cycle in
    the results file, -1 for none.
    """
    X, y, X_test, y_test = data
    n = len(X)
    m, k = int(round(settings.start * n)), int(round(settings.step * n))
    ckpt_path = settings.checkpoint_path(method, init, seed)
    ckpt = load_checkpoint(ckpt_path) if done_cycles >= 0 and os.path.exists(ckpt_path) else None
    row = dict(dataset=settings.dataset, method=method, init=init, seed=seed)
    if ckpt is not None and ckpt["cycle"] == done_cycles:
        learner, pool, chosen, cycle = ckpt["learner"], ckpt["pool"], ckpt["strategy"], ckpt["cycle"]
    else:  # fresh (a results file without a matching checkpoint restarts the run)
        if done_cycles >= 0:
            drop_rows(settings.csv_path, method, init, seed, after=-1)
        init_idx = initial_pool(X, m, init, seed, settings.out, settings.device)
        pool = np.setdiff1d(np.arange(n), init_idx)
        chosen = _make_method(method, settings.task, seed, X[pool], settings.device)
        net = make_target(settings.dataset, X, y, settings.max_epochs, seed, settings.device,
                          even_batches=settings.even_batches)
        t = time.perf_counter()
        learner = ActiveLearner(estimator=net, query_strategy=chosen.strategy,
                                X_training=X[init_idx], y_training=y[init_idx])
        fit_s, cycle = time.perf_counter() - t, 0
        append_row(settings.csv_path, dict(
            row, cycle=0, labeled=m, fraction=m / n, accuracy=learner.score(X_test, y_test),
            target_fit_s=fit_s, strategy_fit_s="", scoring_s="", query_s=""))
        save_checkpoint(ckpt_path, learner, pool=pool, cycle=0, strategy=chosen)
        if progress is not None:
            progress.update(1)

    def record(c: Cycle) -> None:
        model = chosen.sraal
        strategy_fit_s = model.fit_seconds_ if model is not None else np.nan
        diag = sraal_diagnostics(model) if model is not None else {}
        if y.ndim == 1:  # the batch's spread over the true classes
            diag.update(batch_spread(y[c.picked]))
        labeled = len(learner.X_training)
        append_row(settings.csv_path, dict(
            row, cycle=c.cycle, labeled=labeled, fraction=labeled / n,
            accuracy=learner.score(X_test, y_test), target_fit_s=c.fit_seconds,
            strategy_fit_s=strategy_fit_s, query_s=c.query_seconds,
            scoring_s=(c.query_seconds - strategy_fit_s) if np.isfinite(strategy_fit_s) else np.nan,
            **diag))
        save_checkpoint(ckpt_path, learner, pool=c.pool, cycle=c.cycle, strategy=chosen)
        if progress is not None:
            progress.update(1)

    run_cycles(learner, X, y, pool, k, settings.n_cycles(), start_cycle=cycle, on_cycle=record)


def run_benchmark(dataset: str, methods: Sequence[str], seeds: Sequence[int], out: str, *,
                  inits: Sequence[str] = ("random",), start: float = 0.10, step: float = 0.05,
                  stop: float = 0.40, max_epochs: int = 40, subset: Optional[int] = None,
                  device: str = "auto", verbose: int = 1, validation: bool = False,
                  data_root: Optional[str] = None, even_batches: bool = True) -> str:
    """Run (or resume) every (method, init, seed) and write ``results.csv``; returns its path.

    With ``validation=True`` the test split is never touched: a stratified
    quarter of the training split is held out and scored instead (for tuning).
    ``even_batches=False`` trains the target on skorch's fixed mini-batches,
    as every benchmark published with version 0.7 and earlier did.

    Examples
    --------
    >>> import tempfile
    >>> from modal_sraal.benchmark import summarize
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
    settings = RunSettings(dataset=dataset, out=out, start=start, step=step, stop=stop,
                           max_epochs=max_epochs, device=resolve_device(device),
                           even_batches=even_batches)
    os.makedirs(os.path.join(out, "checkpoints"), exist_ok=True)
    record_environment(out, settings.device)   # each start: a resumed run may run elsewhere
    X, X_test, y, y_test, _ = load_benchmark_data(dataset, data_root, validation)
    if subset:
        X, y = X[:subset], y[:subset]
    n_cycles = settings.n_cycles()
    done: Dict[tuple, int] = {}
    for r in read_rows(settings.csv_path):
        key = (r["method"], r["init"], int(r["seed"]))
        done[key] = max(done.get(key, -1), int(r["cycle"]))
    runs = [(mth, ini, s) for s in seeds for ini in inits for mth in methods]
    total = len(runs) * (n_cycles + 1)
    finished = sum(min(done.get(r, -1), n_cycles) + 1 for r in runs)
    # modAL's teach passes force_all_finite, which scikit-learn 1.6+ deprecates:
    # silenced here, for the benchmark's own calls only.
    with warnings.catch_warnings(), \
            tqdm(total=total, initial=finished, desc=dataset, disable=not verbose) as progress:
        warnings.filterwarnings("ignore", message=".*force_all_finite.*")
        for mth, ini, s in runs:
            last = done.get((mth, ini, s), -1)
            if last >= n_cycles:
                continue
            if last >= 0 and not os.path.exists(settings.checkpoint_path(mth, ini, s)):
                last = -1  # rows without a checkpoint: the run starts over
            if (mth, ini, s) in done:
                drop_rows(settings.csv_path, mth, ini, s, after=last)
            progress.set_postfix(method=mth, init=ini, seed=s)
            run_one(mth, ini, s, (X, y, X_test, y_test), settings, done_cycles=last,
                    progress=progress)
    return settings.csv_path
