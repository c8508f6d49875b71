"""Pinhole cameras around a head at the world origin: the default lens, look-at poses, orbit positions.

World frame of :mod:`ggtalker.core.params` (metres, +y up, +z out of the face). Cameras are OpenCV pinholes
(x right, y down, z forward) looking at a point just below the head centre, so head, neck and shoulders are
in frame. Yaw 0 is frontal (camera on +z); positive yaw moves the camera towards the subject's left (+x);
positive pitch looks down on the head from above. SynthTalk's cameras and the Talker's camera paths use them.
"""

from __future__ import annotations

import numpy as np

from ggtalker.core.clip import Cameras

#: Where every camera looks (metres, world frame): a little below the head centre.
LOOK_AT = np.array([0.0, -0.05, 0.0])
#: Vertical field of view of the default lens and the default camera distance.
FOV_Y_DEG = 30.0
DISTANCE = 0.8


def intrinsics(size: int | tuple[int, int], fov_y_deg: float = FOV_Y_DEG) -> np.ndarray:
    """Pinhole intrinsics ``(3, 3)`` for ``size`` (square side or ``(width, height)``)."""
    w, h = (size, size) if np.isscalar(size) else size
    f = 0.5 * h / np.tan(np.radians(fov_y_deg) / 2)
    return np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1]], np.float64)


def look_at(eye: np.ndarray, target: np.ndarray = LOOK_AT, up: np.ndarray = np.array([0.0, 1.0, 0.0]),
            roll_deg: float = 0.0) -> np.ndarray:
    """World-to-camera ``(4, 4)`` (OpenCV) for a camera at ``eye`` looking at ``target``."""
    z = target - eye
    z = z / np.linalg.norm(z)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-8:
        x = np.array([1.0, 0.0, 0.0])
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    if roll_deg:
        r = np.radians(roll_deg)
        x, y = np.cos(r) * x + np.sin(r) * y, -np.sin(r) * x + np.cos(r) * y
    R = np.stack([x, y, z])
    w2c = np.eye(4)
    w2c[:3, :3] = R
    w2c[:3, 3] = -R @ eye
    return w2c


def orbit_eye(yaw_deg: float, pitch_deg: float, distance: float = DISTANCE, target: np.ndarray = LOOK_AT) -> np.ndarray:
    """Camera centre on a sphere around ``target`` at ``yaw``/``pitch`` (degrees)."""
    y, p = np.radians(yaw_deg), np.radians(pitch_deg)
    return target + distance * np.array([np.cos(p) * np.sin(y), np.sin(p), np.cos(p) * np.cos(y)])


#: Camera paths :func:`camera_path` knows.
CAMERA_PATHS = ("frontal", "orbit")


def camera_path(kind: str, n: int, size: int | tuple[int, int], fps: float = 25.0, start: int = 0) -> Cameras:
    """Frames ``start … start + n - 1`` of a named camera path with the default lens at ``size``.

    ``frontal``: a fixed camera in front; ``orbit``: yaw 40°·sin(2π t / 6 s), pitch 0, to show the head from
    the side. ``start`` lets a stream take the path piece by piece.
    """
    if kind == "frontal":
        yaw = np.zeros(n)
    elif kind == "orbit":
        yaw = 40.0 * np.sin(2 * np.pi * np.arange(start, start + n) / fps / 6.0)
    else:
        raise ValueError(f"camera path must be one of {', '.join(CAMERA_PATHS)}, got {kind!r}")
    K = np.tile(intrinsics(size)[None], (n, 1, 1)).astype(np.float32)
    w2c = np.stack([look_at(orbit_eye(float(y), 0.0)) for y in yaw]).astype(np.float32)
    return Cameras(K, w2c)
