"""One static HTML page from the leaderboards and the run folders: tables with directions and the best value in
bold, per-family and per-yaw plots, the runs' saved videos (playable), each row's command and provenance.

The page opens from disk with no server: plots are PNG files beside it, videos are linked by paths relative
to it (the run folders' own files, not copies). Every file is written atomically.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ggtalker.bench import leaderboard as lb
from ggtalker.bench.records import atomic_write_bytes, atomic_write_text, git_commit, yaw_table
from ggtalker.bench.tables import BEST_MARK, paper_table
from ggtalker.core.registry import METRICS, SUITES

#: Metrics per plot figure at most (the table has them all).
PLOT_METRICS = 4
#: Width of a yaw bucket in the per-yaw plots (degrees).
YAW_BUCKET = 15.0
#: Provenance columns of a row shown under each table.
PROVENANCE = ("label", "scale", "config_hash", "world", "zoo", "commit", "device", "n_cases")


@dataclass
class Run:
    """One run folder: its summary, records and per-frame values (``<out_dir>/<suite>/<method>-<hash>``)."""

    path: Path
    summary: dict[str, Any]
    records: pd.DataFrame
    per_frame: pd.DataFrame

    @property
    def row(self) -> dict[str, Any]:
        return self.summary.get("row") or {}

    @property
    def name(self) -> str:
        """How plots and videos name the run: its row's label and scale."""
        return f"{self.row.get('label', self.summary.get('method'))} ({self.row.get('scale', '?')})"

    def key(self) -> tuple[str, str, str]:
        return str(self.row.get("method")), str(self.row.get("scale")), str(self.row.get("config_hash"))


@dataclass
class SuiteReport:
    """What the page shows of one suite."""

    name: str
    tables: list[dict[str, Any]] = field(default_factory=list)
    plots: list[dict[str, str]] = field(default_factory=list)
    videos: list[dict[str, str]] = field(default_factory=list)


def load_runs(out_dir: Path, suite: str) -> list[Run]:
    """Every run folder of ``suite`` under ``out_dir`` with a ``summary.json`` (a finished run)."""
    runs = []
    for s in sorted((Path(out_dir) / suite).glob("*/summary.json")):
        d = s.parent
        rec = pd.read_csv(d / "records.csv", keep_default_na=False, na_values=[""]) if (d / "records.csv").is_file() \
            else pd.DataFrame()
        pf = pd.read_csv(d / "per_frame.csv.gz") if (d / "per_frame.csv.gz").is_file() else pd.DataFrame()
        runs.append(Run(d, json.loads(s.read_text()), rec, pf))
    return runs


def suite_columns(suite: str, df: pd.DataFrame) -> list[str]:
    """The leaderboard's overall (ungrouped) metric columns, in the suite's metric order: the output names of
    its registered metrics (the metric registry knows them), then any other overall column the rows have."""
    known: list[str] = []
    if suite in SUITES.names():
        from ggtalker.bench.runner import output_key

        for m in SUITES.spec(suite)["params"]["metrics"]:
            metric = METRICS.build(m)
            known += [output_key(m, metric, o) for o in metric.outputs]
    present = set(lb.metric_columns(df))
    group_cols = set(present_group_columns(df))
    return [c for c in known if c in present] + sorted(present - set(known) - group_cols)


def present_group_columns(df: pd.DataFrame) -> list[str]:
    """Group-mean columns (``metric[tag=value]``): the plots show them from the records instead."""
    return [c for c in lb.metric_columns(df) if lb.Column.parse(c).grouped]


def row_command(suite: str, row: pd.Series, run: Run | None) -> str:
    """The command that made a row: its run's recorded command when the run folder is here, else the
    command of its method's registered default at its scale (and the label's params, when it has any)."""
    if run is not None and run.summary.get("command"):
        return str(run.summary["command"])
    cmd = f"python eval/run.py method={row['method']} suite={suite} scale={row['scale']}"
    label = str(row.get("label", row["method"]))
    return cmd if label == str(row["method"]) else f"{cmd}  # params as in the label {label}"


def _cell(text: str) -> dict[str, Any]:
    bold = text.startswith(BEST_MARK) and text.endswith(BEST_MARK) and len(text) > 2 * len(BEST_MARK)
    return {"text": text[len(BEST_MARK):-len(BEST_MARK)] if bold else text, "bold": bold}


def suite_tables(suite: str, df: pd.DataFrame, direction: dict[str, bool], runs: list[Run]) -> list[dict[str, Any]]:
    """One table per scale: header cells (``psnr ↑``), body cells (best in bold, reference bounds never),
    and each row's provenance and command."""
    by_key = {r.key(): r for r in runs}
    cols = suite_columns(suite, df)
    out = []
    for scale, part in df.groupby("scale", sort=True):
        part = part.reset_index(drop=True)
        # A metric no row of this scale has (weights missing on that machine) would be a column of dashes.
        shown = [c for c in cols if pd.to_numeric(part[c], errors="coerce").notna().any()]
        table = paper_table(part, direction, shown)
        rows = []
        for i, r in part.iterrows():
            run = by_key.get((str(r["method"]), str(r["scale"]), str(r["config_hash"])))
            rows.append({
                "cells": [_cell(str(v)) for v in table.iloc[i].tolist()],
                "provenance": {k: "" if pd.isna(r.get(k)) else str(r.get(k)) for k in PROVENANCE},
                "command": row_command(suite, r, run),
                "run": str(run.path) if run else "",
            })
        out.append({"scale": str(scale), "header": list(table.columns), "rows": rows})
    return out


