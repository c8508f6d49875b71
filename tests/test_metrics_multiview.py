"""Multi-view: depth-warp consistency on an analytic textured plane, and yaw grouping."""

import numpy as np
import pandas as pd

from ggtalker.bench.method import Generation
from ggtalker.core.clip import Cameras, Clip
from ggtalker.metrics.multiview import WarpConsistency, yaw_table


def _look_at(eye):
    f = -eye / np.linalg.norm(eye)  # camera z looks at the origin
    r = np.cross(f, [0, -1.0, 0]); r /= np.linalg.norm(r)
    d = np.cross(f, r)
    R = np.stack([r, d, f])
    w2c = np.eye(4); w2c[:3, :3] = R; w2c[:3, 3] = -R @ eye
    return w2c


def _plane_views(yaws_deg, size=48):
    """A textured plane z=0 seen from cameras at distance 1: frames (N,H,W,3) and exact depth (N,H,W)."""
    K = np.array([[60.0, 0, size / 2], [0, 60.0, size / 2], [0, 0, 1]])
    frames, depths, w2cs = [], [], []
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    for yaw in np.radians(yaws_deg):
        eye = np.array([np.sin(yaw), 0.0, np.cos(yaw)])
        w2c = _look_at(eye)
        rays_c = np.stack([xs, ys, np.ones_like(xs)], -1) @ np.linalg.inv(K).T
        R, t = w2c[:3, :3], w2c[:3, 3]
        rays_w = rays_c @ R  # R^T d
        o = -R.T @ t
        s = -o[2] / rays_w[..., 2]  # ray parameter at z = 0 (camera-z depth == s since rays_c z = 1)
        p = o + s[..., None] * rays_w
        tex = 0.5 + 0.25 * np.sin(9 * p[..., 0]) + 0.25 * np.cos(7 * p[..., 1])
        frames.append(np.clip(np.stack([tex, tex ** 2, 1 - tex], -1) * 255, 0, 255).astype(np.uint8))
        depths.append(s.astype(np.float32))
        w2cs.append(w2c)
    n = len(yaws_deg)
    cams = Cameras(np.tile(K, (n, 1, 1)).astype(np.float32), np.stack(w2cs).astype(np.float32))
    return np.stack(frames), np.stack(depths), Clip(fps=25.0, cameras=cams, width=size, height=size)


def test_warp_consistency_prefers_correct_depth():
    frames, depth, clip = _plane_views([0.0, 4.0, 8.0])
    m = WarpConsistency()
    m.update(Generation(frames=frames, depth=depth), clip)
    good = m.compute()["warp_psnr"]
    m.reset()
    m.update(Generation(frames=frames, depth=depth * 1.15), clip)
    bad = m.compute()["warp_psnr"]
    assert good > 28 and good > bad + 3


def test_yaw_table_buckets():
    pf = pd.DataFrame({"metric": ["psnr"] * 4, "value": [1.0, 3.0, 10.0, 20.0], "yaw": [-2.0, 9.0, 29.0, 31.0]})
    t = yaw_table(pf, width_deg=15).set_index("yaw_bucket")
    assert t.loc[0.0, "mean"] == 1.0 and t.loc[30.0, "mean"] == 15.0 and t.loc[30.0, "n"] == 2
    assert t.loc[15.0, "mean"] == 3.0
