"""Front-to-back alpha compositing of depth-sorted 2D Gaussians over screen tiles, in plain PyTorch.

Written by hand because gsplat's compositing runs only as a CUDA kernel (its torch fallback calls the
CUDA ``rasterize_to_indices_in_range`` too). The per-pixel rule is gsplat's ``rasterize_to_pixels``:

    sigma = 0.5 (a dx² + c dy²) + b dx dy,   alpha = min(0.999, opacity · exp(-sigma))
    skip the Gaussian if sigma < 0 or alpha < 1/255
    stop (exclusive) at the first Gaussian that would bring the transmittance to ≤ 1e-4
    colour = Σ c_i alpha_i T_i + T_final · background,   render_alpha = 1 - T_final

Vectorised as dense ``(tiles, pixels, K)`` blocks, K = the longest per-tile list in a block; tiles are
grouped by list length so padding stays small, and blocks are capped at ``budget`` elements to bound
memory. Transmittance is ``exp(cumsum(log1p(-alpha)))`` (alpha ≤ 0.999 keeps the log finite). The
block is a custom autograd Function with gsplat's analytic backward (suffix sums instead of its
back-to-front loop): it keeps 7 tensors per pair for backward instead of every temporary of ~20
broadcast ops, and measured ~1.2× faster than plain autograd.
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


def _block_terms(m: Tensor, cn: Tensor, op: Tensor, px: Tensor, py: Tensor):
    """Per (tile, pixel, Gaussian) terms of one block, all ``(G, P, K)``.

    Returns ``dx, dy`` (mean − pixel), ``e = exp(-sigma)``, the unclamped ``raw = opacity · e``, the
    drawn ``alpha`` (0 where skipped, clamped or after the pixel stopped) and exclusive transmittance ``T``.
    """
    dx = m[:, None, :, 0] - px[:, :, None]
    dy = m[:, None, :, 1] - py[:, :, None]
    a, b, c = (cn[:, None, :, i] for i in range(3))
    sigma = dx * dx
    sigma.mul_(0.5 * a)
    tmp = dy * dy
    sigma.addcmul_(tmp, 0.5 * c)
    torch.mul(dx, dy, out=tmp)
    sigma.addcmul_(tmp, b)
    # masked_fill_ with boolean masks, not mul_: multiplying by a bool tensor costs a full cast.
    skip = sigma < 0
    e = sigma.neg_().exp_()
    raw = e * op[:, None, :]
    alpha = raw.clamp_max(MAX_ALPHA)
    skip |= alpha < ALPHA_THRESHOLD
    alpha.masked_fill_(skip, 0.0)
    log1m = torch.log1p(alpha.neg())
    # T is monotone, so "next_T > 1e-4" marks exactly the Gaussians drawn before the pixel stops
    # (gsplat's stop is exclusive: the Gaussian that would cross 1e-4 is not drawn).
    stopped = torch.cumsum(log1m, -1) <= _LOG_T_EPS
    alpha.masked_fill_(stopped, 0.0)
    log1m.masked_fill_(stopped, 0.0)
    cum = torch.cumsum(log1m, -1)
    t_final = torch.exp(cum[..., -1])
    trans = cum.sub_(log1m).exp_()
    return dx, dy, e, raw, alpha, trans, t_final


class _CompositeBlock(torch.autograd.Function):
    """Composite one block of tiles: ``(m (G,K,2), conics (G,K,3), op (G,K), colors (G,K,D), px, py (G,P))``
    → ``(colors (G,P,D), T_final (G,P))``. Gradients flow to the first four inputs."""

    @staticmethod
    def forward(ctx, m, cn, op, col, px, py):
        dx, dy, e, raw, alpha, trans, t_final = _block_terms(m, cn, op, px, py)
        weights = alpha * trans
        # Products with the D (=3) colour axis are written with D as the BLAS row count: the
        # natural (P,K)@(K,D) form runs ~15× slower on CPU for D = 3.
        out = torch.bmm(col.transpose(1, 2).contiguous(), weights.transpose(1, 2)).transpose(1, 2)
        ctx.save_for_backward(cn, col, dx, dy, e, raw, alpha, trans, weights, t_final)
        return out, t_final

    @staticmethod
    def backward(ctx, g_out, g_tf):
        cn, col, dx, dy, e, raw, alpha, trans, weights, t_final = ctx.saved_tensors
        g_col = torch.bmm(g_out.transpose(1, 2), weights).transpose(1, 2)  # (G, K, D)
        v = torch.bmm(g_out, col.transpose(1, 2).contiguous())  # (G, P, K): colour_k · dL/dpixel
        # dL/dalpha_k = T_k v_k − (Σ_{j>k} v_j w_j + g_T · T_final) / (1 − alpha_k)
        vw = v * weights
        suffix = vw.sum(-1, keepdim=True) - torch.cumsum(vw, -1)
        suffix.add_((g_tf * t_final)[..., None])
        g_alpha = v.mul_(trans).sub_(suffix.div_(1.0 - alpha))
        # Only drawn, unclamped Gaussians pass gradient (alpha = 0 marks skipped ones).
        g_alpha.masked_fill_((alpha == 0) | (raw > MAX_ALPHA), 0.0)
        g_op = (g_alpha * e).sum(1)
        g_sigma = g_alpha.mul_(raw).neg_()  # d raw / d sigma = -raw
        t1 = g_sigma * dx
        t2 = g_sigma.mul_(dy)
        s_x, s_y = t1.sum(1), t2.sum(1)
        s_xx, s_xy, s_yy = (t1 * dx).sum(1), (t1 * dy).sum(1), (t2 * dy).sum(1)
        a, b, c = cn.unbind(-1)
        g_cn = torch.stack([0.5 * s_xx, s_xy, 0.5 * s_yy], -1)
        g_m = torch.stack([a * s_x + b * s_y, c * s_y + b * s_x], -1)
        return g_m, g_cn, g_op, g_col, None, None


def composite_tiles(
    bins: TileBins,
    means2d: Tensor,
    conics: Tensor,
    opacities: Tensor,
    colors: Tensor,
    width: int,
    height: int,
    budget: int = 1 << 18,
) -> tuple[Tensor, Tensor]:
    """Alpha-composite binned Gaussians into images.

    Args:
        bins: output of :func:`ggtalker.render.tiles.bin_tiles` for these ``I`` images.
        means2d: ``(I*N, 2)`` pixel-space centres.
        conics: ``(I*N, 3)`` inverse 2D covariance ``(a, b, c)`` = ``[[a, b], [b, c]]``.
        opacities: ``(I*N,)`` effective opacities (compensation already applied).
        colors: ``(I*N, D)`` features to composite.
        width, height: image size.
        budget: max elements of one ``(tiles, pixels, K)`` block (256K floats ≈ 1 MB per tensor; a block holds ~12 such).

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

    # One gather per block for all per-Gaussian inputs: index_select back-propagates as a single
    # index_add, where x[idx] per tensor goes through a several-times slower accumulating index_put.
    packed = torch.cat([means2d, conics, opacities[:, None], colors], -1)
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

        gp = packed.index_select(0, gids.reshape(-1)).reshape(gids.shape + (packed.shape[-1],))
        op = gp[..., 5].masked_fill(pad, 0.0)  # (G, K); padding is never drawn
        vals, t_final = _CompositeBlock.apply(gp[..., :2], gp[..., 2:5], op, gp[..., 6:], px, py)
        out_vals.append(vals.reshape(-1, d))
        out_t.append(t_final.reshape(-1))
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
