"""The README's demo: GGTalker adapted to a SynthTalk test identity, driven by out-of-distribution speech.

    python scripts/make_demo.py --out leaderboards/media [--size 128] [--device cpu]

Adapts GGTalker (the registered method's settings) to test identity 0 from its training clip of the
``self_reenact`` suite at smoke scale, speaks the first Finnish test sentence (an unseen language) in the
first unseen voice, and renders it with ``scripts/talk.py`` from a fixed frontal camera and on a ±40° orbit.
Writes ``ood.wav``, ``ood_frontal.mp4``, ``ood_orbit.mp4`` and ``ood_frames.png`` (six frames of each video,
frontal row above orbit row). It runs the user-facing scripts themselves, so the demo is what they do.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import imageio.v3 as iio
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ggtalker.core.audio import save_audio  # noqa: E402


def _run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run([sys.executable, *args], cwd=REPO, check=True)


def frame_strip(videos: list[Path], n: int = 6) -> np.ndarray:
    """``n`` evenly spaced frames of each video side by side, one row per video ``(rows*H, n*W, 3)``."""
    rows = []
    for v in videos:
        frames = iio.imread(v, plugin="pyav")
        pick = np.linspace(0, len(frames) - 1, n).round().astype(int)
        rows.append(np.concatenate([frames[i] for i in pick], axis=1))
    return np.concatenate(rows, axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    from ggtalker.synth.performance import perform
    from ggtalker.synth.sentences import OOD_VOICES, sentences, with_language
    from ggtalker.synth.sources import self_reenact

    args.out.mkdir(parents=True, exist_ok=True)
    train_clip = self_reenact("smoke")[0].train[0]
    perf = perform(sentences("fi", "test")[0], with_language(OOD_VOICES[0], "fi"), seed=0)
    wav = args.out / "ood.wav"
    save_audio(wav, perf.audio)
    with tempfile.TemporaryDirectory() as tmp:
        ident = Path(tmp) / "id0.pt"
        _run("scripts/adapt_identity.py", "--clip", str(train_clip), "--out", str(ident), "--device", args.device)
        videos = []
        for cam in ("frontal", "orbit"):
            video = args.out / f"ood_{cam}.mp4"
            _run("scripts/talk.py", "--identity", str(ident), "--audio", str(wav), "--out", str(video),
                 "--camera", cam, "--size", str(args.size), "--device", args.device)
            videos.append(video)
    iio.imwrite(args.out / "ood_frames.png", frame_strip(videos))
    print(f"wrote {args.out}/ood.wav, ood_frontal.mp4, ood_orbit.mp4, ood_frames.png")


if __name__ == "__main__":
    main()
