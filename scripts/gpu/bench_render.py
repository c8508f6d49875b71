"""Batched inference throughput of gsplat on the GPU at 512×512 with head-sized Gaussian sets.

    python scripts/gpu/bench_render.py OUT_DIR [--sizes 512] [--n 30000 100000] [--batch 1 8 32]

Scene: :func:`ggtalker.render.scenes.head_scene` (Gaussians on a head-sized shell, cameras on a ±0.4 rad
yaw arc). For every (N, batch of cameras) it times inference renders (CUDA-event timed, median of
``--reps`` after warm-up) and reports frames/s and ms per frame; then one forward+backward per N at
batch 1, and the project's torch backend on the same GPU at the smallest N for scale. Writes
``OUT_DIR/bench_render.json`` and prints a table; finishes in a few minutes including gsplat's ~70 s
JIT build.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ggtalker.render.gaussians import rasterization  # noqa: E402
from ggtalker.render.scenes import head_scene  # noqa: E402


def timed(fn, reps: int) -> float:
    """Median milliseconds of ``fn()`` over ``reps`` runs after two warm-ups, CUDA-event timed."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--sizes", type=int, nargs="+", default=[512])
    ap.add_argument("--n", type=int, nargs="+", default=[30000, 100000])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--sh", type=int, default=3, help="SH degree of the colours (-1: plain RGB)")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if not torch.cuda.is_available():
        print("bench_render: CUDA is not available", file=sys.stderr)
        return 1
    import gsplat

    sh = None if args.sh < 0 else args.sh
    t0 = time.perf_counter()
    warm = head_scene(100, 64, device="cuda")
    rasterization(*warm.values(), 64, 64, backend="gsplat")
    torch.cuda.synchronize()
    env = {"torch": torch.__version__, "gsplat": gsplat.__version__, "device": torch.cuda.get_device_name(0),
           "warmup_s": time.perf_counter() - t0, "sh_degree": sh}  # fmt: skip
    rows = []
    print(f"{'backend':>7} {'size':>5} {'N':>7} {'batch':>5} {'pass':>8} {'ms/call':>9} {'ms/frame':>9} {'frames/s':>10}")

    def add(backend: str, size: int, n: int, batch: int, passes: str, ms: float) -> None:
        r = dict(backend=backend, size=size, n=n, batch=batch, passes=passes, ms_per_call=ms,
                 ms_per_frame=ms / batch, frames_per_s=1000.0 * batch / ms)  # fmt: skip
        rows.append(r)
        print(f"{backend:>7} {size:>5} {n:>7} {batch:>5} {passes:>8} {ms:>9.3f} {ms / batch:>9.4f} {r['frames_per_s']:>10.1f}", flush=True)
        (args.out_dir / "bench_render.json").write_text(json.dumps({"env": env, "rows": rows}, indent=1))

    for size in args.sizes:
        for n in args.n:
            for batch in args.batch:
                s = head_scene(n, size, n_cams=batch, sh_degree=sh, device="cuda")
                with torch.no_grad():
                    ms = timed(lambda: rasterization(*s.values(), size, size, sh_degree=sh, backend="gsplat"), args.reps)
                add("gsplat", size, n, batch, "fwd", ms)
            s = head_scene(n, size, sh_degree=sh, device="cuda")
            p = {k: v.requires_grad_(k not in ("viewmats", "Ks")) for k, v in s.items()}

            def fwd_bwd(backend: str = "gsplat") -> None:
                img, alpha, _ = rasterization(*p.values(), size, size, sh_degree=sh, backend=backend)
                (img.sum() + alpha.sum()).backward()

            add("gsplat", size, n, 1, "fwd+bwd", timed(fwd_bwd, args.reps))
            if n == min(args.n):
                add("torch", size, n, 1, "fwd+bwd", timed(lambda: fwd_bwd("torch"), max(3, args.reps // 4)))
                with torch.no_grad():
                    ms = timed(lambda: rasterization(*s.values(), size, size, sh_degree=sh, backend="torch"), max(3, args.reps // 4))
                add("torch", size, n, 1, "fwd", ms)
    print(f"wrote {args.out_dir / 'bench_render.json'} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
