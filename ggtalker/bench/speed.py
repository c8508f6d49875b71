"""The speed leaderboard, ``leaderboards/speed.csv``: every speed figure the project reports, one row each.

``what`` is ``pipeline`` (GGTalker audio → frames, batched), ``stream`` (chunked audio in, frames out) or
``cpu_main`` (the smoke main command from a fresh cache). A row is keyed by (what, device, gaussians, size,
batch): re-measuring replaces it. Columns a measurement does not have stay empty.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ggtalker import REPO_ROOT
from ggtalker.bench.records import git_commit, upsert_csv

SPEED_CSV = REPO_ROOT / "leaderboards" / "speed.csv"
KEY = ["what", "device", "gaussians", "size", "batch"]
COLUMNS = KEY + ["fps_end_to_end", "latency_p50_ms", "latency_p95_ms", "seconds", "command", "commit"]
WHATS = ("pipeline", "stream", "cpu_main")


def record_speed(row: dict, path: Path = SPEED_CSV) -> pd.DataFrame:
    """Upsert one speed row (:data:`COLUMNS`; ``commit`` defaults to this checkout's)."""
    if row.get("what") not in WHATS:
        raise ValueError(f"what={row.get('what')!r}: expected one of {WHATS}")
    missing = set(KEY) - set(row)
    if missing:
        raise ValueError(f"speed row lacks {sorted(missing)}")
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown speed columns {sorted(unknown)}; known: {COLUMNS}")
    return upsert_csv(path, [{"commit": git_commit(), **row}], KEY, COLUMNS)