def _save_figure(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write_bytes(path, buf.getvalue())


def family_plots(suite: str, runs: list[Run], metrics: list[str], assets: Path) -> list[dict[str, str]]:
    """Per group tag of the suite (``family``, ``yaw``, ...): one PNG, a bar chart per metric of each run's
    mean over the cases of each group, from the records' typed ``tag.<name>`` columns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tags = sorted({t for r in runs for t in (r.summary.get("config", {}).get("suite", {}).get("params", {})
                                             .get("group_by") or [])})
    plots = []
    for tag in tags:
        col = f"tag.{tag}"
        frames = [r.records.assign(run=r.name) for r in runs if col in r.records]
        if not frames:
            continue
        rec = pd.concat(frames, ignore_index=True)
        rec = rec[(rec["status"] == "ok") & rec["metric"].isin(metrics)]
        shown = [m for m in metrics if m in set(rec["metric"])][:PLOT_METRICS]
        if not shown:
            continue
        fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.0), squeeze=False)
        for ax, m in zip(axes[0], shown):
            # Points, not bars from zero: the groups differ by tenths of a dB, which bars would hide.
            means = rec[rec["metric"] == m].groupby([col, "run"])["value"].mean().unstack("run")
            for run in means.columns:
                ax.plot(range(len(means)), means[run].values, marker="o", label=run)
            ax.set_xticks(range(len(means)), [str(i) for i in means.index], rotation=30, ha="right")
            up = bool(rec.loc[rec["metric"] == m, "higher_is_better"].astype(str).iloc[0] in ("True", "true", "1"))
            ax.set_title(f"{m} {'↑' if up else '↓'}", fontsize=9)
            ax.set_xlabel(tag, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(axis="y", alpha=0.3)
        axes[0][0].legend(fontsize=6)
        fig.tight_layout()
        path = assets / f"{suite}_by_{tag}.png"
        _save_figure(fig, path)
        plt.close(fig)
        plots.append({"title": f"{suite}: mean per {tag}", "path": str(path)})
    return plots


def yaw_plots(suite: str, runs: list[Run], metrics: list[str], assets: Path) -> list[dict[str, str]]:
    """Per-frame values against camera yaw (15° buckets), one curve per run, when the frames span more than
    one bucket (a frontal phone camera makes no curve)."""
    frames = [r.per_frame.assign(method=r.name) for r in runs if "yaw" in r.per_frame]
    if not frames:
        return []
    table = yaw_table(pd.concat(frames, ignore_index=True), YAW_BUCKET)
    if table["yaw_bucket"].nunique() < 2:
        return []
    shown = [m for m in metrics if m in set(table["metric"])][:PLOT_METRICS]
    if not shown:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.0), squeeze=False)
    for ax, m in zip(axes[0], shown):
        for run, g in table[table["metric"] == m].groupby("method"):
            ax.errorbar(g["yaw_bucket"], g["mean"], yerr=g["std"].fillna(0), marker="o", capsize=2, label=run)
        ax.set_title(m, fontsize=9)
        ax.set_xlabel("camera yaw (deg)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    path = assets / f"{suite}_per_frame_yaw.png"
    _save_figure(fig, path)
    plt.close(fig)
    return [{"title": f"{suite}: per-frame values against yaw", "path": str(path)}]


def run_videos(runs: list[Run]) -> list[dict[str, str]]:
    """The videos each run's summary names, that exist on disk."""
    out = []
    for r in runs:
        for v in r.summary.get("videos") or []:
            p = r.path / v["path"]
            if p.is_file():
                what = "truth | prediction" if v["kind"] == "case" else "yaw ring: truth above, prediction below"
                out.append({"run": r.name, "case": v["case"], "kind": v["kind"], "path": str(p), "what": what})
    return out


def suite_names(leaderboard_dir: Path, out_dir: Path) -> list[str]:
    """Suites with a leaderboard (``<suite>.csv`` with its ``.columns.json``) or a run folder."""
    names = {p.stem for p in Path(leaderboard_dir).glob("*.csv") if lb.columns_path(p).is_file()}
    names |= {p.parent.parent.name for p in Path(out_dir).glob("*/*/summary.json")}
    return sorted(names)


def build(leaderboard_dir: Path, out_dir: Path, html_path: Path, suites: list[str] | None = None) -> Path:
    """Write the report page ``html_path`` (and its PNGs in ``<stem>_files/`` beside it); returns its path.

    Args:
        leaderboard_dir: folder of ``<suite>.csv`` leaderboards.
        out_dir: the runs' ``out_dir`` (``<out_dir>/<suite>/<method>-<hash>/``).
        suites: the suites to show (default: every suite with a leaderboard or a run).
    """
    html_path = Path(html_path)
    assets = html_path.with_name(html_path.stem + "_files")
    reports = []
    for suite in suites or suite_names(leaderboard_dir, out_dir):
        runs = load_runs(out_dir, suite)
        df, direction = lb.read_leaderboard(Path(leaderboard_dir) / f"{suite}.csv")
        metrics = suite_columns(suite, df) if len(df) else \
            sorted({m for r in runs for m in r.records.get("metric", [])})
        rep = SuiteReport(suite, tables=suite_tables(suite, df, direction, runs) if len(df) else [],
                          plots=family_plots(suite, runs, metrics, assets) + yaw_plots(suite, runs, metrics, assets),
                          videos=run_videos(runs))
        reports.append(rep)
    page = render(reports, html_path.parent, commit=git_commit())
    atomic_write_text(html_path, page)
    return html_path


def render(reports: list[SuiteReport], base: Path, commit: str) -> str:
    """The page's HTML; file paths become relative to ``base`` (the page's folder)."""
    import jinja2

    rel = lambda p: Path(os.path.relpath(p, base)).as_posix()  # noqa: E731
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["rel"] = rel
    return env.from_string(TEMPLATE).render(
        reports=reports, commit=commit, generated=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        provenance=PROVENANCE)


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ggtalker-bench report</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 6px 0 12px; } th, td { border: 1px solid #ddd; padding: 2px 6px; }
th { background: #f3f3f3; font-weight: 600; } td { text-align: right; } td:first-child { text-align: left; }
td b { color: #0a5; } .prov td { text-align: left; font-size: 11px; } code { font-size: 11px; }
.videos { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; } figcaption { font-size: 11px; }
.status { color: #888; } .status[data-state=loaded] { color: #0a5; } .status[data-state=error] { color: #c00; }
img { max-width: 100%; }
</style></head><body>
<h1>ggtalker-bench report</h1>
<p>Generated {{ generated }} at commit <code>{{ commit }}</code>. ↑: higher is better, ↓: lower is better;
the best value of each column is in <b>bold</b> (the bounds ground_truth and static are never marked).
Videos: <span id="videos-loaded" data-count="0">0</span> of {{ reports | map(attribute="videos") | map("length") | sum }} loaded.</p>
{% for r in reports %}
<section class="suite" id="suite-{{ r.name }}">
<h2>{{ r.name }}</h2>
{% for t in r.tables %}
<h3>scale={{ t.scale }}</h3>
<table class="leaderboard" data-suite="{{ r.name }}" data-scale="{{ t.scale }}">
<thead><tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in t.rows %}<tr class="row">{% for c in row.cells %}<td>{% if c.bold %}<b>{{ c.text }}</b>{% else %}{{ c.text }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
{% if r.videos %}<h3>Videos</h3><div class="videos">
{% for v in r.videos %}<figure><video controls preload="auto" width="{{ 384 if v.kind == 'case' else 576 }}" src="{{ v.path | rel }}"></video>
<figcaption>{{ v.run }} · {{ v.case }} · {{ v.what }} · <span class="status">loading</span></figcaption></figure>
{% endfor %}</div>{% endif %}
{% for p in r.plots %}<h3>{{ p.title }}</h3><img src="{{ p.path | rel }}" alt="{{ p.title }}">
{% endfor %}
{% for t in r.tables %}
<details><summary>Provenance and commands, scale={{ t.scale }}</summary>
<table class="prov"><thead><tr>{% for k in provenance %}<th>{{ k }}</th>{% endfor %}<th>command</th></tr></thead><tbody>
{% for row in t.rows %}<tr>{% for k in provenance %}<td>{{ row.provenance[k] }}</td>{% endfor %}<td><code>{{ row.command }}</code></td></tr>
{% endfor %}</tbody></table></details>
{% endfor %}
</section>
{% endfor %}
<script>
// Marks each video that decoded its first frame (or failed): a headless browser's dumped DOM shows which loaded.
for (const v of document.querySelectorAll("video")) {
  const status = v.parentElement.querySelector(".status");
  const mark = (state, text) => { v.dataset.state = state; status.dataset.state = state; status.textContent = text; };
  v.addEventListener("loadeddata", () => {
    if (v.dataset.state === "loaded") return;  // counted once, whichever of the two calls below came first
    mark("loaded", "loaded " + v.videoWidth + "×" + v.videoHeight);
    const n = document.getElementById("videos-loaded");
    n.dataset.count = String(Number(n.dataset.count) + 1); n.textContent = n.dataset.count;
  });
  v.addEventListener("error", () => mark("error", "cannot play: error " + (v.error ? v.error.code : "?")));
  if (v.readyState >= 2) v.dispatchEvent(new Event("loadeddata"));
}
</script>
</body></html>
"""
