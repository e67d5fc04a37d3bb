"""What a process's first tabular query costs, with each optimizer for SRAAL's networks
======================================================================================

    python examples/process_first_query.py [--reps 5] [--out folder]

Issue 17's tabular target: a query on a pool of about 500 rows and 30 features, a
scikit-learn pipeline as the target, in under 1 s. ``examples/query_cost.py`` times
queries after a warm-up; this script times what a user's script sees, from a fresh
Python process: ``breast_cancer`` (569 rows, 30 features), 30 random rows labeled,
the other 539 the pool, ``StandardScaler + LogisticRegression`` as the target, one
thread, and ``ActiveLearner(query_strategy=sraal_query)``'s first three queries of 10
rows (teaching each batch in between), each seeded (``random_state``) so that the
two optimizers' picks can be compared.

Each repetition starts one fresh process per optimizer, in turn, so that a drift of the
machine's speed hits both alike: ``eager`` builds SRAAL's networks with today's
default, :class:`modal_sraal.optim.EagerAdam`; ``torch`` with ``torch.optim.Adam``,
the default before 0.20, whose first use imports ``torch._dynamo``. Prints, per
optimizer, the median seconds of the imports, the target's first fit and each query,
whether the process had imported ``torch._dynamo`` by the end, and whether its picks
equal those of the first optimizer's process in the same repetition (the two
optimizers' updates are the same, bit for bit).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import torch
from modAL.models import ActiveLearner
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from modal_sraal import sraal_query
from modal_sraal.discriminator import SRAALDiscriminator
from modal_sraal.generator import SRAALGenerator
import_s = time.perf_counter() - t0
if sys.argv[1] == "torch":
    # The networks' default optimizer before 0.20.
    for cls in (SRAALGenerator, SRAALDiscriminator):
        cls.__init__.__kwdefaults__["optimizer"] = torch.optim.Adam
torch.set_num_threads(1)
X, y = load_breast_cancer(return_X_y=True)
order = np.random.RandomState(int(sys.argv[2])).permutation(len(X))
labeled, pool = list(order[:30]), list(order[30:])
t = time.perf_counter()
learner = ActiveLearner(make_pipeline(StandardScaler(), LogisticRegression()), sraal_query,
                        X_training=X[labeled], y_training=y[labeled])
fit_s = time.perf_counter() - t
query_s, picks = [], []
for q in range(3):
    t = time.perf_counter()
    idx, _ = learner.query(X[pool], n_instances=10, random_state=10 * int(sys.argv[2]) + q)
    query_s.append(time.perf_counter() - t)
    picked = [int(pool[i]) for i in idx]
    picks.append(picked)
    learner.teach(X[picked], y[picked])
    taken = set(picked)
    pool = [p for p in pool if p not in taken]
print(json.dumps({"import_s": import_s, "fit_s": fit_s, "query_s": query_s, "picks": picks,
                  "dynamo": "torch._dynamo" in sys.modules}))
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=5, help="fresh processes per optimizer")
    p.add_argument("--optimizers", nargs="+", default=["eager", "torch"],
                   choices=["eager", "torch"])
    p.add_argument("--out", default=None, help="folder for process_first_query.csv")
    a = p.parse_args(argv)
    import numpy as np

    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows, picks = [], {}   # picks: the first optimizer's, per repetition
    for rep in range(a.reps):
        for name in a.optimizers:
            out = subprocess.run([sys.executable, "-c", _CHILD, name, str(rep)], env=env,
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            picks.setdefault(rep, r["picks"])
            rows.append({"optimizer": name, "rep": rep, "import_s": r["import_s"],
                         "fit_s": r["fit_s"], "query1_s": r["query_s"][0],
                         "query2_s": r["query_s"][1], "query3_s": r["query_s"][2],
                         "dynamo_imported": r["dynamo"],
                         "same_picks": r["picks"] == picks[rep]})
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in rows[-1].items()), flush=True)
    print("\noptimizer  import_s  fit_s  query1_s (min-max)  query2_s  query3_s  dynamo  "
          f"same picks as {a.optimizers[0]}")
    for name in a.optimizers:
        mine = [r for r in rows if r["optimizer"] == name]
        med = {k: float(np.median([r[k] for r in mine]))
               for k in ("import_s", "fit_s", "query1_s", "query2_s", "query3_s")}
        q1 = [r["query1_s"] for r in mine]
        print(f"{name:9s}  {med['import_s']:8.2f}  {med['fit_s']:5.3f}  {med['query1_s']:8.2f} "
              f"({min(q1):.2f}-{max(q1):.2f})  {med['query2_s']:8.2f}  {med['query3_s']:8.2f}  "
              f"{sum(r['dynamo_imported'] for r in mine)}/{len(mine)}  "
              f"{sum(r['same_picks'] for r in mine)}/{len(mine)}")
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "process_first_query.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
