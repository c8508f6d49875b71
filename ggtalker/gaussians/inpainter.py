"""Body Inpainter: blend the rendered head into the identity's frame (torso, background) without a seam.

Inputs: the rendered head (RGB on black + alpha) and a context frame of the identity with a dilated head
region cut out. A light U-Net fills the cut-out region; outside it the context frame is returned
untouched, so the body and background keep their pixels exactly. Checkpoints are fp16 state dicts
(``format: ggtalker-inpainter/1``); the zoo entry is ``inpainter_synthtalk``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ggtalker.core.checkpoint import save_atomic

CKPT_FORMAT = "ggtalker-inpainter/1"


def dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Binary dilation of ``(N, 1, H, W)`` masks by a square of half-size ``radius`` (max-pool)."""
    if radius <= 0:
        return mask
    return F.max_pool2d(mask, 2 * radius + 1, stride=1, padding=radius)


#: Rendered alpha above this covers a pixel: it belongs to the cut region, and the context behind it is not exposed.
COVERED_ALPHA = 0.02


def cut_region(context_head: torch.Tensor, alpha: torch.Tensor, radius: int) -> torch.Tensor:
    """The region the inpainter may repaint: dilated (context head mask ∪ rendered alpha > :data:`COVERED_ALPHA`),
    ``(N,1,H,W)``."""
    return dilate(torch.maximum(context_head, (alpha > COVERED_ALPHA).float()), radius)


