"""Source frames of the E2V prior's training pairs (``E2VTrainConfig.source_max_yaw``), tiny and on CPU."""

from __future__ import annotations

import numpy as np
import torch

from ggtalker.core.cameras import look_at, orbit_eye
from ggtalker.gaussians.data import FrameSet, frameset
from ggtalker.train.e2v import E2VTrainConfig, source_frames, train_e2v
from tiny_head import tiny_clip, tiny_prior


def _at_yaws(fs: FrameSet, yaws: list[float]) -> FrameSet:
    w2c = torch.from_numpy(np.stack([look_at(orbit_eye(y, 0.0)) for y in yaws]).astype(np.float32))
    return FrameSet(fs.images, fs.head, fs.params, fs.K, w2c, fs.clip_index)


def test_sources_are_the_frontal_frames_or_the_most_frontal_one() -> None:
    fs = _at_yaws(frameset([tiny_clip(tiny_prior(), 4, seed=0)]), [0.0, 30.0, -10.0, 60.0])
    assert source_frames(fs, None) == [0, 1, 2, 3]
    assert source_frames(fs, 15.0) == [0, 2]
    fs = _at_yaws(fs, [40.0, -25.0, 50.0, 70.0])
    assert source_frames(fs, 15.0) == [1]


def test_training_draws_its_sources_among_them(monkeypatch) -> None:
    import ggtalker.train.e2v as e2v

    ids = {f"id{i}": _at_yaws(frameset([tiny_clip(tiny_prior(), 4, seed=i)]), [0.0, 30.0, -10.0, 60.0])
           for i in range(2)}
    seen = []
    step = e2v.e2v_step
    monkeypatch.setattr(e2v, "e2v_step", lambda prior, src, tgt, *a: seen.append(src.w2c.clone()) or step(prior, src, tgt, *a))
    train_e2v(tiny_prior(0), ids, E2VTrainConfig(steps=6, batch=2, source_max_yaw=15.0), progress=False)
    from ggtalker.core.clip import Cameras

    yaws = np.concatenate([Cameras(np.zeros((len(w), 3, 3)), w.numpy()).yaw_pitch_deg()[:, 0] for w in seen])
    assert len(yaws) == 12 and np.abs(yaws).max() <= 15.0
