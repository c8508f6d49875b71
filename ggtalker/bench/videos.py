"""Videos of what was scored: truth | prediction side by side with the case's audio, and a novel-view run's
yaw ring (every view of one identity, truth above prediction).

The runner's :class:`VideoSaver` writes them into ``<run folder>/videos/`` (each file appears whole or not
at all: :class:`~ggtalker.core.video_writer.VideoWriter` renames a finished temporary file) and returns their
paths relative to the run folder, which the records name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.video_writer import VideoWriter

#: Folder of a run's videos, inside the run folder.
VIDEO_DIR = "videos"
#: Frames encoded per call: memory stays bounded by a chunk, not a clip.
CHUNK = 32
#: A ring tile's longest side at most (a full-scale ring of 15 views at 512 px would be 7,680 px wide).
RING_TILE = 128
#: The case tag that makes a suite's cases views of one performance (:func:`ggtalker.synth.sources.novel_view`).
RING_TAG = "yaw"


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``(n, H, W, 3)`` and ``(n, H, W', 3)`` uint8 → ``(n, H, W + W', 3)``: ``left`` beside ``right``."""
    if left.shape[:2] != right.shape[:2]:
        raise ValueError(f"side_by_side needs the same frames and height, got {left.shape} and {right.shape}")
    return np.concatenate([left, right], axis=2)


def write_frames(path: Path, frames: np.ndarray, fps: float, audio: np.ndarray | None) -> Path:
    """Encode ``frames`` ``(n, H, W, 3)`` uint8 with ``audio`` ``(S,)`` at 16 kHz (or None) as an mp4."""
    n, h, w, _ = frames.shape
    with VideoWriter(path, fps, w, h, audio=audio, sample_rate=SAMPLE_RATE) as out:
        for i in range(0, n, CHUNK):
            out.write(np.ascontiguousarray(frames[i:i + CHUNK]))
    return Path(path)


def shrink(frames: np.ndarray, max_side: int = RING_TILE) -> np.ndarray:
    """``(n, H, W, 3)`` → every k-th pixel, the smallest integer k that brings the longest side to ``max_side``
    or below (a ring is for looking at, not for scoring: no resampling filter needed)."""
    k = max(1, -(-max(frames.shape[1:3]) // max_side))
    return frames[:, ::k, ::k]


def ring(views: list[tuple[float, np.ndarray, np.ndarray]]) -> np.ndarray:
    """``[(yaw, truth, pred)]`` with ``(n, h, w, 3)`` tiles → ``(n, 2h, V·w, 3)``: the views in yaw order,
    truth in the top row, prediction below. Views of unequal length are cut to the shortest."""
    views = sorted(views, key=lambda v: v[0])
    n = min(len(t) for _, t, _ in views)
    top = np.concatenate([t[:n] for _, t, _ in views], axis=2)
    bottom = np.concatenate([p[:n] for _, _, p in views], axis=2)
    return np.concatenate([top, bottom], axis=1)


@dataclass
class VideoSaver:
    """Writes the videos of one run: :meth:`case` for the first ``k`` cases, :meth:`identity_done` for the
    yaw ring of the first identity whose cases carry a ``yaw`` tag.

    Args:
        run_dir: the run folder; videos go to ``run_dir/videos/``.
        k: how many cases get a side-by-side video (0: none, and no ring).
    """

    run_dir: Path
    k: int
    written: list[dict[str, str]] = field(default_factory=list)
    _views: list[tuple[float, np.ndarray, np.ndarray]] = field(default_factory=list)
    _ring_identity: str | None = None
    _ring_done: bool = False
    _audio: np.ndarray | None = None
    _fps: float = 25.0

    def case(self, case_id: str, identity: str, tags: dict[str, str], truth: np.ndarray | None,
             pred: np.ndarray | None, audio: np.ndarray | None, fps: float) -> str:
        """Save case ``case_id``'s truth | prediction (``(n, H, W, 3)`` uint8 each) while fewer than ``k`` are
        saved; returns its path relative to the run folder, or '' when none was written (no frames to show,
        or ``k`` reached)."""
        if truth is None or pred is None or self.k <= 0:
            return ""
        if RING_TAG in tags and not self._ring_done and self._ring_identity in (None, identity):
            self._ring_identity, self._audio, self._fps = identity, audio, fps
            self._views.append((float(tags[RING_TAG]), shrink(truth), shrink(pred)))
        if sum(v["kind"] == "case" for v in self.written) >= self.k:
            return ""
        rel = f"{VIDEO_DIR}/{case_id}.mp4"
        write_frames(self.run_dir / rel, side_by_side(truth, pred), fps, audio)
        self.written.append({"kind": "case", "case": case_id, "path": rel})
        return rel

    def identity_done(self, identity: str) -> str:
        """After the last case of ``identity``: write its yaw ring when it is the ring's identity and has two
        views or more; returns the ring's relative path or ''."""
        if self._ring_done or identity != self._ring_identity:
            return ""
        self._ring_done = True
        views, self._views = self._views, []
        if len(views) < 2:
            return ""
        rel = f"{VIDEO_DIR}/{identity}_ring.mp4"
        write_frames(self.run_dir / rel, ring(views), self._fps, self._audio)
        self.written.append({"kind": "ring", "case": identity, "path": rel})
        return rel
