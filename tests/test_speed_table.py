"""The README's speed table (scripts/speed_table.py): rendered from leaderboards/speed.csv, kept in sync."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from ggtalker.bench.speed import (
    COLUMNS, README, SPEED_CSV, TABLE_END, TABLE_START, read_speed, readme_block, speed_table, with_table,
)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]  # an escaped pipe stays in its cell


def test_the_committed_readme_table_is_the_csv_rendering() -> None:
    text = README.read_text()
    assert with_table(text, speed_table(read_speed(SPEED_CSV))) == text, "run python scripts/speed_table.py"


def test_renderer_on_a_tiny_frame() -> None:
    df = pd.DataFrame([
        {"what": "pipeline", "device": "gpu", "gaussians": 64320.0, "size": 512.0, "batch": 32.0,
         "fps_end_to_end": 706.71, "seconds": 0.354, "command": "a | b", "commit": "0abc"},
        {"what": "cpu_main", "device": "cpu", "gaussians": math.nan, "latency_p95_ms": 3292.0, "seconds": 157.9},
    ])  # fmt: skip
    lines = speed_table(df).splitlines()
    assert len(lines) == 2 + len(df)
    assert lines[0].count("|") == lines[1].count("|") == len(COLUMNS) + 1
    assert _cells(lines[2]) == ["pipeline", "gpu", "64,320", "512²", "32", "706.7", "", "", "0.354", "`a \\| b`", "`0abc`"]
    assert _cells(lines[3]) == ["cpu_main", "cpu", "", "", "", "", "", "3,292.0", "157.9", "", ""]


def test_the_block_is_replaced_and_nothing_else() -> None:
    text = f"intro\n{TABLE_START}\nstale\n{TABLE_END}\nafter\n"
    new = with_table(text, "| t |\n")
    assert new == f"intro\n{TABLE_START}\n| t |\n{TABLE_END}\nafter\n"
    assert readme_block(new) == "\n| t |\n" and with_table(new, "| t |\n") == new
    with pytest.raises(ValueError, match="lacks"):
        with_table("no markers", "| t |\n")
