"""Live audio for streaming benchmarks: a WAV delivered as if spoken, and the latency of what came out.

A live application reads the microphone in fixed chunks and hands the stream *everything that has arrived*
since it last asked: a stream that fell behind (a slow first chunk, a hiccup) then catches up in one larger
push instead of queueing chunks forever. :class:`PacedAudio` does that against the wall clock, and
:meth:`PacedAudio.latencies` measures, per chunk, the time from the chunk's arrival to the output of the
last frame it made final (the frames with ``lookahead`` frames of audio after them; the last chunk's also
include the frames flushed after it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np


class PacedAudio:
    """``audio`` ``(S,)`` in chunks of ``chunk`` samples, each arriving when its last sample has been spoken.

    Iterating waits for the next chunk, then yields it joined with every later chunk that has also arrived
    by then. ``clock``/``sleep`` are injectable so tests can run on a fake clock.
    """

    def __init__(self, audio: np.ndarray, chunk: int, sample_rate: int,
                 clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be at least one sample, got {chunk}")
        self.audio, self.chunk, self.sample_rate = np.asarray(audio, np.float32), int(chunk), int(sample_rate)
        self.clock, self.sleep = clock, sleep
        self.ends = np.minimum(np.arange(1, -(-len(self.audio) // self.chunk) + 1) * self.chunk, len(self.audio))
        self.t0: float | None = None
        self.pushes: list[int] = []  # chunks joined into each push

    def arrival(self, k: int) -> float:
        """Wall-clock time chunk ``k`` arrives (after iteration has started)."""
        return self.t0 + self.ends[k] / self.sample_rate

    def __iter__(self) -> Iterator[np.ndarray]:
        self.t0, k = self.clock(), 0
        while k < len(self.ends):
            wait = self.arrival(k) - self.clock()
            if wait > 0:
                self.sleep(wait)
            now, j = self.clock(), k + 1
            while j < len(self.ends) and self.arrival(j) <= now:
                j += 1
            self.pushes.append(j - k)
            yield self.audio[(self.ends[k - 1] if k else 0):self.ends[j - 1]]
            k = j

    def latencies(self, outputs: list[tuple[int, float]], samples_per_frame: int, lookahead: int) -> np.ndarray:
        """Seconds from each chunk's arrival to the output of the last frame it made final, ``(C',)`` for the
        ``C'`` chunks that made any frame final.

        Args:
            outputs: ``(frames output so far, wall-clock time)`` after each output, in order.
            samples_per_frame: audio samples per frame.
            lookahead: frames of audio past a frame that the stream awaits before emitting it.
        """
        total = outputs[-1][0] if outputs else 0
        done = np.array([n for n, _ in outputs])
        when = np.array([t for _, t in outputs])
        final = np.clip(self.ends // samples_per_frame - lookahead, 0, total)
        final[-1] = total  # the flush after the last chunk
        out, before = [], 0
        for k, f in enumerate(final):
            if f > before:
                out.append(when[np.searchsorted(done, f)] - self.arrival(k))
                before = f
        return np.asarray(out, np.float64)
