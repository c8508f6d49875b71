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
