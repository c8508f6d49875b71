"""Landmark metrics on CPU: the per-frame arithmetic on synthetic landmarks, and LMD / MouthGapCorrelation
end to end (dlib detection included) on a few frames of skimage's astronaut photo."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.data import astronaut

from ggtalker.bench.method import Generation
from ggtalker.core.clip import Cameras, Clip
from ggtalker.metrics.landmarks import LMD, MouthGapCorrelation, inner_lip_gap, landmark_distance

N_LANDMARK_FRAMES, N_VIDEO_FRAMES = 250, 6


@pytest.fixture(scope="module")
def landmarks() -> tuple[np.ndarray, np.ndarray]:
    """Prediction and truth ``(N, 68, 2)``: a ring face, the truth jittered by a pixel or so."""
    rng = np.random.default_rng(0)
    ang = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    face = np.stack([100 + 40 * np.cos(ang), 100 + 50 * np.sin(ang)], -1)
    gt = face + rng.normal(0, 1.0, (N_LANDMARK_FRAMES, 68, 2))
    return gt + rng.normal(0, 1.0, gt.shape), gt


@pytest.fixture(scope="module")
def video() -> Clip:
    """The astronaut's face (192² crop) shifted by a few pixels a frame: a face dlib finds in every frame."""
    img = np.ascontiguousarray(astronaut()[40:232, 120:312])
    frames = np.stack([np.roll(img, (i % 3, -(i % 2)), axis=(0, 1)) for i in range(N_VIDEO_FRAMES)])
    n, (h, w) = len(frames), frames.shape[1:3]
    cams = Cameras(np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)), np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)))
    return Clip(fps=25.0, cameras=cams, width=w, height=h, frames=frames)


@pytest.mark.parametrize("region", ["mouth", "face"])
def test_landmark_distance(benchmark, landmarks, region: str) -> None:
    d = benchmark(landmark_distance, *landmarks, region)
    assert d.shape == (N_LANDMARK_FRAMES,) and np.isfinite(d).all() and (d > 0).all()


def test_inner_lip_gap(benchmark, landmarks) -> None:
    gap = benchmark(inner_lip_gap, landmarks[0])
    assert gap.shape == (N_LANDMARK_FRAMES,) and np.isfinite(gap).all()


def _score(metric: LMD, pred: Generation, gt: Clip) -> dict[str, float]:
    metric.reset()
    metric.update(pred, gt)
    return metric.compute()


@pytest.mark.parametrize("metric_cls", [LMD, MouthGapCorrelation], ids=["lmd", "mouth_corr_lmk"])
def test_landmark_metric_on_frames(benchmark, video: Clip, metric_cls: type[LMD]) -> None:
    metric = metric_cls(detector="dlib68")
    if metric.unavailable():
        pytest.skip(metric.unavailable())
    pred = Generation(frames=video.frames[::-1].copy())
    # The truth's landmarks are cached by content after the first round, as across methods in a run: the
    # rounds time detection on the prediction and the metric's arithmetic.
    out = benchmark.pedantic(_score, args=(metric, pred, video), rounds=5, warmup_rounds=1)
    (value,) = out.values()
    assert np.isfinite(value)
    assert 0 <= value < 5.0 if metric_cls is LMD else -1.0 <= value <= 1.0
