"""Gaussians bound to mesh triangles (the GaussianAvatars idea; our own implementation).

Each Gaussian has a parent triangle. Its mean, rotation and scale live in the triangle's local frame:
origin at the centroid, axes from the first edge, the normal and their cross product, and an isotropic
scale from the triangle's size. Posing the mesh moves every frame, so the Gaussians follow expression
and pose with no per-frame optimisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ggtalker.gaussians.rotation import matrix_to_quat, quat_multiply


def triangle_frames(verts: torch.Tensor, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Local frames of every triangle.

    Args:
        verts: ``(N, V, 3)`` vertices.
        faces: ``(F, 3)`` vertex indices.

    Returns:
        ``centroid (N, F, 3)``, ``R (N, F, 3, 3)`` with columns (edge, normal × edge, normal), and
        ``scale (N, F, 1)`` = square root of twice the area (the edge length for a right isoceles triangle).
    """
    a, b, c = verts[:, faces[:, 0]], verts[:, faces[:, 1]], verts[:, faces[:, 2]]
    centroid = (a + b + c) / 3
    e0 = b - a
    n = torch.cross(e0, c - a, dim=-1)
    area2 = n.norm(dim=-1, keepdim=True)
    n = n / area2.clamp_min(1e-12)
    t = e0 / e0.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    bt = torch.cross(n, t, dim=-1)
    R = torch.stack([t, bt, n], dim=-1)
    return centroid, R, area2.clamp_min(1e-12).sqrt()


@dataclass
class BoundGaussians:
    """Gaussians in their parent triangles' frames.

    Attributes:
        parent: ``(G,)`` triangle index of each Gaussian.
        xyz: ``(G, 3)`` local offset, in units of the triangle scale.
        rot: ``(G, 4)`` local rotation, wxyz (need not be normalised).
        log_scale: ``(G, 3)`` log of the local scales, in units of the triangle scale.
        opacity_logit: ``(G, 1)``.
        color: ``(G, C)`` colour features (RGB or SH coefficients, whatever the renderer is given).
    """

    parent: torch.Tensor
    xyz: torch.Tensor
    rot: torch.Tensor
    log_scale: torch.Tensor
    opacity_logit: torch.Tensor
    color: torch.Tensor

    def __len__(self) -> int:
        return int(self.parent.shape[0])


def to_world(g: BoundGaussians, verts: torch.Tensor, faces: torch.Tensor) -> dict[str, torch.Tensor]:
    """Pose bound Gaussians on a mesh.

    Args:
        verts: ``(N, V, 3)`` posed vertices (N frames).
        faces: ``(F, 3)``.

    Returns:
        ``{"means" (N,G,3), "quats" (N,G,4) wxyz, "scales" (N,G,3), "opacities" (G,), "opacity_logits" (G,),
        "normals" (N,G,3)}``.
    """
    centroid, R, s = triangle_frames(verts, faces)
    Rg, cg, sg = R[:, g.parent], centroid[:, g.parent], s[:, g.parent]
    means = cg + sg * torch.einsum("ngij,gj->ngi", Rg, g.xyz)
    q_tri = matrix_to_quat(Rg)
    quats = quat_multiply(q_tri, (g.rot / g.rot.norm(dim=-1, keepdim=True).clamp_min(1e-12)).expand_as(q_tri))
    scales = torch.exp(g.log_scale) * sg
    return {"means": means, "quats": quats, "scales": scales, "opacities": torch.sigmoid(g.opacity_logit[:, 0]),
            "opacity_logits": g.opacity_logit[:, 0], "normals": Rg[..., 2]}


def uv_barycentrics(uv: np.ndarray, faces: np.ndarray, res: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which triangle covers each texel centre of a ``res × res`` UV map, and where.

    Brute force over faces is fine for coarse templates (F·res² ≈ 4 M tests); done once per template.

    Returns:
        ``texel (T,)`` flat indices (row = v from the bottom, ``row * res + col``) of covered texels,
        ``face (T,)`` their triangle, ``bary (T, 3)`` barycentric coordinates.
    """
    c = (np.arange(res) + 0.5) / res
    gu, gv = np.meshgrid(c, c, indexing="xy")
    p = np.stack([gu.ravel(), gv.ravel()], 1)             # (T0, 2); row index = v
    face_of = np.full(len(p), -1, np.int64)
    bary_of = np.zeros((len(p), 3), np.float32)
    tri = uv[faces]                                        # (F, 3, 2)
    for f, (a, b, cc) in enumerate(tri):
        lo, hi = np.minimum(np.minimum(a, b), cc), np.maximum(np.maximum(a, b), cc)
        cand = np.nonzero((p[:, 0] >= lo[0]) & (p[:, 0] <= hi[0]) & (p[:, 1] >= lo[1]) & (p[:, 1] <= hi[1])
                          & (face_of < 0))[0]
        if not len(cand):
            continue
        v0, v1, v2 = b - a, cc - a, p[cand] - a
        den = v0[0] * v1[1] - v1[0] * v0[1]
        if abs(den) < 1e-12:
            continue
        l1 = (v2[:, 0] * v1[1] - v1[0] * v2[:, 1]) / den
        l2 = (v0[0] * v2[:, 1] - v2[:, 0] * v0[1]) / den
        l0 = 1 - l1 - l2
        inside = (l0 >= -1e-6) & (l1 >= -1e-6) & (l2 >= -1e-6)
        face_of[cand[inside]] = f
        bary_of[cand[inside]] = np.stack([l0, l1, l2], 1)[inside]
    texel = np.nonzero(face_of >= 0)[0]
    return texel, face_of[texel], bary_of[texel]


def local_position(verts: torch.Tensor, faces: torch.Tensor, face: torch.Tensor, bary: torch.Tensor) -> torch.Tensor:
    """Local-frame coordinates ``(G, 3)`` of surface points given by (face, barycentric) on ``verts`` ``(V, 3)``."""
    centroid, R, s = triangle_frames(verts[None], faces)
    tri = verts[faces[face]]                               # (G, 3, 3)
    p = (bary[..., None] * tri).sum(1)
    return torch.einsum("gji,gj->gi", R[0, face], p - centroid[0, face]) / s[0, face]
