"""How far a track is from the truth, where the truth is known (SynthTalk): head pose in the camera frame, jaw,
expression and reprojection.

Monocular tracking fixes the head relative to the camera, not the world: the tracker's world is its own frontal
camera's. So poses are compared as head-to-camera transforms, ``w2c ∘ pose``, for both the truth and the track.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ggtalker.core.clip import Cameras


def head_in_camera(pose: np.ndarray, w2c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Head-to-camera rotation ``(N, 3, 3)`` and head-origin position in the camera ``(N, 3)`` metres.

    Args:
        pose: ``(N, 6)`` axis-angle + translation (world); w2c: ``(N, 4, 4)`` or ``(4, 4)``.
    """
    w2c = np.broadcast_to(w2c, (len(pose), 4, 4))
    Rp = Rotation.from_rotvec(pose[:, :3]).as_matrix()
    R = np.einsum("nij,njk->nik", w2c[:, :3, :3], Rp)
    t = np.einsum("nij,nj->ni", w2c[:, :3, :3], pose[:, 3:]) + w2c[:, :3, 3]
    return R, t


def pose_errors(pose: np.ndarray, cams: Cameras, pose_true: np.ndarray, cams_true: Cameras) -> dict[str, np.ndarray]:
    """Per-frame errors of a tracked pose against the truth: rotation (degrees), translation (mm; also per
    camera axis x, y, z, z being depth)."""
    Ra, ta = head_in_camera(pose, cams.w2c)
    Rb, tb = head_in_camera(pose_true, cams_true.w2c)
    rel = np.einsum("nji,njk->nik", Ra, Rb)
    rot = np.degrees(np.linalg.norm(Rotation.from_matrix(rel).as_rotvec(), axis=1))
    d = (ta - tb) * 1000
    return {"rot_deg": rot, "trans_mm": np.linalg.norm(d, axis=1), "dx_mm": d[:, 0], "dy_mm": d[:, 1],
            "dz_mm": d[:, 2]}


def track_accuracy(params: dict[str, np.ndarray], cams: Cameras, truth: dict[str, np.ndarray],
                   cams_true: Cameras, projected: np.ndarray | None = None,
                   landmarks_true: np.ndarray | None = None) -> dict[str, float]:
    """Summary of a track against the truth.

    Returns medians over frames of the rotation and translation errors (and the depth and lateral parts),
    the jaw's correlation with the truth and its mean absolute error, the mean absolute error of the
    expression components, the blink MAE, the median focal-length error in % and, given ``projected`` and
    ``landmarks_true`` ``(N, 68, 2)``, the mean 68-landmark reprojection error in pixels.
    """
    e = pose_errors(params["pose"], cams, truth["pose"], cams_true)
    out = {"rot_deg_median": float(np.median(e["rot_deg"])), "trans_mm_median": float(np.median(e["trans_mm"])),
           "lateral_mm_median": float(np.median(np.hypot(e["dx_mm"], e["dy_mm"]))),
           "depth_mm_median": float(np.median(np.abs(e["dz_mm"])))}
    j, jt = params["jaw"][:, 0], truth["jaw"][:, 0]
    out["jaw_corr"] = float(np.corrcoef(j, jt)[0, 1]) if j.std() > 1e-6 and jt.std() > 1e-6 else float("nan")
    out["jaw_mae"] = float(np.abs(j - jt).mean())
    out["expr_mae"] = float(np.abs(params["expr"] - truth["expr"]).mean())
    if "blink" in params and "blink" in truth:
        out["blink_mae"] = float(np.abs(params["blink"] - truth["blink"]).mean())
    out["focal_err_pct"] = float(np.median(np.abs(cams.K[:, 0, 0] / cams_true.K[:, 0, 0] - 1)) * 100)
    if projected is not None and landmarks_true is not None:
        out["reproj_px"] = float(np.linalg.norm(projected - landmarks_true, axis=-1).mean())
    return out