def surround_fill(context: torch.Tensor, region: torch.Tensor, radius: int) -> torch.Tensor:
    """Fill ``region`` ``(N,1,H,W)`` of ``context`` ``(N,3,H,W)`` with the mean colour of the pixels around it.

    Normalised convolution (box filter of the kept pixels over the box filter of the keep mask) at a radius
    well beyond the cut, so the fill reaches the middle of the region; a smooth first guess the U-Net refines.
    """
    keep = 1 - region
    h, w = context.shape[-2:]
    # At 1/f resolution: the fill is smooth anyway, and a wide box filter at full size is the costliest op here.
    f = max(1, min(h, w) // 32)
    small = F.avg_pool2d(torch.cat([context * keep, keep], 1), f, ceil_mode=True) if f > 1 else torch.cat([context * keep, keep], 1)
    r = max(1, radius // f)
    box = F.avg_pool2d(small, 2 * r + 1, stride=1, padding=r, count_include_pad=False)
    num, den = box[:, :3], box[:, 3:]
    mean = (context * keep).sum((2, 3), keepdim=True) / keep.sum((2, 3), keepdim=True).clamp_min(1.0)
    fill = torch.where(den > 1e-3, num / den.clamp_min(1e-3), mean)
    if f > 1:
        fill = F.interpolate(fill, size=(h, w), mode="bilinear", align_corners=False)
    return context * keep + fill * region


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.SiLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.SiLU())


#: What the inpainter fills from the surroundings before the rendered head goes over it
#: (:attr:`BodyInpainter.fill`).
FILLS = ("region", "exposed")


class BodyInpainter(nn.Module):
    """Three-level U-Net: ``[head rgb 3, alpha 1, head over the surround-filled context 3, region 1]`` → RGB residual.

    Args:
        width: channels at full resolution (×2, ×4 deeper).
        dilation: dilation of the cut region as a fraction of the image height.
        fill: what is filled from the surroundings behind the rendered head. ``region`` (the first prior's):
            the whole cut region, so the neck and background within it, and the head's own pixels behind the
            rendered head's soft edge, become the surroundings' mean colour: a grey collar below the chin and a
            dark or grey rim around the head (``use_inpainter=false``, the alpha paste, scored 1 dB more face
            PSNR on the H200, docs/ggtalker-fidelity.md). ``exposed``: only the context frame's own head where
            the rendered head leaves it exposed (alpha ≤ :data:`COVERED_ALPHA`, grown by a third of the cut's dilation), the
            ghost the inpainter must remove; elsewhere the context frame stays behind the rendered head. The
            choice is saved with the weights.
    """

    def __init__(self, width: int = 16, dilation: float = 0.03, fill: str = "region") -> None:
        super().__init__()
        self.dilation = dilation
        self.e1, self.e2, self.e3 = _conv(8, width), _conv(width, 2 * width), _conv(2 * width, 4 * width)
        self.d2, self.d1 = _conv(6 * width, 2 * width), _conv(3 * width, width)
        self.out = nn.Conv2d(width, 3, 1)
        self.register_buffer("fill_code", torch.zeros(()))
        self.fill = fill

    @property
    def fill(self) -> str:
        return self._fill  # a Python copy of the buffer: reading a CUDA buffer each frame would synchronise

    @fill.setter
    def fill(self, value: str) -> None:
        if value not in FILLS:
            raise ValueError(f"inpainter fill={value!r}: expected one of {FILLS}")
        self._fill = value
        self.fill_code.fill_(float(FILLS.index(value)))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: ANN001 (torch's signature)
        # Checkpoints from before ``fill`` existed are the first prior's (``region``).
        code = state_dict.setdefault(prefix + "fill_code", torch.zeros(()))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._fill = FILLS[int(code.item())]

    def state(self, half: bool = True) -> dict[str, Any]:
        """A checkpoint dict (fp16 weights when ``half``)."""
        sd = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.state_dict().items()}
        return {"format": CKPT_FORMAT, "state_dict": sd}

    def save(self, path: str | Path, half: bool = True) -> Path:
        return save_atomic(self.state(half), path)

    @classmethod
    def from_state(cls, ckpt: dict[str, Any], device: str = "cpu", where: str = "checkpoint") -> "BodyInpainter":
        """A default-sized inpainter with the weights of a checkpoint dict of :meth:`state` (fp32)."""
        if not isinstance(ckpt, dict) or ckpt.get("format") != CKPT_FORMAT or "state_dict" not in ckpt:
            raise ValueError(f"{where}: not a {CKPT_FORMAT} checkpoint")
        inp = cls()
        inp.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
        return inp.to(device)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "BodyInpainter":
        return cls.from_state(torch.load(path, map_location="cpu", weights_only=True), device, where=str(path))

    @classmethod
    def from_zoo(cls, name: str = "inpainter_synthtalk", device: str = "cpu") -> "BodyInpainter":
        from ggtalker.zoo import load_path

        return cls.load(load_path(name), device)

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
        radius = self.radius(h)
        region = cut_region(context_head, alpha, radius)
        # What lies behind the head: the surroundings' colour where the context frame is stale (the whole
        # cut, or only its own head left exposed), then the rendered head over it.
        if self.fill == "region":
            stale = region
        else:
            stale = dilate(context_head * (alpha <= COVERED_ALPHA).float(), max(1, radius // 3))
        behind = surround_fill(context, stale, max(2, h // 6))
        naive = head_rgb + (1 - alpha) * behind
        x = torch.cat([head_rgb, alpha, naive, region], 1)
        # The network only runs on the region's bounding box (plus a margin for context): the rest of the
        # frame is returned as it is, so computing it would be wasted (half the cost for a head in a portrait).
        y0, y1, x0, x1 = _bbox(region, margin=max(4, h // 16), h=h, w=w)
        delta = self._unet(x[..., y0:y1, x0:x1])
        fill = naive.clone()
        if self.fill == "exposed":
            # The residual repaints what lies behind the head, not the rendered head itself.
            delta = delta * (1 - alpha[..., y0:y1, x0:x1])
        fill[..., y0:y1, x0:x1] = fill[..., y0:y1, x0:x1] + delta
        # Residual on the naive composite, so an untrained network already pastes the head in.
        return region * fill.clamp(0, 1) + (1 - region) * context

    def _unet(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # Pad to a multiple of 4 for the two poolings.
        x = F.pad(x, (0, (-w) % 4, 0, (-h) % 4), mode="replicate")
        e1 = self.e1(x)
        e2 = self.e2(F.avg_pool2d(e1, 2))
        e3 = self.e3(F.avg_pool2d(e2, 2))
        d2 = self.d2(torch.cat([e2, F.interpolate(e3, scale_factor=2, mode="nearest")], 1))
        d1 = self.d1(torch.cat([e1, F.interpolate(d2, scale_factor=2, mode="nearest")], 1))
        return self.out(d1)[..., :h, :w]


def _bbox(region: torch.Tensor, margin: int, h: int, w: int) -> tuple[int, int, int, int]:
    """Bounding box ``(y0, y1, x0, x1)`` of a batch of masks ``(N,1,H,W)``, grown by ``margin``; whole frame if empty."""
    rows = torch.nonzero(region.amax(dim=(0, 1, 3)) > 0).flatten()
    cols = torch.nonzero(region.amax(dim=(0, 1, 2)) > 0).flatten()
    if len(rows) == 0:
        return 0, h, 0, w
    return (max(0, int(rows[0]) - margin), min(h, int(rows[-1]) + 1 + margin),
            max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin))


def naive_composite(head_rgb: torch.Tensor, alpha: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
    """The ``ggtalker_noinpaint`` ablation: alpha-paste the head over the context frame ``(N,3,H,W)``."""
    return head_rgb + (1 - alpha) * context
