"""Video IO through PyAV: frames as uint8 ``(N, H, W, 3)`` RGB, optional muxed audio."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ggtalker.core.video_writer import VideoWriter

#: Frames a video may decode short of the count its container declares (edit lists, a dropped last frame).
TRUNCATION_TOLERANCE_FRAMES = 2


def read_video(path: str | Path) -> tuple[np.ndarray, float]:
    """Decode every frame of a video file. Returns frames ``(N, H, W, 3)`` uint8 and fps.

    A file that decodes to fewer frames than its container declares is refused as truncated (a "faststart"
    mp4 keeps its index at the front, so half a file still opens and decodes, to half the frames).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: video file not found")
    declared = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            declared = int(stream.frames or 0)
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    except av.error.FFmpegError as e:
        said = f"; the container declares {declared} frames: a truncated file?" if declared else ""
        raise ValueError(f"{path}: cannot decode video ({e}{said})") from e
    if not frames:
        raise ValueError(f"{path}: video holds no frames")
    if declared and declared - len(frames) > TRUNCATION_TOLERANCE_FRAMES:
        raise ValueError(f"{path}: truncated: the container declares {declared} frames but only {len(frames)} "
                         "decode (an interrupted copy or encode?); write it again")
    return np.stack(frames), fps


def write_video(
    path: str | Path,
    frames: np.ndarray,
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int = 16_000,
    crf: int = 18,
) -> None:
    """Encode frames ``(N, H, W, 3)`` uint8 as H.264 mp4, with mono float audio ``(S,)`` as AAC.

    Odd sizes are padded by one pixel because yuv420p needs even dimensions. All frames at once: for long
    videos stream them with :class:`ggtalker.core.video_writer.VideoWriter`, which this is a call of.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 (N, H, W, 3), got {frames.dtype} {frames.shape}")
    with VideoWriter(path, fps, frames.shape[2], frames.shape[1], audio, sample_rate, crf) as video:
        video.write(frames)
