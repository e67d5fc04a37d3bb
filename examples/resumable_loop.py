"""An active learning loop that checkpoints after every cycle and resumes after a crash.
=====================================================================================

    python examples/resumable_loop.py --checkpoint runs/loop.pkl [--cycles 6] [--quick]

Kill it at any time and run the same command again: it continues from the last
finished cycle and makes the same selections as a run that was never interrupted.
"""
import argparse
import warnings

import numpy as np
from modAL.models import ActiveLearner

from modal_sraal import load_checkpoint, save_checkpoint, sraal_query
from modal_sraal.datasets import train_test
from modal_sraal.models import make_target_classifier

warnings.filterwarnings("ignore", message=".*force_all_finite.*")

p = argparse.ArgumentParser()
p.add_argument("--checkpoint", required=True)
p.add_argument("--cycles", type=int, default=6)
p.add_argument("--quick", action="store_true")
args = p.parse_args()
epochs, step = (5, 20) if args.quick else (40, 67)

X, X_test, y, y_test = train_test("digits")
if args.quick:
    X, y = X[:400], y[:400]

ckpt = load_checkpoint(args.checkpoint)
if ckpt is None:                                   # fresh start
    init = np.random.RandomState(0).choice(len(X), 40, replace=False)
    learner = ActiveLearner(make_target_classifier(X.shape[1:], 10, max_epochs=epochs),
                            query_strategy=sraal_query, X_training=X[init], y_training=y[init])
    pool, cycle, picked = np.setdiff1d(np.arange(len(X)), init), 0, []
else:
    learner, pool, cycle, picked = ckpt["learner"], ckpt["pool"], ckpt["cycle"], ckpt["picked"]
    print(f"resumed after cycle {cycle}", flush=True)

while cycle < args.cycles:
    idx, _ = learner.query(X[pool], n_instances=step, random_state=0)
    picked.append(pool[idx].tolist())
    learner.teach(X[pool[idx]], y[pool[idx]])
    pool = np.delete(pool, idx)
    cycle += 1
    save_checkpoint(args.checkpoint, learner, pool=pool, cycle=cycle, picked=picked)
    print(f"cycle {cycle} saved: test accuracy {learner.score(X_test, y_test):.3f}", flush=True)
print("picked", picked)
