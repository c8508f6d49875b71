"""OpenGL plumbing shared by SynthTalk's renderer and its visibility bake: the EGL context, the projection
matrix, area-weighted vertex normals."""

from __future__ import annotations

import numpy as np
import torch

_CTX = None


def gl_context():
    """The process's moderngl EGL context (created once; EGL works headless on CPU and GPU machines)."""
    global _CTX
    if _CTX is None:
        import moderngl

        try:
            _CTX = moderngl.create_standalone_context(backend="egl")
        except Exception as e:  # noqa: BLE001 - the message must say what to install
            raise RuntimeError(
                f"SynthTalk needs an EGL OpenGL context ({e}). On Debian/Ubuntu: "
                "apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri (Mesa llvmpipe renders on the CPU)."
            ) from e
    return _CTX


def gl_projection(K: np.ndarray, width: int, height: int, near: float = 0.05, far: float = 10.0) -> np.ndarray:
    """OpenCV intrinsics ``(3, 3)`` to an OpenGL projection ``(4, 4)`` acting on GL camera coordinates.

    Pixel centres sit at integer OpenCV coordinates; row 0 is the image's top after the read-back flip.
    """
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    P = np.zeros((4, 4))
    P[0, 0] = 2 * fx / width
    P[0, 2] = 1 - 2 * (cx + 0.5) / width
    P[1, 1] = 2 * fy / height
    P[1, 2] = 2 * (cy + 0.5) / height - 1
    P[2, 2] = -(far + near) / (far - near)
    P[2, 3] = -2 * far * near / (far - near)
    P[3, 2] = -1
    return P


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals: ``verts (N, V, 3)``, ``faces (F, 3)`` -> ``(N, V, 3)`` unit."""
    v = torch.from_numpy(np.ascontiguousarray(verts, dtype=np.float32))
    f = torch.from_numpy(faces.astype(np.int64))
    a, b, c = v[:, f[:, 0]], v[:, f[:, 1]], v[:, f[:, 2]]
    fn = torch.cross(b - a, c - a, dim=-1)
    n = torch.zeros_like(v)
    for k in range(3):
        n.index_add_(1, f[:, k], fn)
    return torch.nn.functional.normalize(n, dim=-1, eps=1e-12).numpy()
