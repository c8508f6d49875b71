"""Pixel metrics through torchmetrics: PSNR and SSIM per frame, on the full frame or the face region.

Per-frame PSNR on [0, 1] frames averaged over frames is the ER-NeRF / SyncTalk / TalkingGaussian
convention. The face variants score only pixels inside the head mask (masked MSE; SSIM map averaged
over the mask), which avoids rewarding a method for the background it copies.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torchmetrics.functional.image import structural_similarity_index_measure

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
