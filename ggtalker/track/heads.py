"""The heads the tracker fits: parametric models seen through their 68 iBUG landmarks.

A :class:`LandmarkHead` says which per-frame parameters it has (with bounds), which per-identity shape
parameters, and where its 68 landmarks sit *before* the head pose (``canonical``, head frame of
:mod:`ggtalker.core.params`). The fitter (:mod:`ggtalker.track.fit`) adds the rigid pose, a per-identity
anisotropic scale and small landmark offsets, and the camera; so any head with a ``vertices(params)``-style
forward pass and a landmark embedding can be tracked through the same code:

* ``synthtalk`` (default): the shared parameter space (``expr`` 10, ``jaw`` 1) on SynthTalk's own landmark
  vertices, averaged over training identities (``assets/landmark_head_synthtalk.npz``, written by
  ``scripts/build_landmark_head.py``; it says why the template's own mesh is not used).
* :class:`MeshLandmarkHead` over :class:`~ggtalker.gaussians.template.HeadTemplate` (``template``): the
  template's vertices at a barycentric embedding (closest surface points to the SynthTalk landmarks).
* :class:`MeshLandmarkHead` over :class:`~ggtalker.gaussians.flame.FlameModel` (:func:`flame_head`): FLAME's
  expression, jaw rotation and identity shape, for users who have FLAME and its landmark embedding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
import torch

ASSETS = Path(__file__).resolve().parent / "assets"
LANDMARK_HEAD_ASSET = ASSETS / "landmark_head_synthtalk.npz"
N_LANDMARKS = 68
#: Detectors that share another's calibration (the CNN detector only finds the box; the 68 points are the same
#: shape predictor's).
CALIBRATION_ALIAS = {"dlib68_cnn": "dlib68"}


class LandmarkHead(Protocol):
    """What the fitter needs of a head model.

    Attributes:
        name: for records.
        frame_dims: per-frame parameters ``{name: D}`` (not the pose: the fitter owns it).
        frame_bounds: ``{name: (low, high)}`` box constraints, or None for unbounded.
        identity_dims: per-identity shape parameters ``{name: D}`` (may be empty).
    """

    name: str
    frame_dims: dict[str, int]
    frame_bounds: dict[str, tuple[float, float] | None]
    identity_dims: dict[str, int]

    def canonical(self, frame: dict[str, torch.Tensor], identity: dict[str, torch.Tensor]) -> torch.Tensor:
        """Landmarks ``(N, 68, 3)`` metres, head frame, before the pose, for per-frame params ``(N, D)`` and
        identity params ``(D,)``."""


@dataclass
class SynthTalkLandmarkHead:
    """The shared parameter space on SynthTalk's mean landmark vertices (see the module docstring).

    Attributes:
        points: ``(68, 3)`` neutral landmarks; basis ``(13, 68, 3)`` per unit of expr, jaw, blink;
        jaw_quad: ``(68, 3)`` the jaw's quadratic term (SynthTalk's jaw is a rotation).
    """

    points: torch.Tensor
    basis: torch.Tensor
    jaw_quad: torch.Tensor
    meta: dict = field(default_factory=dict)
    name: str = "synthtalk"
    # The eyelid landmarks are SynthTalk's lid vertices, so blink is fitted through geometry here (the
    # template has no lids: its heads take blink from the eyelid gap, fit.blink_from_landmarks).
    frame_dims: dict = field(default_factory=lambda: {"expr": 10, "jaw": 1, "blink": 2})
    frame_bounds: dict = field(default_factory=lambda: {"expr": (0.0, 1.0), "jaw": (0.0, 1.0), "blink": (0.0, 1.0)})
    identity_dims: dict = field(default_factory=dict)

    @classmethod
    def load(cls, detector: str | None = None, path: str | Path = LANDMARK_HEAD_ASSET,
             calibrated_expr: bool = False) -> "SynthTalkLandmarkHead":
        """The asset's head; with ``detector``, its neutral points are where that detector puts the 68 points on
        SynthTalk heads (``points_<detector>``, triangulated by scripts/build_landmark_head.py), else SynthTalk's
        own landmark vertices (for landmarks projected from them, as SynthTalk clips carry). The detector's jaw
        displacement is calibrated the same way and, with ``calibrated_expr`` where the asset has them
        (``expr_<detector>``), its lip components' displacements. Off by default: on SynthTalk they lowered the
        jaw MAE but not its correlation, and cost ~0.1-0.3° of rotation (docs/tracking.md)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: landmark head missing; build it with scripts/build_landmark_head.py")
        with np.load(path) as z:
            key = "points" if detector is None else f"points_{CALIBRATION_ALIAS.get(detector, detector)}"
            if key not in z:
                raise KeyError(f"{path}: no calibration for detector {detector!r}; has "
                               f"{sorted(k[7:] for k in z.files if k.startswith('points_'))} "
                               "(scripts/build_landmark_head.py --detectors ...)")
            basis, quad = z["basis"].copy(), z["jaw_quad"]
            det = key[len("points_"):]
            if detector is not None and f"jaw_{det}" in z:  # the detector's own jaw displacement, calibrated
                basis[10], quad = z[f"jaw_{det}"], z[f"jaw_quad_{det}"]
            if detector is not None and calibrated_expr and f"expr_{det}" in z:  # and its lip components'
                basis[:10] = z[f"expr_{det}"]
            return cls(torch.from_numpy(z[key]), torch.from_numpy(basis), torch.from_numpy(quad),
                       json.loads(str(z["meta_json"])), name=f"synthtalk:{detector or 'vertices'}")

    def canonical(self, frame: dict[str, torch.Tensor], identity: dict[str, torch.Tensor]) -> torch.Tensor:
        coeffs = torch.cat([frame["expr"], frame["jaw"], frame["blink"]], 1)     # (N, 13)
        jaw = frame["jaw"][:, :1]
        return (self.points + torch.einsum("nk,kvc->nvc", coeffs, self.basis)
                + (jaw**2)[:, :, None] * self.jaw_quad)


