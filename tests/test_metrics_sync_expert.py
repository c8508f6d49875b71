"""Sync expert: shapes, save/load, training plumbing on toy clips, and the zoo expert on SynthTalk clips."""

import numpy as np
import pytest
import torch

from ggtalker.bench.method import Generation
from ggtalker.bench.toy import toy_clip
from ggtalker.metrics.sync_expert import (
    CROP_H, CROP_W, SyncExpert, SyncExpertMetric, expert_scores, mouth_boxes, mouth_crops,
)
from ggtalker.train.sync_expert import delayed, prepare, sample_batch, train


def test_embedding_shapes_and_roundtrip(tmp_path):
    torch.manual_seed(0)
    m = SyncExpert(width=8).eval()
    v, a = torch.randn(3, 3, 5, CROP_H, CROP_W), torch.randn(3, 1, 13, 20)
    ev, ea = m.embed_video(v), m.embed_audio(a)
    assert ev.shape == ea.shape == (3, 128)
    torch.testing.assert_close(ev.norm(dim=1), torch.ones(3))
    m.save(tmp_path / "e.pt")
    m2 = SyncExpert.from_file(str(tmp_path / "e.pt"))
    torch.testing.assert_close(m2.embed_audio(a), ea, atol=2e-3, rtol=0)  # fp16 storage


def test_mouth_crop_follows_landmarks():
    clip = toy_clip(0, 1, n_frames=6, size=48)
    boxes = mouth_boxes(clip.landmarks)
    assert boxes.shape == (6, 4) and np.all(boxes[:, 2] > boxes[:, 0])
    crops = mouth_crops(clip.frames, boxes)
    assert crops.shape == (6, CROP_H, CROP_W, 3) and crops.dtype == np.uint8


def test_delayed_audio_keeps_length_and_fills_silence():
    a = np.arange(1, 1601, dtype=np.float32)
    d = delayed(a, 1, 25.0)  # one frame = 640 samples
    assert len(d) == len(a) and np.all(d[:640] == 0) and d[640] == 1


def test_training_lowers_the_loss_on_toy_clips():
    data = [prepare(toy_clip(i, k, n_frames=30, size=48)) for i in range(2) for k in range(2)]
    rng = np.random.default_rng(0)
    v, a, y = sample_batch(data, 8, rng)
    assert v.shape == (8, 3, 5, CROP_H, CROP_W) and a.shape == (8, 1, 13, 20) and y.tolist() == [1, 0] * 4
    torch.set_num_threads(1)  # on a shared 2-core machine, 2 intra-op threads spin and run ~20x slower
    model, losses = train(data, steps=30, batch=16, lr=3e-3, width=4, seed=0)
    assert np.mean(losses[-8:]) < np.mean(losses[:8])
    clip = toy_clip(0, 1, n_frames=30, size=48)
    s = expert_scores(model, clip.frames, clip.landmarks, clip.audio)
    assert np.isfinite([s["conf"], s["dist"]]).all() and s["dists"].shape[1] == 31


def test_metric_unavailable_without_zoo_entry():
    reason = SyncExpertMetric(zoo_name="no_such_entry").unavailable()
    assert "no_such_entry" in reason and "ggtalker.train.sync_expert" in reason


def test_zoo_expert_separates_aligned_from_shifted_on_synthtalk_smoke_clips():
    """The shipped expert on two SynthTalk smoke targets (cached by the smoke suite): own audio beats audio
    delayed by 5 frames. The full measurement (16 held-out clips) is scripts/eval_sync_expert.py."""
    from ggtalker.core.clip import read_clip
    from ggtalker.train.sync_expert import separation
    from ggtalker.synth.sources import smoke_cases

    torch.set_num_threads(1)
    clips = [read_clip(c.target) for c in smoke_cases(scale="smoke", seed=0)[:2]]
    sep = separation(SyncExpert.load(), clips, shift=5)
    assert sep["n"] == 2 and sep["fraction"] == 1.0, sep
    m = SyncExpertMetric()
    assert m.unavailable() is None
    m.update(Generation(frames=clips[0].frames), clips[0])
    vals = m.compute()
    assert vals["offset"] == 0 and vals["conf"] > 0
