"""Tile binning for the pure-PyTorch rasterizer: which Gaussians touch which screen tile, front to back.

gsplat's own torch helper (``gsplat.cuda._torch_impl._isect_tiles``) loops over Gaussians in Python
(seconds for 10k Gaussians), so this is a vectorised equivalent: per-Gaussian tile rectangles are
expanded with ``repeat_interleave`` and one stable sort groups them by tile while keeping depth order.
Binning is exact, not an approximation: a Gaussian's rectangle (radius from its opacity-aware extent)
contains every pixel where its alpha reaches 1/255, so the tile size changes speed, never the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class TileBins:
    """Per-tile, depth-sorted Gaussian lists for ``n_images`` images of ``tile_h × tile_w`` tiles.

    ``flat_ids[offsets[t]:offsets[t + 1]]`` are the indices (into the image-flattened ``I*N`` Gaussian
    arrays) touching global tile ``t = image * tile_h * tile_w + ty * tile_w + tx``, nearest first.
    """

    flat_ids: Tensor  # (M,) int64
    offsets: Tensor  # (I*tile_h*tile_w + 1,) int64
    tiles_per_gauss: Tensor  # (I, N) int64
    tile_size: int
    tile_w: int
    tile_h: int
    n_images: int

    @property
    def counts(self) -> Tensor:
        """Number of Gaussians per global tile, ``(I*tile_h*tile_w,)`` int64."""
        return self.offsets[1:] - self.offsets[:-1]


@torch.no_grad()
def bin_tiles(means2d: Tensor, radii: Tensor, depths: Tensor, tile_size: int, width: int, height: int) -> TileBins:
    """Bin projected Gaussians into screen tiles, each tile's list sorted front to back.

    Args:
        means2d: ``(I, N, 2)`` pixel-space centres (pixel centres sit at ``+0.5``).
        radii: ``(I, N, 2)`` integer half-extents in pixels; a Gaussian with any radius 0 is culled.
        depths: ``(I, N)`` camera-space z, the sort key.
        tile_size: tile edge in pixels.
        width, height: image size in pixels.
    """
    n_images, n = depths.shape
    dev = means2d.device
    tile_w = (width + tile_size - 1) // tile_size
    tile_h = (height + tile_size - 1) // tile_size
    n_tiles = tile_w * tile_h

    # Same rectangle rule as gsplat's isect_tiles: floor/ceil of (mean ± radius) in tile units.
    r = radii.to(means2d.dtype)
    lo = torch.floor((means2d - r) / tile_size).long()
    hi = torch.ceil((means2d + r) / tile_size).long()
    lo[..., 0].clamp_(0, tile_w)
    lo[..., 1].clamp_(0, tile_h)
    hi[..., 0].clamp_(0, tile_w)
    hi[..., 1].clamp_(0, tile_h)
    span = (hi - lo).clamp_(min=0)
    tiles_per_gauss = span[..., 0] * span[..., 1] * (radii > 0).all(-1)

    sel = torch.nonzero(tiles_per_gauss.reshape(-1) > 0).squeeze(1)  # flat ids in [0, I*N)
    # Front to back within each image: sort by depth, then (stably) by image.
    order = torch.argsort(depths.reshape(-1)[sel], stable=True)
    sel = sel[order]
    order = torch.argsort(torch.div(sel, n, rounding_mode="floor"), stable=True)
    sel = sel[order]

    counts = tiles_per_gauss.reshape(-1)[sel]
    m = int(counts.sum())
    gid = torch.repeat_interleave(sel, counts, output_size=m)
    starts = torch.cumsum(counts, 0) - counts
    local = torch.arange(m, device=dev) - torch.repeat_interleave(starts, counts, output_size=m)
    lo_f = lo.reshape(-1, 2)[gid]
    w = span.reshape(-1, 2)[gid, 0]
    tx = lo_f[:, 0] + local % w
    ty = lo_f[:, 1] + torch.div(local, w, rounding_mode="floor")
    image = torch.div(gid, n, rounding_mode="floor")
    tile = image * n_tiles + ty * tile_w + tx

    # Stable sort keeps the depth order established above inside each tile.
    tile_sorted, order = torch.sort(tile, stable=True)
    flat_ids = gid[order]
    per_tile = torch.bincount(tile_sorted, minlength=n_images * n_tiles)
    offsets = torch.zeros(n_images * n_tiles + 1, dtype=torch.long, device=dev)
    offsets[1:] = torch.cumsum(per_tile, 0)
    return TileBins(flat_ids, offsets, tiles_per_gauss, tile_size, tile_w, tile_h, n_images)
