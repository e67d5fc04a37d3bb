"""The benchmark's results file: one CSV row per (method, init, seed, cycle), and the record
of the environments its rows were made in."""
from __future__ import annotations

import csv
import os
import time
from typing import Dict, List

__all__ = ["FIELDS", "read_rows", "append_row", "write_rows", "drop_rows", "record_environment"]

FIELDS = ["dataset", "method", "init", "seed", "cycle", "labeled", "fraction", "accuracy",
          "target_fit_s", "strategy_fit_s", "scoring_s", "query_s",
          # diagnostics: SRAAL's fit (blank for other methods) and the queried batch's spread
          "tracking", "separation", "stl_accuracy", "sraal_iters", "batch_classes", "batch_top_share",
          # the batch rule SRAAL's query used, and the diverse batch's isolated share
          # (selection='auto', :func:`~modal_sraal.selection.select_batch`); the share of the
          # candidates a reconstruction weight distrusted (blank without one)
          "batch_selection", "isolated_share", "down_weighted"]


def read_rows(path: str) -> List[Dict]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def append_row(path: str, row: Dict) -> None:
    new = not os.path.exists(path)
    if not new:
        with open(path, newline="") as f:
            header = next(csv.reader(f), [])
        if header != FIELDS:  # a file from an older version: rewrite it with today's columns
            write_rows(path, read_rows(path))
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow(row)
        f.flush()
        os.fsync(f.fileno())


def drop_rows(csv_path: str, method: str, init: str, seed: int, after: int) -> None:
    """Remove rows of a run past cycle ``after`` (written after its last checkpoint)."""
    rows = [r for r in read_rows(csv_path)
            if not (r["method"] == method and r["init"] == init and int(r["seed"]) == seed
                    and int(r["cycle"]) > after)]
    write_rows(csv_path, rows)


def write_rows(path: str, rows: List[Dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, restval="", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def record_environment(out: str, device: str = "cpu") -> None:
    """Append a timestamped :func:`~modal_sraal.describe_environment` line to
    ``out/environment.txt``: a resumed run may run elsewhere, and its numbers depend on it."""
    from ..reproducibility import describe_environment

    with open(os.path.join(out, "environment.txt"), "a") as f:
        f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {describe_environment(device)}\n")
