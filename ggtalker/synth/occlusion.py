"""Baked light visibility for SynthTalk heads: ambient occlusion and soft key-light shadows per vertex.

A head lit only by ``N·L`` looks like a mannequin: no dark eye sockets, no shadow under the jaw or beside
the nose, the face outline melting into the neck. Real faces carry these cues and face detectors rely on
them. Both terms are baked once per identity on the rest mesh with the world's own rasterizer (moderngl):
the mesh is drawn into orthographic depth maps from many directions, and a vertex sees a direction when it
is not behind the depth map there (a shadow-map test). Baking on the rest pose is the usual texture-bake
approximation: the deformations that speech makes are small next to the occluders (jaw, nose, hair).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter

from ggtalker.synth.gl import gl_context, vertex_normals
from ggtalker.synth.head import HeadModel

#: Depth-map resolution and the depth tolerance (metres) below which a vertex counts as unoccluded.
_RES, _BIAS = 512, 0.003

_VS = """
#version 330
uniform mat4 u_mvp;
in vec3 in_pos;
void main() { gl_Position = u_mvp * vec4(in_pos, 1.0); }
"""
_FS = """
#version 330
out vec4 f;
void main() { f = vec4(1.0); }
"""


def fibonacci_directions(n: int) -> np.ndarray:
    """``n`` near-uniform unit vectors on the sphere ``(n, 3)`` (a Fibonacci lattice; deterministic)."""
    i = np.arange(n) + 0.5
    y = 1 - 2 * i / n
    r = np.sqrt(1 - y * y)
    a = np.pi * (3 - np.sqrt(5)) * i
    return np.stack([r * np.cos(a), y, r * np.sin(a)], 1)


def _ortho_basis(d: np.ndarray) -> np.ndarray:
    """Rows: right, up, view axis (``d``, pointing from the mesh towards the viewer)."""
    up = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.95 else np.array([1.0, 0.0, 0.0])
    right = np.cross(up, d)
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(d, right), d])


class VisibilityBaker:
    """Tests which vertices of a fixed mesh see along given directions.

    Args:
        verts: ``(V, 3)`` vertices; faces: ``(F, 3)`` triangles (every triangle occludes).
    """

    def __init__(self, verts: np.ndarray, faces: np.ndarray, res: int = _RES) -> None:
        self.verts = np.asarray(verts, np.float64)
        self.res = res
        self.centre = (self.verts.max(0) + self.verts.min(0)) / 2
        self.radius = float(np.linalg.norm(self.verts - self.centre, axis=1).max()) * 1.01
        ctx = self.ctx = gl_context()
        self.prog = ctx.program(vertex_shader=_VS, fragment_shader=_FS)
        self.vbo = ctx.buffer(self.verts.astype("f4").tobytes())
        self.ibo = ctx.buffer(np.asarray(faces, np.int32).tobytes())
        self.vao = ctx.vertex_array(self.prog, [(self.vbo, "3f", "in_pos")], index_buffer=self.ibo)
        self.fbo = ctx.framebuffer(ctx.renderbuffer((res, res)), ctx.depth_texture((res, res)))

    def visible(self, d: np.ndarray) -> np.ndarray:
        """``(V,)`` bool: the vertex is unoccluded towards unit direction ``d`` ``(3,)``."""
        B = _ortho_basis(np.asarray(d, np.float64))
        q = (self.verts - self.centre) @ B.T / self.radius  # in [-1, 1]; q[:, 2] grows towards the viewer
        m = np.eye(4)
        m[:3, :3] = B / self.radius
        m[:3, 3] = -B @ self.centre / self.radius
        m[2] *= -1  # GL depth grows away from the viewer
        ctx = self.ctx
        ctx.enable(ctx.DEPTH_TEST)
        ctx.disable(ctx.CULL_FACE)
        self.prog["u_mvp"].write(m.T.astype("f4").tobytes())
        self.fbo.use()
        self.fbo.clear(depth=1.0)
        self.vao.render()
        depth = np.frombuffer(self.fbo.read(components=1, attachment=-1, dtype="f4"), np.float32).reshape(self.res, self.res)
        # Neighbourhood max: a vertex on a slope must not be hidden by its own surface one pixel away.
        depth = maximum_filter(depth, size=3, mode="nearest")
        px = np.clip(((q[:, 0] + 1) / 2 * self.res).astype(int), 0, self.res - 1)
        py = np.clip(((q[:, 1] + 1) / 2 * self.res).astype(int), 0, self.res - 1)
        z = (1 - q[:, 2]) / 2  # the vertex's own window depth (ndc z = -q_z, mapped from [-1, 1] to [0, 1])
        return z <= depth[py, px] + _BIAS / (2 * self.radius)

    def release(self) -> None:
        for o in (self.vao, self.vbo, self.ibo, self.fbo, self.prog):
            o.release()


def bake_visibility(model: HeadModel, key: np.ndarray, n_dirs: int = 96, n_key: int = 12,
                    key_spread_deg: float = 6.0) -> np.ndarray:
    """Per-vertex light visibility of a head at rest.

    Args:
        model: the head (all its parts occlude: skin, hair, ears, neck, torso).
        key: ``(3,)`` unit direction towards the key light (head frame at rest).
        n_dirs: directions over the sphere for ambient occlusion; n_key, key_spread_deg: jittered directions
            in a cone round ``key`` (an area light's soft shadow).
    Returns:
        ``(V, 2)`` float32: ambient occlusion (1 = open sky over the vertex's hemisphere, cosine-weighted) and
        key-light visibility (fraction of the cone that reaches the vertex).
    """
    verts = model.rest.astype(np.float64)
    nrm = vertex_normals(model.rest[None], model.faces)[0].astype(np.float64)
    bk = VisibilityBaker(verts, model.faces)
    try:
        dirs = fibonacci_directions(n_dirs)
        acc_out = np.zeros(len(verts))
        acc_in = np.zeros(len(verts))
        w_out = np.zeros(len(verts))
        w_in = np.zeros(len(verts))
        for d in dirs:
            vis = bk.visible(d)
            c = nrm @ d
            acc_out += vis * np.maximum(c, 0)
            w_out += np.maximum(c, 0)
            acc_in += vis * np.maximum(-c, 0)
            w_in += np.maximum(-c, 0)
        # Shells drawn double-sided (hair, lids, ears) may face either way: take the more open side.
        ao = np.maximum(acc_out / np.maximum(w_out, 1e-9), acc_in / np.maximum(w_in, 1e-9))
        rng = np.random.default_rng(0)
        key = np.asarray(key, np.float64) / np.linalg.norm(key)
        B = _ortho_basis(key)
        spread = np.tan(np.radians(key_spread_deg))
        sh = np.zeros(len(verts))
        for _ in range(n_key):
            j = rng.normal(size=2) * spread
            d = key + j[0] * B[0] + j[1] * B[1]
            sh += bk.visible(d / np.linalg.norm(d))
        sh /= n_key
    finally:
        bk.release()
    return np.stack([ao, sh], 1).astype(np.float32)
