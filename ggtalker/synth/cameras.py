"""SynthTalk cameras: a handheld "phone video" path, fixed multi-view rings and orbits.

Lens, aim and angles are those of :mod:`ggtalker.core.cameras`.
"""

from __future__ import annotations

import numpy as np

from ggtalker.core.cameras import DISTANCE, LOOK_AT, intrinsics, look_at, orbit_eye
from ggtalker.core.clip import Cameras


def static_cameras(n: int, size: int | tuple[int, int], yaw_deg: float = 0.0, pitch_deg: float = 0.0,
                   distance: float = DISTANCE) -> Cameras:
    """``n`` copies of one fixed camera at ``yaw``/``pitch``."""
    K = intrinsics(size)
    w2c = look_at(orbit_eye(yaw_deg, pitch_deg, distance))
    return Cameras(np.tile(K, (n, 1, 1)).astype(np.float32), np.tile(w2c, (n, 1, 1)).astype(np.float32))


def _smooth_noise(rng: np.random.Generator, n: int, fps: float, hz: float) -> np.ndarray:
    """Band-limited noise ``(n,)`` of unit standard deviation, up to ``hz`` (sum of random sinusoids)."""
    t = np.arange(n) / fps
    k = 6
    f = rng.uniform(0.05, hz, k)
    ph = rng.uniform(0, 2 * np.pi, k)
    a = rng.uniform(0.5, 1.0, k) / f**0.5
    x = (a[:, None] * np.sin(2 * np.pi * f[:, None] * t[None] + ph[:, None])).sum(0)
    return x / (np.sqrt((a**2).sum() / 2) + 1e-9)


def phone_cameras(n: int, size: int | tuple[int, int], seed: int, fps: float = 25.0, yaw_deg: float = 0.0,
                  shake: float = 1.0) -> Cameras:
    """A mostly frontal, handheld phone-video camera path of ``n`` frames.

    The hand drifts slowly (a few degrees of yaw and pitch, ±2 cm of distance, a degree of roll) plus a
    small tremor; ``shake=0`` gives a tripod.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xCA3]))
    base_yaw = yaw_deg + rng.uniform(-4, 4)
    base_pitch = rng.uniform(-6, 2)
    dist = DISTANCE * rng.uniform(0.95, 1.08)
    yaw = base_yaw + shake * (2.5 * _smooth_noise(rng, n, fps, 0.4) + 0.15 * _smooth_noise(rng, n, fps, 4.0))
    pitch = base_pitch + shake * (1.5 * _smooth_noise(rng, n, fps, 0.4) + 0.15 * _smooth_noise(rng, n, fps, 4.0))
    d = dist * (1 + shake * 0.025 * _smooth_noise(rng, n, fps, 0.3))
    roll = shake * 1.2 * _smooth_noise(rng, n, fps, 0.3)
    aim = LOOK_AT + shake * 0.006 * np.stack([_smooth_noise(rng, n, fps, 0.5), _smooth_noise(rng, n, fps, 0.5), np.zeros(n)], 1)
    K = intrinsics(size)
    w2c = np.stack([look_at(orbit_eye(yaw[i], pitch[i], d[i], aim[i]), aim[i], roll_deg=roll[i]) for i in range(n)])
    return Cameras(np.tile(K, (n, 1, 1)).astype(np.float32), w2c.astype(np.float32))


#: The default test ring: yaw every 15° to ±90° at eye level, plus ±30° pitch at frontal and ±45° yaw.
RING_VIEWS: tuple[tuple[float, float], ...] = tuple((float(y), 0.0) for y in range(-90, 91, 15)) + (
    (0.0, 30.0), (0.0, -30.0), (45.0, 30.0), (-45.0, -30.0))


def ring_cameras(n: int, size: int | tuple[int, int], views: tuple[tuple[float, float], ...] = RING_VIEWS,
                 distance: float = DISTANCE) -> list[tuple[float, float, Cameras]]:
    """A multi-view ring: for each ``(yaw, pitch)`` in ``views``, ``n`` frames of one fixed camera."""
    return [(yaw, pitch, static_cameras(n, size, yaw, pitch, distance)) for yaw, pitch in views]


def orbit_cameras(n: int, size: int | tuple[int, int], seed: int, max_yaw: float = 75.0, max_pitch: float = 25.0,
                  fps: float = 25.0) -> Cameras:
    """A camera that sweeps slowly around the head (for multi-view training corpora)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x0B1]))
    t = np.arange(n) / fps
    ph = rng.uniform(0, 2 * np.pi, 2)
    yaw = max_yaw * np.sin(2 * np.pi * t / rng.uniform(4, 7) + ph[0])
    pitch = max_pitch * np.sin(2 * np.pi * t / rng.uniform(5, 9) + ph[1])
    K = intrinsics(size)
    w2c = np.stack([look_at(orbit_eye(yaw[i], pitch[i])) for i in range(n)])
    return Cameras(np.tile(K, (n, 1, 1)).astype(np.float32), w2c.astype(np.float32))


def project(points: np.ndarray, cameras: Cameras) -> np.ndarray:
    """Project world points ``(N, P, 3)`` with per-frame cameras to pixels ``(N, P, 2)`` (OpenCV)."""
    R, t = cameras.w2c[:, :3, :3], cameras.w2c[:, :3, 3]
    pc = np.einsum("nij,npj->npi", R, points) + t[:, None]
    uv = np.einsum("nij,npj->npi", cameras.K, pc)
    return (uv[..., :2] / uv[..., 2:3]).astype(np.float32)
