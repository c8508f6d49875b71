"""Adapt GGTalker to a person from their clip(s) and save the identity checkpoint that scripts/talk.py reads.

    python scripts/adapt_identity.py --clip CLIP_DIR [CLIP_DIR ...] --out me.pt [--method ggtalker] [--device cpu]
    python scripts/adapt_identity.py --video my.mp4 --out me.pt

Clip folders are in the harness' clip format (frames, audio, cameras, tracked params, masks). ``--video`` tracks
each video first (``scripts/track.py``'s tracker: face crop, head fit, masks; cached by the video's content) and
adapts to the tracked clips; a video with no face or several stops with one error naming it before adaptation. The priors and
the adaptation budget are the registered method's at ``--scale`` (``eval/conf/method/<method>.yaml`` with
``eval/conf/preset/<method>/<scale>.yaml`` over it, as ``eval/run.py`` composes them): its ``Talker`` and
``AdaptConfig``. Override with ``--set adapt.steps_uv=200`` style arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from ggtalker.bench.method_config import method_params
from ggtalker.bench.suite import SCALES
from ggtalker.core.clip import ClipError, read_clip
from ggtalker.core.registry import METHODS


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--clip", nargs="+")
    src.add_argument("--video", nargs="+", help="videos of the person (tracked first, cached)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--method", default="ggtalker")
    ap.add_argument("--scale", default="smoke", choices=SCALES,
                    help="whose preset: smoke (the CPU default) or full (a GPU budget)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--set", nargs="*", default=[], help="dotted overrides of the method params, e.g. adapt.steps_uv=200")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    # Inputs are checked before the adaptation starts.
    try:
        spec = {"target": METHODS.spec(a.method)["target"], "params": method_params(a.method, a.scale, a.set)}
        method = METHODS.build(spec, device=a.device)
        talker, config = method.talker, method.adapt_config  # a GGTalker method: its model and budget
        if a.video:
            from ggtalker.track.pipeline import tracked_clip

            clips = [read_clip(tracked_clip(Path(v))) for v in a.video]
        else:
            clips = [read_clip(p) for p in a.clip]
        out_dir = Path(a.out).resolve().parent
        out_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(out_dir, os.W_OK):
            raise ValueError(f"{out_dir}: cannot write the identity there")
    except AttributeError:
        ap.exit(2, f"adapt_identity.py: error: method {a.method!r} is not a GGTalker method (it has no Talker)\n")
    except (OSError, ValueError, KeyError, TypeError, ClipError) as e:
        ap.exit(2, f"adapt_identity.py: error: {e.args[0] if isinstance(e, KeyError) else e}\n")
    t0 = time.perf_counter()
    identity = talker.adapt(clips, config, name=str(clips[0].meta.get("identity", clips[0].id)))
    identity.report["prepare_s"] = time.perf_counter() - t0
    path = identity.save(a.out)
    report = {"head": identity.head.report, **identity.report}
    print(f"wrote {path} in {time.perf_counter() - t0:.0f} s: {json.dumps(report, default=str)}")


if __name__ == "__main__":
    main()
