"""Render the rigged Gaussian head for N frames from N cameras (RGB, alpha, depth)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ggtalker.gaussians.color_mlp import ColorMLP
from ggtalker.gaussians.head import GaussianHead
from ggtalker.render.gaussians import rasterization
from ggtalker.core.params import PARAM_DIMS


@dataclass
class HeadRender:
    """Output of :func:`render_head`: ``rgb (N,H,W,3)`` on black, ``alpha (N,H,W,1)``, ``depth (N,H,W)`` (0 where empty)."""

    rgb: torch.Tensor
    alpha: torch.Tensor
    depth: torch.Tensor


def full_params(params: dict[str, torch.Tensor], n: int, device: torch.device | str) -> dict[str, torch.Tensor]:
    """Fill missing parameter keys with zeros so every consumer sees ``{expr, jaw, blink, pose}``."""
    return {k: params[k].to(device, torch.float32) if k in params else torch.zeros(n, d, device=device)
            for k, d in PARAM_DIMS.items()}


def scale_intrinsics(K: torch.Tensor, factor: float) -> torch.Tensor:
    """Intrinsics ``(..., 3, 3)`` for an image resized by ``factor`` (pixel centres at +0.5 preserved)."""
    K = K.clone()
    K[..., :2, :] *= factor
    return K


#: Gaussians whose parent triangle turns further than this cosine from the camera are culled.
CULL_COS = -0.35


def facing_camera(means: torch.Tensor, normals: torch.Tensor, cam_centres: torch.Tensor,
                  cull_cos: float = CULL_COS) -> torch.Tensor:
    """Back-face test of posed Gaussians: 1 where the parent triangle's normal faces the camera, else 0.

    Args:
        means, normals: ``(N, G, 3)`` posed centres and parent-triangle normals.
        cam_centres: ``(N, 3)`` camera centres in world space.
        cull_cos: the cosine between normal and direction to the camera below which a Gaussian is dropped.
    Returns:
        ``(N, G)`` float mask, detached (culling is a visibility choice, not a gradient path).
    """
    to_cam = cam_centres[:, None] - means
    cos = (normals * to_cam).sum(-1) / to_cam.norm(dim=-1).clamp_min(1e-9)
    return (cos > cull_cos).to(means.dtype).detach()


@dataclass
class PosedHead:
    """The head's Gaussians posed for N frames, ready to splat: ``means, quats, scales (N, G, ·)``,
    ``opacities (N, G)`` (back-facing ones zeroed), ``colors (N, G, 3)``."""

    means: torch.Tensor
    quats: torch.Tensor
    scales: torch.Tensor
    opacities: torch.Tensor
    colors: torch.Tensor


def pose_head(head: GaussianHead, uvmap: torch.Tensor, params: dict[str, torch.Tensor], w2c: torch.Tensor,
              color_mlp: ColorMLP | None = None, cull_cos: float | None = CULL_COS) -> PosedHead:
    """Pose the UV-map Gaussians with ``params`` and colour them for the cameras ``w2c`` ``(N, 4, 4)``.

    Args:
        uvmap: ``(C, R, R)`` UV Gaussian map.
        params: ``{expr, jaw, blink, pose}`` each ``(N, D)`` (missing keys = 0).
        color_mlp: None colours with the base colour.
        cull_cos: drop Gaussians whose parent triangle faces away from the camera (cosine between the normal
            and the direction to the camera below this): on a closed, near-convex head they lie behind the
            front surface, and zero opacity makes the rasterizer skip them (about half the work). None keeps all.
    """
    n = w2c.shape[0]
    dev = uvmap.device
    p = full_params(params, n, dev)
    world, feat, bound = head.pose(uvmap, p)
    base = (0.5 + bound.color).clamp(0, 1)
    cam_c = -torch.einsum("nji,nj->ni", w2c[:, :3, :3].to(dev), w2c[:, :3, 3].to(dev))
    d_opac = None
    if color_mlp is not None:
        colors, d_opac = color_mlp(feat, base, p, world["means"], cam_c)
    else:
        colors = base.expand(n, -1, -1)
    if d_opac is None:
        opac = world["opacities"].expand(n, -1)
    else:
        opac = torch.sigmoid(world["opacity_logits"] + d_opac)
    if cull_cos is not None:
        opac = opac * facing_camera(world["means"], world["normals"], cam_c, cull_cos)
    return PosedHead(world["means"], world["quats"], world["scales"], opac, colors)


def splat_head(posed: PosedHead, K: torch.Tensor, w2c: torch.Tensor, width: int, height: int) -> HeadRender:
    """Rasterize posed Gaussians: ``K (N, 3, 3)`` at the output size, ``w2c (N, 4, 4)`` world→camera (OpenCV)."""
    dev = posed.means.device
    out, alpha, _ = rasterization(
        posed.means, posed.quats, posed.scales, posed.opacities, posed.colors,
        w2c[:, None].to(dev, torch.float32), K[:, None].to(dev, torch.float32), width, height,
        render_mode="RGB+ED",
    )
    return HeadRender(rgb=out[:, 0, ..., :3], alpha=alpha[:, 0], depth=out[:, 0, ..., 3])


def render_head(head: GaussianHead, uvmap: torch.Tensor, params: dict[str, torch.Tensor], K: torch.Tensor,
                w2c: torch.Tensor, width: int, height: int, color_mlp: ColorMLP | None = None,
                cull_cos: float | None = CULL_COS) -> HeadRender:
    """:func:`pose_head` then :func:`splat_head`: the head for N frames from N cameras."""
    return splat_head(pose_head(head, uvmap, params, w2c, color_mlp, cull_cos), K, w2c, width, height)


def cameras_to_torch(K: np.ndarray, w2c: np.ndarray, device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(K, dtype=torch.float32, device=device), torch.as_tensor(w2c, dtype=torch.float32, device=device))
