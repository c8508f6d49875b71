"""Checks the GPU machine's environment: torch/CUDA, gsplat's JIT build and a render, EGL, espeak-ng."""
import ctypes
import sys
import time

import torch

print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
t = time.time()
import gsplat  # noqa: E402

means = torch.randn(1000, 3, device="cuda") * 0.1
means[:, 2] += 1.0
quats = torch.nn.functional.normalize(torch.randn(1000, 4, device="cuda"), dim=-1)
scales = torch.full((1000, 3), 0.01, device="cuda")
op = torch.full((1000,), 0.8, device="cuda")
col = torch.rand(1000, 3, device="cuda")
K = torch.tensor([[[300.0, 0, 128], [0, 300.0, 128], [0, 0, 1]]], device="cuda")
img, alpha, _ = gsplat.rasterization(means, quats, scales, op, col, torch.eye(4, device="cuda")[None], K, 256, 256)
print(f"gsplat ok: image {tuple(img.shape)} mean {img.mean().item():.4f} (build+render {time.time()-t:.1f}s)")
try:
    import moderngl

    ctx = moderngl.create_standalone_context(backend="egl")
    print("moderngl egl ok:", ctx.info["GL_RENDERER"], ctx.info["GL_VERSION"])
except Exception as e:
    print("moderngl egl FAILED:", type(e).__name__, e)
try:
    lib = ctypes.CDLL("libespeak-ng.so.1")  # found through LD_LIBRARY_PATH set by setup_env.sh
    print("espeak-ng lib ok:", lib)
except OSError as e:
    print("espeak-ng FAILED:", e)
