"""Probe (0.26 plan addendum 2): on digits-mixed's validation split, which rows' labels pay:
random rows among the cleaner half of the pool, the noisier half, or all; and where SRAAL's
and margin's picks lie in noise. Writes one CSV row per (method, seed, cycle); with --table,
prints the published table from that CSV instead.

    python docs/_static/bench/v026/noise_probe.py --seeds 20 21 22 23 24 25 26 27 --out runs/v26/noise-probe.csv
    python docs/_static/bench/v026/noise_probe.py --table --out docs/_static/bench/v026/noise-probe.csv
"""
import argparse, csv, os, time, warnings
import numpy as np
from modAL.models import ActiveLearner
from modal_sraal.benchmark.data import DATASETS, _validation_split, load_benchmark_data, make_target
from modal_sraal.benchmark.methods import METHODS

ap = argparse.ArgumentParser()
ap.add_argument("--dataset", default="digits-mixed")
ap.add_argument("--methods", nargs="+", default=["random", "random_clean", "random_noisy", "margin", "sraal"])
ap.add_argument("--seeds", nargs="+", type=int, default=[])
ap.add_argument("--out", required=True)
ap.add_argument("--table", action="store_true")
a = ap.parse_args()


def table(path):
    from scipy import stats
    by = {}
    for r in csv.DictReader(open(path)):
        by.setdefault(r["method"], {}).setdefault(int(r["seed"]), {})[int(r["cycle"])] = r

    def run_mean(m, s, key):   # the seed's mean over the cycles after the start
        return np.mean([float(by[m][s][c][key]) for c in range(1, 7)])
    seeds = sorted(s for s in by["random"] if all(len(by[m].get(s, {})) == 7 for m in by))
    print(f"digits-mixed, validation split, seeds {seeds}; mean over the cycles after the 10% start")
    print("| method | minus random (points) | p | picks' noise sd | picks below the median "
          "| accuracy, cleaner half | accuracy, noisier half |")
    print("|---|---|---|---|---|---|---|")
    for m in ["random", "random_clean", "random_noisy", "margin", "sraal"]:
        a_, b_ = (np.array([run_mean(x, s, "accuracy") for s in seeds]) for x in (m, "random"))
        p = f"{stats.ttest_rel(a_, b_).pvalue:.3f}" if m != "random" else ""
        means = [np.mean([run_mean(m, s, k) for s in seeds])
                 for k in ("picked_sd", "picked_clean_share", "acc_clean", "acc_noisy")]
        print(f"| {m} | {100 * (a_ - b_).mean():+.2f} | {p} | {means[0]:.2f} | {means[1]:.2f} "
              f"| {100 * means[2]:.1f} | {100 * means[3]:.1f} |")


if a.table:
    table(a.out)
    raise SystemExit
warnings.filterwarnings("ignore")
X, Xv, y, yv, _ = load_benchmark_data(a.dataset, validation=True)
# the training and validation rows' noise: one draw, split as load_benchmark_data splits X
sd_all, _, y_all = DATASETS[a.dataset].noise_sd()
sd, sd_v = _validation_split(sd_all, y=y_all)
assert len(sd) == len(X) and len(sd_v) == len(Xv)
med = np.median(sd)
n = len(X); m, k = int(round(0.10 * n)), int(round(0.05 * n))
done = set()
if os.path.exists(a.out):
    done = {(r["method"], int(r["seed"])) for r in csv.DictReader(open(a.out)) if r["cycle"] == "6"}
f = open(a.out, "a", newline="")
w = csv.DictWriter(f, ["method", "seed", "cycle", "labeled", "accuracy", "acc_clean", "acc_noisy",
                       "picked_sd", "picked_clean_share", "query_s", "fit_s"])
if f.tell() == 0:
    w.writeheader()
clean_v = sd_v < np.median(sd_v)
for seed in a.seeds:
    init = np.random.RandomState(seed).choice(n, m, replace=False)
    for meth in a.methods:
        if (meth, seed) in done:
            continue
        pool = np.setdiff1d(np.arange(n), init)
        rng = np.random.RandomState(1000 + seed)
        # the halves pick their rows below; their learner's strategy is never called
        name = "random" if meth.startswith("random_") else meth
        strategy = METHODS[name](seed, X[pool], "cpu").strategy
        net = make_target(a.dataset, X, y, 40, seed, "cpu")
        learner = ActiveLearner(estimator=net, query_strategy=strategy,
                                X_training=X[init], y_training=y[init])
        def row(c, picked, qs, fs):
            pred = learner.predict(Xv)
            ok = pred == yv
            w.writerow(dict(method=meth, seed=seed, cycle=c, labeled=len(learner.X_training),
                            accuracy=ok.mean(), acc_clean=ok[clean_v].mean(), acc_noisy=ok[~clean_v].mean(),
                            picked_sd="" if picked is None else sd[picked].mean(),
                            picked_clean_share="" if picked is None else (sd[picked] < med).mean(),
                            query_s=qs, fit_s=fs)); f.flush()
        row(0, None, "", "")
        for c in range(1, 7):
            t = time.perf_counter()
            if meth in ("random_clean", "random_noisy"):
                side = sd[pool] < med if meth == "random_clean" else sd[pool] >= med
                cand = np.flatnonzero(side)
                if len(cand) < k:   # the half runs out: the rest of it, topped up from the other
                    idx = np.concatenate([cand, rng.permutation(np.flatnonzero(~side))[:k - len(cand)]])
                else:
                    idx = rng.choice(cand, k, replace=False)
            else:
                idx, _ = learner.query(X[pool], n_instances=k)
            qs = time.perf_counter() - t
            picked = pool[np.asarray(idx)]
            t = time.perf_counter(); learner.teach(X[picked], y[picked]); fs = time.perf_counter() - t
            pool = np.delete(pool, idx)
            row(c, picked, qs, fs)
        print(meth, seed, "done", flush=True)
