"""The runner end to end on the toy source: records, resume, leaderboard rows, regression gate."""

import json
import shutil

import pandas as pd
import pytest
from omegaconf import OmegaConf, open_dict

from ggtalker.bench import leaderboard as lb
from ggtalker.bench.regress import compare, compose_cfg
from ggtalker.bench.runner import run

TOY_SUITE = {
    "name": "toy", "target": "ggtalker.bench.suite:Suite",
    "params": {"source": {"target": "ggtalker.bench.toy:toy_cases", "params": {"n_identities": 2, "n_test": 2}},
               "metrics": ["psnr", "ssim", "psnr_face", "ssim_face"], "group_by": ["take"]},
}


def run_dir(root, suite, method):
    """The one run folder ``<root>/<suite>/<method>-<config hash>``."""
    (found,) = (root / suite).glob(f"{method}-*")
    return found


def toy_cfg(method, tmp_path, *extra):
    cfg = compose_cfg(method, "smoke", [f"out_dir={tmp_path}/out", f"leaderboard_dir={tmp_path}/lb", *extra])
    with open_dict(cfg):
        cfg.suite = OmegaConf.create(TOY_SUITE)
    return cfg


@pytest.fixture(scope="module")
def toy_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runs")
    rows = {m: run(toy_cfg(m, tmp)) for m in ("ground_truth", "static")}
    return tmp, rows


def test_bounds(toy_runs):
    tmp, rows = toy_runs
    assert rows["ground_truth"]["psnr"] == float("inf") or rows["ground_truth"]["psnr"] >= 60
    assert rows["ground_truth"]["ssim"] >= 0.999
    assert 5 < rows["static"]["psnr"] < 60 and rows["static"]["ssim"] < rows["ground_truth"]["ssim"]
    df, direction = lb.read_leaderboard(tmp / "lb" / "toy.csv")
    assert set(df.method) == {"ground_truth", "static"} and direction["psnr"] is True
    assert {"psnr[take=0]", "psnr[take=1]", "n_cases", "train_s", "infer_fps", "device", "scale", "commit"} <= set(df.columns)


def test_records_and_provenance(toy_runs):
    tmp, _ = toy_runs
    d = run_dir(tmp / "out", "toy", "static")
    rec = pd.read_csv(d / "records.csv")
    assert set(rec.metric) == {"psnr", "ssim", "psnr_face", "ssim_face"} and (rec.status == "ok").all()
    assert rec.pred_hash.nunique() >= 2 and rec.gt_hash.notna().all() and (rec.protocol == "default").all()
    pf = pd.read_csv(d / "per_frame.csv.gz")
    assert {"case", "metric", "frame", "value", "yaw", "pitch"} <= set(pf.columns)
    # case values are the means of the per-frame values
    m = pf[pf.metric == "psnr"].groupby("case").value.mean()
    r = rec[rec.metric == "psnr"].set_index("case").value
    assert (abs(m - r[m.index]) < 1e-6).all()
    s = json.loads((d / "summary.json").read_text())
    for key in ("config", "packages", "protocol", "seed", "wall_s", "row", "metric_variants"):
        assert key in s
    assert s["row"]["peak_cpu_mb"] > 0


def test_resume_skips_recorded_cases(toy_runs, monkeypatch):
    tmp, _ = toy_runs
    from ggtalker.methods.reference import Static

    def fail(*a, **k):
        raise AssertionError("a recorded case was recomputed")

    monkeypatch.setattr(Static, "generate", fail)
    row = run(toy_cfg("static", tmp))
    assert row["n_cases"] == 4
    with pytest.raises(AssertionError, match="recomputed"):
        run(toy_cfg("static", tmp, "overwrite=true"))


