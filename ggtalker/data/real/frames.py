"""Frame-rate, size and audio conversions shared by the real-data loaders and the external adapters."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F

from ggtalker.core.audio import SAMPLE_RATE


def resample_indices(n_src: int, fps_src: float, fps_out: float) -> np.ndarray:
    """Source frame index of each output frame when changing frame rate by nearest-frame selection.

    Output frame ``k`` shows the source frame at time ``k / fps_out`` (rounded), as ``ffmpeg -vf fps=``
    does; no frame interpolation. Returns ``(M,)`` int64 with ``M = floor(n_src * fps_out / fps_src)``.
    """
    if fps_src <= 0 or fps_out <= 0:
        raise ValueError(f"frame rates must be positive, got {fps_src} -> {fps_out}")
    m = int(np.floor(n_src * fps_out / fps_src + 1e-6))
    idx = np.round(np.arange(m) * fps_src / fps_out).astype(np.int64)
    return np.minimum(idx, n_src - 1)


def center_crop(frames: np.ndarray, aspect: float) -> np.ndarray:
    """Crop ``(N, H, W, C)`` about the centre to width/height ratio ``aspect`` (the largest such window)."""
    h, w = frames.shape[1:3]
    if abs(w / h - aspect) < 1e-6:
        return frames
    if w / h > aspect:
        cw = int(round(h * aspect))
        x0 = (w - cw) // 2
        return frames[:, :, x0:x0 + cw]
    ch = int(round(w / aspect))
    y0 = (h - ch) // 2
    return frames[:, y0:y0 + ch]


def resize_frames(frames: np.ndarray, height: int, width: int, batch: int = 64) -> np.ndarray:
    """Resize uint8 ``(N, H, W, 3)`` to ``(N, height, width, 3)``: antialiased bilinear (torch), in batches."""
    if frames.shape[1:3] == (height, width):
        return frames
    out = np.empty((len(frames), height, width, frames.shape[3]), np.uint8)
    for s in range(0, len(frames), batch):
        x = torch.from_numpy(np.ascontiguousarray(frames[s:s + batch])).permute(0, 3, 1, 2).float()
        y = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        out[s:s + batch] = y.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    return out


def fit_frames(frames: np.ndarray, n: int, height: int, width: int, max_pad: int = 2,
               where: str = "video") -> np.ndarray:
    """Fit a method's output video to the request: ``n`` frames of ``height x width``.

    Policy (documented in docs/real-data-and-adapters.md): extra frames at the end are dropped; up to
    ``max_pad`` missing frames are filled by repeating the last (encoders drop a frame or two); a larger
    shortfall is an error. A different aspect ratio is centre-cropped to the target's, then the frames are
    resized (antialiased bilinear).
    """
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"{where}: expected frames (N, H, W, 3), got {frames.shape}")
    if len(frames) < n - max_pad:
        raise ValueError(f"{where}: {len(frames)} frames, but the case needs {n} (at most {max_pad} may be padded)")
    frames = frames[:n]
    if len(frames) < n:
        frames = np.concatenate([frames, np.repeat(frames[-1:], n - len(frames), 0)])
    frames = center_crop(frames, width / height)
    return resize_frames(frames, height, width)


def read_video_audio(path: str | Path, sr: int = SAMPLE_RATE) -> np.ndarray | None:
    """The first audio stream of a video file as mono float32 ``(S,)`` at ``sr``; None when it has none."""
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
            chunks = []
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as e:
        raise ValueError(f"{path}: cannot decode audio ({e})") from e
    if not chunks:
        return None
    return np.concatenate(chunks).astype(np.float32)


def fit_audio(audio: np.ndarray, n_frames: int, fps: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Trim or zero-pad audio ``(S,)`` to exactly ``n_frames / fps`` seconds (AAC encoders pad/shorten the ends)."""
    want = int(round(n_frames / fps * sr))
    if len(audio) >= want:
        return audio[:want]
    return np.concatenate([audio, np.zeros(want - len(audio), np.float32)])
