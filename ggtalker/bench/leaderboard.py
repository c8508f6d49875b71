"""Leaderboards: one CSV per suite, one row per (method, scale), upserted under a file lock."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from ggtalker.bench.records import CaseResult, atomic_write_text

KEY = ["method", "scale"]
TRAILING = ["n_cases", "train_s", "infer_fps", "peak_cpu_mb", "peak_gpu_mb", "device", "scale", "protocol", "commit"]
#: ``<column>.n``: how many cases the mean in ``<column>`` is over (a metric may be unavailable on some cases).
COUNT_SUFFIX = ".n"


def count_column(column: str) -> str:
    """The name of the column counting the cases behind ``column``'s mean."""
    return column + COUNT_SUFFIX


def is_count_column(column: str) -> bool:
    return column.endswith(COUNT_SUFFIX)


def columns_path(path: Path) -> Path:
    """Sidecar JSON beside ``<suite>.csv`` holding each metric column's direction."""
    return path.with_suffix(".columns.json")


def summarise(results: list[CaseResult], group_by: list[str] = ()
              ) -> tuple[dict[str, float], dict[str, bool], dict[str, int]]:
    """Mean over cases of every ok metric value, plus ``metric[tag=value]`` group means.

    Returns: (values, higher_is_better, number of cases behind each value) keyed by column name. A metric
    unavailable on some cases is averaged over the others, and its count says over how many.
    """
    sums: dict[str, list[float]] = {}
    direction: dict[str, bool] = {}
    for r in results:
        for m in r.records:
            direction[m.metric] = m.higher_is_better
            if m.status != "ok":
                continue
            keys = [m.metric] + [f"{m.metric}[{g}={r.tags[g]}]" for g in group_by if g in r.tags]
            for k in keys:
                sums.setdefault(k, []).append(m.value)
                direction[k] = m.higher_is_better
    values = {k: float(np.mean(v)) for k, v in sums.items()}
    for k in direction:
        values.setdefault(k, float("nan"))
    counts = {k: len(sums.get(k, ())) for k in values}
    return values, direction, counts


def read_leaderboard(path: Path) -> tuple[pd.DataFrame, dict[str, bool]]:
    """Read a leaderboard CSV; returns its rows and each metric column's higher-is-better flag."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=KEY), {}
    df = pd.read_csv(path)
    cols = columns_path(path)
    direction = {k: bool(v["higher_is_better"]) for k, v in json.loads(cols.read_text()).items()} if cols.is_file() else {}
    return df, direction


def metric_columns(df: pd.DataFrame) -> list[str]:
    """The metric columns of a leaderboard (everything but the key, the case counts and the trailing bookkeeping)."""
    return [c for c in df.columns if c not in KEY + TRAILING and not is_count_column(c)]


def upsert(path: Path, row: dict, direction: dict[str, bool]) -> pd.DataFrame:
    """Insert or replace the row with the same (method, scale), atomically and under a lock."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=600):
        df, old_dir = read_leaderboard(path)
        old_dir.update(direction)
        if len(df):
            keep = ~((df["method"] == row["method"]) & (df["scale"].astype(str) == str(row["scale"])))
            df = df[keep]
        df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
        for c in TRAILING:
            if c not in df:
                df[c] = np.nan
        # Sorted, each count column lands right after its metric (psnr, psnr.n, psnr[take=0], ...).
        columns = sorted(c for c in df.columns if c not in KEY + TRAILING)
        df = df[["method"] + columns + TRAILING].sort_values(KEY, kind="stable").reset_index(drop=True)
        buf = io.StringIO()
        df.to_csv(buf, index=False, float_format="%.6g")
        atomic_write_text(path, buf.getvalue())
        cols = {m: {"higher_is_better": bool(old_dir.get(m, True))} for m in columns if not is_count_column(m)}
        atomic_write_text(columns_path(path), json.dumps(cols, indent=1, sort_keys=True))
    return df
