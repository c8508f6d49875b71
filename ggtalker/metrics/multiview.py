"""Multi-view consistency: image metrics by viewing yaw, and depth-warp consistency without ground truth.

* With ground-truth views, any per-frame metric is regrouped by the camera's yaw (the runner stores each
  frame's yaw in ``per_frame.csv.gz``): :func:`yaw_table`; ``scripts/plot_yaw.py`` draws the curves.
* Without ground truth, :class:`WarpConsistency` checks a method against itself: each rendered frame is
  warped into the next frame's camera with the method's own depth (``Generation.depth``) and compared
  there (PSNR over pixels visible in both). Frames of a clip are also successive instants, so speech
  motion counts too; on orbit suites with slow speech it is dominated by view consistency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
# yaw_table regroups records, so it lives with them in bench; imported here under its old address.
from ggtalker.bench.records import yaw_table  # noqa: F401
from ggtalker.core.clip import Cameras, Clip


def warp_to(src: torch.Tensor, src_depth: torch.Tensor | None, cam_src: Cameras, cam_dst: Cameras,
            dst_depth: torch.Tensor, occlusion_tol: float = 0.02) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward warp: lift each destination pixel to 3-D with ``dst_depth``, project it into the source
    camera and sample the source image there.

    Args:
        src: ``(3, H, W)`` source image.
        src_depth: ``(H, W)`` source depth for the occlusion test (None skips it).
        cam_src, cam_dst: single cameras (length 1).
        dst_depth: ``(H, W)`` destination depth (metres along the camera axis, NaN = empty).
    Returns:
        warped ``(3, H, W)`` and validity mask ``(H, W)`` bool (destination pixel has depth, lands inside the
        source image and agrees with the source depth there within ``occlusion_tol`` relative).
    """
    _, H, W = src.shape
    ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float64), torch.arange(W, dtype=torch.float64), indexing="ij")
    Kd, Ks = (torch.from_numpy(c.K[0]).double() for c in (cam_dst, cam_src))
    Wd, Ws = (torch.from_numpy(c.w2c[0]).double() for c in (cam_dst, cam_src))
    z = dst_depth.double()
    pix = torch.stack([xs + 0.5, ys + 0.5, torch.ones_like(xs)], -1)  # pixel centres
    cam_pts = (pix @ torch.linalg.inv(Kd).T) * z[..., None]
    world = (cam_pts - Wd[:3, 3]) @ Wd[:3, :3]  # R^T (x - t)
    sc = world @ Ws[:3, :3].T + Ws[:3, 3]
    uv = sc @ Ks.T
    u, v = uv[..., 0] / uv[..., 2] - 0.5, uv[..., 1] / uv[..., 2] - 0.5
    grid = torch.stack([2 * (u + 0.5) / W - 1, 2 * (v + 0.5) / H - 1], -1)[None].float()
    warped = F.grid_sample(src[None].float(), grid.nan_to_num(2.0), mode="bilinear", align_corners=False)[0]
    valid = torch.isfinite(z) & (sc[..., 2] > 0) & (u >= 0) & (u <= W - 1) & (v >= 0) & (v <= H - 1)
    if src_depth is not None:
        ds = F.grid_sample(src_depth[None, None].float().nan_to_num(0.0), grid.nan_to_num(2.0), mode="nearest",
                           align_corners=False)[0, 0].double()
        valid &= (ds - sc[..., 2]).abs() <= occlusion_tol * sc[..., 2]
    return warped, valid


class WarpConsistency(Metric):
    """PSNR between each rendered frame and its neighbour warped into it by the method's depth (↑).

    Needs ``Generation.depth``; methods without depth are reported unavailable for this metric.
    """

    name = "warp_psnr"
    outputs = {"warp_psnr": True}
    needs: tuple[str, ...] = ("pred_frames", "pred_depth")
    tolerance = 0.1

    def __init__(self, min_valid: float = 0.01, **kw) -> None:
        super().__init__(**kw)
        self.min_valid = min_valid

    def variant(self) -> dict:
        return {"pairs": "frame i+1 -> frame i", "warp": "method depth, occlusion 2%", "range": "[0,1]"}

    def update(self, pred: Generation, gt: Clip) -> None:
        frames = torch.from_numpy(pred.frames).permute(0, 3, 1, 2).float() / 255
        depth = torch.from_numpy(pred.depth).float()
        vals = []
        for i in range(len(frames) - 1):
            warped, valid = warp_to(frames[i + 1], depth[i + 1], gt.cameras[i + 1:i + 2], gt.cameras[i:i + 1], depth[i])
            if valid.float().mean() < self.min_valid:
                continue
            mse = ((warped - frames[i]) ** 2).mean(0)[valid].mean()
            vals.append(float(-10 * torch.log10(mse.clamp_min(1e-10))))
        if not vals:
            raise ValueError(f"{gt.id}: no neighbouring frames overlap after warping")
        self.add("warp_psnr", np.asarray(vals))
