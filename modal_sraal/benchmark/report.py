"""Tables, paired comparisons and learning curves from a results file."""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from .storage import read_rows

__all__ = ["summarize", "md_table", "run_difference", "ceiling_gap"]


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
    rows = [r for r in read_rows(csv_path)
            if (methods is None or r["method"] in methods) and (inits is None or r["init"] in inits)]
    if methods is not None:
        order = {m: i for i, m in enumerate(methods)}
        rows.sort(key=lambda r: order[r["method"]])
    several_inits = len({r["init"] for r in rows}) > 1
    acc, frac = _accuracies(rows, several_inits)
    labels = list(acc)
    reference = reference if reference in acc else labels[0]
    cycles = sorted(frac)
    table = {lab: {frac[c]: (np.mean(list(acc[lab][c].values())), np.std(list(acc[lab][c].values())),
                             len(acc[lab][c])) for c in cycles if c in acc[lab]} for lab in labels}
    sections = [
        ("", f"{metric[:1].upper() + metric[1:]} (%), mean +- std over seeds (n = seeds), per "
             "labeled fraction of the training split. s/cycle: mean wall seconds per cycle "
             "(target-model fit + query).",
         _accuracy_table(table, rows, several_inits, frac, cycles)),
        (f"{reference} minus each method",
         f"Paired comparison, {reference} minus each method: {metric} difference in points, mean "
         f"over seeds paired by seed; p: two-sided paired t-test (needs >= 2 seeds). 'all': "
         f"per-seed mean over every cycle after the start.",
         _paired_table(acc, reference, frac, cycles)),
        ("Diagnostics",
         "Diagnostics, mean over cycles after the start (blank: not recorded for that method or "
         "run). tracking: Spearman between SRAAL's discriminator and the relabeled states on the "
         "unlabeled pool; separation: its ROC AUC for unlabeled vs labeled rows; STL acc.: the "
         "STL on the labeled rows; classes / top share: distinct classes in a queried batch and "
         "the largest class's share; query / fit: query seconds over the target model's fit "
         "seconds in the same cycle.",
         _diagnostics_table(rows, several_inits)),
        ("Query and fit seconds per cycle",
         "Seconds per cycle, mean over seeds: the query, then the target model's fit in the same "
         "cycle (same process), as 'query / fit'; 'worst': the largest per-run ratio in any cycle.",
         _seconds_table(rows, several_inits, frac, cycles)),
    ]
    os.makedirs(out, exist_ok=True)
    md, rst = [f"# {title or os.path.basename(out)}"], []
    for heading, intro, (head, body) in sections:
        md += ["", f"## {heading}", ""] if heading else [""]
        md += [intro, "", *md_table(head, body)]
        rst += [intro, "", *_rst_table(head, body), ""]
    with open(os.path.join(out, f"{name}.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, f"{name}.rst"), "w") as f:
        f.write("\n".join(rst).rstrip() + "\n")
    _plot(table, os.path.join(out, f"{name}.png"), title or os.path.basename(out), metric)
    return table


def _accuracies(rows: List[Dict], several_inits: bool):
    """``label -> cycle -> seed -> accuracy`` and ``cycle -> labeled fraction``."""
    acc: Dict[str, Dict[int, Dict[int, float]]] = {}
    frac: Dict[int, float] = {}
    for r in rows:
        lab, c, s = _label(r, several_inits), int(r["cycle"]), int(r["seed"])
        acc.setdefault(lab, {}).setdefault(c, {})[s] = float(r["accuracy"])
        frac[c] = float(r["fraction"])
    return acc, frac


def _accuracy_table(table, rows, several_inits, frac, cycles):
    times: Dict[str, List[float]] = {}
    for r in rows:
        if int(r["cycle"]) > 0:
            cyc = float(r["target_fit_s"]) + (float(r["query_s"]) if r["query_s"] else 0.0)
            times.setdefault(_label(r, several_inits), []).append(cyc)
    head = ["method"] + [f"{100 * frac[c]:.0f}%" for c in cycles] + ["s/cycle"]
    body = []
    for lab, per in table.items():
        cells = [f"{100 * per[frac[c]][0]:.2f} +- {100 * per[frac[c]][1]:.2f} (n={per[frac[c]][2]})"
                 if frac[c] in per else "" for c in cycles]
        body.append([lab] + cells + [f"{np.mean(times.get(lab, [np.nan])):.1f}"])
    return head, body


def _paired_table(acc, reference, frac, cycles):
    head = ["method"] + [f"{100 * frac[c]:.0f}%" for c in cycles[1:]] + ["all"]
    body = []
    for lab in acc:
        if lab != reference:
            body.append([lab] + [_paired_cell(acc[reference], acc[lab], c, cycles[1:])
                                 for c in cycles[1:] + ["all"]])
    return head, body


def _paired_cell(ref: Dict, other: Dict, c, after_start) -> str:
    """Mean difference (points) and paired t-test p over the seeds both ran."""
    from scipy import stats

    if c == "all":
        seeds, a, b = _run_means(ref, other, after_start)
    else:
        seeds = sorted(set(ref.get(c, {})) & set(other.get(c, {})))
        a, b = [ref[c][s] for s in seeds], [other[c][s] for s in seeds]
    if not seeds:
        return ""
    d = 100 * (np.mean(a) - np.mean(b))
    p = stats.ttest_rel(a, b).pvalue if len(seeds) >= 2 and np.any(np.array(a) != b) else np.nan
    return f"{d:+.2f} (p={p:.3f})" if np.isfinite(p) else f"{d:+.2f}"


def _run_means(ref: Dict, other: Dict, after_start) -> tuple:
    """The seeds both ran every cycle of ``after_start``, and each one's mean accuracy
    over those cycles for ``ref`` and ``other``."""
    seeds = sorted(set.intersection(*[set(ref.get(cc, {})) & set(other.get(cc, {}))
                                      for cc in after_start]))
    a = [np.mean([ref[cc][s] for cc in after_start]) for s in seeds]
    b = [np.mean([other[cc][s] for cc in after_start]) for s in seeds]
    return seeds, a, b


def _paired_run_means(csv_path: str, method: str, baseline: str, init: str) -> tuple:
    """:func:`_run_means` of ``method`` and ``baseline`` over the cycles after the start,
    from the rows of ``csv_path`` with initial pool ``init``; also ``(acc, frac,
    after_start)``."""
    rows = [r for r in read_rows(csv_path)
            if r["method"] in (method, baseline) and r["init"] == init]
    acc, frac = _accuracies(rows, several_inits=False)
    for name in (method, baseline):
        if name not in acc:
            raise ValueError(f"{csv_path} has no rows of method {name!r} with init {init!r}.")
    after_start = sorted(c for c in acc[method] if c > 0)
    return (*_run_means(acc[method], acc[baseline], after_start), (acc, frac, after_start))


def run_difference(csv_path: str, method: str, baseline: str, bar: float = 0.0,
                   confidence: float = 0.95, init: str = "random") -> Dict[str, float]:
    """How sure a results file is of ``method`` minus ``baseline`` over the run.

    The difference, in points, of each seed's mean accuracy over the cycles after the
    start (the summaries' 'all' column), paired by seed; its ``confidence`` interval
    (Student's t over the seeds), and two-sided paired t-tests against 0 and against
    ``bar`` (issue 17's bar: ``bar=1.5`` over random). A small ``p_bar`` with the mean
    below ``bar`` says the bar is missed beyond the seeds' spread; a large one, that
    the seeds cannot tell. Only rows of the initial pool ``init`` are read.

    Returns
    -------
    dict
        ``n`` (seeds), ``mean``, ``low``, ``high``, ``p_zero``, ``p_bar``.
    """
    from scipy import stats

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    seeds, a, b, _ = _paired_run_means(csv_path, method, baseline, init)
    if len(seeds) < 2:
        raise ValueError(f"{method!r} and {baseline!r} share {len(seeds)} complete seed(s) in "
                         f"{csv_path}; an interval needs 2 or more.")
    d = 100 * (np.asarray(a) - np.asarray(b))
    half = stats.t.ppf(0.5 + confidence / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return {"n": len(d), "mean": float(d.mean()), "low": float(d.mean() - half),
            "high": float(d.mean() + half), "p_zero": float(stats.ttest_1samp(d, 0.0).pvalue),
            "p_bar": float(stats.ttest_1samp(d, bar).pvalue)}


def ceiling_gap(csv_path: str, ceiling_csv: str, method: str, baseline: str = "random",
                bar: float = 1.5, init: str = "random") -> Dict[str, object]:
    """How much of ``baseline``'s gap to the ceiling ``method`` closes over the run.

    The ceiling is the target trained on every training label (a run of
    ``--start 1.0 --stop 1.0``: rows of ``ceiling_csv`` at fraction 1), one
    per seed; the target's seed is the run's, so each seed's ceiling pairs with
    that seed's rows of ``csv_path``. Per seed, ``baseline``'s gap is the
    ceiling minus its mean accuracy over the cycles after the start, and
    ``method``'s gain is its mean accuracy minus ``baseline``'s over the same
    cycles (:func:`run_difference`'s difference). A bar of ``bar`` points (issue
    17's +1.5 over random) asks for ``bar / gap`` of the gap on a set.

    Returns
    -------
    dict
        ``n`` (seeds with a ceiling and both methods' complete runs),
        ``ceiling`` (mean, %), ``gap`` and ``gain`` (means, points), ``share``
        (``gain / gap``), ``bar_share`` (``bar / gap``) and ``gap_by_fraction``
        (labeled fraction -> mean gap in points, over the same seeds).
    """
    ceiling = {int(r["seed"]): float(r["accuracy"]) for r in read_rows(ceiling_csv)
               if r["init"] == init and float(r["fraction"]) == 1.0}
    if not ceiling:
        raise ValueError(f"ceiling_csv={ceiling_csv!r} has no rows with every training row "
                         f"labeled (fraction 1.0, init {init!r}).")
    seeds, a, b, (acc, frac, after_start) = _paired_run_means(csv_path, method, baseline, init)
    keep = [i for i, s in enumerate(seeds) if s in ceiling]
    if not keep:
        raise ValueError(f"no seed of {csv_path} has a ceiling in {ceiling_csv}.")
    seeds = [seeds[i] for i in keep]
    top = np.array([ceiling[s] for s in seeds])
    a, b = np.asarray(a)[keep], np.asarray(b)[keep]
    gap, gain = 100 * float(np.mean(top - b)), 100 * float(np.mean(a - b))
    by_fraction = {frac[c]: 100 * float(np.mean([ceiling[s] - acc[baseline][c][s] for s in seeds]))
                   for c in after_start}
    return {"n": len(seeds), "ceiling": 100 * float(top.mean()), "gap": gap, "gain": gain,
            "share": gain / gap, "bar_share": bar / gap, "gap_by_fraction": by_fraction}


def _seconds_table(rows, several_inits, frac, cycles):
    per: Dict[str, Dict[int, List[tuple]]] = {}
    for r in rows:
        if int(r["cycle"]) > 0 and r.get("query_s") not in (None, "", "nan"):
            per.setdefault(_label(r, several_inits), {}).setdefault(int(r["cycle"]), []).append(
                (float(r["query_s"]), float(r["target_fit_s"])))
    head = ["method"] + [f"{100 * frac[c]:.0f}%" for c in cycles[1:]] + ["worst"]
    body = []
    for lab, by_cycle in per.items():
        cells, worst = [], 0.0
        for c in cycles[1:]:
            if c not in by_cycle:
                cells.append("")
                continue
            q, f = np.mean(by_cycle[c], axis=0)
            worst = max(worst, max(qq / ff for qq, ff in by_cycle[c] if ff > 0))
            cells.append(f"{q:.1f} / {f:.1f}")
        body.append([lab] + cells + [f"{worst:.2f}x"])
    return head, body


#: Diagnostic columns of results.csv and their headings in the summary.
DIAGNOSTICS = [("tracking", "tracking", "{:.2f}"), ("separation", "separation", "{:.2f}"),
               ("stl_accuracy", "STL acc.", "{:.2f}"), ("batch_classes", "classes", "{:.1f}"),
               ("batch_top_share", "top share", "{:.2f}"), ("isolated_share", "isolated", "{:.2f}"),
               ("down_weighted", "down-weighted", "{:.2f}"), ("query_s", "query s", "{:.1f}"),
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


def md_table(head: List[str], rows: List[List[str]]) -> List[str]:
    """A Markdown table's lines."""
    return (["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
            + ["| " + " | ".join(r) + " |" for r in rows])


def write_lines(out: str, name: str, lines: List[str]) -> str:
    """Write ``lines`` to ``out/name`` (the folder made if needed), print them; returns the path."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return path


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