def embed_points(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closest surface point of a mesh to each of ``points``: ``(face index (P,), barycentric (P, 3))``.

    Args:
        vertices: ``(V, 3)``; faces: ``(F, 3)``; points: ``(P, 3)`` in the same frame.
    """
    tri = vertices[faces]                                              # (F, 3, 3)
    best_f = np.zeros(len(points), np.int64)
    best_b = np.zeros((len(points), 3))
    for i, p in enumerate(points):
        b = _closest_barycentric(tri, p)                               # (F, 3)
        q = np.einsum("fk,fkc->fc", b, tri)
        f = int(np.argmin(((q - p) ** 2).sum(1)))
        best_f[i], best_b[i] = f, b[f]
    return best_f, best_b.astype(np.float32)


def _closest_barycentric(tri: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Barycentric coordinates ``(F, 3)`` of the closest point to ``p`` on each triangle ``(F, 3, 3)``.

    Projects onto the plane, then clamps to the triangle by taking the best of the projected point (if inside)
    and the closest points of the three edges: simple and exact enough for 68 points.
    """
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    v0, v1, v2 = b - a, c - a, p - a
    d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
    d20, d21 = (v2 * v0).sum(1), (v2 * v1).sum(1)
    den = np.where(np.abs(d00 * d11 - d01**2) < 1e-18, 1e-18, d00 * d11 - d01**2)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    cands = [np.stack([1 - v - w, v, w], 1)]
    inside = (v >= 0) & (w >= 0) & (v + w <= 1)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        e = tri[:, j] - tri[:, i]
        t = np.clip(((p - tri[:, i]) * e).sum(1) / np.maximum((e * e).sum(1), 1e-18), 0, 1)
        bc = np.zeros((len(tri), 3))
        bc[np.arange(len(tri)), i] = 1 - t
        bc[np.arange(len(tri)), j] = t
        cands.append(bc)
    cands = np.stack(cands, 1)                                          # (F, 4, 3)
    q = np.einsum("fmk,fkc->fmc", cands, tri)
    d = ((q - p) ** 2).sum(2)
    d[:, 0] = np.where(inside, d[:, 0], np.inf)
    return cands[np.arange(len(tri)), d.argmin(1)]


@dataclass
class MeshLandmarkHead:
    """Any mesh head through a barycentric landmark embedding.

    Args:
        forward: ``(frame params, identity params) -> (N, V, 3)`` unposed vertices.
        faces: ``(F, 3)`` int64; lmk_faces ``(68,)`` int64; lmk_bary ``(68, 3)``.
    """

    forward: Callable[[dict[str, torch.Tensor], dict[str, torch.Tensor]], torch.Tensor]
    faces: torch.Tensor
    lmk_faces: torch.Tensor
    lmk_bary: torch.Tensor
    name: str
    frame_dims: dict
    frame_bounds: dict
    identity_dims: dict = field(default_factory=dict)

    def canonical(self, frame: dict[str, torch.Tensor], identity: dict[str, torch.Tensor]) -> torch.Tensor:
        v = self.forward(frame, identity)                                    # (N, V, 3)
        tri = v[:, self.faces[self.lmk_faces]]                               # (N, 68, 3, 3)
        return torch.einsum("lk,nlkc->nlc", self.lmk_bary, tri)


def template_head(detector: str | None = None, name: str = "head_template_v2") -> MeshLandmarkHead:
    """The GGTalker head template through landmarks embedded at the surface points closest to SynthTalk's."""
    from ggtalker.gaussians.template import HeadTemplate, asset_path

    t = HeadTemplate.load(asset_path(name))
    pts = SynthTalkLandmarkHead.load(detector).points.numpy()
    f, b = embed_points(t.v_template.numpy(), t.faces.numpy(), pts)
    return MeshLandmarkHead(
        forward=lambda fr, _id: t.canonical({"expr": fr["expr"], "jaw": fr["jaw"]}),
        faces=t.faces, lmk_faces=torch.from_numpy(f), lmk_bary=torch.from_numpy(b), name=f"template:{name}",
        frame_dims={"expr": 10, "jaw": 1}, frame_bounds={"expr": (0.0, 1.0), "jaw": (0.0, 1.0)})


def read_landmark_embedding(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A 68-point landmark embedding ``(faces (68,), bary (68, 3))`` from ``.npz``/``.npy``.

    Accepts FLAME's (DECA's) ``landmark_embedding.npy`` (a pickled dict with ``full_lmk_faces_idx`` and
    ``full_lmk_bary_coords``) or an npz with ``faces_idx`` and ``bary``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: landmark embedding not found")
    raw = np.load(path, allow_pickle=True)
    d = raw.item() if isinstance(raw, np.ndarray) and raw.dtype == object else dict(raw)
    for fk, bk in (("full_lmk_faces_idx", "full_lmk_bary_coords"), ("faces_idx", "bary")):
        if fk in d and bk in d:
            f = np.asarray(d[fk]).reshape(-1).astype(np.int64)
            b = np.asarray(d[bk]).reshape(-1, 3).astype(np.float32)
            if len(f) != N_LANDMARKS or len(b) != N_LANDMARKS:
                raise ValueError(f"{path}: embedding has {len(f)} points, the tracker needs {N_LANDMARKS}")
            return f, b
    raise ValueError(f"{path}: needs full_lmk_faces_idx + full_lmk_bary_coords (FLAME/DECA) or faces_idx + bary; "
                     f"has {sorted(d)}")


def flame_head(model, lmk_faces: np.ndarray, lmk_bary: np.ndarray, n_expr: int = 50,
               n_shape: int = 100) -> MeshLandmarkHead:
    """FLAME (:class:`ggtalker.gaussians.flame.FlameModel`) as a tracked head.

    Per frame: ``flame_expr (n_expr)`` and ``flame_jaw (3)`` axis-angle; per identity: ``shape (n_shape)``.
    The global, neck and eye joints stay at rest: the fitter's rigid pose carries the head rotation.
    """
    n_expr, n_shape = min(n_expr, model.n_expr), min(n_shape, model.n_shape)
    n_joints = model.n_joints

    def forward(fr: dict[str, torch.Tensor], idn: dict[str, torch.Tensor]) -> torch.Tensor:
        n = fr["flame_expr"].shape[0]
        rot = torch.zeros(n, n_joints, 3)
        if n_joints > 2:  # FLAME's joints: global, neck, jaw, eyes
            rot = torch.cat([rot[:, :2], fr["flame_jaw"][:, None], rot[:, 3:]], 1)
        return model(idn["shape"].expand(n, -1), fr["flame_expr"], rot)

    return MeshLandmarkHead(
        forward=forward, faces=model.faces, lmk_faces=torch.as_tensor(lmk_faces, dtype=torch.int64),
        lmk_bary=torch.as_tensor(lmk_bary, dtype=torch.float32), name="flame",
        frame_dims={"flame_expr": n_expr, "flame_jaw": 3}, frame_bounds={"flame_expr": None, "flame_jaw": None},
        identity_dims={"shape": n_shape})


@lru_cache(maxsize=8)
def _cached(name: str, detector: str | None) -> LandmarkHead:
    return HEADS[name](detector)


#: Heads by name (``--head`` of scripts/track.py), each ``factory(detector or None)``; FLAME needs the user's files,
#: so it is built with flame_head.
HEADS: dict[str, Callable[[str | None], LandmarkHead]] = {
    "synthtalk": SynthTalkLandmarkHead.load,
    "template": template_head,
}


def get_head(name: str, detector: str | None = None) -> LandmarkHead:
    """A registered head by name, its landmarks calibrated to ``detector`` (None: SynthTalk's own landmark
    vertices); cached. KeyError lists the names."""
    if name not in HEADS:
        raise KeyError(f"unknown tracker head {name!r}; choose one of {sorted(HEADS)} (FLAME: heads.flame_head)")
    return _cached(name, detector)
