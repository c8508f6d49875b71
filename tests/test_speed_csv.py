"""leaderboards/speed.csv rows (ggtalker.bench.speed): upserted by key, refused when malformed."""

from __future__ import annotations

import pandas as pd
import pytest

from ggtalker.bench.speed import COLUMNS, record_speed


def test_speed_rows_upsert_by_key(tmp_path) -> None:
    csv = tmp_path / "speed.csv"
    base = {"what": "pipeline", "device": "gpu", "gaussians": 16064, "size": 512, "batch": 32}
    record_speed({**base, "fps_end_to_end": 250.0}, csv)
    record_speed({**base, "batch": 1, "fps_end_to_end": 90.0}, csv)
    record_speed({**base, "fps_end_to_end": 610.0}, csv)  # re-measured: replaces its own row only
    df = pd.read_csv(csv)
    assert list(df.columns) == COLUMNS and len(df) == 2
    assert sorted(df.fps_end_to_end) == [90.0, 610.0] and df.commit.notna().all()


def test_a_row_replaces_its_own_when_an_empty_cell_made_the_key_columns_floats(tmp_path) -> None:
    csv = tmp_path / "speed.csv"
    record_speed({"what": "cpu_main", "device": "cpu", "gaussians": "", "size": "", "batch": "", "seconds": 158.0}, csv)
    row = {"what": "stream", "device": "cpu", "gaussians": 1024, "size": 128, "batch": 1}
    record_speed({**row, "latency_p50_ms": 1580.0}, csv)  # the file now reads gaussians back as 1024.0
    record_speed({**row, "latency_p50_ms": 134.0}, csv)
    df = pd.read_csv(csv)
    assert len(df) == 2 and df.latency_p50_ms.dropna().tolist() == [134.0]


def test_a_commit_that_looks_like_a_number_survives_a_later_upsert(tmp_path) -> None:
    csv = tmp_path / "speed.csv"
    record_speed({"what": "cpu_main", "device": "cpu", "gaussians": "", "size": "", "batch": "", "commit": "1234e56789"}, csv)
    record_speed({"what": "stream", "device": "cpu", "gaussians": 1, "size": 1, "batch": 1, "commit": "0012ab"}, csv)
    assert sorted(pd.read_csv(csv, dtype={"commit": str}).commit) == ["0012ab", "1234e56789"]


def test_malformed_speed_rows_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        record_speed({"what": "fast", "device": "cpu", "gaussians": 1, "size": 1, "batch": 1}, tmp_path / "s.csv")
    with pytest.raises(ValueError, match="lacks"):
        record_speed({"what": "stream", "device": "cpu"}, tmp_path / "s.csv")
    with pytest.raises(ValueError, match="unknown speed columns"):
        record_speed({"what": "stream", "device": "cpu", "gaussians": 1, "size": 1, "batch": 1, "fps": 3},
                     tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()
