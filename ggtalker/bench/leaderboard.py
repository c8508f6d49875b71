"""Leaderboards: one CSV per suite, one row per (method, scale, config hash), upserted under a file lock.

The config hash is that of the resolved method spec (:mod:`ggtalker.bench.method_config`), so runs of one
method with different params keep a row each; ``label`` names what differs from the registered default.
A leaderboard written before rows had a hash reads as if each row were its registered default's.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from filelock import FileLock

from ggtalker.bench.method_config import default_hash
from ggtalker.bench.records import CaseResult, atomic_write_text

#: What makes a row one: re-running the same config replaces its own row only.
KEY = ["method", "scale", "config_hash"]
#: The first columns: who the row is (``label``: the method and the params that differ from its default).
LEADING = ["method", "label"]
TRAILING = ["n_cases", "train_s", "infer_fps", "peak_cpu_mb", "peak_gpu_mb", "device", "scale", "config_hash",
            "protocol", "commit", "world", "zoo"]
#: Columns read as text: a hash of digits only must stay a string (``01234567``, not 1234567).
TEXT_COLUMNS = {"method": str, "label": str, "config_hash": str, "scale": str, "commit": str, "zoo": str}
#: ``<column>.n``: how many cases the mean in ``<column>`` is over (a metric may be unavailable on some cases).
COUNT_SUFFIX = ".n"


@dataclass(frozen=True)
class Column:
    """What a metric column of a leaderboard holds: ``metric``'s mean over every case (``psnr``), or over the
    cases whose tag ``tag`` is ``value`` (``psnr[family=reverb]``). The one place that knows the names:
    :func:`summarise` writes them, tables, the regression gate and the report read them back through it."""

    metric: str
    tag: str | None = None
    value: str | None = None

    @property
    def name(self) -> str:
        return self.metric if self.tag is None else f"{self.metric}[{self.tag}={self.value}]"

    @property
    def grouped(self) -> bool:
        return self.tag is not None

    @staticmethod
    def parse(name: str) -> "Column":
        """The column named ``name`` (an overall mean when it has no ``[tag=value]``)."""
        metric, bracket, rest = name.partition("[")
        if not bracket or not rest.endswith("]") or "=" not in rest:
            return Column(name)
        tag, _, value = rest[:-1].partition("=")
        return Column(metric, tag, value)


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
            keys = [m.metric] + [Column(m.metric, g, str(r.tags[g])).name for g in group_by if g in r.tags]
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
        return pd.DataFrame(columns=LEADING + KEY[1:]), {}
    df = with_identity(pd.read_csv(path, dtype=TEXT_COLUMNS))
    cols = columns_path(path)
    direction = {k: bool(v["higher_is_better"]) for k, v in json.loads(cols.read_text()).items()} if cols.is_file() else {}
    return df, direction


def with_identity(df: pd.DataFrame) -> pd.DataFrame:
    """Fill the ``label`` and ``config_hash`` of rows written before rows had them: the registered default's
    (the label is the method name; the hash that of the method's registered default at the row's scale, or
    '' for a method no longer registered)."""
    df = df.copy()
    for c in ("label", "config_hash"):
        if c not in df:
            df[c] = pd.Series(np.nan, index=df.index, dtype=object)
    if "scale" not in df:
        df["scale"] = ""
    old = df["config_hash"].isna()
    df.loc[old, "config_hash"] = [default_hash(str(m), str(s)) or ""
                                  for m, s in zip(df.loc[old, "method"], df.loc[old, "scale"])]
    df.loc[df["label"].isna(), "label"] = df.loc[df["label"].isna(), "method"]
    return df


def same_row(df: pd.DataFrame, row: Mapping[str, Any]) -> pd.Series:
    """Which rows of ``df`` have ``row``'s key (method, scale, config hash)."""
    return (df["method"] == row["method"]) & (df["scale"].astype(str) == str(row["scale"])) \
        & (df["config_hash"].astype(str) == str(row["config_hash"]))


def metric_columns(df: pd.DataFrame) -> list[str]:
    """The metric columns of a leaderboard (everything but the identity, the case counts and the trailing bookkeeping)."""
    return [c for c in df.columns if c not in LEADING + KEY + TRAILING and not is_count_column(c)]


def upsert(path: Path, row: dict, direction: dict[str, bool]) -> pd.DataFrame:
    """Insert or replace the row with the same (method, scale, config_hash), atomically and under a lock."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=600):
        df, old_dir = read_leaderboard(path)
        old_dir.update(direction)
        new = with_identity(pd.DataFrame([row]))  # a row without label or hash is its method's default
        if len(df):
            df = df[~same_row(df, new.iloc[0])]
        df = pd.concat([df, new], ignore_index=True)
        for c in TRAILING:
            if c not in df:
                df[c] = np.nan
        # Sorted, each count column lands right after its metric (psnr, psnr.n, psnr[take=0], ...).
        columns = sorted(c for c in df.columns if c not in LEADING + KEY + TRAILING)
        df = df[LEADING + columns + TRAILING].sort_values(["method", "scale", "label"], kind="stable")
        df = df.reset_index(drop=True)
        buf = io.StringIO()
        df.to_csv(buf, index=False, float_format="%.6g")
        atomic_write_text(path, buf.getvalue())
        cols = {m: {"higher_is_better": bool(old_dir.get(m, True))} for m in columns if not is_count_column(m)}
        atomic_write_text(columns_path(path), json.dumps(cols, indent=1, sort_keys=True))
    return df
