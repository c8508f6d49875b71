"""Training losses shared by prior training and adaptation.

L1 + D-SSIM (weight 0.2, as in 3DGS) on the image, L1 between the rendered alpha and the head mask,
and a regulariser keeping Gaussians near their texels. The paper adds a VGG perceptual term; LPIPS/VGG
trunk weights cannot be fetched offline, so it is skipped (documented in docs/ggtalker.md) rather than
replaced by a random-weight network.
"""

from __future__ import annotations

import torch
from torchmetrics.functional.image import structural_similarity_index_measure as ssim

from ggtalker.gaussians.head import N_GEOM


def photometric(pred: torch.Tensor, gt: torch.Tensor, ssim_weight: float = 0.2) -> torch.Tensor:
    """``(1-w)·L1 + w·(1-SSIM)`` on ``(N, H, W, 3)`` images in [0, 1]."""
    l1 = (pred - gt).abs().mean()
    if ssim_weight <= 0 or min(pred.shape[1:3]) < 11:
        return l1
    s = ssim(pred.permute(0, 3, 1, 2), gt.permute(0, 3, 1, 2), data_range=1.0)
    return (1 - ssim_weight) * l1 + ssim_weight * (1 - s)


def mask_loss(alpha: torch.Tensor, head_mask: torch.Tensor) -> torch.Tensor:
    """L1 between rendered alpha ``(N, H, W, 1)`` and the head mask ``(N, H, W)`` in {0, 1}."""
    return (alpha[..., 0] - head_mask).abs().mean()


#: Metric offsets (in ``offset_unit``) up to this size cost nothing: hair, ears and the mouth interior
#: sit 1-3 cm off the template's mean skin.
FREE_OFFSET = 3.0


def uv_regulariser(uvmap: torch.Tensor, metric_offsets: bool = False) -> torch.Tensor:
    """Keep offsets small and scales near the texel size.

    Texel-bounded offsets: mean squared offset + 0.1 · mean squared log-scale channel. Metric offsets
    (``offset_unit`` set): only the part of each offset beyond :data:`FREE_OFFSET` is penalised, so
    the regulariser stops Gaussians drifting away without pulling hair back onto the skull.
    """
    off = uvmap[..., :3, :, :]
    if metric_offsets:
        off = torch.relu(off.abs() - FREE_OFFSET)
    return off.pow(2).mean() + 0.1 * uvmap[..., 3:6, :, :].pow(2).mean()


def head_labels(masks: torch.Tensor, head_label: int = 1) -> torch.Tensor:
    """``(N, H, W)`` uint8 clip labels → float head mask."""
    return (masks == head_label).float()


__all__ = ["photometric", "mask_loss", "uv_regulariser", "head_labels", "N_GEOM"]
