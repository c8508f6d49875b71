"""Issue 21 (reliability), one table row per way a run gave a wrong number, a half-written file or a late,
unclear failure. Each row reproduces the failure at toy size and asserts what happens now.

Rows use the toy clip source (2 cases of 25 frames at 48x48, one identity) and the ``precomputed`` method
(videos written here), so every run takes a second or two on a CPU. A ``kill -9`` between two cases is
emulated by :class:`Killed`, a BaseException nothing in the runner catches: the disk is left exactly as a
kill after the first case file would leave it (case files are written whole, by rename).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf, open_dict

from ggtalker import REPO_ROOT
from ggtalker.bench.regress import compose_cfg
from ggtalker.bench.runner import run
from ggtalker.core.registry import SUITES

TOY = {
    "name": "toy", "target": "ggtalker.bench.suite:Suite",
    "params": {"source": {"target": "ggtalker.bench.toy:toy_cases", "params": {"n_identities": 1, "n_test": 2}},
               "metrics": ["psnr", "ssim"]},
}
#: Row columns that measure the machine, not the method (they differ between two identical runs).
TIMING = {"train_s", "infer_fps", "peak_cpu_mb", "peak_gpu_mb"}


class Killed(BaseException):
    """Stands for ``kill -9`` between two cases."""


@dataclass
class Ctx:
    tmp: Path
    monkeypatch: pytest.MonkeyPatch


def cfg(tmp: Path, method: str, *extra: str, out: str = "out"):
    c = compose_cfg(method, "smoke", [f"out_dir={tmp / out}", f"leaderboard_dir={tmp / out}-lb", *extra])
    with open_dict(c):
        c.suite = OmegaConf.create(TOY)
    return c


def scores(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in TIMING}


def toy_targets():
    from ggtalker.core.clip import read_clip

    return {c.id: read_clip(c.target) for c in SUITES.build(TOY).cases()}


def write_videos(folder: Path, make: Callable[[np.ndarray], np.ndarray]) -> Path:
    """``<folder>/<case>.mp4`` holding ``make(target frames)`` for every toy case."""
    from ggtalker.core.video import write_video

    for case_id, clip in toy_targets().items():
        write_video(folder / f"{case_id}.mp4", make(clip.frames), clip.fps)
    return folder


def noisy(sigma: float, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    return lambda f: np.clip(f + rng.normal(0, sigma, f.shape), 0, 255).astype(np.uint8)


def precomputed(tmp: Path, folder: Path, *extra: str, out: str = "out"):
    return cfg(tmp, "precomputed", f"method.params.dir={folder}", "method.params.label=mix", *extra, out=out)


def kill_on_call(monkeypatch, cls, k: int) -> None:
    """Make ``cls.generate`` die (like ``kill -9``) on its ``k``-th call."""
    original, calls = cls.generate, []

    def generate(self, state, request):
        calls.append(request.case_id)
        if len(calls) == k:
            raise Killed(request.case_id)
        return original(self, state, request)

    monkeypatch.setattr(cls, "generate", generate)


def case_files(root: Path) -> list[Path]:
    return sorted(root.rglob("cases/*.json")) if root.exists() else []


def raises(fn: Callable, *needles: str) -> str:
    """Call ``fn``; it must raise, with every needle in the message. Returns the message."""
    with pytest.raises(Exception) as info:
        fn()
    text = str(info.value)
    for n in needles:
        assert n in text, f"{n!r} not in {type(info.value).__name__}: {text}"
    return text


def cli(*args: str, cwd: Path = REPO_ROOT, script: Path | None = None, env: dict | None = None):
    script = script or REPO_ROOT / "eval" / "run.py"
    return subprocess.run([sys.executable, str(script), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env if env is not None else os.environ.copy())


# -- 1. a resume mixes another configuration's cases into a row ---------------------------------------

def resume_after_kill_with_other_dir(c: Ctx) -> None:
    """precomputed dir=A, then dir=B into the same out_dir killed after its first case, then B again."""
    from baselines.precomputed import Precomputed

    a = write_videos(c.tmp / "A", noisy(3, 1))
    b = write_videos(c.tmp / "B", noisy(12, 2))
    clean = run(precomputed(c.tmp, b, out="clean"))
    run(precomputed(c.tmp, a))
    with c.monkeypatch.context() as m:
        kill_on_call(m, Precomputed, 2)
        with pytest.raises(Killed):
            run(precomputed(c.tmp, b))
    assert scores(run(precomputed(c.tmp, b))) == scores(clean)


def resume_after_kill_with_other_code(c: Ctx) -> None:
    """The same configuration under new code (a new commit): killed after one case, run again; then a
    case file of another run left in the folder (two runs interleaved) is recomputed, not trusted."""
    from ggtalker.methods.reference import Static

    c.monkeypatch.setenv("GGTALKER_COMMIT", "new-code")
    clean = run(cfg(c.tmp, "static", out="clean"))
    with c.monkeypatch.context() as m:  # the old code rendered something else for the same cases
        m.setenv("GGTALKER_COMMIT", "old-code")
        original = Static.generate

        def darker(self, state, request):
            pred = original(self, state, request)
            pred.frames = pred.frames // 2
            return pred

        m.setattr(Static, "generate", darker)
        run(cfg(c.tmp, "static"))
    with c.monkeypatch.context() as m:
        kill_on_call(m, Static, 2)
        with pytest.raises(Killed):
            run(cfg(c.tmp, "static"))
    assert scores(run(cfg(c.tmp, "static"))) == scores(clean)

    (case,) = [p for p in case_files(c.tmp / "out") if p.stem == "id0_test1"]
    d = json.loads(case.read_text())
    d["records"][0]["value"] = 999.0
    if "fingerprint" in d:
        d["fingerprint"] = "another-run"
    case.write_text(json.dumps(d))
    assert scores(run(cfg(c.tmp, "static"))) == scores(clean)


# -- 2. two configurations running at once share a run folder ----------------------------------------

def parallel_configs_share_nothing(c: Ctx) -> None:
    """B runs start to finish while A is between cases (as two parallel jobs do); B again must be B."""
    from baselines.precomputed import Precomputed

    a = write_videos(c.tmp / "A", noisy(3, 1))
    b = write_videos(c.tmp / "B", noisy(12, 2))
    clean = run(precomputed(c.tmp, b, out="clean"))
    original, nested = Precomputed.generate, {}

    def generate(self, state, request):
        if "row" not in nested:
            nested["row"] = None  # B's own calls must not start a third run
            nested["row"] = run(precomputed(c.tmp, b))
        return original(self, state, request)

    with c.monkeypatch.context() as m:
        m.setattr(Precomputed, "generate", generate)
        run(precomputed(c.tmp, a))
    assert scores(nested["row"]) == scores(clean)
    assert scores(run(precomputed(c.tmp, b))) == scores(clean)
    folders = sorted(p.parent for p in (c.tmp / "out" / "toy").glob("*/fingerprint.json"))
    assert len(folders) == 2
    for f in folders:  # each folder's summary is the run its fingerprint says
        fp = json.loads((f / "fingerprint.json").read_text())
        summary = json.loads((f / "summary.json").read_text())
        assert summary["config"]["method"]["params"]["dir"] == fp["method"]["params"]["dir"]
        assert {p.stem for p in (f / "cases").glob("*.json")} == {"id0_test0", "id0_test1"}


# -- 3. device=cuda without CUDA -----------------------------------------------------------------------

def cuda_checked_up_front(c: Ctx) -> None:
    import torch

    c.monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(Exception) as info:
        run(cfg(c.tmp, "static", "device=cuda"))
    assert type(info.value).__name__ == "PreflightError"
    assert str(info.value).startswith("device=cuda: CUDA is not available") and "device=cpu" in str(info.value)
    assert case_files(c.tmp / "out") == []


# -- 4. half-written and private output files ---------------------------------------------------------

def kill_while_writing_tables(c: Ctx) -> None:
    """A kill while records.csv is written must leave the previous records.csv whole."""
    run(cfg(c.tmp, "static"))
    (folder,) = [p.parent for p in (c.tmp / "out" / "toy").glob("*/records.csv")]
    before = {n: (folder / n).read_bytes() for n in ("records.csv", "per_frame.csv.gz")}

    def to_csv_killed(self, path_or_buf=None, *a, **k):
        if isinstance(path_or_buf, (str, Path)):
            open(path_or_buf, "w").close()  # what a kill leaves of a file written in place
        elif path_or_buf is not None:
            path_or_buf.write(b"case,metr" if "b" in getattr(path_or_buf, "mode", "b") else "case,metr")
        raise Killed("to_csv")

    with c.monkeypatch.context() as m:
        m.setattr(pd.DataFrame, "to_csv", to_csv_killed)
        with pytest.raises(Killed):
            run(cfg(c.tmp, "static"))  # every case resumed; killed writing the tables
    assert {n: (folder / n).read_bytes() for n in before} == before
    assert [p.name for p in folder.rglob("*") if p.name.startswith(".")] == []  # no temporary left behind
    assert len(pd.read_csv(folder / "records.csv")) == 4


def outputs_have_normal_permissions(c: Ctx) -> None:
    old = os.umask(0o022)
    try:
        run(cfg(c.tmp, "static"))
    finally:
        os.umask(old)
    files = [p for root in (c.tmp / "out" / "toy", c.tmp / "out-lb") for p in root.rglob("*")
             if p.is_file() and p.suffix != ".lock"]
    assert len(files) >= 8
    modes = {str(p.relative_to(c.tmp)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {"0o644"}, modes


# -- 6. silent truncation and resizing ----------------------------------------------------------------

def truncated_wav_refused(c: Ctx) -> None:
    import soundfile as sf

    from ggtalker.core.audio import load_audio

    path = c.tmp / "speech.wav"
    sf.write(path, (0.3 * np.sin(np.arange(48_000) / 16_000 * 2 * np.pi * 200)).astype(np.float32), 16_000,
             subtype="PCM_16")  # 3 s: 75 frames at 25 fps
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    raises(lambda: load_audio(path), str(path), "truncated", "declares 3.000 s", "holds 1.49")


def truncated_faststart_mp4_refused(c: Ctx) -> None:
    import av

    from ggtalker.bench.toy import toy_clip
    from ggtalker.core.video import read_video

    path = c.tmp / "faststart.mp4"
    frames = toy_clip(0, 1, n_frames=200, size=48).frames
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:  # the index before the data
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = 48, 48, "yuv420p"
        for img in frames:
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
    with av.open(str(path)) as container:  # cut the file cleanly where packet 100 begins
        cut = [p.pos for p in container.demux(video=0) if p.pos is not None][100]
    path.write_bytes(path.read_bytes()[:cut])
    raises(lambda: read_video(path), str(path), "truncated", "declares 200 frames")


def precomputed_four_times_too_long_refused(c: Ctx) -> None:
    folder = write_videos(c.tmp / "long", lambda f: np.concatenate([f] * 4))
    raises(lambda: run(precomputed(c.tmp, folder)), "100 frames, but the case needs 25", "4.00x as long")


def precomputed_other_aspect_refused(c: Ctx) -> None:
    folder = write_videos(c.tmp / "wide", lambda f: np.concatenate([f, f], axis=2))  # 96x48
    raises(lambda: run(precomputed(c.tmp, folder)), "96x48 frames", "crop 50% of the picture away")


def precomputed_resize_recorded(c: Ctx) -> None:
    folder = write_videos(c.tmp / "small", lambda f: np.ascontiguousarray(f[:, ::2, ::2]))  # 24x24
    run(precomputed(c.tmp, folder))
    (summary,) = (c.tmp / "out" / "toy").glob("*/summary.json")
    warnings = json.loads(summary.read_text())["warnings"]
    assert len(warnings) == 2 and all("24x24 frames resized to the case's 48x48" in w for w in warnings)


# -- 7. rows averaging metrics over different cases ---------------------------------------------------

def metric_counts_in_row(c: Ctx) -> None:
    from ggtalker.metrics.image import SSIM

    original = SSIM.update

    def update(self, pred, gt):
        if gt.id.endswith("_2"):  # the second case: this metric fails on it
            raise ValueError("no face found")
        return original(self, pred, gt)

    c.monkeypatch.setattr(SSIM, "update", update)
    row = run(cfg(c.tmp, "static"))
    assert row["n_cases"] == 2 and row["psnr.n"] == 2 and row["ssim.n"] == 1
    df = pd.read_csv(c.tmp / "out-lb" / "toy.csv")
    assert df.loc[0, "ssim.n"] == 1 and df.loc[0, "psnr.n"] == 2


def no_face_is_unavailable_not_an_error(c: Ctx) -> None:
    """A target without a face: lmd and csim say 'unavailable' (no traceback) and the counts say 1 of 2."""
    import logging

    from skimage.data import astronaut

    from ggtalker.bench import leaderboard as lb
    from ggtalker.bench.method import Generation
    from ggtalker.bench.protocol import Protocol
    from ggtalker.bench.records import CaseResult
    from ggtalker.bench.runner import evaluate_case
    from ggtalker.core.clip import Cameras, Clip
    from ggtalker.core.registry import METRICS

    face = np.ascontiguousarray(astronaut()[40:232, 120:312])
    metrics = {m: METRICS.build(m, protocol=Protocol()) for m in ("psnr", "lmd", "csim")}
    eye = Cameras(np.eye(3, dtype=np.float32)[None], np.eye(4, dtype=np.float32)[None])
    results = []
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("ggtalker.eval").addHandler(handler)
    try:
        for name, img in (("face", face), ("wall", np.full_like(face, 128))):
            gt = Clip(fps=25.0, cameras=eye, width=192, height=192, frames=img[None], id=name)
            recs = evaluate_case(metrics, Generation(frames=np.clip(img[None] + 3, 0, 255)), gt, {})
            results.append(CaseResult(case=name, identity="x", tags={}, n_frames=1, prepare_s=0, generate_s=0,
                                      pred_hash="", gt_hash="", protocol="default", records=recs))
    finally:
        logging.getLogger("ggtalker.eval").removeHandler(handler)
    wall = {r.metric: r for r in results[1].records}
    assert wall["lmd"].status == wall["csim"].status == "unavailable"
    assert "no face" in wall["lmd"].reason and "no face" in wall["csim"].reason
    assert not [r for r in records if r.exc_info], "a face-less target logged a traceback"
    _, _, counts = lb.summarise(results)
    assert counts == {"psnr": 2, "lmd": 1, "csim": 1}


# -- 8. late or unclear errors ------------------------------------------------------------------------

def bad_seed_named(c: Ctx) -> None:
    raises(lambda: run(cfg(c.tmp, "static", "seed=abc")), "seed='abc'", "integer")
    assert case_files(c.tmp / "out") == []


def bad_param_type_named_before_training(c: Ctx) -> None:
    from baselines.talking_gaussian import TalkingGaussian

    c.monkeypatch.setattr(TalkingGaussian, "prepare", lambda *a: pytest.fail("training started"))
    raises(lambda: run(cfg(c.tmp, "talking_gaussian", "method.params.steps=abc")), "method.params.steps='abc'",
           "int")


def unknown_param_named(c: Ctx) -> None:
    raises(lambda: run(cfg(c.tmp, "static", "+method.params.bogus=1")), "static has no parameter 'bogus'")
    r = cli("method=static", "method.params.bogus=1")
    assert r.returncode != 0 and r.stderr.strip() == "error: method=static has no parameter 'bogus' (its parameters: frame)"


def bad_scale_refused_before_any_work(c: Ctx) -> None:
    import ggtalker.bench.toy as toy

    c.monkeypatch.setattr(toy, "toy_cases", lambda *a, **k: pytest.fail("cases were built"))
    raises(lambda: run(cfg(c.tmp, "static", "scale=huge")), "scale='huge'", "smoke, full")


def one_line_on_stderr(c: Ctx) -> None:
    r = cli("method=static", "suite=smoke", "seed=abc", f"out_dir={c.tmp / 'out'}", f"leaderboard_dir={c.tmp / 'lb'}")
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["error: seed='abc': must be an integer in [0, 4294967295]"]
    full = cli("method=static", "seed=abc", f"out_dir={c.tmp / 'out'}", env={**os.environ, "HYDRA_FULL_ERROR": "1"})
    assert "Traceback" in full.stderr and "seed='abc'" in full.stderr
    assert case_files(c.tmp / "out") == []


def corrupt_zoo_entry_names_file_and_fix(c: Ctx) -> None:
    from ggtalker import zoo

    ckpt = c.tmp / "model.pt"
    ckpt.write_bytes(b"weights")
    zoo.save_entry("toy_entry", ckpt, recipe="python scripts/train_toy.py --zoo", data="toy", steps=1, device="cpu",
                   root=c.tmp / "zoo")
    c.monkeypatch.setattr(zoo, "ZOO_DIR", c.tmp / "zoo")
    (c.tmp / "zoo" / "toy_entry" / "model.pt").write_bytes(b"weightz")
    raises(lambda: zoo.load_path("toy_entry"), str(c.tmp / "zoo" / "toy_entry" / "model.pt"), "git checkout",
           "python scripts/train_toy.py --zoo")


def ggtalker_missing_masks_in_preflight(c: Ctx) -> None:
    from ggtalker.methods.ggtalker import GGTalker

    c.monkeypatch.setenv("GGTALKER_CACHE", str(c.tmp / "cache"))  # this row edits its clips
    for case in SUITES.build(TOY).cases():
        for p in case.train:
            (p / "masks.npz").unlink(missing_ok=True)
    c.monkeypatch.setattr(GGTalker, "prepare", lambda *a: pytest.fail("prepare ran before the check"))
    raises(lambda: run(cfg(c.tmp, "ggtalker")), "ggtalker needs masks", "in its training clips")
    assert case_files(c.tmp / "out") == []


# -- 9. running another checkout's code ---------------------------------------------------------------

def runs_its_own_tree(c: Ctx) -> None:
    """A copy B of the tree, run as ``python B/eval/run.py`` with another checkout installed or on the path:
    B's code must run."""
    b = c.tmp / "B"
    skip = shutil.ignore_patterns("__pycache__", "*.pt", "*.npz")
    for d in ("eval", "ggtalker", "baselines"):
        shutil.copytree(REPO_ROOT / d, b / d, ignore=skip)
    with open(b / "ggtalker" / "__init__.py", "a") as f:
        f.write('\nimport sys as _sys\nprint(f"ggtalker from {REPO_ROOT}", file=_sys.stderr)\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(REPO_ROOT)  # the other checkout first on the path, as an editable install is
    r = cli("method=static", "seed=abc", f"out_dir={c.tmp / 'out'}", script=b / "eval" / "run.py", cwd=c.tmp,
            env=env)
    assert f"ggtalker from {b}" in r.stderr.splitlines(), r.stderr


DEFECTS: list[tuple[str, Callable[[Ctx], None]]] = [
    ("1-resume-after-kill-other-dir", resume_after_kill_with_other_dir),
    ("1-resume-after-kill-other-code", resume_after_kill_with_other_code),
    ("2-parallel-configs", parallel_configs_share_nothing),
    ("3-cuda-up-front", cuda_checked_up_front),
    ("4-kill-while-writing", kill_while_writing_tables),
    ("4-permissions", outputs_have_normal_permissions),
    ("6-truncated-wav", truncated_wav_refused),
    ("6-truncated-faststart-mp4", truncated_faststart_mp4_refused),
    ("6-precomputed-4x-long", precomputed_four_times_too_long_refused),
    ("6-precomputed-aspect", precomputed_other_aspect_refused),
    ("6-precomputed-resize-warned", precomputed_resize_recorded),
    ("7-metric-counts", metric_counts_in_row),
    ("7-no-face-unavailable", no_face_is_unavailable_not_an_error),
    ("8-seed", bad_seed_named),
    ("8-param-type", bad_param_type_named_before_training),
    ("8-unknown-param", unknown_param_named),
    ("8-scale", bad_scale_refused_before_any_work),
    ("8-one-line-stderr", one_line_on_stderr),
    ("8-zoo-corrupt", corrupt_zoo_entry_names_file_and_fix),
    ("8-ggtalker-masks", ggtalker_missing_masks_in_preflight),
    ("9-own-tree", runs_its_own_tree),
]


@pytest.mark.parametrize("check", [d[1] for d in DEFECTS], ids=[d[0] for d in DEFECTS])
def test_bad_input(check, tmp_path, monkeypatch):
    check(Ctx(tmp_path, monkeypatch))
