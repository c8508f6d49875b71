"""Pixel metrics through torchmetrics: PSNR and SSIM per frame, on the full frame or the face region.

Per-frame PSNR on [0, 1] frames averaged over frames is the ER-NeRF / SyncTalk / TalkingGaussian
convention. The face variants score only pixels inside the head mask (masked MSE; SSIM map averaged
over the mask), which avoids rewarding a method for the background it copies.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torchmetrics.functional.image import (
    multiscale_structural_similarity_index_measure,
    structural_similarity_index_measure,
)

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
from ggtalker.core.clip import MASK_HEAD, Clip

CHUNK = 16


def to_tensor(frames: np.ndarray, device: str = "cpu") -> torch.Tensor:
    """uint8 ``(N, H, W, 3)`` → float32 ``(N, 3, H, W)`` in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float().div_(255.0)


def chunks(pred: np.ndarray, gt: np.ndarray, device: str, masks: np.ndarray | None = None) -> Iterator[tuple]:
    """Yield aligned float tensors ``(n, 3, H, W)`` (and ``(n, 1, H, W)`` masks) in chunks of frames."""
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} differ in shape")
    for i in range(0, len(pred), CHUNK):
        m = None
        if masks is not None:
            m = torch.from_numpy(masks[i : i + CHUNK] == MASK_HEAD).to(device)[:, None].float()
        yield to_tensor(pred[i : i + CHUNK], device), to_tensor(gt[i : i + CHUNK], device), m


def head_box(masks: np.ndarray, min_size: int = 0) -> tuple[int, int, int, int]:
    """Bounding box ``(y0, y1, x0, x1)`` of the head label over all frames of ``masks (N, H, W)``.

    Grown symmetrically (clamped to the frame) to at least ``min_size`` pixels a side, for metrics with a
    minimum input size. One box per clip keeps the crop fixed across frames, as a face-track crop is.
    """
    head = (masks == MASK_HEAD).any(0)
    if not head.any():
        raise ValueError("the clip's masks hold no head pixels")
    ys, xs = np.nonzero(head)
    box = []
    for lo, hi, size in ((ys.min(), ys.max() + 1, masks.shape[1]), (xs.min(), xs.max() + 1, masks.shape[2])):
        grow = max(0, min(min_size, size) - (hi - lo))
        lo = max(0, lo - grow // 2)
        hi = min(size, max(hi + (grow - grow // 2), lo + min(min_size, size)))
        lo = max(0, min(lo, hi - min(min_size, size)))
        box += [int(lo), int(hi)]
    return tuple(box)  # type: ignore[return-value]


def crop_to_head(frames: np.ndarray, masks: np.ndarray, min_size: int = 0) -> np.ndarray:
    """Frames ``(N, H, W, 3)`` cropped to :func:`head_box` of ``masks`` → ``(N, h, w, 3)``."""
    y0, y1, x0, x1 = head_box(masks, min_size)
    return frames[:, y0:y1, x0:x1]


class _ImageMetric(Metric):
    needs: tuple[str, ...] = ("pred_frames", "gt_frames")
    region = "full"

    def __init__(self, region: str = "full", **kw) -> None:
        super().__init__(**kw)
        if region not in ("full", "face"):
            raise ValueError(f"region must be 'full' or 'face', got {region!r}")
        self.region = region
        if region == "face":
            self.needs = self.needs + ("gt_masks",)

    def variant(self) -> dict:
        return {"library": "torchmetrics", "region": self.region, "range": "[0,1]", "aggregation": "mean of per-frame"}

    def _masks(self, gt: Clip) -> np.ndarray | None:
        return gt.masks if self.region == "face" else None


class PSNR(_ImageMetric):
    name = "psnr"
    outputs = {"psnr": True}
    tolerance = 0.05

    def update(self, pred: Generation, gt: Clip) -> None:
        out = next(iter(self.outputs))
        for p, g, m in chunks(self.protocol.apply(pred.frames, gt), gt.frames, self.device, self._masks(gt)):
            se = (p - g).pow(2)
            if m is None:
                mse = se.flatten(1).mean(1)
            else:
                mse = (se * m).flatten(1).sum(1) / (m.flatten(1).sum(1) * 3).clamp_min(1)
            self.add(out, (-10.0 * torch.log10(mse)).cpu().numpy())


class SSIM(_ImageMetric):
    name = "ssim"
    outputs = {"ssim": True}
    tolerance = 0.002

    def update(self, pred: Generation, gt: Clip) -> None:
        out = next(iter(self.outputs))
        for p, g, m in chunks(self.protocol.apply(pred.frames, gt), gt.frames, self.device, self._masks(gt)):
            _, smap = structural_similarity_index_measure(
                p, g, data_range=1.0, reduction="none", return_full_image=True
            )
            smap = smap.mean(1, keepdim=True)
            if m is None:
                vals = smap.flatten(1).mean(1)
            else:
                vals = (smap * m).flatten(1).sum(1) / m.flatten(1).sum(1).clamp_min(1)
            self.add(out, vals.cpu().numpy())


class MSSSIM(_ImageMetric):
    """MS-SSIM (torchmetrics, 5 scales, Gaussian 11×11, the standard betas) per frame.

    Five scales with an 11-pixel window need frames over 160 pixels a side; smaller cases are reported
    unavailable rather than scored with fewer scales (which would be a different metric). The face
    region is the head-mask bounding box grown to 161 pixels where the frame allows (a mask cannot be
    applied inside a multi-scale pyramid).
    """

    name = "ms_ssim"
    outputs = {"ms_ssim": True}
    tolerance = 0.002
    MIN_SIZE = 161

    def variant(self) -> dict:
        return {**super().variant(), "scales": 5, "kernel": 11,
                "face_region": "head-mask bounding box" if self.region == "face" else None}

    def missing(self, pred: Generation, gt: Clip) -> str | None:
        reason = super().missing(pred, gt)
        if reason is None and min(gt.height, gt.width) < self.MIN_SIZE:
            reason = f"case lacks frames of at least {self.MIN_SIZE} px a side for 5-scale MS-SSIM ({gt.width}x{gt.height})"
        return reason

    def update(self, pred: Generation, gt: Clip) -> None:
        p_all, g_all = self.protocol.apply(pred.frames, gt), gt.frames
        if self.region == "face":
            p_all = crop_to_head(p_all, gt.masks, self.MIN_SIZE)
            g_all = crop_to_head(g_all, gt.masks, self.MIN_SIZE)
        for p, g, _ in chunks(p_all, g_all, self.device):
            vals = multiscale_structural_similarity_index_measure(p, g, data_range=1.0, reduction="none")
            self.add("ms_ssim", vals.reshape(-1).cpu().numpy())
