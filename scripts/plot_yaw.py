#!/usr/bin/env python
"""Metric against viewing yaw, one curve per method, from a suite's records.

    python scripts/plot_yaw.py <out_dir>/<suite> [--metrics psnr lpips] [--width 15]

Reads ``<suite_dir>/<method>-<config hash>/per_frame.csv.gz`` (the runner stores each frame's camera yaw there;
a curve is labelled with the method's name, or with its run folder's when one method has several) and writes
``<suite_dir>/yaw_<metric>.png`` and ``<suite_dir>/yaw_table.csv`` (mean, std, n per method × metric × yaw bucket).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ggtalker.metrics.multiview import yaw_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite_dir", type=Path)
    ap.add_argument("--metrics", nargs="*", default=None, help="metrics to plot (default: all with per-frame values)")
    ap.add_argument("--width", type=float, default=15.0, help="yaw bucket width in degrees")
    args = ap.parse_args()
    files = sorted(args.suite_dir.glob("*/per_frame.csv.gz"))
    if not files:
        sys.exit(f"{args.suite_dir}: no */per_frame.csv.gz (run eval/run.py on this suite first)")
    names = [json.loads((f.parent / "summary.json").read_text())["method"] if (f.parent / "summary.json").is_file()
             else f.parent.name for f in files]
    labels = [n if names.count(n) == 1 else f.parent.name for n, f in zip(names, files)]
    pf = pd.concat([pd.read_csv(f).assign(method=lab) for f, lab in zip(files, labels)], ignore_index=True)
    if args.metrics:
        pf = pf[pf["metric"].isin(args.metrics)]
    table = yaw_table(pf, args.width)
    table.to_csv(args.suite_dir / "yaw_table.csv", index=False)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for metric, g in table.groupby("metric"):
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for method, gm in g.groupby("method"):
            ax.errorbar(gm["yaw_bucket"], gm["mean"], yerr=gm["std"].fillna(0), marker="o", capsize=2, label=method)
        ax.set_xlabel("camera yaw (deg)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        out = args.suite_dir / f"yaw_{metric}.png"
        fig.savefig(out, dpi=120)
        plt.close(fig)
        print(f"wrote {out}")
    print(f"wrote {args.suite_dir / 'yaw_table.csv'}")


if __name__ == "__main__":
    main()
