"""FLAME for users who have its files: a chumpy-free loader of the official pickle and an LBS forward pass.

The official ``generic_model.pkl`` (FLAME 2020/2023) is a Python-2 pickle whose arrays ``v_template``,
``shapedirs``, ``posedirs`` and ``weights`` are ``chumpy.ch.Ch`` objects and ``J_regressor`` is a
``scipy.sparse.csc_matrix``. chumpy does not install on current Pythons, so :class:`_ChumpyShim`
stands in for every ``chumpy.*`` class the pickle names: it records the pickled state and
:func:`_to_array` takes the array out of it (chumpy keeps a ``Ch``'s value in its ``x`` attribute).

FLAME is licensed by MPI-IS (https://flame.is.tue.mpg.de); it is never downloaded or shipped here:
pass the path of your own copy.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ggtalker.gaussians.rotation import axis_angle_to_matrix

REQUIRED = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")


class _ChumpyShim:
    """Placeholder for any ``chumpy`` class: keeps whatever state the pickle restores."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._state: Any = None

    def __setstate__(self, state: Any) -> None:
        self._state = state


class _FlameUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.split(".")[0] == "chumpy":
            return _ChumpyShim
        if module.startswith("scipy.sparse"):
            import scipy.sparse as sp

            # Pickles from old SciPy name private modules (scipy.sparse.csc) that newer SciPy renamed.
            if hasattr(sp, name):
                return getattr(sp, name)
        return super().find_class(module, name)


def _to_array(obj: Any, what: str, path: Path) -> np.ndarray:
    if isinstance(obj, _ChumpyShim):
        state = obj._state
        if isinstance(state, dict):
            if "x" in state:
                return _to_array(state["x"], what, path)
            arrays = [v for v in state.values() if isinstance(v, np.ndarray)]
            if len(arrays) == 1:
                return arrays[0]
        if obj._args and isinstance(obj._args[0], np.ndarray):
            return obj._args[0]
        raise ValueError(f"{path}: cannot recover the array of chumpy object {what!r}")
    if hasattr(obj, "toarray"):  # scipy.sparse
        return np.asarray(obj.toarray())
    return np.asarray(obj)


def load_flame_pickle(path: str | Path) -> dict[str, np.ndarray]:
    """Read an official FLAME pickle without chumpy; returns plain float32/int64 arrays.

    Returns:
        ``v_template (V,3)``, ``shapedirs (V,3,S+E)``, ``posedirs (V,3,9·(J-1))``, ``J_regressor (J,V)``,
        ``weights (V,J)``, ``kintree_table (2,J)``, ``f (F,3)``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: FLAME model file not found (get generic_model.pkl from flame.is.tue.mpg.de)")
    with open(path, "rb") as fh:
        try:
            raw = _FlameUnpickler(fh, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError) as e:
            raise ValueError(f"{path}: not a readable pickle ({e})") from e
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a dict pickle, got {type(raw).__name__}")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"{path}: FLAME pickle lacks {missing}; has {sorted(raw)}")
    out = {k: _to_array(raw[k], k, path) for k in REQUIRED}
    for k in ("v_template", "shapedirs", "posedirs", "J_regressor", "weights"):
        out[k] = out[k].astype(np.float32)
    out["kintree_table"] = out["kintree_table"].astype(np.int64)
    out["f"] = out["f"].astype(np.int64)
    V = out["v_template"].shape[0]
    if out["shapedirs"].shape[:2] != (V, 3) or out["weights"].shape[0] != V or out["J_regressor"].shape[1] != V:
        raise ValueError(f"{path}: inconsistent shapes {({k: v.shape for k, v in out.items()})}")
    return out


class FlameModel(torch.nn.Module):
    """FLAME's forward pass: shape/expression blendshapes, pose correctives, linear blend skinning.

    Args:
        model: arrays from :func:`load_flame_pickle`.
        n_shape: how many of ``shapedirs``' leading components are identity shape (300 in FLAME 2020);
            the rest are expression components.
    """

    def __init__(self, model: dict[str, np.ndarray], n_shape: int = 300) -> None:
        super().__init__()
        for k in ("v_template", "shapedirs", "posedirs", "J_regressor", "weights"):
            self.register_buffer(k, torch.from_numpy(model[k]))
        self.register_buffer("faces", torch.from_numpy(model["f"]))
        parents = model["kintree_table"][0].copy()
        parents[0] = -1
        self.parents = [int(p) for p in parents]
        self.n_shape = min(n_shape, model["shapedirs"].shape[2])

    @property
    def n_joints(self) -> int:
        return len(self.parents)

    @property
    def n_expr(self) -> int:
        return int(self.shapedirs.shape[2]) - self.n_shape

    def forward(self, shape: torch.Tensor, expression: torch.Tensor, joint_rot: torch.Tensor,
                transl: torch.Tensor | None = None) -> torch.Tensor:
        """Posed vertices ``(N, V, 3)``.

        Args:
            shape: ``(N, ≤n_shape)`` identity coefficients (zero-padded).
            expression: ``(N, ≤n_expr)`` expression coefficients.
            joint_rot: ``(N, J, 3)`` axis-angle per joint (FLAME: global, neck, jaw, left eye, right eye).
            transl: ``(N, 3)`` translation.
        """
        n = joint_rot.shape[0]
        betas = torch.zeros(n, self.shapedirs.shape[2], device=joint_rot.device)
        betas[:, : shape.shape[1]] = shape
        betas[:, self.n_shape : self.n_shape + expression.shape[1]] = expression
        v = self.v_template + torch.einsum("nl,vcl->nvc", betas, self.shapedirs)
        J = torch.einsum("jv,nvc->njc", self.J_regressor, v)
        R = axis_angle_to_matrix(joint_rot)                                   # (N, J, 3, 3)
        eye = torch.eye(3, device=R.device)
        pose_feat = (R[:, 1:] - eye).reshape(n, -1)
        v = v + torch.einsum("np,vcp->nvc", pose_feat, self.posedirs)
        # Forward kinematics: world transform of each joint, then remove the rest-pose joint location.
        T = []
        for j, p in enumerate(self.parents):
            local = torch.zeros(n, 4, 4, device=R.device)
            local[:, :3, :3] = R[:, j]
            local[:, :3, 3] = J[:, j] - (J[:, p] if p >= 0 else 0)
            local[:, 3, 3] = 1
            T.append(local if p < 0 else T[p] @ local)
        G = torch.stack(T, 1)                                                  # (N, J, 4, 4)
        # Out of place, so the pass stays differentiable in the joint rotations (the tracker fits them).
        t = G[..., :3, 3] - torch.einsum("njab,njb->nja", G[..., :3, :3], J)
        G = torch.cat([torch.cat([G[..., :3, :3], t[..., None]], -1), G[..., 3:, :]], -2)
        Tv = torch.einsum("vj,njab->nvab", self.weights, G)
        out = torch.einsum("nvab,nvb->nva", Tv[..., :3, :3], v) + Tv[..., :3, 3]
        if transl is not None:
            out = out + transl[:, None]
        return out
