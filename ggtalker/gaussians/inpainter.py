"""Body Inpainter: blend the rendered head into the identity's frame (torso, background) without a seam.

Inputs: the rendered head (RGB on black + alpha) and a context frame of the identity with a dilated head
region cut out. A light U-Net fills the cut-out region; outside it the context frame is returned
untouched, so the body and background keep their pixels exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Binary dilation of ``(N, 1, H, W)`` masks by a square of half-size ``radius`` (max-pool)."""
    if radius <= 0:
        return mask
    return F.max_pool2d(mask, 2 * radius + 1, stride=1, padding=radius)


def cut_region(context_head: torch.Tensor, alpha: torch.Tensor, radius: int) -> torch.Tensor:
    """The region the inpainter may repaint: dilated (context head mask ∪ rendered alpha > 0.02), ``(N,1,H,W)``."""
    return dilate(torch.maximum(context_head, (alpha > 0.02).float()), radius)


def surround_fill(context: torch.Tensor, region: torch.Tensor, radius: int) -> torch.Tensor:
    """Fill ``region`` ``(N,1,H,W)`` of ``context`` ``(N,3,H,W)`` with the mean colour of the pixels around it.

    Normalised convolution (box filter of the kept pixels over the box filter of the keep mask) at a radius
    well beyond the cut, so the fill reaches the middle of the region; a smooth first guess the U-Net refines.
    """
    keep = 1 - region
    k = 2 * radius + 1
    num = F.avg_pool2d(context * keep, k, stride=1, padding=radius, count_include_pad=False)
    den = F.avg_pool2d(keep, k, stride=1, padding=radius, count_include_pad=False)
    mean = (context * keep).sum((2, 3), keepdim=True) / keep.sum((2, 3), keepdim=True).clamp_min(1.0)
    fill = torch.where(den > 1e-3, num / den.clamp_min(1e-3), mean)
    return context * keep + fill * region


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.SiLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.SiLU())


class BodyInpainter(nn.Module):
    """Three-level U-Net: ``[head rgb 3, alpha 1, head over the surround-filled context 3, region 1]`` → RGB residual.

    Args:
        width: channels at full resolution (×2, ×4 deeper).
        dilation: dilation of the cut region as a fraction of the image height.
    """

    def __init__(self, width: int = 16, dilation: float = 0.03) -> None:
        super().__init__()
        self.dilation = dilation
        self.e1, self.e2, self.e3 = _conv(8, width), _conv(width, 2 * width), _conv(2 * width, 4 * width)
        self.d2, self.d1 = _conv(6 * width, 2 * width), _conv(3 * width, width)
        self.out = nn.Conv2d(width, 3, 1)

    def radius(self, height: int) -> int:
        return max(1, int(round(self.dilation * height)))

    def forward(self, head_rgb: torch.Tensor, alpha: torch.Tensor, context: torch.Tensor,
                context_head: torch.Tensor) -> torch.Tensor:
        """Final frames ``(N, 3, H, W)`` in [0, 1].

        Args:
            head_rgb: ``(N, 3, H, W)`` rendered head on black.
            alpha: ``(N, 1, H, W)`` rendered alpha.
            context: ``(N, 3, H, W)`` the identity's frame (body, background, its own head).
            context_head: ``(N, 1, H, W)`` head mask of the context frame.
        """
        n, _, h, w = context.shape
        region = cut_region(context_head, alpha, self.radius(h))
        # What lies behind the head: the surroundings' colour, then the rendered head over it.
        behind = surround_fill(context, region, max(2, h // 6))
        naive = head_rgb + (1 - alpha) * behind
        x = torch.cat([head_rgb, alpha, naive, region], 1)
        # Pad to a multiple of 4 for the two poolings.
        ph, pw = (-h) % 4, (-w) % 4
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        e1 = self.e1(x)
        e2 = self.e2(F.avg_pool2d(e1, 2))
        e3 = self.e3(F.avg_pool2d(e2, 2))
        d2 = self.d2(torch.cat([e2, F.interpolate(e3, scale_factor=2, mode="nearest")], 1))
        d1 = self.d1(torch.cat([e1, F.interpolate(d2, scale_factor=2, mode="nearest")], 1))
        # Residual on the naive composite, so an untrained network already pastes the head in.
        fill = (naive + self.out(d1)[..., :h, :w]).clamp(0, 1)
        return region * fill + (1 - region) * context


def naive_composite(head_rgb: torch.Tensor, alpha: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
    """The ``ggtalker_noinpaint`` ablation: alpha-paste the head over the context frame ``(N,3,H,W)``."""
    return head_rgb + (1 - alpha) * context
