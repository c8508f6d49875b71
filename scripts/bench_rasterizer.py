"""Speed of the pure-PyTorch Gaussian rasterizer on CPU: forward and forward+backward renders per second.

The scene is :func:`ggtalker.render.scenes.head_scene` (Gaussians on a head-sized ellipsoid shell,
camera 0.5 m away), the case the project trains on CPU. Prints a table and, with ``--out``, writes JSON. "cpu ms" is the process CPU time per render
(summed over threads): on a shared, loaded machine it is the steadier number, wall time the honest one.

    python scripts/bench_rasterizer.py --n 10000 --size 128 --threads 2
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from ggtalker.render.gaussians import rasterization
from ggtalker.render.scenes import head_scene


def scene_params(n: int, size: int, backward: bool, n_cams: int = 1) -> dict[str, torch.Tensor]:
    """The benchmark's :func:`head_scene`, its Gaussian parameters requiring grad when ``backward``."""
    scene = head_scene(n, size, n_cams=n_cams)
    return {k: v.requires_grad_(backward and k not in ("viewmats", "Ks")) for k, v in scene.items()}


def render(params: dict[str, torch.Tensor], size: int, backward: bool,
           tile_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """One timed unit: a torch-backend render of ``params`` at ``size``², plus its backward when ``backward``."""
    with torch.set_grad_enabled(backward):
        img, alpha, meta = rasterization(*params.values(), size, size, backend="torch", tile_size=tile_size)
        if backward:
            (img.sum() + alpha.sum()).backward()
    return img, alpha, meta


def bench(n: int, size: int, reps: int, backward: bool, tile_size: int | None, n_cams: int = 1) -> dict:
    params = scene_params(n, size, backward, n_cams)
    times, cpu, meta = [], [], {}
    for i in range(reps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        img, alpha, meta = render(params, size, backward, tile_size)
        if i:  # the first call warms allocators and caches
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    times.sort()
    cpu.sort()
    med = times[len(times) // 2]
    return {
        "n": n, "size": size, "cams": n_cams, "backward": backward, "tile_size": meta["tile_size"],
        "median_ms": 1e3 * med, "best_ms": 1e3 * times[0], "cpu_ms": 1e3 * cpu[len(cpu) // 2], "renders_per_s": n_cams / med,
        "coverage": float(alpha.detach().mean()), "tile_isects": int(meta["tiles_per_gauss"].sum()),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[10000])
    ap.add_argument("--size", type=int, nargs="+", default=[128])
    ap.add_argument("--tile-size", type=int, nargs="+", default=[0], help="0 = the backend default")
    ap.add_argument("--cams", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="JSON file to write")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    print(f"{'N':>7} {'size':>5} {'cams':>4} {'tile':>4} {'pass':>8} {'median ms':>10} {'best ms':>8} {'renders/s':>10} {'cpu ms':>7} {'isects':>8}")
    for n in args.n:
        for size in args.size:
            for ts in args.tile_size:
                for bwd in (False, True):
                    r = bench(n, size, args.reps, bwd, ts or None, args.cams)
                    rows.append(r)
                    print(f"{n:>7} {size:>5} {args.cams:>4} {r['tile_size']:>4} {'fwd+bwd' if bwd else 'fwd':>8} "
                          f"{r['median_ms']:>10.1f} {r['best_ms']:>8.1f} {r['renders_per_s']:>10.2f} {r['cpu_ms']:>7.1f} {r['tile_isects']:>8}")  # fmt: skip
    env = {"torch": torch.__version__, "threads": args.threads, "cpu": platform.processor() or platform.machine()}
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"env": env, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
