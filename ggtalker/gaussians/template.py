"""The head template: a coarse parametric mesh with a UV layout, driven by the shared parameter space.

A template is linear blendshapes on a neutral mesh followed by the rigid head pose::

    v(p) = R(pose[:3]) · (v_template + Σ_k p_k · B_k) + pose[3:]

with one basis ``B_k`` ``(V, 3)`` per scalar parameter of ``expr`` (10), ``jaw`` (1) and ``blink`` (2)
(:mod:`ggtalker.core.params`). The built-in asset ``assets/head_template.npz`` is written by
``scripts/build_head_template.py`` (see :mod:`ggtalker.gaussians.template_build`); FLAME users load theirs
with :mod:`ggtalker.gaussians.flame`, which exposes the same :meth:`HeadTemplate.vertices` interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ggtalker.gaussians.rotation import axis_angle_to_matrix
from ggtalker.core.params import PARAM_DIMS

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET = ASSETS / "head_template.npz"


def asset_path(name: str) -> Path:
    """The built-in template asset ``name`` (e.g. ``head_template_v2``), or ``name`` itself if it is a path."""
    return Path(name) if name.endswith(".npz") else ASSETS / f"{name}.npz"
#: Parameters that act through blendshapes, in basis order.
BLEND_KEYS = ("expr", "jaw", "blink")
N_BLEND = sum(PARAM_DIMS[k] for k in BLEND_KEYS)


@dataclass
class HeadTemplate:
    """A blendshape head with a UV layout.

    Attributes:
        v_template: ``(V, 3)`` neutral vertices, metres, head frame of :mod:`ggtalker.core.params`.
        faces: ``(F, 3)`` int64 vertex indices, counter-clockwise seen from outside.
        uv: ``(V, 2)`` texture coordinates in [0, 1] (vertices are split along UV seams).
        basis: ``(N_BLEND, V, 3)`` displacement per unit of expr, jaw, blink (in that order).
        meta: how the template was made (procedure, source, resolution).
    """

    v_template: torch.Tensor
    faces: torch.Tensor
    uv: torch.Tensor
    basis: torch.Tensor
    meta: dict

    @classmethod
    def load(cls, path: str | Path = ASSET) -> "HeadTemplate":
        """Read a template ``.npz`` (keys v_template, faces, uv, basis, meta_json)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: head template missing; build it with scripts/build_head_template.py")
        import json

        with np.load(path) as z:
            missing = {"v_template", "faces", "uv", "basis"} - set(z.keys())
            if missing:
                raise ValueError(f"{path}: head template lacks arrays {sorted(missing)}")
            t = cls(
                v_template=torch.from_numpy(z["v_template"].astype(np.float32)),
                faces=torch.from_numpy(z["faces"].astype(np.int64)),
                uv=torch.from_numpy(z["uv"].astype(np.float32)),
                basis=torch.from_numpy(z["basis"].astype(np.float32)),
                meta=json.loads(str(z["meta_json"])) if "meta_json" in z else {},
            )
        if t.basis.shape != (N_BLEND, *t.v_template.shape):
            raise ValueError(f"{path}: basis must be {(N_BLEND, *t.v_template.shape)}, got {tuple(t.basis.shape)}")
        return t

    def save(self, path: str | Path) -> Path:
        """Write the template as a compact ``.npz`` (float32 geometry, float16 bases)."""
        import json

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path, v_template=self.v_template.numpy().astype(np.float32), faces=self.faces.numpy().astype(np.int32),
            uv=self.uv.numpy().astype(np.float32), basis=self.basis.numpy().astype(np.float16),
            meta_json=np.array(json.dumps(self.meta)),
        )
        return path

    @property
    def n_vertices(self) -> int:
        return int(self.v_template.shape[0])

    def to(self, device: str | torch.device) -> "HeadTemplate":
        return HeadTemplate(self.v_template.to(device), self.faces.to(device), self.uv.to(device),
                            self.basis.to(device), self.meta)

    def canonical(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Vertices with blendshapes applied, before the head pose: ``(N, V, 3)``.

        Args:
            params: ``{expr (N,10), jaw (N,1), blink (N,2)}``; missing keys count as zeros.
        """
        n = next(iter(params.values())).shape[0]
        dev = self.v_template.device
        coeffs = torch.cat([
            params[k].to(dev, torch.float32) if k in params else torch.zeros(n, PARAM_DIMS[k], device=dev)
            for k in BLEND_KEYS
        ], 1)
        return self.v_template + torch.einsum("nk,kvc->nvc", coeffs, self.basis)

    def vertices(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Posed vertices ``(N, V, 3)`` for ``params`` ``{expr, jaw, blink, pose (N, 6)}``."""
        v = self.canonical(params)
        if "pose" not in params:
            return v
        pose = params["pose"].to(v.device, torch.float32)
        R = axis_angle_to_matrix(pose[:, :3])
        return torch.einsum("nij,nvj->nvi", R, v) + pose[:, None, 3:]


def as_tensors(params: dict[str, np.ndarray], device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Clip params ``{name: (N, D) ndarray}`` → float32 tensors on ``device``."""
    return {k: torch.as_tensor(np.asarray(v), dtype=torch.float32, device=device) for k, v in params.items()}
