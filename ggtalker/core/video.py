"""Video IO through PyAV: frames as uint8 ``(N, H, W, 3)`` RGB, optional muxed audio."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

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

    Odd sizes are padded by one pixel because yuv420p needs even dimensions.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 (N, H, W, 3), got {frames.dtype} {frames.shape}")
    n, h, w, _ = frames.shape
    ph, pw = h + h % 2, w + w % 2
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part.mp4")
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(tmp), mode="w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = pw, ph, "yuv420p"
        vs.options = {"crf": str(crf)}
        aus = None
        if audio is not None:
            aus = out.add_stream("aac", rate=sample_rate)
            aus.layout = "mono"
        for img in frames:
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if aus is not None:
            a = np.clip(np.asarray(audio, dtype=np.float32), -1, 1)[None, :]
            af = av.AudioFrame.from_ndarray(a, format="fltp", layout="mono")
            af.sample_rate = sample_rate
            for pkt in aus.encode(af):
                out.mux(pkt)
            for pkt in aus.encode():
                out.mux(pkt)
    tmp.replace(path)
