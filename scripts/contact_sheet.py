"""Render a SynthTalk contact sheet (identities x expressions x views) and a short talking clip with audio.

    python scripts/contact_sheet.py --out /tmp/synthtalk_sheet [--identities 0 1 2 3 4 5] [--size 192]

Writes ``sheet.png`` (one row per identity: neutral, jaw open, smile, lip round, blink + brow raise, then
yaw 45, yaw 90 and a pitched view) and ``talk.mp4`` (the first identity speaking a test sentence, phone camera).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

from ggtalker.core.clip import Cameras
from ggtalker.core.video import write_video
from ggtalker.synth.cameras import phone_cameras, static_cameras
from ggtalker.synth.head import head_model
from ggtalker.core.params import EXPR_NAMES
from ggtalker.synth.render import Renderer

E = {n: i for i, n in enumerate(EXPR_NAMES)}
#: (label, expr values, jaw, blink, yaw, pitch)
POSES = [
    ("neutral", {}, 0.0, 0.0, 0, 0),
    ("jaw open", {"upper_lip_raise": 0.4}, 0.7, 0.0, 0, 0),
    ("smile", {"smile": 1.0, "lip_spread": 0.5}, 0.1, 0.0, 0, 0),
    ("lip round", {"lip_round": 1.0}, 0.15, 0.0, 0, 0),
    ("blink+brows", {"brow_raise": 1.0}, 0.0, 1.0, 0, 0),
    ("yaw 45 talk", {"lower_lip_depress": 0.5}, 0.4, 0.0, 45, 0),
    ("yaw 90", {}, 0.0, 0.0, 90, 0),
    ("yaw -60 pitch 25", {"brow_frown": 1.0}, 0.2, 0.0, -60, 25),
]


def sheet(identities: list[int], size: int) -> np.ndarray:
    rows = []
    n = len(POSES)
    for ident in identities:
        m = head_model(ident)
        expr = np.zeros((n, len(EXPR_NAMES)), np.float32)
        for i, (_, ex, *_rest) in enumerate(POSES):
            for k, v in ex.items():
                expr[i, E[k]] = v
        params = {"expr": expr, "jaw": np.array([[p[2]] for p in POSES], np.float32),
                  "blink": np.array([[p[3], p[3]] for p in POSES], np.float32)}
        cs = [static_cameras(1, size, p[4], p[5]) for p in POSES]
        cams = Cameras(np.concatenate([c.K for c in cs]), np.concatenate([c.w2c for c in cs]))
        r = Renderer(m, size, size)
        frames, _, _ = r.render(m.vertices(params), cams)
        r.release()
        rows.append(np.concatenate(list(frames), 1))
    return np.concatenate(rows, 0)


def talk(identity: int, size: int, out: Path) -> None:
    from ggtalker.synth.performance import perform
    from ggtalker.synth.sentences import sentences
    from ggtalker.synth.splits import identity_voice
    from ggtalker.synth.world import render_clip

    perf = perform(sentences("en", "test")[0], identity_voice(identity), seed=identity)
    clip = render_clip(identity, perf, phone_cameras(perf.n_frames, size, identity), size, progress=True)
    write_video(out, clip.frames, clip.fps, audio=clip.audio)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--identities", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--no-video", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    a.out.mkdir(parents=True, exist_ok=True)
    iio.imwrite(a.out / "sheet.png", sheet(a.identities, a.size))
    print(f"wrote {a.out / 'sheet.png'}  (columns: {', '.join(p[0] for p in POSES)})")
    if not a.no_video:
        talk(a.identities[0], max(a.size, 256), a.out / "talk.mp4")
        print(f"wrote {a.out / 'talk.mp4'}")


if __name__ == "__main__":
    main()
