"""How the built-in head template is made (run by ``scripts/build_head_template.py``).

1. :func:`latlong_mesh`: a latitude–longitude grid on a unit sphere (open at the neck, a fan at the crown),
   whose UV layout is the (longitude, latitude) chart, the seam at the back of the head.
2. :func:`fit_to_source`: every template vertex is placed where its direction from the head centre meets the
   source head (the mean of the inverse-distance-weighted k nearest source vertices in direction), and
   each blendshape is resampled the same way from the source's per-parameter displacement. Like FLAME
   being learned from scans, the template sees the world's head only through these low-resolution
   samples, so no method gets SynthTalk's exact geometry.
3. :func:`procedural_source`: a stand-in source head (ellipsoid + nose + analytic mouth, jaw, brow and lid
   displacements) used when SynthTalk's head model is not importable.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ggtalker.core.params import PARAM_DIMS

LAT_MIN, LAT_MAX = np.radians(-70.0), np.radians(84.0)


def latlong_mesh(rings: int = 24, segments: int = 32, face_warp: float = 0.0,
                 lat_min: float = LAT_MIN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-sphere grid ``(dirs (V,3), faces (F,3), uv (V,2))``; +z is the face (u = 0.5), +y up.

    Args:
        face_warp: in [0, 1). Longitudes follow ``π·((1-w)·s + w·s³)`` of the uniform UV coordinate
            ``s`` in [-1, 1], so columns (and the UV texels between them) bunch up ``1/(1-w)`` times at the
            face, where the detail is, and thin out at the back (0: uniform).
        lat_min: lowest latitude (radians), the open rim at the neck.
    """
    lat = np.linspace(lat_min, LAT_MAX, rings + 1)
    # Longitude 0 = +z (the face); ±π = the back, where the UV seam lies.
    s = np.linspace(-1.0, 1.0, segments + 1)
    lon = np.pi * ((1 - face_warp) * s + face_warp * s**3)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    dirs = np.stack([np.cos(la) * np.sin(lo), np.sin(la), np.cos(la) * np.cos(lo)], -1).reshape(-1, 3)
    su = np.broadcast_to(s[None], la.shape)
    uv = np.stack([(su + 1) / 2, (la - lat_min) / (np.pi / 2 - lat_min)], -1).reshape(-1, 2)
    idx = np.arange((rings + 1) * (segments + 1)).reshape(rings + 1, segments + 1)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, :-1], idx[1:, 1:]
    # Outward-facing counter-clockwise order (checked by test_ggtalker_template).
    faces = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([b, d, c], -1).reshape(-1, 3)])
    # Crown: one pole vertex per segment so every fan triangle keeps a non-degenerate UV footprint.
    n0 = len(dirs)
    pole_uv = np.stack([(np.arange(segments) + 0.5) / segments, np.ones(segments)], -1)
    dirs = np.concatenate([dirs, np.tile([[0.0, 1.0, 0.0]], (segments, 1))])
    uv = np.concatenate([uv, pole_uv])
    top = idx[-1]
    fan = np.stack([top[:-1], top[1:], n0 + np.arange(segments)], -1)
    faces = np.concatenate([faces, fan])
    return dirs.astype(np.float32), faces.astype(np.int64), uv.astype(np.float32)


