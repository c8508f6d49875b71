"""A slow, obviously-correct dense Gaussian rasterizer: every pixel × every Gaussian, one Gaussian at a time.

It exists to check the tiled rasterizer (tests, ``scripts/gpu/parity_rasterizer.py``), so it is written
for reading, not speed: its own projection (no gsplat helpers), no tiles, and a Python loop over the
depth-sorted Gaussians that mirrors gsplat's per-pixel CUDA loop line by line. Use it on tiny scenes
(tens of Gaussians, a few hundred pixels).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

ALPHA_THRESHOLD = 1.0 / 255.0


def quat_to_rotmat(quats: Tensor) -> Tensor:
    """``(N, 4)`` wxyz quaternions (any norm) → ``(N, 3, 3)`` rotation matrices."""
    w, x, y, z = F.normalize(quats, dim=-1).unbind(-1)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def project(
    means: Tensor, quats: Tensor, scales: Tensor, viewmat: Tensor, K: Tensor, width: int, height: int, eps2d: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """EWA projection of ``N`` Gaussians into one camera.

    Returns ``means2d (N, 2)``, blurred 2D covariance ``(N, 2, 2)``, depth ``(N,)`` and the
    antialiasing compensation ``sqrt(det Σ / det(Σ + eps2d I))`` ``(N,)``.
    """
    rot = quat_to_rotmat(quats)
    m = rot * scales[:, None, :]
    cov_w = m @ m.transpose(1, 2)
    r_cw, t_cw = viewmat[:3, :3], viewmat[:3, 3]
    p = means @ r_cw.T + t_cw
    cov_c = r_cw @ cov_w @ r_cw.T
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    x, y, z = p.unbind(-1)
    # gsplat clamps the point used for the Jacobian to 1.3× the field of view (keeps far-off-screen
    # Gaussians from exploding); the projected centre itself is not clamped.
    lim_xp, lim_xn = (width - cx) / fx + 0.15 * width / fx, cx / fx + 0.15 * width / fx
    lim_yp, lim_yn = (height - cy) / fy + 0.15 * height / fy, cy / fy + 0.15 * height / fy
    xj = z * torch.minimum(torch.maximum(x / z, -lim_xn), lim_xp)
    yj = z * torch.minimum(torch.maximum(y / z, -lim_yn), lim_yp)
    zero = torch.zeros_like(z)
    jac = torch.stack([torch.stack([fx / z, zero, -fx * xj / z**2], -1), torch.stack([zero, fy / z, -fy * yj / z**2], -1)], -2)
    cov2d = jac @ cov_c @ jac.transpose(1, 2)
    det0 = cov2d[:, 0, 0] * cov2d[:, 1, 1] - cov2d[:, 0, 1] * cov2d[:, 1, 0]
    cov2d = cov2d + eps2d * torch.eye(2, dtype=cov2d.dtype)
    det = cov2d[:, 0, 0] * cov2d[:, 1, 1] - cov2d[:, 0, 1] * cov2d[:, 1, 0]
    comp = torch.sqrt(torch.clamp(det0 / det, min=0.0))
    means2d = torch.stack([fx * x / z + cx, fy * y / z + cy], -1)
    return means2d, cov2d, z, comp


def render_dense(
    means: Tensor,
    quats: Tensor,
    scales: Tensor,
    opacities: Tensor,
    colors: Tensor,
    viewmat: Tensor,
    K: Tensor,
    width: int,
    height: int,
    near_plane: float = 0.01,
    far_plane: float = 1e10,
    eps2d: float = 0.3,
    background: Tensor | None = None,
    antialiased: bool = False,
) -> tuple[Tensor, Tensor]:
    """Render one camera. ``colors (N, D)``; returns ``(H, W, D)`` colour and ``(H, W, 1)`` alpha.

    Culling matches gsplat: camera z outside (near, far), effective opacity < 1/255, or the
    opacity-aware bounding box entirely off screen.
    """
    means2d, cov2d, depth, comp = project(means, quats, scales, viewmat, K, width, height, eps2d)
    opac = opacities * comp if antialiased else opacities
    det = cov2d[:, 0, 0] * cov2d[:, 1, 1] - cov2d[:, 0, 1] ** 2
    conic = torch.stack([cov2d[:, 1, 1] / det, -cov2d[:, 0, 1] / det, cov2d[:, 0, 0] / det], -1)

    ys, xs = torch.meshgrid(torch.arange(height, dtype=means.dtype), torch.arange(width, dtype=means.dtype), indexing="ij")
    px, py = xs.reshape(-1) + 0.5, ys.reshape(-1) + 0.5
    n_pix = px.numel()
    out = torch.zeros(n_pix, colors.shape[-1], dtype=means.dtype)
    trans = torch.ones(n_pix, dtype=means.dtype)
    done = torch.zeros(n_pix, dtype=torch.bool)

    # Culling decisions are not differentiable: take them on detached copies.
    opac_v, depth_v, cov_v, m2d_v = opac.detach(), depth.detach(), cov2d.detach(), means2d.detach()
    for g in torch.argsort(depth_v, stable=True).tolist():
        o = float(opac_v[g])
        if not (near_plane < float(depth_v[g]) < far_plane) or o < ALPHA_THRESHOLD:
            continue
        extend = min(3.33, math.sqrt(2.0 * math.log(o / ALPHA_THRESHOLD)))
        rx = math.ceil(extend * math.sqrt(float(cov_v[g, 0, 0])))
        ry = math.ceil(extend * math.sqrt(float(cov_v[g, 1, 1])))
        mx, my = float(m2d_v[g, 0]), float(m2d_v[g, 1])
        if mx + rx <= 0 or mx - rx >= width or my + ry <= 0 or my - ry >= height:
            continue
        dx, dy = means2d[g, 0] - px, means2d[g, 1] - py
        sigma = 0.5 * (conic[g, 0] * dx * dx + conic[g, 2] * dy * dy) + conic[g, 1] * dx * dy
        alpha = torch.clamp_max(opac[g] * torch.exp(-sigma), 0.999)
        use = ~done & (sigma >= 0) & (alpha >= ALPHA_THRESHOLD)
        next_t = trans * (1 - alpha)
        stop = use & (next_t <= 1e-4)  # gsplat's early stop is exclusive: this Gaussian is not drawn
        done = done | stop
        use = use & ~stop
        out = out + torch.where(use[:, None], (alpha * trans)[:, None] * colors[g], 0.0)
        trans = torch.where(use, next_t, trans)

    if background is not None:
        out = out + trans[:, None] * background
    return out.reshape(height, width, -1), (1 - trans).reshape(height, width, 1)
