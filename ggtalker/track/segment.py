"""Head / torso / background labels (:data:`~ggtalker.core.clip.MASK_HEAD` etc.) from a person mask and the fitted head.

* Person vs background: MediaPipe's selfie segmentation (the general model, shipped in the 0.10.14 wheel),
  thresholded at :data:`PERSON_THRESHOLD`.
* Head: the silhouette of the fitted head template (GGTalker's own head, posed with the tracked parameters and
  projected through the tracked camera): the convex hull of its projected vertices, grown by
  :data:`HAIR_GROW` of the face size to take in hair and ears the template's skin does not cover, and
  kept within the person mask. The template is open at the neck (latitude -70°), so the hull stops at the
  upper neck. With landmarks, person pixels above the chin (point 8) count as head too: hair that stands out
  beyond the grown silhouette. Hair hanging below the chin stays torso (a known limit).
* Torso: the rest of the person (neck, shoulders, clothes).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import torch

from ggtalker.core.clip import MASK_BACKGROUND, MASK_HEAD, MASK_TORSO
from ggtalker.gaussians.template import HeadTemplate, as_tensors, asset_path

PERSON_THRESHOLD = 0.5
#: Dilation of the head silhouette, as a share of its height (hair over the skin surface).
HAIR_GROW = 0.06


@lru_cache(maxsize=1)
def _selfie():
    import mediapipe as mp

    return mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)


def person_mask(rgb: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: MediaPipe selfie segmentation of ``rgb (H, W, 3)`` uint8 above :data:`PERSON_THRESHOLD`."""
    res = _selfie().process(np.ascontiguousarray(rgb))
    return res.segmentation_mask > PERSON_THRESHOLD


@lru_cache(maxsize=2)
def _template(name: str) -> HeadTemplate:
    return HeadTemplate.load(asset_path(name))


def project_head(params: dict[str, np.ndarray], K: np.ndarray, w2c: np.ndarray,
                 template: str = "head_template") -> np.ndarray:
    """The head template's vertices posed by ``params`` and projected: ``(N, V, 2)`` pixels.

    Args:
        params: ``{expr, jaw, pose, ...}`` each ``(N, D)``; K ``(N, 3, 3)``; w2c ``(N, 4, 4)``.
    """
    t = _template(template)
    with torch.no_grad():
        v = t.vertices(as_tensors({k: params[k] for k in ("expr", "jaw", "pose") if k in params})).numpy()
    xc = np.einsum("nij,nvj->nvi", w2c[:, :3, :3], v) + w2c[:, None, :3, 3]
    uv = np.einsum("nij,nvj->nvi", K, xc)
    return uv[..., :2] / np.maximum(uv[..., 2:], 1e-6)


def head_silhouette(uv: np.ndarray, height: int, width: int, grow: float = HAIR_GROW) -> np.ndarray:
    """``(H, W)`` bool: the convex hull of projected head points ``uv (V, 2)``, dilated by ``grow`` of its height."""
    out = np.zeros((height, width), np.uint8)
    hull = cv2.convexHull(np.round(uv).astype(np.int32))
    cv2.fillConvexPoly(out, hull, 1)
    r = int(round(grow * (uv[:, 1].max() - uv[:, 1].min())))
    if r > 0:
        out = cv2.dilate(out, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return out.astype(bool)


def label_masks(frames: np.ndarray, params: dict[str, np.ndarray], K: np.ndarray, w2c: np.ndarray,
                template: str = "head_template", landmarks: np.ndarray | None = None, progress=None) -> np.ndarray:
    """Labels ``(N, H, W)`` uint8 (0 background, 1 head, 2 torso) for ``frames (N, H, W, 3)`` and their track.

    Args:
        params, K, w2c: the track (``K (N, 3, 3)``, ``w2c (N, 4, 4)``).
        landmarks: ``(N, 68, 2)``: person pixels above each frame's chin join the head.
        progress: optional callable ``(frames_done)``.
    """
    n, h, w = frames.shape[:3]
    uv = project_head(params, K, w2c, template)
    out = np.full((n, h, w), MASK_BACKGROUND, np.uint8)
    for i in range(n):
        person = person_mask(frames[i])
        head = head_silhouette(uv[i], h, w)
        if landmarks is not None and np.isfinite(landmarks[i, 8, 1]):
            head[: max(0, int(landmarks[i, 8, 1]))] = True
        out[i][person] = MASK_TORSO
        out[i][person & head] = MASK_HEAD
        if progress is not None:
            progress(i + 1)
    return out
