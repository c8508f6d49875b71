"""SynthTalk rendering: clip fields, masks, landmarks, determinism, and an open mouth that looks open."""

import numpy as np

from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.synth.cameras import static_cameras
from ggtalker.synth.checks import mouth_dark_area
from ggtalker.synth.world import render_clip


def _perf(n, jaw):
    return {"fps": 25.0, "audio": np.zeros(int(n / 25 * SAMPLE_RATE), np.float32),
            "params": {"expr": np.zeros((n, 10), np.float32), "jaw": np.asarray(jaw, np.float32).reshape(n, 1),
                       "blink": np.zeros((n, 2), np.float32), "pose": np.zeros((n, 6), np.float32)}}


def test_clip_fields_masks_landmarks_and_determinism():
    perf = _perf(3, [0.0, 0.3, 0.6])
    cams = static_cameras(3, 64)
    a = render_clip(4, perf, cams, 64)
    b = render_clip(4, perf, cams, 64)
    c = render_clip(9, perf, cams, 64)
    assert a.frames.shape == (3, 64, 64, 3) and a.masks.shape == (3, 64, 64) and a.landmarks.shape == (3, 68, 2)
    assert set(np.unique(a.masks)) == {0, 1, 2}
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.masks, b.masks)
    assert np.abs(a.frames.astype(int) - c.frames.astype(int)).mean() > 5
    lm = np.round(a.landmarks[0]).astype(int)
    assert (lm >= 0).all() and (lm < 64).all()
    assert (a.masks[0][lm[17:, 1], lm[17:, 0]] == 1).mean() > 0.9  # inner face points land on the head
    assert a.meta["params"] == "exact" and np.array_equal(a.params["jaw"], perf["params"]["jaw"])


def test_tracker_noise_perturbs_params_only():
    perf = _perf(2, [0.2, 0.2])
    cams = static_cameras(2, 32)
    exact = render_clip(4, perf, cams, 32)
    noisy = render_clip(4, perf, cams, 32, tracker_noise=1.0, seed=3)
    assert np.array_equal(exact.frames, noisy.frames)
    assert noisy.meta["tracker_noise"] == 1.0 and noisy.meta["params"] == "tracked"
    assert not np.allclose(noisy.params["pose"], exact.params["pose"])


def test_open_mouth_shows_a_dark_interior():
    clip = render_clip(6, _perf(2, [0.0, 0.7]), static_cameras(2, 96), 96)
    area = mouth_dark_area(clip.frames, clip.landmarks)
    assert area[1] > area[0] + 0.05
