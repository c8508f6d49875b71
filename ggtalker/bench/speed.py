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


# -- the README's speed table ----------------------------------------------------------------------
README = REPO_ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- speed-table:start -->", "<!-- speed-table:end -->"
#: Markdown header of each CSV column, in :data:`COLUMNS` order.
HEADERS = {
    "what": "what", "device": "device", "gaussians": "Gaussians", "size": "size", "batch": "batch",
    "fps_end_to_end": "frames/s end to end", "latency_p50_ms": "latency p50 ms", "latency_p95_ms": "latency p95 ms",
    "seconds": "seconds", "command": "command", "commit": "commit",
}  # fmt: skip


def _cell(column: str, value: object) -> str:
    """One table cell: empty for a missing value, code spans for command and commit, pipes escaped."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column in ("command", "commit"):
        return "`" + str(value).replace("|", "\\|") + "`"
    if column in ("gaussians", "size", "batch"):
        n = f"{int(float(value)):,}"
        return f"{n}²" if column == "size" else n  # frames are square
    if column in ("fps_end_to_end", "latency_p50_ms", "latency_p95_ms"):
        return f"{float(value):,.1f}"
    if column == "seconds":
        return f"{float(value):g}"  # as measured: 0.354 for a batch, 157.9 for a whole command
    return str(value).replace("|", "\\|")


def speed_table(df: pd.DataFrame) -> str:
    """The speed leaderboard as a Markdown table: one row per row of ``df`` (in its order), the columns of
    :data:`COLUMNS`; missing values (and columns ``df`` lacks) are empty cells. Ends with a newline."""
    lines = ["| " + " | ".join(HEADERS[c] for c in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for _, row in df.reindex(columns=COLUMNS).iterrows():
        lines.append("| " + " | ".join(_cell(c, row[c]) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def read_speed(path: Path = SPEED_CSV) -> pd.DataFrame:
    """The speed CSV as written (commits stay strings, so ``0123abc`` keeps its zero)."""
    return pd.read_csv(path, dtype={"commit": str, "command": str, "what": str, "device": str})


def readme_block(text: str) -> str:
    """What lies between the speed-table markers of ``text`` (the README); ValueError without both markers."""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"the README lacks {TABLE_START} … {TABLE_END}")
    return text[start + len(TABLE_START) : end]


def with_table(text: str, table: str) -> str:
    """``text`` with its speed-table block replaced by ``table`` (a newline after the start marker, as Markdown
    needs a table to begin a line); ``with_table(text, table) == text`` says the README is up to date."""
    readme_block(text)  # both markers, in order
    return text[: text.find(TABLE_START) + len(TABLE_START)] + "\n" + table + text[text.find(TABLE_END) :]
