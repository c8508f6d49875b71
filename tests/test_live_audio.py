"""PacedAudio: chunks arrive on the (fake) clock, a late consumer gets them joined, latencies per chunk."""

from __future__ import annotations

import numpy as np
import pytest

from ggtalker.bench.live import PacedAudio


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_a_consumer_in_time_gets_every_chunk_alone_and_no_latency_beyond_its_work() -> None:
    clock = FakeClock()
    audio = np.arange(10 * 40, dtype=np.float32)  # 10 frames of 40 samples, chunks of 2 frames
    paced = PacedAudio(audio, 80, 400, clock=clock, sleep=clock.sleep)  # 400 Hz: a chunk is 0.2 s
    got, outputs, n = [], [], 0
    for push in paced:
        got.append(push)
        clock.t += 0.05  # work
        n = min(10, n + len(push) // 40)
        outputs.append((n, clock()))
    assert paced.pushes == [1] * 5
    np.testing.assert_array_equal(np.concatenate(got), audio)
    # lookahead 0: chunk k makes frames up to its end final and outputs them 50 ms after its arrival.
    np.testing.assert_allclose(paced.latencies(outputs, 40, 0), 0.05)


def test_a_consumer_behind_gets_the_arrived_chunks_joined_and_their_wait_counts() -> None:
    clock = FakeClock()
    audio = np.zeros(10 * 40, np.float32)
    paced = PacedAudio(audio, 40, 400, clock=clock, sleep=clock.sleep)  # one frame a chunk, 0.1 s each
    outputs, heard, first = [], 0, True
    for push in paced:
        clock.t += 0.35 if first else 0.01  # a slow first push (0.35 s), then fast ones
        first = False
        heard += len(push) // 40
        outputs.append((heard - 1, clock()))  # lookahead 1: a frame waits for the next one's audio
    outputs.append((10, clock()))  # the flush
    # Chunk 0 arrives at 0.1 and is done at 0.45; chunks 1-3 (arrived by 0.4, 0.45 counts 4 too) come in one push.
    assert paced.pushes[0] == 1 and paced.pushes[1] == 3 and sum(paced.pushes) == 10
    lat = paced.latencies(outputs, 40, 1)
    # Chunk 0 made no frame final (lookahead 1); chunks 1-3 (arrived at 0.2, 0.3, 0.4) waited for the joined push
    # that ended at 0.46; from chunk 4 on the stream is in time again (10 ms of work a chunk, the flush included).
    np.testing.assert_allclose(lat, [0.26, 0.16, 0.06] + [0.01] * 6, atol=1e-9)


def test_bad_chunk_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="chunk"):
        PacedAudio(np.zeros(10, np.float32), 0, 16_000)
