"""Non-speech facial behaviour: blinks, head motion and brows, driven by a seed and the speech energy.

These are the parts of a performance that audio does not determine: a different seed gives
different blinks, head motion and brow timing over the same lips.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from ggtalker.core.audio import SAMPLE_RATE

# Neck pivot relative to the head centre (metres, world frame): the head turns about the neck, so a
# rotation also moves the head centre, as in real footage.
NECK_PIVOT = np.array([0.0, -0.11, -0.03])


def loudness_envelope(audio: np.ndarray, n_frames: int, fps: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Per-frame loudness in [0, 1] ``(n_frames,)``: frame RMS in dB, mapped from [-50, 0] dB re. the peak frame."""
    edges = np.minimum((np.arange(n_frames + 1) * sr / fps).round().astype(int), len(audio))
    sq = np.concatenate([[0.0], np.cumsum(np.asarray(audio, np.float64) ** 2)])
    width = np.maximum(edges[1:] - edges[:-1], 1)
    rms = np.sqrt((sq[edges[1:]] - sq[edges[:-1]]) / width)
    db = 20 * np.log10(rms + 1e-8)
    db -= db.max() if len(db) else 0.0
    return np.clip((db + 50.0) / 50.0, 0.0, 1.0).astype(np.float32)


def _blink_profile(t: np.ndarray, onset: float, dur: float) -> np.ndarray:
    """Lid closure of one blink at times ``t``: fast close (~35 % of the blink), slower reopening."""
    close = 0.35 * dur
    x = t - onset
    up = np.clip(x / close, 0, 1)
    down = np.clip(1 - (x - close) / (dur - close), 0, 1)
    prof = np.where(x < close, up, down)
    return np.where((x >= 0) & (x <= dur), np.sin(0.5 * np.pi * prof) ** 2, 0.0)


def blinks(n_frames: int, fps: float, rng: np.random.Generator, rate_per_min: float | None = None) -> np.ndarray:
    """Eyelid closure ``(n_frames, 2)`` (left, right) from a renewal process.

    Inter-blink intervals are gamma-distributed (shape 3: more regular than Poisson, as measured in
    conversation) with a mean giving 10–20 blinks/min (drawn per performance unless given), with a
    0.6 s refractory minimum; each blink lasts 100–200 ms; about 1 in 8 is asymmetric (one lid
    closes less, or trails by ~15 ms). Sampled by averaging a 1 kHz profile over each frame.
    """
    rate = rate_per_min if rate_per_min is not None else rng.uniform(10, 20)
    mean_gap = 60.0 / rate
    duration = n_frames / fps
    hz = 1000.0
    t = (np.arange(int(np.ceil(duration * hz))) + 0.5) / hz
    lids = np.zeros((len(t), 2))
    # The first blink can fall anywhere in the first gap: the process is already running at t=0.
    onset = rng.uniform(0, mean_gap)
    while onset < duration:
        dur = rng.uniform(0.10, 0.20)
        depth = rng.uniform(0.85, 1.0)
        amp, lag = np.ones(2), np.zeros(2)
        if rng.random() < 0.125:
            eye = rng.integers(2)
            if rng.random() < 0.5:
                amp[eye] = rng.uniform(0.5, 0.85)
            else:
                lag[eye] = rng.uniform(0.01, 0.02)
        for e in range(2):
            lids[:, e] = np.maximum(lids[:, e], depth * amp[e] * _blink_profile(t, onset + lag[e], dur))
        onset += max(0.6, rng.gamma(3.0, mean_gap / 3.0))
    edges = np.minimum((np.arange(n_frames + 1) / fps * hz).round().astype(int), len(t))
    csum = np.concatenate([np.zeros((1, 2)), np.cumsum(lids, axis=0)])
    width = np.maximum(edges[1:] - edges[:-1], 1)[:, None]
    return ((csum[edges[1:]] - csum[edges[:-1]]) / width).astype(np.float32)


def _smooth_noise(n: int, fps: float, rng: np.random.Generator, sigma_s: float) -> np.ndarray:
    """``(n,)`` samples of a stationary unit-variance Gaussian process: white noise low-passed with a
    ``sigma_s``-second Gaussian.

    Normalised by the filter's gain (the standard deviation of filtered unit white noise), never by the
    clip's own sample std: a clip shorter than the smoothing scale is nearly constant, and dividing by
    its tiny std blew its offset up (smiles of 0.7 and yaw offsets of tens of degrees on 2 s clips;
    world version 2).
    """
    sigma = sigma_s * fps
    pad = int(3 * sigma) + 1
    x = gaussian_filter1d(rng.standard_normal(n + 2 * pad), sigma)[pad : pad + n]
    half = int(4 * sigma) + 1  # gaussian_filter1d's kernel radius (truncate=4)
    impulse = np.zeros(2 * half + 1)
    impulse[half] = 1.0
    return x / np.sqrt((gaussian_filter1d(impulse, sigma) ** 2).sum())


def head_pose(loudness: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Head pose ``(N, 6)``: axis-angle rotation (rad) then translation (m), world frame.

    Nods (pitch about x) follow the smoothed speech energy — speakers move more while they talk —
    on top of slow seed-driven drift in yaw, pitch and roll; a few degrees at most. Translation is
    what rotating about the neck pivot does to the head centre, plus a millimetre-scale sway.
    """
    n = len(loudness)
    energy = gaussian_filter1d(loudness.astype(np.float64), 0.15 * fps)
    active = energy - energy.mean()
    deg = np.pi / 180
    nod_gain = rng.uniform(3.0, 6.0) * deg  # per unit of energy deviation
    pitch = -nod_gain * active + rng.uniform(0.6, 1.5) * deg * _smooth_noise(n, fps, rng, 0.6)
    yaw = rng.uniform(1.0, 3.0) * deg * _smooth_noise(n, fps, rng, 0.9) + 0.8 * deg * active * rng.choice([-1, 1])
    roll = rng.uniform(0.3, 1.2) * deg * _smooth_noise(n, fps, rng, 1.0)
    rotvec = np.stack([pitch, yaw, roll], 1)
    rot = Rotation.from_rotvec(rotvec)
    trans = NECK_PIVOT[None] - rot.apply(NECK_PIVOT)
    trans += 0.002 * np.stack([_smooth_noise(n, fps, rng, 1.2) for _ in range(3)], 1)
    return np.concatenate([rotvec, trans], 1).astype(np.float32)


def brows(loudness: np.ndarray, fps: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(brow_raise, brow_frown)`` each ``(N,)`` in [0, 1].

    Emphasis = local maxima of the smoothed energy in its top third; each raises the brows with
    probability ~0.5 (seed) by 0.2–0.5 for ~0.4 s. The frown is a slow, small, seed-driven drift.
    """
    n = len(loudness)
    energy = gaussian_filter1d(loudness.astype(np.float64), 0.08 * fps)
    raise_ = np.zeros(n)
    if n >= 3:
        peaks = np.flatnonzero((energy[1:-1] > energy[:-2]) & (energy[1:-1] >= energy[2:])) + 1
        peaks = peaks[energy[peaks] >= np.quantile(energy, 0.67)]
        frames = np.arange(n)
        for p in peaks:
            if rng.random() < 0.5:
                raise_ += rng.uniform(0.2, 0.5) * np.exp(-0.5 * ((frames - p) / (0.12 * fps)) ** 2)
    frown = np.clip(0.08 + 0.06 * _smooth_noise(n, fps, rng, 1.5), 0, 1)
    return np.clip(raise_, 0, 1).astype(np.float32), frown.astype(np.float32)
