"""Tiny SynthTalk inputs for the tracker's tests: a moving, speaking head with known parameters, and videos."""

from __future__ import annotations

import numpy as np

import ggtalker.track.fit  # noqa: F401  (loads torch._dynamo before any EGL context: see ggtalker/track/fit.py)
from ggtalker.core.audio import SAMPLE_RATE


def moving_performance(n: int, fps: float = 25.0, yaw_amp: float = 0.35) -> dict:
    """``n`` frames of a head turning (±``yaw_amp`` rad), nodding, opening its jaw and rounding its lips, one blink."""
    t = np.arange(n) / fps
    expr = np.zeros((n, 10), np.float32)
    expr[:, 0] = np.clip(0.4 + 0.4 * np.sin(t * 5), 0, 1)
    jaw = np.clip(0.35 + 0.35 * np.sin(t * 7), 0, 1)[:, None].astype(np.float32)
    pose = np.zeros((n, 6), np.float32)
    pose[:, 0], pose[:, 1], pose[:, 2] = 0.1 * np.sin(t * 2), yaw_amp * np.sin(t * 1.3), 0.05 * np.sin(t)
    pose[:, 3:] = 0.01 * np.stack([np.sin(t), np.cos(t * 0.7), np.sin(t * 0.3)], 1)
    blink = np.zeros((n, 2), np.float32)
    blink[n // 2: n // 2 + 3] = 1.0
    return {"fps": fps, "audio": np.zeros(int(round(n / fps * SAMPLE_RATE)), np.float32),
            "params": {"expr": expr, "jaw": jaw, "blink": blink, "pose": pose}}
