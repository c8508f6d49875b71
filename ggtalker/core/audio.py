"""Audio IO: every waveform inside the project is mono float32 at 16 kHz."""

from __future__ import annotations

import os
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
#: Seconds a sound file may hold less than its header declares (half a video frame at 25 fps).
TRUNCATION_TOLERANCE_S = 0.02


def resample(wav: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling of a mono waveform ``(S,)`` from ``sr_in`` to ``sr_out``."""
    if sr_in == sr_out:
        return wav.astype(np.float32, copy=False)
    ratio = Fraction(sr_out, sr_in).limit_denominator(10_000)
    return resample_poly(wav, ratio.numerator, ratio.denominator).astype(np.float32)


def declared_frames(path: str | Path) -> int | None:
    """Sample frames a WAV file's header declares (its data chunk's size), or None when it is no RIFF WAV or
    its header does not say (a streamed WAV's size field is 0 or 0xFFFFFFFF).

    libsndfile quietly reads what a truncated WAV holds; the header tells how much there should be.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block = None
        while len(chunk := f.read(8)) == 8:
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(size + size % 2)
                block = struct.unpack("<H", fmt[12:14])[0] if len(fmt) >= 14 else None
            elif cid == b"data":
                return None if not block or size in (0, 0xFFFFFFFF) else size // block
            else:
                f.seek(size + size % 2, os.SEEK_CUR)
    return None


def load_audio(path: str | Path, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Read a sound file as mono float32 ``(S,)`` at ``sr`` (channels averaged, resampled).

    A file holding less than its header declares (by more than :data:`TRUNCATION_TOLERANCE_S`) is refused:
    scoring the first half of a clip as the whole would be a silently wrong number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: audio file not found")
    try:
        wav, sr_in = sf.read(str(path), dtype="float32", always_2d=True)
        declared = declared_frames(path) or sf.info(str(path)).frames
    except Exception as e:  # soundfile raises its own error type per backend
        raise ValueError(f"{path}: cannot read audio ({e})") from e
    if declared and declared - len(wav) > TRUNCATION_TOLERANCE_S * sr_in:
        raise ValueError(f"{path}: truncated: its header declares {declared / sr_in:.3f} s of audio but the file "
                         f"holds {len(wav) / sr_in:.3f} s (an interrupted copy or export?); write it again")
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