def procedural_source(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, Callable[[str, int], np.ndarray]]:
    """A stand-in source head: ``(neutral (n,3), displacement(key, index) -> (n,3))``.

    Dimensions follow an adult head (15 cm wide, 23 cm tall, 20 cm deep); displacements are smooth
    bumps at the lips, jaw, cheeks, brows and lids with the meaning of :data:`EXPR_NAMES`.
    """
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    radii = np.array([0.075, 0.115, 0.10])
    p = d * radii
    nose = np.exp(-((p[:, 0] / 0.015) ** 2 + ((p[:, 1] + 0.005) / 0.03) ** 2)) * (p[:, 2] > 0)
    p[:, 2] += 0.025 * nose

    def bump(cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
        return np.exp(-(((p[:, 0] - cx) / sx) ** 2 + ((p[:, 1] - cy) / sy) ** 2)) * (p[:, 2] > 0.03)

    mouth_y = -0.05
    upper, lower = bump(0, mouth_y + 0.008, 0.03, 0.012), bump(0, mouth_y - 0.01, 0.03, 0.014)
    lips = bump(0, mouth_y, 0.03, 0.02)
    corners = bump(0.03, mouth_y, 0.012, 0.012) + bump(-0.03, mouth_y, 0.012, 0.012)
    chin = np.clip(-(p[:, 1] - mouth_y) / 0.06, 0, 1) * (p[:, 2] > -0.02) * (p[:, 1] < mouth_y)
    z, x = np.array([0, 0, 1.0]), np.array([1.0, 0, 0])
    y = np.array([0, 1.0, 0])
    sx = np.sign(p[:, :1])
    disp = {
        ("expr", 0): 0.008 * lips[:, None] * z - 0.008 * corners[:, None] * sx * x,   # lip_round
        ("expr", 1): 0.010 * corners[:, None] * sx * x,                                 # lip_spread
        ("expr", 2): -0.004 * upper[:, None] * y + 0.004 * lower[:, None] * y,        # lip_press
        ("expr", 3): 0.006 * upper[:, None] * y,                                        # upper_lip_raise
        ("expr", 4): -0.006 * lower[:, None] * y,                                       # lower_lip_depress
        ("expr", 5): corners[:, None] * (0.008 * sx * x + 0.006 * y),                   # smile
        ("expr", 6): 0.010 * (bump(0.05, -0.03, 0.02, 0.025) + bump(-0.05, -0.03, 0.02, 0.025))[:, None] * sx * x,
        ("expr", 7): 0.008 * (bump(0.03, 0.045, 0.025, 0.012) + bump(-0.03, 0.045, 0.025, 0.012))[:, None] * y,
        ("expr", 8): -0.006 * (bump(0.018, 0.04, 0.012, 0.012) + bump(-0.018, 0.04, 0.012, 0.012))[:, None] * (y + sx * x),
        ("expr", 9): 0.003 * lower[:, None] * z,                                        # tongue_up (lip shape only)
        ("jaw", 0): chin[:, None] * (-0.03 * y - 0.008 * z),
        ("blink", 0): -0.01 * bump(0.032, 0.025, 0.015, 0.008)[:, None] * y,
        ("blink", 1): -0.01 * bump(-0.032, 0.025, 0.015, 0.008)[:, None] * y,
    }
    return p.astype(np.float32), lambda key, i: disp[(key, i)].astype(np.float32)


def fit_to_source(dirs: np.ndarray, source_neutral: np.ndarray,
                  displacement: Callable[[str, int], np.ndarray], k: int = 6,
                  centre: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resample a source head onto the template's directions.

    Args:
        dirs: ``(V, 3)`` unit directions of the template vertices.
        source_neutral: ``(M, 3)`` source vertices at zero parameters.
        displacement: ``(key, i) -> (M, 3)`` source displacement for a unit value of parameter ``key[i]``.
        k: neighbours averaged per template vertex (the low-pass that makes the template coarse).
        centre: ray origin (default: the source's bounding-box centre).

    Returns:
        ``(v_template (V, 3), basis (N_BLEND, V, 3))``.
    """
    c = (source_neutral.min(0) + source_neutral.max(0)) / 2 if centre is None else centre
    rel = source_neutral - c
    sdir = rel / np.linalg.norm(rel, axis=1, keepdims=True).clip(1e-9)
    cos = dirs @ sdir.T                                   # (V, M)
    nn = np.argpartition(-cos, k, axis=1)[:, :k]          # k nearest in direction
    ang = np.arccos(np.clip(np.take_along_axis(cos, nn, 1), -1, 1))
    w = 1.0 / (ang + 1e-3)
    w /= w.sum(1, keepdims=True)
    # Radius along the template direction (not the neighbours' mean position), so vertices stay on their rays.
    radius = (np.linalg.norm(rel[nn], axis=2) * w).sum(1)
    v = c + dirs * radius[:, None]
    basis = []
    for key in ("expr", "jaw", "blink"):
        for i in range(PARAM_DIMS[key]):
            basis.append((displacement(key, i)[nn] * w[..., None]).sum(1))
    return v.astype(np.float32), np.stack(basis).astype(np.float32)
