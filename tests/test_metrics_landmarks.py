"""LMD by hand, dlib/MediaPipe landmarks and dlib CSIM offline on a real photograph (skimage's astronaut)."""

import numpy as np
import pytest
from skimage.data import astronaut as _astronaut


def astronaut():
    """skimage's astronaut photo cropped to 192x192 around the face (faster detection)."""
    return np.ascontiguousarray(_astronaut()[40:232, 120:312])

from ggtalker.bench.method import Generation
from ggtalker.core.clip import Cameras, Clip
from ggtalker.metrics.identity import CSIM, five_points
from ggtalker.metrics.landmarks import LMD, landmark_distance
from ggtalker.track.landmarks import MP_TO_68, Dlib68, MediaPipe68


def _clip(frames):
    n = len(frames)
    cams = Cameras(np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)), np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)))
    return Clip(fps=25.0, cameras=cams, width=frames.shape[2], height=frames.shape[1], frames=frames)


def test_landmark_distance_by_hand():
    ang = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    gt = np.stack([100 + 10 * np.cos(ang), 50 + 10 * np.sin(ang)], -1)[None]
    mouth_ang = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    gt[0, 48:68] = np.stack([100 + 4 * np.cos(mouth_ang), 60 + 2 * np.sin(mouth_ang)], -1)
    # A rigid shift is removed by mean-centring: zero.
    np.testing.assert_allclose(landmark_distance(gt + [3.0, -7.0], gt), [0.0], atol=1e-12)
    # Mouth points (a closed ring, so their mean stays put) pushed 2 px outward: every point moves 2 px.
    pred = gt.copy()
    c = gt[0, 48:68].mean(0)
    d = gt[0, 48:68] - c
    pred[0, 48:68] = c + d * (1 + 2 / np.linalg.norm(d, axis=1, keepdims=True))
    np.testing.assert_allclose(landmark_distance(pred, gt, "mouth"), [2.0], rtol=1e-9)
    # Face region: the 20 mouth points translated by v (|v| = 2) move the 68-point mean by v·20/68, so
    # after centring mouth points move |v|·48/68 and the 48 others |v|·20/68: LMD = |v|·2·20·48/68².
    pred = gt.copy()
    pred[0, 48:68] += [2.0, 0.0]
    np.testing.assert_allclose(landmark_distance(pred, gt, "face"), [2.0 * 2 * 20 * 48 / 68**2], rtol=1e-9)


def test_dlib_landmarks_offline_on_a_photo():
    img = astronaut()
    lms = Dlib68().detect(img)
    assert lms.shape == (68, 2) and np.isfinite(lms).all()
    # In the crop the face lies near x 55-145, y 36-126; mouth below the eyes, chin lowest.
    assert np.all((lms[:, 0] > 30) & (lms[:, 0] < 170) & (lms[:, 1] > 20) & (lms[:, 1] < 160))
    assert lms[48:68, 1].mean() > lms[36:48, 1].mean() and lms[8, 1] == lms[:, 1].max()
    assert five_points(lms).shape == (5, 2)


def test_mediapipe_mapping_and_detection():
    assert len(MP_TO_68) == 68 and len(set(MP_TO_68)) == 68 and max(MP_TO_68) < 468
    lms = MediaPipe68().detect(astronaut())
    ref = Dlib68().detect(astronaut())
    assert np.isfinite(lms).all()
    # Two detectors, one face: mouth centres agree to a few pixels.
    assert np.linalg.norm(lms[48:68].mean(0) - ref[48:68].mean(0)) < 8


def test_lmd_and_csim_metrics_on_photo_frames():
    img = astronaut()
    gt = _clip(img[None])
    shifted = np.roll(img, (4, -3), axis=(0, 1))
    lmd = LMD(region="mouth")
    assert lmd.unavailable() is None
    lmd.update(Generation(frames=gt.frames), gt)
    np.testing.assert_allclose(lmd.compute()["lmd"], 0.0, atol=1e-9)
    lmd.reset()
    lmd.update(Generation(frames=shifted[None]), gt)
    assert 0 <= lmd.compute()["lmd"] < 2.0  # a shifted face: mean-centring leaves only predictor jitter

    csim = CSIM()
    assert csim.unavailable() is None and csim.variant()["backend"] == "dlib"
    csim.update(Generation(frames=gt.frames), gt)
    np.testing.assert_allclose(csim.compute()["csim"], 1.0, atol=1e-6)
    csim.reset()
    csim.update(Generation(frames=shifted[None]), gt)
    assert csim.compute()["csim"] > 0.95


def test_arcface_unavailable_without_weights(monkeypatch):
    monkeypatch.delenv("GGTALKER_ARCFACE", raising=False)
    assert "GGTALKER_ARCFACE" in CSIM(backend="arcface").unavailable()


def _face_with_gap(gaps: np.ndarray) -> np.ndarray:
    """``(N, 68, 2)`` landmarks of a face 100 px high (bridge 27 to chin 8) whose inner lips are ``gaps`` px apart."""
    lmk = np.zeros((len(gaps), 68, 2))
    lmk[:, 27] = [50.0, 20.0]
    lmk[:, 8] = [50.0, 120.0]
    for up, lo in zip((61, 62, 63), (67, 66, 65)):
        lmk[:, up] = [40.0 + 10 * (up - 61), 90.0]
        lmk[:, lo] = lmk[:, up] + np.stack([np.zeros_like(gaps), gaps], -1)
    return lmk


def test_inner_lip_gap_and_its_correlation(monkeypatch):
    from ggtalker.metrics import landmarks as lm

    np.testing.assert_allclose(lm.inner_lip_gap(_face_with_gap(np.array([0.0, 5.0, 12.0]))), [0.0, 0.05, 0.12])
    t = np.linspace(0, 6, 40)
    truth = 6 + 5 * np.sin(t)
    frames = np.zeros((40, 8, 8, 3), np.uint8)
    gt = _clip(frames)
    for pred_gaps, expected in ((2 * truth + 1, 1.0), (12 - truth, -1.0), (np.full(40, 4.0), 0.0)):
        # The detector's answers: the truth's for the ground-truth frames (cached first), then the prediction's.
        answers = iter([_face_with_gap(truth), _face_with_gap(pred_gaps)])
        monkeypatch.setattr(lm, "detect_video", lambda *a, **k: next(answers))
        lm.LMD._gt_cache.clear()
        m = lm.MouthGapCorrelation()
        m.update(Generation(frames=frames), gt)
        np.testing.assert_allclose(m.compute()["mouth_corr_lmk"], expected, atol=1e-9)
    # Frames without a face in the prediction are left out, not scored.
    lost = _face_with_gap(2 * truth)
    lost[:10] = np.nan
    answers = iter([_face_with_gap(truth), lost])
    lm.LMD._gt_cache.clear()
    m = lm.MouthGapCorrelation()
    m.update(Generation(frames=frames), gt)
    np.testing.assert_allclose(m.compute()["mouth_corr_lmk"], 1.0, atol=1e-9)
    lm.LMD._gt_cache.clear()
