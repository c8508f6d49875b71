"""Leaderboards: upsert, atomic writes, two writers at once, and paper tables."""

import math
import multiprocessing as mp

import pandas as pd

from ggtalker.bench import leaderboard as lb
from ggtalker.bench.tables import make_tables


def _row(method, psnr, scale="smoke"):
    return {"method": method, "psnr": psnr, "lmd": 10 - psnr / 10, "n_cases": 2, "train_s": 1.0, "infer_fps": 5.0,
            "peak_cpu_mb": 1.0, "peak_gpu_mb": math.nan, "device": "cpu", "scale": scale, "protocol": "default",
            "commit": "x"}


DIRS = {"psnr": True, "lmd": False}


def test_upsert_replaces_same_method_and_scale(tmp_path):
    p = tmp_path / "s.csv"
    lb.upsert(p, _row("a", 20), DIRS)
    lb.upsert(p, _row("b", 25), DIRS)
    lb.upsert(p, _row("a", 30), DIRS)
    lb.upsert(p, _row("a", 31, scale="full"), DIRS)
    df, direction = lb.read_leaderboard(p)
    assert len(df) == 3
    assert float(df[(df.method == "a") & (df.scale == "smoke")].psnr.iloc[0]) == 30
    assert direction == DIRS
    assert not list(tmp_path.glob(".*tmp"))


def _writer(args):
    path, i = args
    lb.upsert(path, _row(f"m{i}", float(i)), DIRS)


def test_two_writers_at_once_lose_nothing(tmp_path):
    p = tmp_path / "s.csv"
    with mp.get_context("fork").Pool(4) as pool:
        pool.map(_writer, [(p, i) for i in range(24)])
    df, _ = lb.read_leaderboard(p)
    assert sorted(df.method) == sorted(f"m{i}" for i in range(24))


def test_tables_mark_best_and_arrows(tmp_path):
    p = tmp_path / "suite.csv"
    for m, v in [("ground_truth", math.inf), ("static", 10.0), ("a", 20.0), ("b", 25.0)]:
        lb.upsert(p, _row(m, v), DIRS)
    paths = make_tables(tmp_path, tmp_path / "tables")
    t = pd.read_csv(tmp_path / "tables" / "suite.csv")
    assert list(t.columns[:3]) == ["Method", "lmd↓", "psnr↑"]
    cell = dict(zip(t.Method, t["psnr↑"]))
    assert cell["b"] == "**25.00**" and cell["a"] == "20.00" and cell["ground_truth"] == "∞"
    low = dict(zip(t.Method, t["lmd↓"]))
    assert low["b"].startswith("**")  # lower is better: b has the lowest lmd among non-reference rows
    assert (tmp_path / "tables" / "combined.csv") in paths


def test_ood_table_from_family_groups(tmp_path):
    from ggtalker.bench.tables import ood_table

    df = pd.DataFrame([{"method": "a", "lmd[family=in_dist]": 1.0, "lmd[family=noise]": 2.0, "psnr": 20.0},
                       {"method": "static", "lmd[family=in_dist]": 3.0, "lmd[family=noise]": 3.0, "psnr": 10.0}])
    out = ood_table(df, {"lmd[family=in_dist]": False, "lmd[family=noise]": False, "psnr": True})
    noise = out[(out.method == "a") & (out.family == "noise")].iloc[0]
    assert noise.retention == 0.5  # lower is better: ref / value = 1 / 2
    assert set(out.method) == {"a"}  # reference bounds are left out
    assert ood_table(df[["method", "psnr"]], {"psnr": True}) is None


def test_merge_relabels_scale_and_keeps_directions(tmp_path):
    import importlib.util

    from ggtalker import REPO_ROOT

    spec = importlib.util.spec_from_file_location("merge_lb", REPO_ROOT / "scripts" / "merge_leaderboards.py")
    merge_lb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(merge_lb)
    src, dst = tmp_path / "gpu", tmp_path / "lb"
    lb.upsert(src / "s.csv", _row("a", 30, scale="full"), DIRS)
    lb.upsert(dst / "s.csv", _row("a", 20), DIRS)
    assert merge_lb.merge(src, dst, "full-2id") == [("s", "a", "full-2id")]
    df = pd.read_csv(dst / "s.csv")
    assert sorted(df["scale"]) == ["full-2id", "smoke"] and df.loc[df.scale == "full-2id", "psnr"].item() == 30
    assert lb.read_leaderboard(dst / "s.csv")[1] == lb.read_leaderboard(src / "s.csv")[1]


def test_leaderboard_column_names_round_trip():
    from ggtalker.bench.leaderboard import Column

    for c in (Column("psnr"), Column("psnr", "family", "noise_10db"), Column("lse_c", "yaw", "-90")):
        assert Column.parse(c.name) == c
    assert Column.parse("psnr[family=a]").grouped and not Column.parse("psnr").grouped
    assert Column.parse("odd[name") == Column("odd[name")  # not a group column: kept whole
