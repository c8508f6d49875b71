"""Merge leaderboard rows written elsewhere (the GPU machine's ``$OUT/leaderboards``) into ``leaderboards/``.

    python scripts/merge_leaderboards.py FETCHED/leaderboards --scale-label full-2id

Rows are upserted by (method, scale) under the same lock and column rules as the runner's own writes.
``--scale-label`` renames the scale of every merged row: a reduced run (2 identities instead of the full
suite's 5) must not sit under ``scale=full`` as if it were the whole suite. Runs made with ``scale=full-2id``
(the suites' named reduced scale, what ``scripts/gpu/eval_gpu_batch.sh`` runs) carry that scale already and
need no relabelling; the flag is kept for leaderboards written before that scale existed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from ggtalker.bench.leaderboard import columns_path, upsert


def merge(src: Path, dst: Path, scale_label: str | None = None) -> list[tuple[str, str, str]]:
    """Upsert every row of ``src/<suite>.csv`` into ``dst/<suite>.csv``; returns (suite, method, scale) merged."""
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: no such leaderboard folder")
    merged = []
    for csv in sorted(src.glob("*.csv")):
        cols = columns_path(csv)
        direction = ({m: bool(v["higher_is_better"]) for m, v in json.loads(cols.read_text()).items()}
                     if cols.is_file() else {})
        for row in pd.read_csv(csv).to_dict("records"):
            if scale_label:
                row["scale"] = scale_label
            row = {k: v for k, v in row.items() if not (isinstance(v, float) and pd.isna(v))}
            upsert(dst / csv.name, row, direction)
            merged.append((csv.stem, str(row["method"]), str(row["scale"])))
    return merged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", type=Path, help="folder of <suite>.csv files to merge")
    ap.add_argument("--dst", type=Path, default=Path(__file__).resolve().parents[1] / "leaderboards")
    ap.add_argument("--scale-label", default=None, help="rename the merged rows' scale (e.g. full-2id)")
    a = ap.parse_args()
    for suite, method, scale in merge(a.src, a.dst, a.scale_label):
        print(f"{suite}: {method} ({scale})")


if __name__ == "__main__":
    main()