def test_shards_record_their_identities_and_a_plain_run_gathers_them(toy_runs, tmp_path, monkeypatch):
    from ggtalker.bench.config_check import parse_shard
    from ggtalker.methods.reference import Static

    tmp, rows = toy_runs
    prepared = []
    original = Static.prepare
    monkeypatch.setattr(Static, "prepare", lambda self, ident, train: prepared.append(ident) or original(self, ident, train))
    assert run(toy_cfg("static", tmp_path, "shard=1/2")) is None
    assert not (tmp_path / "lb").exists()  # a shard writes no row
    d = run_dir(tmp_path / "out", "toy", "static")
    assert len(list((d / "cases").glob("*.json"))) == 2 and not (d / "summary.json").exists()
    run(toy_cfg("static", tmp_path, "shard=0/2"))
    assert len(set(prepared)) == 2  # each identity adapted once, by its own shard
    calls = []
    monkeypatch.setattr(Static, "generate", lambda self, *a, **k: calls.append(1))
    row = run(toy_cfg("static", tmp_path))
    assert not calls and row["n_cases"] == 4 and row["peak_cpu_mb"] > 0
    same = {k: v for k, v in rows["static"].items() if k.startswith(("psnr", "ssim"))}
    assert {k: row[k] for k in same} == same  # the sharded run's means are the plain run's
    assert parse_shard(None) is None and parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "a/2", "1"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_cases_of_another_run_are_recomputed_not_resumed(toy_runs, monkeypatch):
    tmp, _ = toy_runs
    from ggtalker.methods.reference import Static

    monkeypatch.setenv("GGTALKER_COMMIT", "other-code")  # e.g. a new world version: same case ids, new truth
    calls = []
    original = Static.generate
    monkeypatch.setattr(Static, "generate", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    run(toy_cfg("static", tmp))
    assert len(calls) == 4
    run(toy_cfg("static", tmp))  # now the folder's own run: resumed
    assert len(calls) == 4
    monkeypatch.setenv("GGTALKER_COMMIT", "third-code")
    run(toy_cfg("static", tmp, "overwrite=true"))  # an overwrite run owns the folder afterwards
    monkeypatch.setenv("GGTALKER_COMMIT", "other-code")
    run(toy_cfg("static", tmp))  # so the earlier run's fingerprint must not resume the third run's cases
    assert len(calls) == 12


def test_unmet_need_is_unavailable_not_a_crash(tmp_path, monkeypatch):
    from ggtalker.bench.method import Generation
    from ggtalker.methods.reference import Static

    monkeypatch.setattr(Static, "generate", lambda self, state, req: Generation(frames=None))
    run(toy_cfg("static", tmp_path))
    rec = pd.read_csv(run_dir(tmp_path / "out", "toy", "static") / "records.csv")
    assert (rec.status == "unavailable").all() and rec.reason.str.contains("pred_frames").all()


def test_regression_gate(toy_runs, tmp_path):
    tmp, _ = toy_runs
    fresh = tmp / "lb" / "toy.csv"
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    shutil.copy(fresh, ref_dir / "toy.csv")
    shutil.copy(lb.columns_path(fresh), lb.columns_path(ref_dir / "toy.csv"))
    tol = {"psnr": 0.05, "ssim": 0.002}
    assert compare("toy", ref_dir / "toy.csv", fresh, tol) == []
    # A committed value better than what the code produces is a regression of the code.
    df = pd.read_csv(ref_dir / "toy.csv")
    df.loc[df.method == "static", "psnr"] += 1.0
    df.to_csv(ref_dir / "toy.csv", index=False)
    found = compare("toy", ref_dir / "toy.csv", fresh, tol)
    assert [(f.kind, f.method, f.metric) for f in found] == [("regression", "static", "psnr")]
    assert "committed=" in str(found[0]) and "now=" in str(found[0])
    df.loc[df.method == "static", "psnr"] -= 2.0
    df.to_csv(ref_dir / "toy.csv", index=False)
    assert [f.kind for f in compare("toy", ref_dir / "toy.csv", fresh, tol)] == ["improvement"]
