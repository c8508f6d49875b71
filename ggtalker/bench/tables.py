"""Paper-style tables from leaderboards: rows = methods, columns = metrics with ↑/↓, best marked."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ggtalker.bench import leaderboard as lb
from ggtalker.bench.robustness import ood_robustness

#: Reference bounds are shown but never marked best.
REFERENCE_METHODS = ("ground_truth", "static")
BEST_MARK = "**"


def _fmt(v: float) -> str:
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    a = abs(v)
    return f"{v:.4f}" if a < 1 else f"{v:.3f}" if a < 10 else f"{v:.2f}" if a < 1000 else f"{v:.0f}"


def paper_table(df: pd.DataFrame, direction: dict[str, bool], columns: list[str] | None = None,
                prefix: str = "") -> pd.DataFrame:
    """Format one leaderboard: a ``Method`` column then ``metric↑``/``metric↓`` columns, best in ``**``.

    Args:
        df: leaderboard rows (one per method).
        direction: higher-is-better per metric column.
        columns: metric columns to keep (default: every metric column).
        prefix: prepended to each header (``suite/``) for combined tables.
    """
    columns = columns or lb.metric_columns(df)
    # The row's label names the params that differ from the method's default (``talking_gaussian[steps=5]``).
    out = pd.DataFrame({"Method": (df["label"] if "label" in df else df["method"]).astype(str)})
    for col in columns:
        up = direction.get(col, True)
        vals = pd.to_numeric(df[col], errors="coerce")
        cand = vals[~df["method"].isin(REFERENCE_METHODS) & vals.notna() & ~vals.isin([math.inf, -math.inf])]
        best = (cand.max() if up else cand.min()) if len(cand) else None
        cells = []
        for m, v in zip(df["method"], vals):
            s = _fmt(v)
            if best is not None and m not in REFERENCE_METHODS and v == best:
                s = f"{BEST_MARK}{s}{BEST_MARK}"
            cells.append(s)
        out[f"{prefix}{col}{'↑' if up else '↓'}"] = cells
    return out


def make_tables(leaderboard_dir: Path, out_dir: Path, scale: str | None = None) -> list[Path]:
    """Write ``<out_dir>/<suite>.csv`` for each leaderboard plus ``combined.csv``; returns the paths.

    The combined table keeps each suite's ungrouped metric columns (``psnr``, not ``psnr[yaw=45]``)
    and only methods present in every suite (complete rows), as nerfbaselines aggregates.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    combined: pd.DataFrame | None = None
    combined_dir: dict[str, bool] = {}
    for path in sorted(Path(leaderboard_dir).glob("*.csv")):
        if not lb.columns_path(path).is_file():  # not a leaderboard (fit_diagnostic.csv has its own layout)
            continue
        df, direction = lb.read_leaderboard(path)
        if not len(df):
            continue
        if scale:
            df = df[df["scale"].astype(str) == scale]
        suite = path.stem
        for sc, part in df.groupby("scale", sort=True):
            part = part.reset_index(drop=True)
            table = paper_table(part, direction)
            table["Train (s)"] = [_fmt(v) for v in part["train_s"]]
            table["FPS"] = [_fmt(v) for v in part["infer_fps"]]
            table["Device"] = part["device"].astype(str).values
            name = f"{suite}.csv" if df["scale"].nunique() == 1 else f"{suite}_{sc}.csv"
            table.to_csv(out_dir / name, index=False)
            written.append(out_dir / name)
            ood = ood_table(part, direction)
            if ood is not None and len(ood):
                ood_path = out_dir / name.replace(".csv", "_ood_robustness.csv")
                ood.to_csv(ood_path, index=False, float_format="%.4g")
                written.append(ood_path)
        plain = [c for c in lb.metric_columns(df) if not lb.Column.parse(c).grouped]
        wide = df[["label", *plain]].groupby("label", as_index=False).first().rename(columns={"label": "method"})
        wide = wide.rename(columns={c: f"{suite}/{c}" for c in plain})
        combined_dir.update({f"{suite}/{c}": direction.get(c, True) for c in plain})
        combined = wide if combined is None else combined.merge(wide, on="method", how="inner")
    if combined is not None and len(combined):
        table = paper_table(combined, combined_dir)
        table.to_csv(out_dir / "combined.csv", index=False)
        written.append(out_dir / "combined.csv")
    return written


#: Lip metrics whose ratios are meaningful (non-negative scales); the sync expert's confidence can be
#: zero or negative, where a retention ratio says nothing.
RATIO_LIP_METRICS = ("lse_c", "lse_d", "sync_dist", "lmd")


def ood_table(df: pd.DataFrame, direction: dict[str, bool], tag: str = "family") -> pd.DataFrame | None:
    """OOD robustness from a leaderboard's ``metric[family=X]`` group means (see :func:`ood_robustness`).

    Returns ``method, family, metric, n_cases, value, ref, retention`` (plus a ``summary`` row per method),
    or None when the leaderboard has no family groups.
    """
    rows = []
    for col in lb.metric_columns(df):
        column = lb.Column.parse(col)
        if column.tag != tag:
            continue
        metric, fam = column.metric, column.value
        names = df["label"] if "label" in df else df["method"]  # one entry per configuration, as in the tables
        for method, v in zip(names, pd.to_numeric(df[col], errors="coerce")):
            if pd.notna(v) and method not in REFERENCE_METHODS:
                rows.append({"method": method, "metric": metric, "value": float(v), "status": "ok",
                             "higher_is_better": direction.get(col, True), f"tag.{tag}": fam})
    if not rows:
        return None
    return ood_robustness(pd.DataFrame(rows), lip_metrics=RATIO_LIP_METRICS, family_col=f"tag.{tag}")
