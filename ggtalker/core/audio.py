"""Audio IO: every waveform inside the project is mono float32 at 16 kHz."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000


def resample(wav: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling of a mono waveform ``(S,)`` from ``sr_in`` to ``sr_out``."""
    if sr_in == sr_out:
        return wav.astype(np.float32, copy=False)
    ratio = Fraction(sr_out, sr_in).limit_denominator(10_000)
    return resample_poly(wav, ratio.numerator, ratio.denominator).astype(np.float32)


def load_audio(path: str | Path, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Read a sound file as mono float32 ``(S,)`` at ``sr`` (channels averaged, resampled)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: audio file not found")
    try:
        wav, sr_in = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises its own error type per backend
        raise ValueError(f"{path}: cannot read audio ({e})") from e
    wav = wav.mean(axis=1)
    if not np.isfinite(wav).all():
        raise ValueError(f"{path}: audio holds non-finite samples")
    return resample(wav, sr_in, sr)


def save_audio(path: str | Path, wav: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """Write mono float audio ``(S,)`` as 16-bit PCM WAV."""
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise ValueError(f"expected mono audio (S,), got shape {wav.shape}")
    sf.write(str(path), np.clip(wav, -1.0, 1.0), sr, subtype="PCM_16")
