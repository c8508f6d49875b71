"""Leaderboard row identity: one row per (method, scale, config hash), labelled by what differs from the default.

Runs are the toy suite with the ``static`` method, whose ``frame`` parameter gives distinct configurations
that cost nothing; one test drives ``eval/run.py -m`` itself (a hydra multirun) on the toy suite.
"""

import json
import multiprocessing as mp
import subprocess
import sys

import pandas as pd
import yaml
from test_harness_runner import TOY_SUITE, toy_cfg

from ggtalker import REPO_ROOT
from ggtalker.bench import leaderboard as lb
from ggtalker.bench.method_config import config_hash, default_hash, row_label, zoo_column, zoo_entries
from ggtalker.bench.regress import compare, compose_cfg
from ggtalker.bench.runner import run
from ggtalker.bench.tables import make_tables
from ggtalker.synth.recipes import WORLD_VERSION


def rows(tmp):
    df, _ = lb.read_leaderboard(tmp / "lb" / "toy.csv")
    return df


def test_sweep_keeps_one_row_per_value_and_rerun_replaces_its_own(tmp_path, monkeypatch):
    for frame in (0, 1, 2):
        run(toy_cfg("static", tmp_path, f"method.params.frame={frame}"))
    df = rows(tmp_path)
    assert sorted(df.label) == ["static", "static[frame=1]", "static[frame=2]"]
    assert df.config_hash.nunique() == 3 and (df.world == WORLD_VERSION).all()
    assert df.loc[df.label == "static", "config_hash"].item() == default_hash("static", "smoke")
    before = df.set_index("label").psnr
    assert before["static"] != before["static[frame=1]"]  # distinct configurations, distinct results
    monkeypatch.setenv("GGTALKER_COMMIT", "rerun")
    run(toy_cfg("static", tmp_path, "method.params.frame=1"))
    df = rows(tmp_path).set_index("label")
    assert len(df) == 3 and df.commit["static[frame=1]"] == "rerun"
    assert (df.drop(index="static[frame=1]").commit != "rerun").all()  # the other rows are untouched
    assert df.psnr.to_dict() == before.to_dict()


def test_label_names_what_differs_from_the_registered_default():
    spec = {"target": "baselines.talking_gaussian:TalkingGaussian",
            "params": {**compose_cfg("talking_gaussian", "smoke").method.params, "steps": 5, "lr": 0.5}}
    assert row_label("talking_gaussian", "talking_gaussian", spec, "smoke") == "talking_gaussian[lr=0.5,steps=5]"
    node = compose_cfg("ggtalker", "smoke", ["method.params.adapt.steps_uv=7"]).method
    assert row_label("ggtalker", "ggtalker", node, "smoke") == "ggtalker[adapt.steps_uv=7]"
    assert row_label("ggtalker", "ggtalker", compose_cfg("ggtalker", "smoke").method, "smoke") == "ggtalker"
    # precomputed: the label param is the row's method already, and each folder has its own hash.
    a = compose_cfg("precomputed", "smoke", ["method.params.dir=/r/a", "method.params.label=x"]).method
    b = compose_cfg("precomputed", "smoke", ["method.params.dir=/r/b", "method.params.label=x"]).method
    assert row_label("x", "precomputed", a, "smoke") == "x" and config_hash(a) != config_hash(b)


def test_zoo_entries_of_a_describe():
    info = {"e2v": "e2v_synthtalk", "inpainter": None, "a2e": "a2e_synthtalk", "chunk": 8, "adapt": {"x": "y"}}
    found = zoo_entries(info)
    assert list(found) == ["a2e_synthtalk", "e2v_synthtalk"] and all(len(v) == 64 for v in found.values())
    assert zoo_column(found).count(";") == 1 and zoo_column({}) == ""


def _upsert_many(path, worker, n):
    for i in range(n):
        lb.upsert(path, {"method": "static", "label": f"static[w={worker},i={i}]", "config_hash": f"{worker:02d}{i:06d}",
                         "psnr": float(worker * 100 + i), "scale": "smoke", "commit": "x"}, {"psnr": True})


