"""GGTalker inference speed at 512×512 on one GPU: audio in → frames out, batched.

    python scripts/gpu/bench_pipeline.py OUT [--seconds 10] [--batch 32] [--identity id.pt]

Times, with CUDA synchronisation, each stage of generation for ``--seconds`` of audio at 25 fps: A2E
(audio → parameters), posing the Gaussians, rasterization (gsplat), the Body Inpainter; prints frames/s
end to end (audio already loaded; video encoding excluded) and the share spent in rasterization, and
writes ``OUT/bench_pipeline.json``. Without ``--identity`` the identity is made by the zoo generator
from one SynthTalk frame rendered on the spot (no adaptation: speed does not depend on it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--identity")
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    dev = a.device
    sync = torch.cuda.synchronize if dev.startswith("cuda") else (lambda: None)
    from ggtalker.a2e.prior import A2EPrior
    from ggtalker.gaussians.adapt import IdentityState, build_runtime
    from ggtalker.gaussians.inpainter import BodyInpainter
    from ggtalker.gaussians.prior import E2VPrior
    from ggtalker.gaussians.render import facing_camera, full_params
    from ggtalker.render.gaussians import rasterization
    from ggtalker.core.cameras import intrinsics, look_at, orbit_eye

    fps, n, S = 25.0, int(a.seconds * 25), a.size
    if a.identity:
        state = IdentityState.load(a.identity)
        shell, mlp, inp = build_runtime(state)
        shell = shell.to(dev)
        uv = state.uvmap.to(dev)
        ctx = torch.from_numpy(state.context).float().permute(2, 0, 1)[None].to(dev) / 255
        ctx_head = torch.from_numpy(state.context_head).float()[None, None].to(dev)
    else:
        from ggtalker.synth.world import render_clip
        from ggtalker.core.clip import Cameras

        shell = E2VPrior.from_zoo("e2v_synthtalk", dev)
        mlp = shell.color_mlp
        K1 = intrinsics(S)[None].astype(np.float32)
        w1 = look_at(orbit_eye(0.0, 0.0))[None].astype(np.float32)
        zero = {k: np.zeros((1, d), np.float32) for k, d in {"expr": 10, "jaw": 1, "blink": 2, "pose": 6}.items()}
        ref = render_clip(20_000, {"params": zero, "fps": fps, "audio": None}, Cameras(K1, w1), S)
        img = torch.from_numpy(ref.frames).float().permute(0, 3, 1, 2).to(dev) / 255
        with torch.no_grad():
            uv = shell.generator.from_reference(shell.head, img, {k: torch.from_numpy(v).to(dev) for k, v in zero.items()},
                                                torch.from_numpy(K1).to(dev), torch.from_numpy(w1).to(dev))[0]
        inp = BodyInpainter()
        try:
            from ggtalker.zoo import load_path

            inp.load_state_dict({k: v.float() for k, v in torch.load(load_path("inpainter_synthtalk"), map_location="cpu")["state_dict"].items()})
        except (KeyError, FileNotFoundError):
            pass
        ctx, ctx_head = img, torch.from_numpy((ref.masks == 1).astype(np.float32))[None].to(dev)
    inp = inp.to(dev).eval() if inp is not None else None
    a2e = A2EPrior.from_zoo("a2e_synthtalk", dev)
    t = np.arange(int(a.seconds * 16000)) / 16000
    audio = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    yaw = 40 * np.sin(2 * np.pi * np.arange(n) / fps / 6)
    K = torch.from_numpy(np.tile(intrinsics(S)[None], (n, 1, 1)).astype(np.float32)).to(dev)
    W = torch.from_numpy(np.stack([look_at(orbit_eye(float(y), 0.0)) for y in yaw]).astype(np.float32)).to(dev)

    timings = {"a2e": 0.0, "pose": 0.0, "rasterize": 0.0, "inpaint": 0.0}
    frames = None
    with torch.no_grad():
        for rep in range(2):  # the first pass warms up kernels and caches; the second is timed
            tm = {k: 0.0 for k in timings}
            sync(); t0 = time.perf_counter()
            params = a2e.predict(audio, fps, n, seed=0)
            sync(); tm["a2e"] = time.perf_counter() - t0
            pt = full_params({k: torch.from_numpy(v).to(dev) for k, v in params.items()}, n, dev)
            for s in range(0, n, a.batch):
                e = min(n, s + a.batch)
                sync(); t1 = time.perf_counter()
                p = {k: v[s:e] for k, v in pt.items()}
                world, feat, bound = shell.head.pose(uv, p)
                base = (0.5 + bound.color).clamp(0, 1)
                cam_c = -torch.einsum("nji,nj->ni", W[s:e, :3, :3], W[s:e, :3, 3])
                colors = mlp(feat, base, p, world["means"], cam_c) if mlp is not None else base.expand(e - s, -1, -1)
                # The back-face culling of ggtalker.gaussians.render.render_head.
                opac = world["opacities"].expand(e - s, -1) * facing_camera(world["means"], world["normals"], cam_c)
                sync(); t2 = time.perf_counter()
                img, alpha, _ = rasterization(world["means"], world["quats"], world["scales"], opac, colors,
                                              W[s:e, None], K[s:e, None], S, S, render_mode="RGB+ED")
                sync(); t3 = time.perf_counter()
                rgb, al = img[:, 0, ..., :3].permute(0, 3, 1, 2), alpha[:, 0].permute(0, 3, 1, 2)
                c = ctx.expand(e - s, -1, -1, -1)
                frames = inp(rgb, al, c, ctx_head.expand(e - s, -1, -1, -1)) if inp is not None else rgb + (1 - al) * c
                frames = (frames.clamp(0, 1) * 255).byte().cpu()
                sync(); t4 = time.perf_counter()
                tm["pose"] += t2 - t1
                tm["rasterize"] += t3 - t2
                tm["inpaint"] += t4 - t3
            timings = tm
    total = sum(timings.values())
    render_total = total - timings["a2e"]
    res = {"frames": n, "size": S, "batch": a.batch, "gaussians": shell.head.n_gaussians, "seconds": timings,
           "fps_end_to_end": n / total, "fps_render_only": n / render_total,
           "rasterize_share": timings["rasterize"] / total,
           "device": torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu"}
    (out / "bench_pipeline.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
