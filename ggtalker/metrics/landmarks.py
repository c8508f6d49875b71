"""LMD: landmark distance between detected landmarks of predicted and ground-truth frames.

ER-NeRF / SyncTalk / TalkingGaussian's meter: landmarks are *detected* on the predicted frame and on the
ground-truth frame alike (:mod:`ggtalker.track.landmarks`), each frame's selected points are centred on
their own mean (so a global shift of the face does not count), the L2 distance is averaged over points, in
pixels at render resolution, and averaged over frames. ``mouth`` = points 48–67, ``face`` = all 68.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric, MetricUnavailable
from ggtalker.bench.records import array_hash
from ggtalker.core.clip import Clip
from ggtalker.track.landmarks import DETECTORS, clip_boxes, detect_video

REGIONS = {"mouth": slice(48, 68), "face": slice(0, 68)}


def landmark_distance(pred: np.ndarray, gt: np.ndarray, region: str = "mouth") -> np.ndarray:
    """Per-frame LMD: ``(N, 68, 2)`` × 2 → ``(N,)``; each frame's region points mean-centred, mean L2 over points."""
    sel = REGIONS[region]
    p, g = pred[:, sel], gt[:, sel]
    p = p - p.mean(1, keepdims=True)
    g = g - g.mean(1, keepdims=True)
    return np.linalg.norm(p - g, axis=-1).mean(1)


class LMD(Metric):
    """Landmark distance between landmarks detected on predicted and ground-truth frames (pixels).

    Args:
        region: ``mouth`` (points 48–67, the papers' LMD) or ``face`` (all 68).
        detector: ``dlib68``, ``dlib68_cnn`` or ``mediapipe``; None takes the protocol's ``landmarks``.
    """

    name = "lmd"
    outputs = {"lmd": False}
    needs: tuple[str, ...] = ("pred_frames", "gt_frames")
    tolerance = 0.05
    _gt_cache: dict[tuple, np.ndarray] = {}  # ground-truth landmarks, shared across metric instances

    def __init__(self, region: str = "mouth", detector: str | None = None, **kw) -> None:
        super().__init__(**kw)
        if region not in REGIONS:
            raise ValueError(f"region must be one of {sorted(REGIONS)}, got {region!r}")
        self.region = region
        self.detector_name = detector or self.protocol.landmarks
        if self.detector_name not in DETECTORS:
            raise ValueError(f"landmark detector must be one of {sorted(DETECTORS)}, got {self.detector_name!r}")

    def unavailable(self) -> str | None:
        try:
            self.detector
        except (ImportError, FileNotFoundError) as e:
            return f"landmark detector {self.detector_name} cannot load: {e}"
        return None

    def variant(self) -> dict:
        return {"detector": self.detector_name, "points": "48-67" if self.region == "mouth" else "0-67",
                "normalisation": "per-frame mean-centred", "unit": "px at render resolution",
                "compared": "detected on prediction vs detected on ground truth", "aggregation": "mean of per-frame"}

    @cached_property
    def detector(self):
        return DETECTORS[self.detector_name]()

    def ground_truth_landmarks(self, gt: Clip) -> np.ndarray:
        """Detected ground-truth landmarks ``(N, 68, 2)``, cached by frame content (shared by methods)."""
        key = (self.detector_name, array_hash(gt.frames))
        if key not in self._gt_cache:
            self._gt_cache[key] = detect_video(self.detector, gt.frames, clip_boxes(gt))
        return self._gt_cache[key]

    def update(self, pred: Generation, gt: Clip) -> None:
        g = self.ground_truth_landmarks(gt)
        if np.isnan(g).all():  # nothing to compare with: the case cannot be scored (not the method's failure)
            raise MetricUnavailable(f"{gt.id}: no face found by {self.detector_name} in any ground-truth frame")
        p = detect_video(self.detector, self.protocol.apply(pred.frames, gt), clip_boxes(gt))
        d = landmark_distance(p, g, self.region)
        if np.isnan(d).all():
            raise ValueError(f"{gt.id}: no face found by {self.detector_name} in any frame")
        self.add("lmd", d[np.isfinite(d)])


#: Inner-lip points of the iBUG-68 layout, upper (61-63) and lower (67-65) in facing pairs; the face height
#: that normalises their gap runs from the nose bridge (27) to the chin (8).
INNER_UPPER, INNER_LOWER, BRIDGE, CHIN = (61, 62, 63), (67, 66, 65), 27, 8


def inner_lip_gap(lmk: np.ndarray) -> np.ndarray:
    """``(N, 68, 2)`` landmarks → ``(N,)`` inner-lip gap over face height (NaN where a frame has no face)."""
    gap = np.linalg.norm(lmk[:, INNER_UPPER] - lmk[:, INNER_LOWER], axis=-1).mean(1)
    height = np.linalg.norm(lmk[:, BRIDGE] - lmk[:, CHIN], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return gap / height


class MouthGapCorrelation(LMD):
    """Pearson correlation, over a case, of the inner-lip gap detected on the prediction and on the ground
    truth (each normalised by its face height): lip sync measured on pixels, for real videos that have no
    true parameters (``mouth_corr`` needs them). One value per case; frames where either has no face are
    left out. A still mouth has no defined correlation and explains none of the motion: it scores 0."""

    name = "mouth_corr_lmk"
    outputs = {"mouth_corr_lmk": True}
    tolerance = 0.01
    MIN_FRAMES = 5

    def __init__(self, detector: str | None = None, **kw) -> None:
        super().__init__(region="mouth", detector=detector, **kw)

    def variant(self) -> dict:
        return {"detector": self.detector_name, "signal": "inner-lip gap (points 61-63 to 67-65) / face height (27-8)",
                "compared": "detected on prediction vs detected on ground truth", "aggregation": "Pearson r per case, mean over cases"}

    def update(self, pred: Generation, gt: Clip) -> None:
        g = self.ground_truth_landmarks(gt)
        if np.isnan(g).all():
            raise MetricUnavailable(f"{gt.id}: no face found by {self.detector_name} in any ground-truth frame")
        p = detect_video(self.detector, self.protocol.apply(pred.frames, gt), clip_boxes(gt))
        a, b = inner_lip_gap(p), inner_lip_gap(g)
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < self.MIN_FRAMES:
            raise ValueError(f"{gt.id}: a face in both prediction and truth in only {int(ok.sum())} frames")
        a, b = a[ok], b[ok]
        self.add("mouth_corr_lmk", 0.0 if a.std() < 1e-8 or b.std() < 1e-8 else float(np.corrcoef(a, b)[0, 1]))
