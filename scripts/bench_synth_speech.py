"""Seconds to synthesise 10 s of speech with its performance (espeak-ng + visemes + behaviour).

Usage: python scripts/bench_synth_speech.py [--repeats 3]
Prints the wall time per 10 s of audio for plain synthesis and for a full ``perform``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ggtalker.synth.espeak import synthesize
from ggtalker.synth.performance import VoiceSpec, perform
from ggtalker.synth.sentences import sentences


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    text = " ".join(sentences("en", "train")[:3])
    voice = VoiceSpec("en", "m3")
    perform(text, voice)  # warm the page cache for espeak-ng's data files
    synth_t, perf_t, dur = [], [], 0.0
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        utt = synthesize(text, voice.espeak_name(), rate=voice.rate, pitch=voice.pitch)
        synth_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        p = perform(text, voice, seed=1)
        perf_t.append(time.perf_counter() - t0)
        dur = p.n_frames / p.fps
    per10 = 10.0 / dur
    print(f"text: {len(text.split())} words, {dur:.2f} s of audio, {len(utt.phonemes)} phonemes")
    print(f"espeak-ng synthesis : {np.median(synth_t) * per10:.3f} s per 10 s of speech (median of {args.repeats})")
    print(f"full perform()      : {np.median(perf_t) * per10:.3f} s per 10 s of speech (median of {args.repeats})")


if __name__ == "__main__":
    main()
