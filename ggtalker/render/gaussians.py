"""3D Gaussian splatting with gsplat 1.5's ``rasterization`` interface, on CUDA (gsplat) or anywhere (torch).

``rasterization(...)`` takes the arguments and returns the values of ``gsplat.rasterization`` for the
subset this project uses. ``backend="auto"`` sends CUDA tensors to gsplat and everything else to the
pure-PyTorch rasterizer (:mod:`ggtalker.render.tiles` + :mod:`ggtalker.render.composite`), which
follows gsplat's maths: EWA projection with the ``eps2d`` low-pass, opacity-aware radii, depth-sorted
front-to-back compositing with gsplat's alpha/threshold/early-stop rules. It is differentiable w.r.t.
means, quats, scales, opacities, colors/SH and viewmats (not Ks, like gsplat).

Conventions (same as gsplat): OpenCV cameras (x right, y down, z forward), ``viewmats`` world→camera,
pixel centres at ``(i + 0.5, j + 0.5)``, quaternions ``wxyz`` (need not be normalised), scales are
standard deviations in world units (already activated), opacities in [0, 1] (already activated), SH
coefficients ``(N, K, 3)`` in the standard real-SH order with colour ``= max(SH·basis + 0.5, 0)``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from gsplat.cuda._torch_impl import _fully_fused_projection, _quat_scale_to_covar_preci, _spherical_harmonics
from torch import Tensor

from ggtalker.render.composite import ALPHA_THRESHOLD, composite_tiles
from ggtalker.render.tiles import bin_tiles

RenderMode = Literal["RGB", "D", "ED", "RGB+D", "RGB+ED"]
RENDER_MODES = ("RGB", "D", "ED", "RGB+D", "RGB+ED")
CPU_TILE_SIZE = 4  # smaller than gsplat's 16: on a CPU fewer padded (pixel, Gaussian) pairs beat fewer tiles


def rasterization(
    means: Tensor,
    quats: Tensor,
    scales: Tensor,
    opacities: Tensor,
    colors: Tensor,
    viewmats: Tensor,
    Ks: Tensor,
    width: int,
    height: int,
    near_plane: float = 0.01,
    far_plane: float = 1e10,
    radius_clip: float = 0.0,
    eps2d: float = 0.3,
    sh_degree: int | None = None,
    packed: bool = True,
    tile_size: int | None = None,
    backgrounds: Tensor | None = None,
    render_mode: RenderMode = "RGB",
    rasterize_mode: Literal["classic", "antialiased"] = "classic",
    backend: Literal["auto", "gsplat", "torch"] = "auto",
    block_budget: int | None = None,
) -> tuple[Tensor, Tensor, dict]:
    """Render Gaussians into ``C`` cameras (optionally for leading batch dims ``...``).

    Args:
        means: ``(..., N, 3)`` world-space centres.
        quats: ``(..., N, 4)`` rotations, ``wxyz``.
        scales: ``(..., N, 3)`` standard deviations along the rotated axes.
        opacities: ``(..., N)`` in [0, 1].
        colors: ``(..., N, D)`` or per-camera ``(..., C, N, D)`` features when ``sh_degree`` is None;
            otherwise SH coefficients ``(..., N, K, 3)`` / ``(..., C, N, K, 3)`` with ``(sh_degree+1)² ≤ K``.
        viewmats: ``(..., C, 4, 4)`` world→camera (OpenCV).
        Ks: ``(..., C, 3, 3)`` intrinsics in pixels.
        width, height: image size in pixels.
        near_plane, far_plane: Gaussians with camera z outside (near, far) are culled.
        radius_clip: Gaussians whose pixel radii are both ≤ this are culled.
        eps2d: low-pass added to the 2D covariance (gsplat's 0.3).
        sh_degree: SH degree to evaluate, or None for plain features.
        packed: forwarded to gsplat; the torch backend always returns dense ``(..., C, N)`` meta.
        tile_size: tile edge; None = 16 for gsplat, :data:`CPU_TILE_SIZE` for torch. Never changes the image.
        backgrounds: ``(..., C, D)`` colour behind the Gaussians (zeros for depth channels).
        render_mode: "RGB", "D" (accumulated z), "ED" (z / alpha), "RGB+D", "RGB+ED" (depth last).
        rasterize_mode: "classic" or "antialiased" (Mip-Splatting opacity compensation).
        backend: "auto" (gsplat on CUDA tensors, torch otherwise), "gsplat" or "torch".
        block_budget: torch backend only: max elements per compositing block; None = 2^18 on CPU
            (stays in cache), 2^22 on CUDA (fewer kernel launches). Transient memory ≈ 60 B × budget;
            with gradients on, 28 B per (pixel, Gaussian) pair of every tile is kept for backward.

    Returns:
        ``render_colors (..., C, H, W, D')``, ``render_alphas (..., C, H, W, 1)`` and a meta dict with
        gsplat's keys ``radii (..., C, N, 2) int32``, ``means2d (..., C, N, 2)`` (call ``retain_grad()``
        on it for densification), ``depths``, ``conics``, ``opacities``, ``tiles_per_gauss``,
        ``width``, ``height``, ``tile_size``, ``tile_width``, ``tile_height``, ``n_batches``,
        ``n_cameras``, ``backend`` and (torch backend, as gsplat's unpacked mode) ``batch_ids``,
        ``camera_ids``, ``gaussian_ids`` = None. gsplat's ``DefaultStrategy`` runs on it with ``packed=False``.
    """
    if render_mode not in RENDER_MODES:
        raise ValueError(f"render_mode must be one of {RENDER_MODES}, got {render_mode!r}")
    if rasterize_mode not in ("classic", "antialiased"):
        raise ValueError(f"rasterize_mode must be 'classic' or 'antialiased', got {rasterize_mode!r}")
    use_gsplat = backend == "gsplat" or (backend == "auto" and means.is_cuda)
    if backend not in ("auto", "gsplat", "torch"):
        raise ValueError(f"backend must be 'auto', 'gsplat' or 'torch', got {backend!r}")
    if use_gsplat:
        if not means.is_cuda:
            raise ValueError("backend='gsplat' needs CUDA tensors (gsplat cannot rasterize on CPU); use backend='torch'")
        import gsplat

        colors_out, alphas, meta = gsplat.rasterization(
            means, quats, scales, opacities, colors, viewmats, Ks, width, height,
            near_plane=near_plane, far_plane=far_plane, radius_clip=radius_clip, eps2d=eps2d,
            sh_degree=sh_degree, packed=packed, tile_size=tile_size or 16, backgrounds=backgrounds,
            render_mode=render_mode, rasterize_mode=rasterize_mode,
        )  # fmt: skip
        meta["backend"] = "gsplat"
        return colors_out, alphas, meta
    return _rasterize_torch(
        means, quats, scales, opacities, colors, viewmats, Ks, width, height, near_plane, far_plane,
        radius_clip, eps2d, sh_degree, tile_size or CPU_TILE_SIZE, backgrounds, render_mode,
        rasterize_mode, block_budget or (1 << 22 if means.is_cuda else 1 << 18),
    )  # fmt: skip


def _check_shapes(means, quats, scales, opacities, colors, viewmats, Ks, sh_degree) -> tuple[tuple, int, int]:
    batch = tuple(means.shape[:-2])
    n, c = means.shape[-2], viewmats.shape[-3]

    def need(ok: bool, what: str, t: Tensor) -> None:
        if not ok:
            raise ValueError(f"rasterization: {what} has shape {tuple(t.shape)}; batch={batch}, N={n}, C={c}")

    need(means.shape[-1] == 3, "means (..., N, 3)", means)
    need(quats.shape == batch + (n, 4), "quats (..., N, 4)", quats)
    need(scales.shape == batch + (n, 3), "scales (..., N, 3)", scales)
    need(opacities.shape == batch + (n,), "opacities (..., N)", opacities)
    need(viewmats.shape == batch + (c, 4, 4), "viewmats (..., C, 4, 4)", viewmats)
    need(Ks.shape == batch + (c, 3, 3), "Ks (..., C, 3, 3)", Ks)
    if sh_degree is None:
        need(colors.shape[:-1] in (batch + (n,), batch + (c, n)), "colors (..., [C,] N, D)", colors)
    else:
        need(
            colors.shape[-1] == 3 and colors.shape[:-2] in (batch + (n,), batch + (c, n)),
            "SH colors (..., [C,] N, K, 3)", colors,
        )  # fmt: skip
        need((sh_degree + 1) ** 2 <= colors.shape[-2], f"SH colors (K ≥ {(sh_degree + 1) ** 2})", colors)
    return batch, n, c


def _rasterize_torch(
    means, quats, scales, opacities, colors, viewmats, Ks, width, height, near_plane, far_plane,
    radius_clip, eps2d, sh_degree, tile_size, backgrounds, render_mode, rasterize_mode, block_budget,
) -> tuple[Tensor, Tensor, dict]:  # fmt: skip
    batch, n, c = _check_shapes(means, quats, scales, opacities, colors, viewmats, Ks, sh_degree)
    b = math.prod(batch)
    n_img = b * c
    means_b = means.reshape(b, n, 3)
    viewmats_b = viewmats.reshape(b, c, 4, 4)

    covars, _ = _quat_scale_to_covar_preci(quats.reshape(b, n, 4), scales.reshape(b, n, 3), compute_preci=False)
    _, means2d, depths, conics, comp = _fully_fused_projection(
        means_b, covars, viewmats_b, Ks.reshape(b, c, 3, 3), width, height, eps2d=eps2d,
        near_plane=near_plane, far_plane=far_plane, calc_compensations=rasterize_mode == "antialiased",
    )  # fmt: skip  -> (B, C, N, ...)
    # Give meta its public shape before anything consumes it, so meta["means2d"].retain_grad() sees
    # the gradient (a reshape taken afterwards would be a side branch of the graph).
    means2d = means2d.reshape(batch + (c, n, 2))
    opac = opacities.reshape(b, 1, n).expand(b, c, n)
    if comp is not None:
        opac = opac * comp
    radii = _radii(means2d.reshape(b, c, n, 2), depths, conics, opac, width, height, near_plane, far_plane, radius_clip)

    if render_mode in ("D", "ED"):
        feats = depths[..., None]  # (B, C, N, 1)
    else:
        feats = _features(means_b, viewmats_b, colors, sh_degree, batch, n, c)  # (B, C, N, D)
        if render_mode in ("RGB+D", "RGB+ED"):
            feats = torch.cat([feats, depths[..., None]], -1)
    d = feats.shape[-1]

    bins = bin_tiles(means2d.reshape(n_img, n, 2), radii.reshape(n_img, n, 2), depths.reshape(n_img, n),
                     tile_size, width, height)  # fmt: skip
    rgb, trans = composite_tiles(
        bins, means2d.reshape(-1, 2), conics.reshape(-1, 3), opac.reshape(-1), feats.reshape(-1, d),
        width, height, budget=block_budget,
    )  # fmt: skip
    alphas = (1.0 - trans)[..., None]
    if backgrounds is not None:
        bg = backgrounds.reshape(n_img, -1).to(rgb.dtype)
        if render_mode in ("RGB+D", "RGB+ED"):
            bg = torch.cat([bg, bg.new_zeros(n_img, 1)], -1)
        elif render_mode in ("D", "ED"):
            bg = bg.new_zeros(n_img, 1)
        rgb = rgb + trans[..., None] * bg[:, None, None, :]
    if render_mode in ("ED", "RGB+ED"):
        rgb = torch.cat([rgb[..., :-1], rgb[..., -1:] / alphas.clamp(min=1e-10)], -1)

    shape = batch + (c, height, width)
    meta = {
        # gsplat's unpacked output carries these as None; its densification strategies look for them.
        "batch_ids": None,
        "camera_ids": None,
        "gaussian_ids": None,
        "radii": radii,
        "means2d": means2d,
        "depths": depths,
        "conics": conics,
        "opacities": opac,
        "tiles_per_gauss": bins.tiles_per_gauss.reshape(batch + (c, n)),
        "tile_size": tile_size,
        "tile_width": bins.tile_w,
        "tile_height": bins.tile_h,
        "width": width,
        "height": height,
        "n_batches": b,
        "n_cameras": c,
        "backend": "torch",
    }
    for k in ("radii", "depths", "conics", "opacities"):
        meta[k] = meta[k].reshape(batch + meta[k].shape[1:])
    return rgb.reshape(shape + (d,)), alphas.reshape(shape + (1,)), meta


@torch.no_grad()
def _radii(means2d, depths, conics, opac, width, height, near_plane, far_plane, radius_clip) -> Tensor:
    """gsplat's culling and opacity-aware pixel radii, ``(B, C, N, 2)`` int32 (0 = culled).

    The torch helper's radii use a fixed 3.33σ extent; gsplat's CUDA projection shrinks it to where
    alpha falls below 1/255 and culls Gaussians fainter than that, so that rule is reproduced here.
    """
    a, b, c = conics.unbind(-1)
    det = (a * c - b * b).clamp(min=1e-30)
    cov_xx, cov_yy = c / det, a / det  # diagonal of the blurred 2D covariance (inverse of the conic)
    extend = torch.sqrt(2.0 * torch.log((opac / ALPHA_THRESHOLD).clamp(min=1.0))).clamp(max=3.33)
    rx = torch.ceil(extend * torch.sqrt(cov_xx))
    ry = torch.ceil(extend * torch.sqrt(cov_yy))
    ok = (depths > near_plane) & (depths < far_plane) & (opac >= ALPHA_THRESHOLD) & torch.isfinite(rx + ry)
    ok &= (rx > radius_clip) | (ry > radius_clip)
    mx, my = means2d[..., 0], means2d[..., 1]
    ok &= (mx + rx > 0) & (mx - rx < width) & (my + ry > 0) & (my - ry < height)
    radii = torch.stack([rx, ry], -1) * ok[..., None]
    return radii.nan_to_num(0.0).to(torch.int32)


def _features(means_b, viewmats_b, colors, sh_degree, batch, n, c) -> Tensor:
    """Per-(camera, Gaussian) features ``(B, C, N, D)``: plain colours broadcast, or SH evaluated."""
    b = means_b.shape[0]
    if sh_degree is None:
        d = colors.shape[-1]
        if colors.shape[:-1] == batch + (n,):
            return colors.reshape(b, 1, n, d).expand(b, c, n, d)
        return colors.reshape(b, c, n, d)
    k = colors.shape[-2]
    shs = colors.reshape(b, 1, n, k, 3) if colors.shape[:-2] == batch + (n,) else colors.reshape(b, c, n, k, 3)
    shs = shs.expand(b, c, n, k, 3)
    # Camera centre = -R^T t, cheaper and better-conditioned than inverting the 4x4.
    rot, t = viewmats_b[..., :3, :3], viewmats_b[..., :3, 3]
    campos = -torch.einsum("bcji,bcj->bci", rot, t)
    dirs = means_b[:, None, :, :] - campos[:, :, None, :]
    return torch.clamp_min(_spherical_harmonics(sh_degree, dirs, shs) + 0.5, 0.0)