def test_concurrent_upserts_lose_nothing(tmp_path):
    path = tmp_path / "lb" / "toy.csv"
    ctx = mp.get_context("fork")  # pandas and a file lock only: no torch work in the children
    procs = [ctx.Process(target=_upsert_many, args=(path, w, 8)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    df, _ = lb.read_leaderboard(path)
    assert len(df) == 32 and df.config_hash.nunique() == 32
    assert df.config_hash.str.len().eq(8).all()  # all-digit hashes stay text: 00000001 is not 1


def _run_static(root, frame):
    run(toy_cfg("static", root, f"method.params.frame={frame}"))


def test_two_runs_at_once_into_one_leaderboard(tmp_path):
    run(toy_cfg("static", tmp_path))  # renders the toy clips once, before the two runs race
    ctx = mp.get_context("spawn")  # the runner uses torch: fresh interpreters, not forks
    procs = [ctx.Process(target=_run_static, args=(tmp_path, f)) for f in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    assert sorted(rows(tmp_path).label) == ["static", "static[frame=1]", "static[frame=2]"]


def test_legacy_leaderboard_reads_as_registered_defaults(tmp_path):
    fresh = tmp_path / "lb" / "toy.csv"
    run(toy_cfg("static", tmp_path))
    run(toy_cfg("static", tmp_path, "method.params.frame=1"))
    # A leaderboard written before rows had a hash or label: the default row of static only.
    df = pd.read_csv(fresh, dtype=str)
    legacy = df[df.label == "static"].drop(columns=["label", "config_hash", "world", "zoo"])
    ref = tmp_path / "ref" / "toy.csv"
    ref.parent.mkdir()
    legacy.to_csv(ref, index=False)
    read, _ = lb.read_leaderboard(ref)
    assert read.label.tolist() == ["static"] and read.config_hash.tolist() == [default_hash("static", "smoke")]
    found = compare("toy", ref, fresh, {"psnr": 0.05})
    # The default row matches its legacy row (no regression); only the new configuration lacks a reference.
    assert [(f.kind, f.method) for f in found] == [("missing", "static")]
    lb.upsert(ref, pd.read_csv(fresh, dtype={"config_hash": str}).iloc[0].to_dict(), {})
    assert len(lb.read_leaderboard(ref)[0]) == 1  # the default row replaced the legacy one


def test_tables_show_the_label(tmp_path):
    for frame in (0, 1):
        run(toy_cfg("static", tmp_path, f"method.params.frame={frame}"))
    written = make_tables(tmp_path / "lb", tmp_path / "tables")
    table = pd.read_csv(tmp_path / "tables" / "toy.csv")
    assert sorted(table.Method) == ["static", "static[frame=1]"]
    assert sorted(pd.read_csv(tmp_path / "tables" / "combined.csv").Method) == ["static", "static[frame=1]"]
    assert written


def test_hydra_multirun_over_a_param_leaves_a_labelled_row_per_value(tmp_path):
    """``python eval/run.py -m method=static method.params.frame=1,2`` (on the toy suite, via a search path)."""
    conf = tmp_path / "conf" / "suite"
    conf.mkdir(parents=True)
    (conf / "toy.yaml").write_text(yaml.safe_dump({k: v for k, v in TOY_SUITE.items() if k != "name"}))
    cmd = [sys.executable, str(REPO_ROOT / "eval" / "run.py"), "-m", f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
           "method=static", "method.params.frame=1,2", "suite=toy", f"out_dir={tmp_path}/out",
           f"leaderboard_dir={tmp_path}/lb"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    df = rows(tmp_path)
    assert sorted(df.label) == ["static[frame=1]", "static[frame=2]"] and df.config_hash.nunique() == 2
    summary = json.loads((sorted((tmp_path / "out" / "toy").glob("static-*"))[0] / "summary.json").read_text())
    assert summary["row"]["label"].startswith("static[frame=")
    # The run folders stay keyed by the whole configuration: one per value.
    assert len(list((tmp_path / "out" / "toy").glob("static-*"))) == 2


# -- presets: scale=full applies the method's presets.full over its params ---------------------------------

def test_full_preset_applies_at_full_scale_only():
    from ggtalker.bench.runner import with_preset

    full, applied = with_preset(compose_cfg("ggtalker", "novel_view", ["scale=full"]))
    p = full.method.params
    assert (p.adapt.steps_uv, p.adapt.steps_joint, p.adapt.steps_inpaint, p.adapt.batch, p.adapt.max_side) == \
        (1500, 1500, 150, 8, 512)
    assert (p.adapt.correction_units, p.adapt.center_pose, p.e2v, p.inpainter_fill) == ("tracker", True, "e2v_synthtalk_v2", "exposed")
    assert (p.adapt_a2e.steps, p.adapt_a2e.lr, p.max_train_frames, p.chunk, p.progress) == (50, 5e-5, 150, 32, False)
    assert applied["adapt.steps_uv"] == 1500 and "adapt_a2e.lr" not in applied
    # full-2id keeps the first head's budget its leaderboard rows were run with.
    old, _ = with_preset(compose_cfg("ggtalker", "novel_view", ["scale=full-2id"]))
    assert (old.method.params.adapt.steps_uv, old.method.params.adapt.max_side, old.method.params.max_train_frames) == (300, 256, 300)
    # The preset is the registered default at full scale: its row is labelled by the method name alone.
    assert row_label("ggtalker", "ggtalker", full.method, "full") == "ggtalker"
    assert config_hash(full.method) == default_hash("ggtalker", "full") != default_hash("ggtalker", "smoke")
    smoke, applied = with_preset(compose_cfg("ggtalker", "novel_view", ["scale=smoke"]))
    # The smoke preset (preset/ggtalker/smoke.yaml) is in effect at smoke, and the full one is not.
    assert applied["adapt.steps_uv"] == 200 and applied["e2v"] == "e2v_synthtalk_v2" and "chunk" not in smoke.method.params
    # A value typed on the command line wins over the preset; the preset fills the rest.
    typed, applied = with_preset(compose_cfg("ggtalker", "novel_view", ["scale=full", "method.params.adapt.steps_uv=600"]))
    assert typed.method.params.adapt.steps_uv == 600 and typed.method.params.adapt.steps_joint == 1500
    assert "adapt.steps_uv" not in applied
    for name, key, value in (("talking_gaussian", "n_gaussians", 20000), ("nerf_talker", "rays_per_frame", 4096),
                             ("wav2lip2d", "crop", 96)):
        cfg, _ = with_preset(compose_cfg(name, "novel_view", ["scale=full"]))
        assert cfg.method.params[key] == value and cfg.method.params.steps == 600


def _with_frame_preset(cfg, frame):
    from omegaconf import open_dict

    with open_dict(cfg):
        cfg.method.presets = {"full": {"frame": frame}}
    return cfg


def test_run_records_the_applied_preset(tmp_path):
    import pytest

    from ggtalker.bench.preflight import PreflightError

    row = run(_with_frame_preset(toy_cfg("static", tmp_path, "scale=full"), 1))
    (d,) = [p for p in (tmp_path / "out" / "toy").glob("static-*")]
    summary = json.loads((d / "summary.json").read_text())
    assert summary["preset"] == {"scale": "full", "applied": {"frame": 1}}
    assert summary["config"]["method"]["params"]["frame"] == 1 and row["scale"] == "full"
    row = run(_with_frame_preset(toy_cfg("static", tmp_path, "scale=smoke"), 1))
    assert row["label"] == "static" and row["config_hash"] == default_hash("static", "smoke")
    with pytest.raises(PreflightError, match="frame"):  # a preset's values are checked like typed ones
        run(_with_frame_preset(toy_cfg("static", tmp_path, "scale=full"), "abc"))
