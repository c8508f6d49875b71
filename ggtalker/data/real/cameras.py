"""Camera conventions of real data: a documented pinhole guess, and the NeRF-talker (ER-NeRF family) poses.

Our clips hold OpenCV world-to-camera matrices (camera x right, y down, z forward) in the head frame
of :mod:`ggtalker.core.params` (+y up, +z out of the face, +x to the subject's left).

ER-NeRF, RAD-NeRF, TalkingGaussian, GaussianTalker and SyncTalk (all from AD-NeRF's preprocessing) store in
``transforms_*.json`` a 4x4 **camera-to-world** matrix whose camera axes follow OpenGL (x right, y up,
z backwards: the camera looks along its -z). Evidence: their ``face_tracking/util.py`` maps head points by
``p_cam = R p + t`` and projects ``u = -f X/Z + cx, v = f Y/Z + cy`` (points in front have Z < 0, +Y is up in
the image); ``process.py:save_transforms`` stores ``[R^T | -R^T t]``, the inverse, as ``transform_matrix``. Their world is the face tracker's 3DMM (BFM) head frame, whose
axes match ours (y up, z out of the face, x to the subject's left); its unit is the tracker's (their
``save_transforms`` divides the tracked translation by 10), not metres. The conversion is::

    c2w_cv = c2w_gl @ diag(1, -1, -1, 1)      # flip the camera's y and z axes
    w2c    = inverse(c2w_cv)

and ``world_scale`` multiplies translations when a user knows the metric scale.
"""

from __future__ import annotations

import numpy as np

from ggtalker.core.clip import Cameras

#: Flips camera y and z: OpenGL camera axes <-> OpenCV camera axes (its own inverse).
GL_TO_CV = np.diag([1.0, -1.0, -1.0, 1.0])

#: The pinhole guess for face-centred crops: a 20 degree vertical field of view (a portrait lens) with the
#: camera on the head's +z axis at the distance where a 0.25 m tall region (head + neck) fills the frame.
GUESS_FOV_DEG = 20.0
GUESS_VISIBLE_HEIGHT_M = 0.25


def pinhole_guess(n: int, width: int, height: int, fov_deg: float = GUESS_FOV_DEG,
                  visible_height_m: float = GUESS_VISIBLE_HEIGHT_M) -> Cameras:
    """A fixed frontal camera for videos without calibration (HDTF-style face-centred crops).

    This is a guess, the same for every frame, documented as such: intrinsics from ``fov_deg`` (vertical) with
    the principal point at the image centre; the camera sits at ``(0, 0, d)`` looking at the head centre,
    where ``d`` makes ``visible_height_m`` fill the image height.

    Returns:
        ``n`` cameras: K ``(n, 3, 3)``, w2c ``(n, 4, 4)``.
    """
    if n <= 0 or width <= 0 or height <= 0:
        raise ValueError(f"pinhole_guess needs n, width, height > 0, got {n}, {width}, {height}")
    half = np.radians(fov_deg) / 2
    f = (height / 2) / np.tan(half)
    dist = (visible_height_m / 2) / np.tan(half)
    K = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float32)
    # Facing the subject: image right is the subject's left (+x), image down is -y, the view axis is -z.
    w2c = np.eye(4, dtype=np.float32)
    w2c[:3, :3] = np.diag([1.0, -1.0, -1.0])
    w2c[2, 3] = dist
    return Cameras(np.repeat(K[None], n, 0), np.repeat(w2c[None], n, 0))


def gl_c2w_to_cv_w2c(c2w: np.ndarray, world_scale: float = 1.0) -> np.ndarray:
    """NeRF-talker poses → our extrinsics.

    Args:
        c2w: ``(N, 4, 4)`` camera-to-world, OpenGL camera axes (as in ``transforms_*.json``).
        world_scale: multiplies the translation (tracker units → metres when known).

    Returns:
        ``(N, 4, 4)`` float32 world-to-camera, OpenCV camera axes.
    """
    c2w = np.asarray(c2w, np.float64)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4):
        raise ValueError(f"expected (N, 4, 4) camera-to-world matrices, got {c2w.shape}")
    c2w = c2w.copy()
    c2w[:, :3, 3] *= world_scale
    return np.linalg.inv(c2w @ GL_TO_CV).astype(np.float32)


def cv_w2c_to_gl_c2w(w2c: np.ndarray, world_scale: float = 1.0) -> np.ndarray:
    """Our extrinsics ``(N, 4, 4)`` → NeRF-talker camera-to-world ``(N, 4, 4)`` (inverse of :func:`gl_c2w_to_cv_w2c`)."""
    c2w = np.linalg.inv(np.asarray(w2c, np.float64)) @ GL_TO_CV
    c2w[:, :3, 3] /= world_scale
    return c2w.astype(np.float32)
