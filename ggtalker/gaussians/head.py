"""The rigged Gaussian head: a UV Gaussian map sampled over the template into triangle-bound Gaussians.

UV map channels, per texel: offset 3 (in the parent triangle's frame), log-scale 3, rotation 4 (wxyz,
added to identity), opacity logit 1, colour 3 (the degree-0 SH coefficient, i.e. ``rgb - 0.5``), then
``feat`` channels the color MLP reads. Every texel covered by a UV triangle becomes one Gaussian on that
triangle, at the texel's barycentric position plus the offset.

Two offset parametrisations (:attr:`GaussianHead.offset_unit`):

* ``None`` (the first zoo prior's): ``0.5·tanh(offset)`` texel spacings. A Gaussian can leave the
  template's surface by half a texel at most: 5.7 mm at a 32² map and 1.4 mm at 128² (the finer the map,
  the shorter the reach), while SynthTalk's hair, eyes, teeth and mouth interior lie 6-19 mm (median) from
  the template's mean skin. This bound is why that head could not fit its own training frames
  (docs/ggtalker.md, "Why the first head could not fit").
* a length in metres: the offset channels are metres / ``offset_unit``, unbounded, in the triangle's
  frame; a loose regulariser (:func:`ggtalker.gaussians.losses.uv_regulariser`) keeps them within a few
  centimetres, so hair, ears, eyes and the mouth interior can be reached at any map size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ggtalker.gaussians.binding import BoundGaussians, local_position, to_world, uv_barycentrics
from ggtalker.gaussians.template import HeadTemplate

N_GEOM = 3 + 3 + 4 + 1 + 3
#: Offsets are predicted in [-1, 1] and scaled to this many triangle units.
OFFSET_RANGE = 0.5
#: Base log-scale: a texel's Gaussian about as wide as the spacing between texels.
BASE_LOG_SCALE = float(np.log(0.45))


@dataclass
class UVLayout:
    """Where each Gaussian sits: texels of a ``res × res`` map covered by the template's UV triangles.

    Attributes:
        res: UV map resolution.
        texel: ``(G,)`` flat texel index (``row * res + col``, row = v).
        face: ``(G,)`` parent triangle.
        bary: ``(G, 3)`` barycentric coordinates in that triangle.
        base_xyz: ``(G, 3)`` triangle-local position of the texel on the neutral template.
        texel_scale: ``(G, 1)`` texel spacing on the surface, in units of the parent triangle's scale.
        tri_scale: ``(G, 1)`` the parent triangle's scale on the neutral template, metres.
    """

    res: int
    texel: torch.Tensor
    face: torch.Tensor
    bary: torch.Tensor
    base_xyz: torch.Tensor
    texel_scale: torch.Tensor
    tri_scale: torch.Tensor

    @classmethod
    def build(cls, template: HeadTemplate, res: int) -> "UVLayout":
        # Built on the CPU whatever the template's device (a layout is moved with :meth:`to`).
        v_t, f_t, uv_t = (x.detach().cpu() for x in (template.v_template, template.faces, template.uv))
        texel, face, bary = uv_barycentrics(uv_t.numpy(), f_t.numpy(), res)
        face_t, bary_t = torch.from_numpy(face), torch.from_numpy(bary)
        base = local_position(v_t, f_t, face_t, bary_t)
        # Texel footprint: triangle area in 3D over its area in UV, times one texel's UV area.
        v, f, uv = v_t.numpy(), f_t.numpy(), uv_t.numpy()
        a3 = np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
        e1, e2 = uv[f[:, 1]] - uv[f[:, 0]], uv[f[:, 2]] - uv[f[:, 0]]
        a2 = np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]).clip(1e-12)
        spacing = np.sqrt(a3 / a2 / res**2)          # metres per texel
        tri_scale = np.sqrt(a3.clip(1e-12))          # the binding's triangle scale
        ts = (spacing / tri_scale)[face]
        return cls(res, torch.from_numpy(texel), face_t, bary_t, base, torch.from_numpy(ts[:, None].astype(np.float32)),
                   torch.from_numpy(tri_scale[face][:, None].astype(np.float32)))

    def to(self, device: str | torch.device) -> "UVLayout":
        return UVLayout(self.res, *(getattr(self, k).to(device) for k in
                                    ("texel", "face", "bary", "base_xyz", "texel_scale", "tri_scale")))

    def __len__(self) -> int:
        return int(self.texel.shape[0])

    def gather(self, uvmap: torch.Tensor) -> torch.Tensor:
        """Per-Gaussian values ``(..., G, C)`` from a UV map ``(..., C, res, res)``."""
        flat = uvmap.flatten(-2)                     # (..., C, res²)
        return flat[..., self.texel].transpose(-1, -2)


def bind(layout: UVLayout, uvmap: torch.Tensor, offset_unit: float | None = None) -> tuple[BoundGaussians, torch.Tensor]:
    """Turn one UV Gaussian map ``(C, res, res)`` into bound Gaussians and their MLP features ``(G, C-14)``.

    ``offset_unit``: metres per unit of the offset channels, or None for the texel-bounded offsets
    (module docstring).
    """
    g = layout.gather(uvmap)
    off, ls, rot, op, col, feat = g.split([3, 3, 4, 1, 3, g.shape[-1] - N_GEOM], dim=-1)
    ts = layout.texel_scale
    if offset_unit is None:
        xyz = layout.base_xyz + OFFSET_RANGE * torch.tanh(off) * ts
    else:
        xyz = layout.base_xyz + off * (offset_unit / layout.tri_scale)
    bound = BoundGaussians(
        parent=layout.face, xyz=xyz,
        rot=rot + torch.tensor([1.0, 0, 0, 0], device=rot.device), log_scale=ls + BASE_LOG_SCALE + torch.log(ts),
        opacity_logit=op + 2.0, color=col,
    )
    return bound, feat


class GaussianHead(nn.Module):
    """Template + UV layout: poses UV-map Gaussians for a batch of frames.

    Args:
        template: the head template.
        uv_res: UV map resolution (the number of Gaussians is about ``uv_res²``).
        offset_unit: metres per unit of the offset channels, or None (texel-bounded; module docstring).
    """

    def __init__(self, template: HeadTemplate, uv_res: int = 48, offset_unit: float | None = None) -> None:
        super().__init__()
        self.template = template
        self.layout = UVLayout.build(template, uv_res)
        self.offset_unit = offset_unit

    @property
    def n_gaussians(self) -> int:
        return len(self.layout)

    def pose(self, uvmap: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor, BoundGaussians]:
        """World-space Gaussians for N frames.

        Args:
            uvmap: ``(C, res, res)`` UV Gaussian map.
            params: ``{expr (N,10), jaw (N,1), blink (N,2), pose (N,6)}``.

        Returns:
            ``(world, feat, bound)``: ``world`` as :func:`ggtalker.gaussians.binding.to_world` (means
            ``(N,G,3)``, quats, scales, opacities ``(G,)``, normals), MLP features ``(G, F)``, the bound Gaussians.
        """
        bound, feat = bind(self.layout, uvmap, self.offset_unit)
        verts = self.template.vertices(params)
        return to_world(bound, verts, self.template.faces), feat, bound
