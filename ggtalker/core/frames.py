"""Frame-rate, size and audio conversions shared by the real-data loaders, the tracker and the external adapters (in core so that the tracker, below the data sources, can use them)."""

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


#: Extra frames dropped with a warning, as a fraction of the case's length; a longer video is refused (a 4x too
#: long video is another video or another frame rate, and its first quarter is not this case's performance).
MAX_SURPLUS = 0.25
#: Fraction of the picture centre-cropping may cut away: silently up to the first (an encoder's even-size
#: padding), with a warning up to the second (4:3 to 1:1 cuts 25 %); more is refused (cropping a 2:1 video,
#: say a side-by-side comparison, to 1:1 scores half of one picture and half of another).
CROP_SILENT, CROP_MAX = 0.03, 0.25
#: Pixels of size difference resized silently (even-size padding); a larger resize is a warning.
SIZE_TOLERANCE = 2


def fit_frames(frames: np.ndarray, n: int, height: int, width: int, max_pad: int = 2,
               where: str = "video") -> tuple[np.ndarray, list[str]]:
    """Fit a method's output video to the request: ``n`` frames of ``height x width``.

    Policy (documented in docs/real-data-and-adapters.md): up to ``max_pad`` missing or extra frames at the end
    are padded (the last frame repeated) or dropped silently (encoders drop or add a frame or two); up to
    :data:`MAX_SURPLUS` of ``n`` extra frames are dropped with a warning; a larger shortfall or surplus is an
    error. Another aspect ratio is centre-cropped to the target's: silently while the crop cuts at most
    :data:`CROP_SILENT` of the picture, with a warning up to :data:`CROP_MAX`, an error beyond. The frames are
    then resized (antialiased bilinear), with a warning when the size differs by more than
    :data:`SIZE_TOLERANCE` pixels.

    Returns:
        ``(frames (n, height, width, 3) uint8, warnings)``: one line per change beyond the silent tolerances,
        for the run's summary.
    """
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"{where}: expected frames (N, H, W, 3), got {frames.shape}")
    warnings: list[str] = []
    have, (h, w) = len(frames), frames.shape[1:3]
    if have < n - max_pad:
        raise ValueError(f"{where}: {have} frames, but the case needs {n} (at most {max_pad} may be padded)")
    surplus, most = have - n, max(max_pad, int(MAX_SURPLUS * n))
    if surplus > most:
        raise ValueError(f"{where}: {have} frames, but the case needs {n}: {have / n:.2f}x as long, not this case's "
                         f"video at its frame rate (at most {most} extra frames are dropped)")
    if surplus > max_pad:
        warnings.append(f"{where}: {have} frames, the case needs {n}: the last {surplus} dropped")
    frames = frames[:n]
    if len(frames) < n:
        frames = np.concatenate([frames, np.repeat(frames[-1:], n - len(frames), 0)])
    aspect, want = w / h, width / height
    cut = 1 - min(aspect, want) / max(aspect, want)
    if cut > CROP_MAX:
        raise ValueError(f"{where}: {w}x{h} frames, but the case is {width}x{height}: matching its aspect ratio "
                         f"would crop {cut:.0%} of the picture away (at most {CROP_MAX:.0%}); render the case's "
                         "aspect ratio")
    if cut > CROP_SILENT:
        warnings.append(f"{where}: {w}x{h} frames centre-cropped to the case's aspect ratio ({cut:.0%} cut away)")
    frames = center_crop(frames, want)
    ch, cw = frames.shape[1:3]
    if abs(cw - width) > SIZE_TOLERANCE or abs(ch - height) > SIZE_TOLERANCE:
        warnings.append(f"{where}: {cw}x{ch} frames{' (cropped)' if (cw, ch) != (w, h) else ''} resized to the "
                        f"case's {width}x{height}")
    return resize_frames(frames, height, width), warnings


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
