"""SynthTalk generation speed: frames/s of posing + rendering (colour, masks, landmarks) a talking clip.

    python scripts/bench_synth.py --size 256 --frames 100 [--samples 0] [--out DIR]

Prints frames/s for the whole of ``render_clip`` and for its parts (posing the mesh, normals, GL draw +
read-back). Uses whatever EGL device is present (llvmpipe on a CPU, the NVIDIA driver on a GPU machine).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import psutil
import torch

from ggtalker.synth.cameras import phone_cameras
from ggtalker.synth.gl import gl_context, vertex_normals
from ggtalker.synth.head import head_model
from ggtalker.synth.performance import VoiceSpec, perform
from ggtalker.synth.recipes import trim_performance
from ggtalker.synth.render import Renderer
from ggtalker.synth.world import render_clip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--samples", type=int, default=0, help="MSAA samples (0: 2x2 supersampling)")
    ap.add_argument("--identity", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="write bench_synth.json here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    text = "Please bring me a cup of hot black coffee before the meeting starts. We should leave early."
    perf = trim_performance(perform(text, VoiceSpec(), seed=0), a.frames)
    cams = phone_cameras(a.frames, a.size, 0)
    model = head_model(a.identity)
    render_clip(a.identity, trim_performance(perf, 2), cams[:2], a.size, samples=a.samples)  # warm-up: shaders
    t0 = time.perf_counter()
    clip = render_clip(a.identity, perf, cams, a.size, samples=a.samples)
    total = time.perf_counter() - t0
    t0 = time.perf_counter()
    verts = model.vertices(perf.params)
    t_pose = time.perf_counter() - t0
    t0 = time.perf_counter()
    normals = vertex_normals(verts, model.faces)
    t_norm = time.perf_counter() - t0
    r = Renderer(model, a.size, a.size, samples=a.samples)
    t0 = time.perf_counter()
    r.render(verts, cams, normals)
    t_draw = time.perf_counter() - t0
    ctx = gl_context()
    res = {
        "size": a.size, "frames": a.frames, "samples": a.samples, "vertices": model.n_vertices,
        "triangles": int(len(model.faces)), "render_clip_fps": a.frames / total,
        "pose_fps": a.frames / t_pose, "normals_fps": a.frames / t_norm, "draw_fps": a.frames / t_draw,
        "gl_renderer": ctx.info["GL_RENDERER"], "cpu": platform.processor() or platform.machine(),
        "cpu_cores": psutil.cpu_count(), "load_avg_1min": psutil.getloadavg()[0],
        "frames_mean_rgb": float(clip.frames.mean()),
    }
    for k, v in res.items():
        print(f"{k:>18}: {v:.2f}" if isinstance(v, float) else f"{k:>18}: {v}")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "bench_synth.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
