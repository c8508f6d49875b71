"""Silhouette IoU: does the rendered head cover the pixels the true head covers, and no others?

The rendered silhouette is where a method's depth is defined (``Generation.depth`` is NaN off the head;
GGTalker sets it where the head's alpha exceeds 0.5). The truth is the clip's head mask (label 1).
"""

from __future__ import annotations

import numpy as np

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
from ggtalker.core.clip import MASK_HEAD, Clip


def silhouette_iou(covered: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Per-frame IoU of two boolean masks ``(N, H, W)`` → ``(N,)`` (1 where both are empty)."""
    inter = (covered & head).reshape(len(head), -1).sum(1)
    union = (covered | head).reshape(len(head), -1).sum(1)
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


class SilhouetteIoU(Metric):
    name = "silhouette_iou"
    outputs = {"silhouette_iou": True}
    needs = ("pred_depth", "gt_masks")
    tolerance = 0.002

    def variant(self) -> dict:
        return {"rendered": "depth defined (alpha > 0.5)", "truth": "head mask label 1", "aggregation": "mean of per-frame"}

    def update(self, pred: Generation, gt: Clip) -> None:
        if pred.depth.shape != gt.masks.shape:
            raise ValueError(f"depth {pred.depth.shape} and masks {gt.masks.shape} differ in shape")
        self.add("silhouette_iou", silhouette_iou(np.isfinite(pred.depth), gt.masks == MASK_HEAD))
