"""Benchmark: load the zoo prior on the CPU and predict parameters for a 10-second WAV.

    python scripts/bench_a2e.py [--wav FILE] [--threads 2] [--zoo a2e_synthtalk | --checkpoint FILE] [--repeats 3]

Without ``--wav`` it synthesises 10 s of SynthTalk speech (training-split sentences). Prints the load time,
the time of the first prediction (features included) and the median of the following ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def bench_audio(seconds: float, audio: np.ndarray | None = None) -> np.ndarray:
    """``seconds`` of 16 kHz audio: ``audio`` or, when None, SynthTalk speech (4 training-split sentences),
    zero-padded or cut to length so every run predicts the same number of frames."""
    if audio is None:
        from ggtalker.synth.performance import perform
        from ggtalker.synth.sentences import TRAIN_VOICES, sentences

        audio = perform(" ".join(sentences("en", "train")[:4]), TRAIN_VOICES[0], seed=0).audio
    n = int(seconds * 16000)
    return np.pad(audio, (0, max(0, n - len(audio))))[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wav", help="a WAV file (any rate; read at 16 kHz)")
    ap.add_argument("--zoo", default="a2e_synthtalk")
    ap.add_argument("--checkpoint", help="a checkpoint file instead of the zoo entry")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from ggtalker.a2e.prior import A2EPrior
    from ggtalker.core.audio import load_audio

    audio = bench_audio(args.seconds, load_audio(args.wav) if args.wav else None)
    t0 = time.perf_counter()
    prior = A2EPrior.load(args.checkpoint) if args.checkpoint else A2EPrior.from_zoo(args.zoo)
    load_s = time.perf_counter() - t0
    times = []
    for r in range(1 + args.repeats):
        t0 = time.perf_counter()
        out = prior.predict(audio, fps=25.0, seed=r)
        times.append(time.perf_counter() - t0)
    n = len(out["expr"])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus visible, torch threads {args.threads}, "
          f"load avg {os.getloadavg()[0]:.1f}")
    print(f"audio {len(audio) / 16000:.1f} s -> {n} frames; {args.checkpoint or 'zoo ' + args.zoo} ({prior.mode}, {prior.steps} DDIM steps, "
          f"guidance {prior.guidance})")
    print(f"load {load_s:.2f} s; first predict {times[0]:.2f} s; median of {args.repeats} more {np.median(times[1:]):.2f} s "
          f"({n / np.median(times[1:]):.0f} frames/s)")


if __name__ == "__main__":
    main()
