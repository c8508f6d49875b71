"""GGTalker inference speed at 512×512 on one GPU: audio in → frames out, batched.

    python scripts/gpu/bench_pipeline.py OUT [--seconds 10] [--batch 32] [--identity id.pt] [--e2v e2v_synthtalk_v2]
        [--save-identity id.pt] [--record-speed]

Times, with CUDA synchronisation, each stage of ``Talker.drive_chunks`` for ``--seconds`` of audio at 25 fps:
``motion`` (A2E, audio → parameters), ``pose`` (posing and colouring the Gaussians), ``rasterize`` (gsplat),
``composite`` (the Body Inpainter, frames to uint8 on the host); prints frames/s end to end (audio already
loaded; video encoding excluded) and the share spent in rasterization, and writes ``OUT/bench_pipeline.json``.
Without ``--identity`` the identity is made by the zoo generator from one SynthTalk frame rendered on the
spot (``Talker.adapt`` with no optimisation steps: speed does not depend on them); ``--save-identity`` keeps it
(for ``scripts/talk.py --stream``). ``--record-speed`` upserts the result into ``leaderboards/speed.csv``
(``what=pipeline``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from ggtalker.core.cameras import camera_path
from ggtalker.talker import AdaptConfig, HeadAdaptConfig, Identity, Talker


def reference_clip(size: int):
    """One frontal SynthTalk frame of a test identity at rest, with its masks, cameras and parameters."""
    from ggtalker.core.params import PARAM_DIMS
    from ggtalker.synth.world import render_clip

    zero = {k: np.zeros((1, d), np.float32) for k, d in PARAM_DIMS.items()}
    return render_clip(20_000, {"params": zero, "fps": 25.0, "audio": None}, camera_path("frontal", 1, size), size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--identity")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--e2v", default=None, help="zoo E2V prior (default: the Talker's); sets the head's Gaussian count")
    ap.add_argument("--save-identity", default=None, help="write the identity it made here")
    ap.add_argument("--record-speed", action="store_true", help="upsert the result into leaderboards/speed.csv")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    fps, n, S = 25.0, int(a.seconds * 25), a.size
    talker = Talker.from_zoo(a.device, chunk=a.batch, **({"e2v": a.e2v} if a.e2v else {}))
    if a.identity:
        identity = Identity.load(a.identity, a.device)
    else:
        still = HeadAdaptConfig(steps_uv=0, steps_joint=0, steps_inpaint=0)
        identity = talker.adapt([reference_clip(S)], AdaptConfig(head=still, a2e=None, max_frames=1))
        if a.save_identity:
            identity.save(a.save_identity)
    t = np.arange(int(a.seconds * 16000)) / 16000
    audio = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    cams = camera_path("orbit", n, S, fps)

    timings: dict[str, float] = {}
    for _ in range(2):  # the first pass warms up kernels and caches; the second is timed
        timings = {}
        _, chunks = talker.drive_chunks(identity, audio, cams, S, fps=fps, seed=0, depth=False, timings=timings)
        for _chunk in chunks:
            pass
    total = sum(timings.values())
    render_total = total - timings["motion"]
    res = {"frames": n, "size": S, "batch": a.batch, "gaussians": identity.head.report.get("n_gaussians"),
           "seconds": timings, "fps_end_to_end": n / total, "fps_render_only": n / render_total,
           "rasterize_share": timings["rasterize"] / total,
           "device": torch.cuda.get_device_name() if a.device.startswith("cuda") else "cpu"}
    (out / "bench_pipeline.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))
    if a.record_speed:
        from ggtalker.bench.records import device_name
        from ggtalker.bench.speed import record_speed

        record_speed({"what": "pipeline", "device": device_name(a.device), "gaussians": res["gaussians"], "size": S,
                      "batch": a.batch, "fps_end_to_end": round(res["fps_end_to_end"], 1), "seconds": round(total, 3),
                      "command": f"python scripts/gpu/bench_pipeline.py OUT --seconds {a.seconds:g} --batch {a.batch} "
                                 f"--size {S}" + (f" --e2v {a.e2v}" if a.e2v else "")})


if __name__ == "__main__":
    main()
