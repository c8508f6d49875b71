"""OOD robustness: lip metrics on each out-of-distribution audio family relative to in-distribution audio.

A post-processing over records (``records.csv`` rows, one per case × metric, with the case tag
``tag.family``; ``in_dist`` is the reference family). For each method, family and lip metric:

* ``value``: mean over the family's cases; ``ref``: mean over the method's ``in_dist`` cases;
* ``retention``: ``value / ref`` when higher is better, ``ref / value`` when lower is better — 1 means as
  good as on in-distribution audio, below 1 worse;

plus one summary row per method (``family = "summary"``): the mean retention over OOD families and
lip metrics. Only ``status == ok`` values count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Record names (prefixes) treated as lip metrics.
LIP_METRICS = ("lse_c", "lse_d", "sync_conf", "sync_dist", "lmd")
REFERENCE = "in_dist"


def ood_robustness(records_df: pd.DataFrame, lip_metrics: tuple[str, ...] = LIP_METRICS,
                   family_col: str = "tag.family", reference: str = REFERENCE) -> pd.DataFrame:
    """Per (method, family, metric) retention against in-distribution audio, plus a per-method summary.

    Args:
        records_df: rows with ``metric``, ``value``, ``status``, ``higher_is_better``, ``family_col`` and,
            when several methods are mixed, ``method``.
    Returns:
        columns ``method, family, metric, n_cases, value, ref, retention``.
    """
    cols = ["method", "family", "metric", "n_cases", "value", "ref", "retention"]
    if family_col not in records_df.columns:
        raise KeyError(f"records have no {family_col!r} column: cases need a 'family' tag for OOD robustness")
    df = records_df[(records_df["status"] == "ok") & records_df["metric"].isin(
        [m for m in records_df["metric"].unique() if m.startswith(lip_metrics)])].copy()
    if "method" not in df.columns:
        df["method"] = "method"
    df["value"] = df["value"].astype(float)
    rows = []
    for (method, metric), g in df.groupby(["method", "metric"]):
        ref_vals = g.loc[g[family_col] == reference, "value"]
        if ref_vals.empty:
            continue
        ref = float(ref_vals.mean())
        hib = bool(g["higher_is_better"].iloc[0] in (True, "True", "true", 1))
        for fam, gf in g.groupby(family_col):
            if fam == reference:
                continue
            v = float(gf["value"].mean())
            ret = (v / ref if hib else ref / v) if (ref != 0 and v != 0) else np.nan
            rows.append([method, fam, metric, len(gf), v, ref, ret])
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        summ = out.groupby("method")["retention"].mean().reset_index()
        summ = summ.assign(family="summary", metric="lip", n_cases=out.groupby("method")["n_cases"].sum().values,
                           value=np.nan, ref=np.nan)
        out = pd.concat([out, summ[cols]], ignore_index=True)
    return out
