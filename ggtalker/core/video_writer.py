"""Write an mp4 chunk by chunk: frames go to the encoder as they come, so memory stays bounded whatever the length.

H.264 (yuv420p) with mono AAC; :func:`ggtalker.core.video.write_video` is the all-frames-at-once call of it. The
audio is muxed alongside the frames it belongs to; the file appears under its name only once closed
(written as a temporary sibling, then renamed).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


class VideoWriter:
    """``with VideoWriter(path, fps, width, height, audio) as w: w.write(frames)`` for chunks ``(n, H, W, 3)`` uint8.

    Args:
        audio: ``(S,)`` mono float at ``sample_rate``, or None for a silent video.
        crf: x264 quality (18: visually lossless).
    Odd sizes are padded by one pixel (yuv420p needs even dimensions).
    """

    def __init__(self, path: str | Path, fps: float, width: int, height: int, audio: np.ndarray | None = None,
                 sample_rate: int = 16_000, crf: int = 18) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(self.path.name + ".part.mp4")
        self.fps, self.width, self.height, self.sample_rate = fps, width, height, sample_rate
        self.audio = None if audio is None else np.clip(np.asarray(audio, np.float32), -1, 1)
        self.n_frames, self.n_samples = 0, 0
        import av  # here, not at import: code that writes no video (the GPU fit jobs) does not need PyAV

        self._av = av
        self.out = av.open(str(self.tmp), mode="w")
        self.video = self.out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self.video.width, self.video.height, self.video.pix_fmt = width + width % 2, height + height % 2, "yuv420p"
        self.video.options = {"crf": str(crf)}
        self.sound = None
        if self.audio is not None:
            self.sound = self.out.add_stream("aac", rate=sample_rate)
            self.sound.layout = "mono"

    def write(self, frames: np.ndarray) -> None:
        """Encode ``frames`` ``(n, H, W, 3)`` uint8, and the audio up to their end."""
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[1:] != (self.height, self.width, 3) or frames.dtype != np.uint8:
            raise ValueError(f"frames must be uint8 (n, {self.height}, {self.width}, 3), got {frames.dtype} {frames.shape}")
        pad = ((0, 0), (0, self.height % 2), (0, self.width % 2), (0, 0))
        if any(p[1] for p in pad):
            frames = np.pad(frames, pad, mode="edge")
        for img in frames:
            for pkt in self.video.encode(self._av.VideoFrame.from_ndarray(img, format="rgb24")):
                self.out.mux(pkt)
        self.n_frames += len(frames)
        self._audio_until(int(round(self.n_frames / self.fps * self.sample_rate)))

    def _audio_until(self, stop: int) -> None:
        if self.sound is None or stop <= self.n_samples:
            return
        a = self.audio[self.n_samples : stop]
        self.n_samples = stop
        if len(a):
            af = self._av.AudioFrame.from_ndarray(a[None, :], format="fltp", layout="mono")
            af.sample_rate = self.sample_rate
            for pkt in self.sound.encode(af):
                self.out.mux(pkt)

    def close(self) -> Path:
        """Flush the encoders (the rest of the audio too), close the file and move it into place."""
        for pkt in self.video.encode():
            self.out.mux(pkt)
        if self.sound is not None:
            self._audio_until(len(self.audio))
            for pkt in self.sound.encode():
                self.out.mux(pkt)
        self.out.close()
        self.tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        """Close and delete the partial file."""
        self.out.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
