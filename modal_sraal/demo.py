"""The main job: an active learning loop with kcenter_init + sraal_query.

    python -m modal_sraal.demo [--dataset digits|mnist5k] [--out runs/demo]

Starts from 10% of the training split chosen by k-center (Alg. 1), queries
5% per cycle with SRAAL until 40%, prints the test accuracy each cycle beside
a random-sampling baseline from the same start, and saves a learning curve.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Callable, Dict, List, Optional

import numpy as np

from modAL.models import ActiveLearner

from .baselines import random_query
from .datasets import train_test
from .kcenter import kcenter_init
from .loop import Cycle, run_cycles
from .models import make_target_classifier
from .query import sraal_query
from .reproducibility import describe_environment


def run_loop(strategy: Callable, X, y, X_test, y_test, init_idx, step: int, n_cycles: int,
             max_epochs: int, seed: int, label: str) -> List[Dict]:
    """One active learning run (:func:`~modal_sraal.loop.run_cycles`); returns a row per cycle."""
    n_classes = int(y.max()) + 1
    net = make_target_classifier(X.shape[1:], n_classes, max_epochs=max_epochs, random_state=seed)
    learner = ActiveLearner(estimator=net, query_strategy=strategy,
                            X_training=X[init_idx], y_training=y[init_idx])
    rows: List[Dict] = []

    def report(c: Optional[Cycle] = None) -> None:
        acc = learner.score(X_test, y_test)
        n_lab = len(learner.X_training)
        rows.append({"method": label, "cycle": c.cycle if c else 0, "labeled": n_lab,
                     "accuracy": acc})
        if c is not None:
            rows[-2]["query_seconds"] = c.query_seconds
        print(f"  {label:7s} cycle {rows[-1]['cycle']}: {n_lab:5d} labeled "
              f"({100 * n_lab / len(X):4.1f}%)  test accuracy {acc:.4f}", flush=True)

    report()
    run_cycles(learner, X, y, np.setdiff1d(np.arange(len(X)), init_idx), step, n_cycles,
               on_cycle=report)
    return rows


def main(argv=None) -> Dict[str, List[Dict]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits", choices=["digits", "mnist5k"])
    p.add_argument("--out", default="runs/demo", help="folder for the plot")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-epochs", type=int, default=40, help="target model epochs")
    p.add_argument("--final-fraction", type=float, default=0.40)
    args = p.parse_args(argv)
    # modAL's teach passes force_all_finite, which scikit-learn 1.6+ deprecates.
    warnings.filterwarnings("ignore", message=".*force_all_finite.*")

    X, X_test, y, y_test = train_test(args.dataset)
    n = len(X)
    m, step = int(round(0.10 * n)), int(round(0.05 * n))
    n_cycles = int(round((args.final_fraction - 0.10) / 0.05))
    # the selections of a seed are the same only where this line is (see its module)
    print(describe_environment("auto"))
    print(f"{args.dataset}: {n} training / {len(X_test)} test images of shape {X.shape[1:]}")
    t0 = time.perf_counter()
    init_idx = kcenter_init(X, m, random_state=args.seed)
    print(f"kcenter_init picked {m} samples in {time.perf_counter() - t0:.1f}s")

    results = {}
    for label, strategy in [
        ("SRAAL", lambda lr, Xp, n_instances=1: sraal_query(lr, Xp, n_instances, random_state=args.seed)),
        ("random", lambda lr, Xp, n_instances=1: random_query(lr, Xp, n_instances, args.seed)),
    ]:
        results[label] = run_loop(strategy, X, y, X_test, y_test, init_idx, step, n_cycles,
                                  args.max_epochs, args.seed, label)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"learning_curve_{args.dataset}.png")
    plot_curves(results, n, path, f"{args.dataset}: k-center start, +5% per cycle")
    print(f"saved {path} ({time.perf_counter() - t0:.0f}s in all)")
    return results


def plot_curves(results: Dict[str, List[Dict]], n_train: int, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, rows in results.items():
        ax.plot([100 * r["labeled"] / n_train for r in rows], [r["accuracy"] for r in rows],
                marker="o", label=label)
    ax.set_xlabel("labeled (% of training set)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
