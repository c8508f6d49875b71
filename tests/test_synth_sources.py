"""SynthTalk suite sources: cases, cached clips, tracked training params and exact targets."""

import os

import numpy as np

from ggtalker.core.clip import read_clip
from ggtalker.synth import sources

TINY = {"size": 32, "train_seconds": 0.4, "test_seconds": 0.4, "n_test": 1, "n_identities": 2, "samples": 0}


def test_self_reenact_cases_are_cached_and_carry_the_right_params(tmp_path, monkeypatch):
    monkeypatch.setenv("GGTALKER_CACHE", str(tmp_path))
    cases = sources.self_reenact("smoke", seed=0, **TINY)
    assert [c.identity for c in cases] == ["synth0", "synth1"]
    assert all(c.controls == ("pose", "blink") for c in cases)
    train = read_clip(cases[0].train[0])
    target = read_clip(cases[0].target)
    assert train.meta["role"] == "train" and train.meta["tracker_noise"] > 0
    assert target.meta["role"] == "target" and target.meta["params"] == "exact" and "openness" in target.meta
    assert train.meta["text"] != target.meta["text"]
    assert target.n_frames == 10 and target.frames.shape[1:] == (32, 32, 3)
    mtime = os.path.getmtime(cases[0].target / "clip.json")
    again = sources.self_reenact("smoke", seed=0, **TINY)
    assert [c.target for c in again] == [c.target for c in cases]
    assert os.path.getmtime(cases[0].target / "clip.json") == mtime  # served from the cache


def test_novel_view_and_cross_identity_tags(tmp_path, monkeypatch):
    monkeypatch.setenv("GGTALKER_CACHE", str(tmp_path))
    nv = sources.novel_view("smoke", views=[[0, 0], [90, 0]], **{**TINY, "n_identities": 1})
    assert [c.tags["yaw"] for c in nv] == ["+0", "+90"]
    a, b = (read_clip(c.target) for c in nv)
    assert np.array_equal(a.params["jaw"], b.params["jaw"])  # one performance, two views
    assert not np.array_equal(a.frames, b.frames)
    ci = sources.cross_identity("smoke", **TINY)
    assert ci[0].tags["driver"] == "synth1" and ci[1].tags["driver"] == "synth0"
    assert read_clip(ci[0].target).meta["voice"] != read_clip(sources.self_reenact("smoke", **TINY)[0].target).meta["voice"]


def test_ood_audio_keeps_motion_for_effects_and_reperforms_for_voices(tmp_path, monkeypatch):
    monkeypatch.setenv("GGTALKER_CACHE", str(tmp_path))
    cases = sources.ood_audio("smoke", families=["noise_10db", "unseen_voice"], **{**TINY, "n_identities": 1})
    assert [c.tags["family"] for c in cases] == ["in_dist", "noise_10db", "unseen_voice"]
    ref, noisy, voice = (read_clip(c.target) for c in cases)
    assert np.array_equal(ref.params["jaw"], noisy.params["jaw"]) and not np.array_equal(ref.audio, noisy.audio)
    assert voice.meta["voice"] != ref.meta["voice"]
