"""Formant frequencies of short voiced segments by autocorrelation LPC.

Used to check the synthetic world's vowel labels against its own audio (``scripts/vowel_formants.py``):
jaw opening follows the first formant, so F1 says how open a vowel sounds. Written here because scipy
has no formant tracker and a dozen lines avoid a dependency (Praat's Burg tracker through parselmouth
would be the heavier alternative).
"""

from __future__ import annotations

import numpy as np
import scipy.signal as ss
from scipy.linalg import solve_toeplitz


def formants(segment: np.ndarray, sr: int, order: int = 12, max_bandwidth: float = 400.0,
             min_hz: float = 200.0) -> list[float]:
    """Formant frequencies (Hz, ascending) of a voiced ``segment`` ``(S,)`` of 20–50 ms sampled at ``sr``.

    Above 16 kHz the segment is decimated by two (the formants of interest lie under 5 kHz), then
    pre-emphasised (0.63) and Hamming-windowed; roots of the order-``order`` LPC polynomial above
    ``min_hz`` whose bandwidth is under ``max_bandwidth`` are formants. An empty list when the segment is
    silent or too short.
    """
    x = np.asarray(segment, np.float64)
    fs = float(sr)
    if sr > 16_000:
        x, fs = ss.resample_poly(x, 1, 2), sr / 2.0
    if len(x) <= order + 1:
        return []
    x = ss.lfilter([1.0, -0.63], 1.0, x) * np.hamming(len(x))
    r = np.correlate(x, x, "full")[len(x) - 1 : len(x) + order]
    if r[0] <= 1e-12:
        return []
    a = np.concatenate([[1.0], solve_toeplitz(r[:order], -r[1 : order + 1])])
    roots = np.roots(a)
    roots = roots[np.imag(roots) > 0]
    freq = np.angle(roots) * fs / (2 * np.pi)
    bandwidth = -fs / np.pi * np.log(np.abs(roots))
    return sorted(float(f) for f in freq[(freq > min_hz) & (bandwidth < max_bandwidth)])
