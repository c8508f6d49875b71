"""Convergence curves (issue 22): the training hook leaves training unchanged, held-out frames are the clip's
last frames and never trained on, the plateau rule, and scripts/baseline_curves.py end to end at a tiny size,
stopped and resumed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from baselines.common import FitHook
from ggtalker import REPO_ROOT
from ggtalker.bench.fit_diagnostic import suite_cases
from ggtalker.bench.toy import toy_clip
from ggtalker.core.clip import read_clip
from ggtalker.core.registry import METHODS
from ggtalker.train.curves import COLUMNS, plateau_step, split_clip, train_curve

torch.set_num_threads(2)

TINY = {
    "nerf_talker": dict(steps=4, rays_per_frame=64, n_samples=4, plane_res=8, hidden=16, chunk=4096),
    "talking_gaussian": dict(steps=4, n_gaussians=100, plane_res=8, hidden=16),
    "wav2lip2d": dict(steps=4, batch=1, crop=16, width=4),
}
#: A smoke identity shrunk for speed: 48² frames, a 2 s adaptation clip.
SMALL = dict(size=48, source=["train_seconds=2", "test_seconds=1"])


def _smoke_clip():
    cases = suite_cases("smoke", 0, identities=1, **SMALL)
    identity, cs = next(iter(cases.items()))
    return identity, read_clip(cs[0].train[0])


@pytest.mark.parametrize("name", sorted(TINY))
def test_hook_sees_every_kth_step_and_leaves_training_unchanged(name):
    train, val = split_clip(toy_clip(3, 0, n_frames=15, size=24))
    plain = METHODS.build(name, seed=0, **TINY[name]).prepare("toy", [train]).losses
    method = METHODS.build(name, seed=0, **TINY[name])
    seen = []
    hook = FitHook(every=2, evaluate=lambda step, state, losses: seen.append((step, method.validate(state, val))))
    hooked = method.prepare("toy", [train], hook=hook).losses
    assert hooked == plain  # validation draws no random numbers and steps nothing
    assert [s for s, _ in seen] == [0, 2, 4]
    for _, v in seen:
        assert np.isfinite(v.loss) and v.frames.shape == (val.n_frames, val.height, val.width, 3)


def test_val_frames_are_the_clips_last_fifth_and_never_trained_on(monkeypatch, tmp_path):
    identity, clip = _smoke_clip()
    train, val = split_clip(clip)
    cut = clip.n_frames - round(0.2 * clip.n_frames)
    assert (train.n_frames, val.n_frames) == (cut, clip.n_frames - cut)
    np.testing.assert_array_equal(train.frames, clip.frames[:cut])
    np.testing.assert_array_equal(val.frames, clip.frames[cut:])
    method = METHODS.build("talking_gaussian", seed=0, **{**TINY["talking_gaussian"], "steps": 2})
    given = []
    prepare = method.prepare
    monkeypatch.setattr(method, "prepare",
                        lambda ident, clips, hook=None: given.append(clips) or prepare(ident, clips, hook))
    train_curve(method, identity, clip, tmp_path / "c.csv", label="tg", scale="smoke", device="cpu", every=1,
                val_frames=3)
    (trained,) = given[0]
    np.testing.assert_array_equal(trained.frames, clip.frames[:cut])  # the held-out frames never reach prepare


def test_plateau_rule():
    steps = np.arange(0, 101, 10)
    val = np.array([1, 0.5, 0.3, 0.2, 0.15, 0.149, 0.1485, 0.148, 0.148, 0.148, 0.148])
    assert plateau_step(steps, val) == 50  # 0.149 -> 0.148 two evaluations (20 steps) later: under 1 %
    assert plateau_step(steps, 1 / (1 + steps)) is None  # still improving: the run is too short to tell
    spike = val.copy()
    spike[8] = 5.0  # a late bad evaluation does not move the running best
    assert plateau_step(steps, spike) == 50


def _run(out, *extra) -> str:
    cmd = [sys.executable, "scripts/baseline_curves.py", "--method", "talking_gaussian", "--identities", "1",
           "--steps", "6", "--every", "2", "--checkpoint-every", "2", "--val-frames", "3", "--size", "48",
           "--source", *SMALL["source"], "--set", "n_gaussians=100", "plane_res=8", "hidden=16", "--out", str(out),
           *extra]
    p = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def test_script_rows_plot_summary_and_resume(tmp_path):
    straight = tmp_path / "straight"
    _run(straight)
    ref = pd.read_csv(straight / "talking_gaussian.csv")
    assert list(ref.columns) == COLUMNS
    assert ref["step"].tolist() == [0, 2, 4, 6] and ref["step"].is_monotonic_increasing
    assert ref["val_loss"].notna().all() and ref["val_psnr_face"].notna().all()
    assert ref["seconds"].is_monotonic_increasing and (ref["scale"] == "smoke").all()
    assert (straight / "talking_gaussian_smoke.png").stat().st_size > 0
    assert "suggested_steps" in (straight / "talking_gaussian_smoke_summary.json").read_text()

    split = tmp_path / "split"
    first = _run(split, "--stop-after", "4")
    assert pd.read_csv(split / "talking_gaussian.csv")["step"].tolist() == [0, 2, 4]
    assert "steps 0 -> 4" in first
    second = _run(split, "--resume")
    assert "steps 4 -> 6" in second and "step      0 " not in second  # continued, not started over
    got = pd.read_csv(split / "talking_gaussian.csv")
    assert got["step"].tolist() == [0, 2, 4, 6]
    # The resumed run ends where the uninterrupted one does: weights, optimizer and batch RNG came back.
    np.testing.assert_allclose(got["val_loss"], ref["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(got["train_loss"].iloc[1:], ref["train_loss"].iloc[1:], rtol=1e-6)


def test_refuses_to_overwrite_a_saved_state(tmp_path):
    train = toy_clip(3, 0, n_frames=15, size=24)
    kw = dict(label="tg", scale="smoke", device="cpu", every=2, val_frames=2, state_path=tmp_path / "s.pt",
              checkpoint_every=2)
    method = METHODS.build("talking_gaussian", seed=0, **TINY["talking_gaussian"])
    run = train_curve(method, "toy", train, tmp_path / "c.csv", stop_after=2, **kw)
    assert (run.start_step, run.end_step) == (0, 2) and (tmp_path / "s.pt").is_file()
    with pytest.raises(SystemExit, match="pass --resume"):
        train_curve(method, "toy", train, tmp_path / "c.csv", **kw)
    assert train_curve(method, "toy", train, tmp_path / "c.csv", resume=True, **kw).start_step == 2


def test_a_run_killed_between_checkpoints_loses_only_the_steps_since_the_last(tmp_path):
    train = toy_clip(3, 0, n_frames=15, size=24)
    kw = dict(label="tg", scale="smoke", device="cpu", every=1, val_frames=2, checkpoint_every=2)
    straight = METHODS.build("talking_gaussian", seed=0, **{**TINY["talking_gaussian"], "steps": 5})
    train_curve(straight, "toy", train, tmp_path / "ref.csv", state_path=tmp_path / "ref.pt", **kw)

    method = METHODS.build("talking_gaussian", seed=0, **{**TINY["talking_gaussian"], "steps": 5})
    validate, calls = method.validate, []

    def dies_at_step_3(state, clip, index):
        calls.append(1)
        if len(calls) == 4:  # steps 0, 1, 2 scored (checkpoint at 2), then the machine goes at step 3
            raise KeyboardInterrupt
        return validate(state, clip, index)

    method.validate = dies_at_step_3
    with pytest.raises(KeyboardInterrupt):
        train_curve(method, "toy", train, tmp_path / "c.csv", state_path=tmp_path / "s.pt", **kw)
    method.validate = validate
    run = train_curve(method, "toy", train, tmp_path / "c.csv", state_path=tmp_path / "s.pt", resume=True, **kw)
    assert (run.start_step, run.end_step) == (2, 5)
    got, ref = pd.read_csv(tmp_path / "c.csv"), pd.read_csv(tmp_path / "ref.csv")
    assert got["step"].tolist() == list(range(6))
    np.testing.assert_allclose(got["val_loss"], ref["val_loss"], rtol=1e-6)
