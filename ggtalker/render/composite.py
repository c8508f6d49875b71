"""Front-to-back alpha compositing of depth-sorted 2D Gaussians over screen tiles, in plain PyTorch.

Written by hand because gsplat's compositing runs only as a CUDA kernel (its torch fallback calls the
CUDA ``rasterize_to_indices_in_range`` too). The per-pixel rule is gsplat's ``rasterize_to_pixels``:

    sigma = 0.5 (a dx² + c dy²) + b dx dy,   alpha = min(0.999, opacity · exp(-sigma))
    skip the Gaussian if sigma < 0 or alpha < 1/255
    stop (exclusive) at the first Gaussian that would bring the transmittance to ≤ 1e-4
    colour = Σ c_i alpha_i T_i + T_final · background,   render_alpha = 1 - T_final

Vectorised as dense ``(tiles, pixels, K)`` blocks, K = the longest per-tile list in a block; tiles are
grouped by list length so padding stays small, and blocks are capped at ``budget`` elements to bound
memory. Transmittance is ``exp(cumsum(log1p(-alpha)))`` (alpha ≤ 0.999 keeps the log finite); autograd
gives the gradients.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ggtalker.render.tiles import TileBins

ALPHA_THRESHOLD = 1.0 / 255.0
MAX_ALPHA = 0.999
T_EPS = 1e-4
_LOG_T_EPS = math.log(T_EPS)


def _blocks(counts_sorted: list[int], per_tile_px: int, budget: int, growth: float = 1.25) -> list[tuple[int, int]]:
    """Split tiles (sorted by ascending list length) into ``(start, end)`` blocks.

    A block ends when its longest list exceeds ``growth`` × its shortest (bounds padding waste) or
    when ``tiles × pixels × K`` would pass ``budget`` (bounds memory).
    """
    out = []
    start, n = 0, len(counts_sorted)
    while start < n:
        end = start + 1
        base = max(counts_sorted[start], 1)
        while end < n:
            k = counts_sorted[end]
            if k > growth * base + 8 or (end + 1 - start) * per_tile_px * k > budget:
                break
            end += 1
        out.append((start, end))
        start = end
    return out


def composite_tiles(
    bins: TileBins,
    means2d: Tensor,
    conics: Tensor,
    opacities: Tensor,
    colors: Tensor,
    width: int,
    height: int,
    budget: int = 1 << 22,
) -> tuple[Tensor, Tensor]:
    """Alpha-composite binned Gaussians into images.

    Args:
        bins: output of :func:`ggtalker.render.tiles.bin_tiles` for these ``I`` images.
        means2d: ``(I*N, 2)`` pixel-space centres.
        conics: ``(I*N, 3)`` inverse 2D covariance ``(a, b, c)`` = ``[[a, b], [b, c]]``.
        opacities: ``(I*N,)`` effective opacities (compensation already applied).
        colors: ``(I*N, D)`` features to composite.
        width, height: image size.
        budget: max elements of one ``(tiles, pixels, K)`` block (4M floats ≈ 16 MB per tensor).

    Returns:
        ``(colors (I, H, W, D), T_final (I, H, W))`` without background.
    """
    ts, tw, th, n_img = bins.tile_size, bins.tile_w, bins.tile_h, bins.n_images
    n_tiles = tw * th
    p = ts * ts
    d = colors.shape[-1]
    dev, dt = means2d.device, means2d.dtype
    hp, wp = th * ts, tw * ts

    counts = bins.counts
    active = torch.nonzero(counts > 0).squeeze(1)
    c_act = counts[active]
    c_sorted, order = torch.sort(c_act)
    active = active[order]
    offs = bins.offsets[:-1][active]

    # Pixel-centre offsets inside a tile, row-major.
    lp = torch.arange(p, device=dev)
    lx, ly = (lp % ts).to(dt) + 0.5, torch.div(lp, ts, rounding_mode="floor").to(dt) + 0.5

    out_vals, out_t, out_idx = [], [], []
    for s, e in _blocks(c_sorted.tolist(), p, budget):
        tiles = active[s:e]
        k = int(c_sorted[e - 1])
        ar = torch.arange(k, device=dev)
        pad = ar[None, :] >= c_sorted[s:e, None]  # (G, K)
        idx = (offs[s:e, None] + ar[None, :]).clamp_(max=max(bins.flat_ids.numel() - 1, 0))
        gids = bins.flat_ids[idx]  # (G, K)

        img = torch.div(tiles, n_tiles, rounding_mode="floor")
        t = tiles % n_tiles
        x0 = (t % tw).to(dt) * ts
        y0 = torch.div(t, tw, rounding_mode="floor").to(dt) * ts
        px = x0[:, None] + lx[None, :]  # (G, P)
        py = y0[:, None] + ly[None, :]

        m = means2d[gids]  # (G, K, 2)
        cn = conics[gids]  # (G, K, 3)
        op = opacities[gids].masked_fill(pad, 0.0)  # (G, K)
        dx = m[:, None, :, 0] - px[:, :, None]  # (G, P, K)
        dy = m[:, None, :, 1] - py[:, :, None]
        sigma = 0.5 * (cn[:, None, :, 0] * dx * dx + cn[:, None, :, 2] * dy * dy) + cn[:, None, :, 1] * dx * dy
        alpha = torch.clamp_max(op[:, None, :] * torch.exp(-sigma), MAX_ALPHA)
        with torch.no_grad():
            keep = (sigma >= 0) & (alpha >= ALPHA_THRESHOLD)
            # Inclusive log-transmittance with skipped Gaussians as alpha 0; T is monotone, so
            # "next_T > 1e-4" marks exactly the Gaussians before the pixel terminates.
            log_next = torch.cumsum(torch.log1p(-alpha * keep), -1)
            keep &= log_next > _LOG_T_EPS
        alpha = alpha * keep
        log1m = torch.log1p(-alpha)
        cum = torch.cumsum(log1m, -1)
        weights = alpha * torch.exp(cum - log1m)  # alpha_i · T_i (exclusive transmittance)
        vals = torch.einsum("gpk,gkd->gpd", weights, colors[gids])
        out_vals.append(vals.reshape(-1, d))
        out_t.append(torch.exp(cum[..., -1]).reshape(-1))
        pix = ((img * hp)[:, None] + y0.long()[:, None] + (lp // ts)[None, :]) * wp + x0.long()[:, None] + (lp % ts)[None, :]
        out_idx.append(pix.reshape(-1))

    rgb = torch.zeros(n_img * hp * wp, d, device=dev, dtype=dt)
    trans = torch.ones(n_img * hp * wp, device=dev, dtype=dt)
    if out_idx:
        idx = torch.cat(out_idx)
        rgb = rgb.index_put((idx,), torch.cat(out_vals))
        trans = trans.index_put((idx,), torch.cat(out_t))
    rgb = rgb.reshape(n_img, hp, wp, d)[:, :height, :width]
    trans = trans.reshape(n_img, hp, wp)[:, :height, :width]
    return rgb, trans
