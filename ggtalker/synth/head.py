"""SynthTalk's procedural head: a fine, rigged triangle mesh built from an :class:`Identity`.

The mesh is far finer than any method's template (≈ 60k vertices: a 1.4 mm latitude-longitude skin grid
with a mouth slit, eyeballs with moving lids, ears, a hair shell, teeth, tongue, mouth cavity, neck and
torso), so no method gets the world's exact model for free.

Topology is the same for every identity (shape lives only in vertex positions), so vertex ids such as
:data:`LIP_VERTEX_IDS` and the 68 landmark vertices mean the same point on every head.

Rig, in order (``params`` as in :mod:`ggtalker.core.params`):
  1. expression blendshapes (``expr`` (N, 10), linear displacement fields);
  2. tongue lift (``expr[:, tongue_up]``), then jaw rotation about the temporo-mandibular axis
     (``jaw`` (N, 1), 25° at 1) with smooth skin weights;
  3. eyelids from ``blink`` (N, 2) (left = subject's left, +x);
  4. head pose ``pose`` (N, 6): ``x_world = R(aa) x + t`` about the head centre; the neck blends from
     the head transform to the fixed torso.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.spatial.transform import Rotation

from ggtalker.synth.identity import Identity
from ggtalker.core.params import EXPR_NAMES

# --- materials (shader ids) and mask labels -------------------------------------------------------
MAT_SKIN, MAT_LIPS, MAT_BROW, MAT_HAIR, MAT_EYE, MAT_TEETH, MAT_MOUTH, MAT_CLOTH, MAT_BACKGROUND, MAT_LID = range(10)
LABEL_HEAD, LABEL_TORSO = 1, 2

# --- fixed topology constants ---------------------------------------------------------------------
NC, NR = 224, 200                 # skin grid columns (longitude) and rows (latitude)
PHI_MOUTH = np.radians(-30.0)     # the mouth slit is grid row 66 (exactly -30°)
THETA_SLIT = 0.26                 # slit spans |theta| < this (radians) before the per-identity width warp
JAW_MAX_DEG = 25.0
_EYE_NU, _EYE_NV = 24, 16         # eyeball grid
_LID_NA, _LID_NT = 29, 9          # eyelid grid (azimuth, from-edge)
_EAR_NA, _EAR_NB = 28, 14
_HAIR_NC, _HAIR_NR, _HAIR_CURTAIN = 144, 64, 14
_TEETH_NS, _TEETH_NH = 48, 6
_BLOB_NU, _BLOB_NV = 24, 12


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _gauss(x, y, x0, y0, sx, sy):
    return np.exp(-0.5 * (((x - x0) / sx) ** 2 + ((y - y0) / sy) ** 2))


def _grid_faces(nr: int, nc: int, wrap: bool, offset: int = 0) -> np.ndarray:
    """Two triangles per cell of an ``nr × nc`` vertex grid (row-major), counter-clockwise seen from outside."""
    r, c = np.meshgrid(np.arange(nr - 1), np.arange(nc if wrap else nc - 1), indexing="ij")
    a = r * nc + c
    b = r * nc + (c + 1) % nc
    d = (r + 1) * nc + c
    e = (r + 1) * nc + (c + 1) % nc
    f = np.concatenate([np.stack([a, b, e], -1).reshape(-1, 3), np.stack([a, e, d], -1).reshape(-1, 3)])
    return f + offset


def _grid_angles() -> tuple[np.ndarray, np.ndarray]:
    u = -1 + 2 * np.arange(NC) / NC
    # Warped longitude: columns bunch up at the face (u≈0) where detail lives.
    theta = np.pi * (0.55 * u + 0.45 * u**3)
    phi = np.radians(-90 + 180 * (np.arange(NR) + 1) / (NR + 1))
    return theta, phi


MOUTH_ROW = int(np.argmin(np.abs(_grid_angles()[1] - PHI_MOUTH)))
_SLIT_COLS = np.nonzero(np.abs(_grid_angles()[0]) < THETA_SLIT)[0]


@dataclass
class _Part:
    name: str
    start: int
    stop: int


class HeadModel:
    """A rigged SynthTalk head for one identity.

    Attributes:
        rest: ``(V, 3)`` neutral vertices in the canonical head frame (metres).
        faces: ``(F, 3)`` int32 triangles.
        albedo: ``(V, 3)`` base colour; ``material``: ``(V,)`` shader material ids; ``label``: ``(V,)`` mask
            labels (1 head = face, hair, ears, eyes, mouth; 2 torso = neck, shoulders, clothes);
        tex: ``(V, 3)`` rest-frame coordinates the shader's procedural textures are pinned to.
    """

    def __init__(self, identity: Identity | int) -> None:
        self.identity = identity if isinstance(identity, Identity) else Identity.sample(int(identity))
        self._build()

    # ---------------------------------------------------------------- construction
    def _build(self) -> None:
        idn = self.identity
        pos, faces, alb, mat, lab, tex = [], [], [], [], [], []
        self.parts: dict[str, _Part] = {}
        n = 0

        def add(name, p, f, albedo, material, label, tx=None):
            nonlocal n
            p = np.asarray(p, np.float64)
            pos.append(p)
            faces.append(np.asarray(f) + n)
            alb.append(np.broadcast_to(np.asarray(albedo, np.float64), p.shape).copy())
            mat.append(np.broadcast_to(np.asarray(material, np.float64), (len(p),)).copy())
            lab.append(np.full(len(p), label, np.uint8))
            tex.append(p.copy() if tx is None else np.asarray(tx, np.float64))
            self.parts[name] = _Part(name, n, n + len(p))
            n += len(p)

        skin_p, skin_f, skin_a, skin_m, self._skin_info = self._skin()
        add("skin", skin_p, skin_f, skin_a, skin_m, LABEL_HEAD)
        self._eye_centres = []
        for side, sx in (("left", 1.0), ("right", -1.0)):
            c = self._eye_centre(sx, skin_p)
            self._eye_centres.append(c)
            p, f, d = _sphere(idn.eye_size, _EYE_NU, _EYE_NV)
            # the iris texture follows the gaze: rotate the eye-frame directions the shader reads
            g = Rotation.from_euler("yx", [np.radians(idn.gaze[0]), -np.radians(idn.gaze[1])]).as_matrix()
            add(f"eye_{side}", p + c, f, (0.9, 0.9, 0.9), MAT_EYE, LABEL_HEAD, tx=d @ g)
        for side, sx in (("left", 1.0), ("right", -1.0)):
            for lid in ("upper", "lower"):
                p = self._lid_positions(np.zeros(1), sx, lid)[0]
                f = _grid_faces(_LID_NT, _LID_NA, wrap=False)
                t_edge = np.repeat(np.linspace(0, 1, _LID_NT), _LID_NA)
                a = np.array(idn.skin) * 0.93
                a = a[None] * (1 - 0.85 * np.exp(-((t_edge / 0.09) ** 2)))[:, None]
                add(f"lid_{lid}_{side}", p, f, a, MAT_LID, LABEL_HEAD)
        for side, sx in (("left", 1.0), ("right", -1.0)):
            p, f = self._ear(sx, skin_p)
            add(f"ear_{side}", p, f, np.array(idn.skin) * 0.95 + np.array([0.02, -0.01, -0.01]), MAT_SKIN, LABEL_HEAD)
        hp, hf = self._hair(skin_p)
        add("hair", hp, hf, idn.hair_colour, MAT_HAIR, LABEL_HEAD)
        for jaw in ("upper", "lower"):
            p, f, a = self._teeth(jaw)
            add(f"teeth_{jaw}", p, f, a, MAT_TEETH, LABEL_HEAD)
        tp, tf = self._blob((0, self.y_mouth - 0.012, self.z_teeth - 0.02), (0.019, 0.007, 0.024))
        add("tongue", tp, tf, (0.62, 0.25, 0.25), MAT_MOUTH, LABEL_HEAD)
        cp, cf = self._blob((0, self.y_mouth - 0.003, self.z_teeth - 0.022), (0.023, 0.016, 0.025))
        add("cavity", cp, cf[:, ::-1], (0.22, 0.05, 0.05), MAT_MOUTH, LABEL_HEAD)
        np_, nf = self._neck()
        add("neck", np_, nf, np.array(idn.skin) * 0.94, MAT_SKIN, LABEL_TORSO)
        bp, bf, ba, bm = self._torso()
        add("torso", bp, bf, ba, bm, LABEL_TORSO)

        self.rest = np.concatenate(pos).astype(np.float32)
        self.faces = np.concatenate(faces).astype(np.int32)
        self.albedo = np.clip(np.concatenate(alb), 0, 1).astype(np.float32)
        self.material = np.concatenate(mat).astype(np.float32)
        self.label = np.concatenate(lab)
        self.tex = np.concatenate(tex).astype(np.float32)
        self._bake_textures()
        self._build_rig()

    def _bake_textures(self) -> None:
        """Low-frequency texture baked per vertex: skin tone variation (into albedo) and the freckle map,
        hair and cloth variation (into ``aux``), so the fragment shader only adds fine detail."""
        idn = self.identity
        m = self.material
        skinlike = np.isin(m, (MAT_SKIN, MAT_LIPS, MAT_BROW, MAT_LID))
        tone = smooth_field(self.tex * 12.0, idn.seed)
        self.albedo[skinlike] *= (1 + 0.035 * tone[skinlike])[:, None]
        self.albedo = np.clip(self.albedo, 0, 1)
        fr = np.clip(smooth_field(self.tex * 25.0, idn.seed + 1) * 0.6 + 0.2, 0, 1) * idn.freckles
        # freckles gather on the nose and cheeks
        x, y, z = self.tex[:, 0], self.tex[:, 1], self.tex[:, 2]
        fr = fr * (0.3 + 0.7 * _gauss(x, y, 0, self.y_nose_tip + 0.01, 0.045, 0.025)) * (z > 0)
        aux = np.where(skinlike, fr, 0.0)
        aux = np.where(m == MAT_HAIR, 0.5 + 0.5 * smooth_field(self.tex * 60.0, idn.seed + 2), aux)
        aux = np.where(m == MAT_CLOTH, 0.5 + 0.25 * smooth_field(self.tex * 8.0, idn.seed + 3), aux)
        self.aux = aux.astype(np.float32)

    def _base(self, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """Featureless skull-and-jaw surface at grid angles (broadcast), ``(..., 3)``."""
        idn = self.identity
        s, c = np.sin(theta), np.cos(theta)
        p = 2.0 + 0.3 * _smoothstep(-0.1, 0.6, phi)  # a boxier cranium, a rounder face (cheeks recede)
        sx = np.sign(s) * np.abs(s) ** (2 / p)
        cz = np.sign(c) * np.abs(c) ** (2 / p)
        cp = np.cos(phi)
        lower = phi < 0
        front = _smoothstep(-0.2, 0.6, c)
        y = self._latitude_to_y(phi)
        jw = 0.5 + 0.2 * idn.jaw_width
        taper = 1 - (1 - jw) * _smoothstep(-0.05, -1.2, phi)
        w_front = idn.head_width * np.where(lower, taper * cp**0.35, cp**0.7)
        w_back = idn.head_width * np.where(lower, cp**0.45, cp**0.7)
        w = front * w_front + (1 - front) * w_back
        d_front = idn.head_depth * np.where(lower, cp**0.28, cp**0.55)
        d_back = idn.head_back * np.where(lower, cp**0.9, cp**0.6)
        d = np.where(c > 0, d_front, d_back)
        return np.stack([w * sx, y, d * cz - 0.006], -1)

    def _latitude_to_y(self, phi: np.ndarray) -> np.ndarray:
        """Height of grid latitude ``phi``: piecewise linear in sin(phi) through fixed anatomical rows (chin,
        mouth, nose tip, eyes, crown), so a grid row means the same feature on every identity."""
        idn = self.identity
        knots = np.sin(np.radians([-90.0, -30.0, -18.0, 6.0, 90.0]))
        ys = [-idn.chin_drop, idn.chin_drop * np.sin(PHI_MOUTH), idn.eye_height - idn.nose_length, idn.eye_height,
              idn.head_top]
        return np.interp(np.sin(phi), knots, ys)

    def _skin(self):
        idn = self.identity
        theta, phi = _grid_angles()
        T, P = np.meshgrid(theta, phi)  # rows = latitude, cols = longitude
        base = self._base(T, P)
        x, y, z = base[..., 0], base[..., 1], base[..., 2]
        y_m = idn.chin_drop * np.sin(PHI_MOUTH)
        e_y = idn.eye_height
        y_nt = e_y - idn.nose_length
        y_sn = y_nt - 0.007
        self.y_mouth, self.y_eye, self.y_nose_tip = y_m, e_y, y_nt
        # Mouth-width warp: stretch x near the mouth so the fixed slit columns span this identity's mouth.
        slit_end = np.abs(x[MOUTH_ROW, _SLIT_COLS]).max()
        k = idn.mouth_width / slit_end
        mw = _gauss(x, y, 0, y_m, 0.03, 0.02) * (z > 0)
        x = x * (1 + (k - 1) * mw)
        ax = np.abs(x)
        front = _smoothstep(0.0, 0.05, z)
        nw, mw_ = idn.nose_width, idn.mouth_width
        dz = np.zeros_like(z)
        dz += 0.005 * (0.5 + idn.brow_ridge) * _gauss(x, y, 0, e_y + 0.019, 0.045, 0.008)
        dz -= 0.0095 * _gauss(ax, y, idn.eye_spacing, e_y, 0.022, 0.012)
        dz += 0.004 * (0.5 + idn.cheekbone) * _gauss(ax, y, 0.045, e_y - 0.03, 0.014, 0.016)
        dz += 0.007 * _gauss(x, y, 0, y_m + 0.004, 0.028, 0.022)
        # Nose: a ridge from the root to the tip, then a tip bulb and two alae.
        t = np.clip((e_y - y) / (e_y - y_nt), 0, 1)
        h = (0.005 + (0.021 * idn.nose_protrusion - 0.005) * t**1.2 + 0.0025 * idn.nose_bump * np.sin(np.pi * t) ** 2)
        h = h * (1 - _smoothstep(y_nt - 0.001, y_sn - 0.001, y)) * _smoothstep(e_y + 0.016, e_y, y)
        wdt = (0.0055 + 0.004 * t) * nw
        dz += h * np.exp(-0.5 * (x / wdt) ** 2)
        dz += 0.004 * _gauss(x, y, 0, y_nt + 0.002, 0.008 * nw, 0.0065)
        dz += 0.0065 * _gauss(ax, y, 0.0115 * nw, y_nt - 0.002, 0.006 * nw, 0.0055)
        dz -= 0.001 * _gauss(x, y, 0, (y_sn + y_m) / 2, 0.003, 0.005)
        cw = np.clip(1 - (ax / (mw_ * 1.1)) ** 2, 0, 1)
        dz += 0.0045 * (0.6 + 0.6 * idn.upper_lip) * _gauss(x, y, 0, y_m + 0.004, mw_ * 0.9, 0.0042) * cw**0.5
        dz += 0.005 * (0.6 + 0.6 * idn.lower_lip) * _gauss(x, y, 0, y_m - 0.0055, mw_ * 0.8, 0.005) * cw**0.5
        dz -= 0.0025 * _gauss(x, y, 0, y_m - 0.017, 0.016, 0.004)
        dz += 0.006 * (0.4 + idn.chin_forward) * _gauss(x, y, 0, -idn.chin_drop + 0.022, 0.015, 0.013)
        z = z + dz * front
        pts = np.stack([x, y, z], -1)

        # Albedo: skin with lips, brows, blush, stubble and eye shadows painted on the rest surface.
        skin = np.array(idn.skin)
        alb = np.broadcast_to(skin, pts.shape).copy()
        matl = np.full(x.shape, float(MAT_SKIN))
        blush = 0.12 * idn.blush * (_gauss(ax, y, 0.042, e_y - 0.035, 0.014, 0.013)) * front
        alb *= (1 - blush[..., None] * np.array([0.0, 0.6, 0.5]))
        shadow = 0.25 * _gauss(ax, y, idn.eye_spacing, e_y - 0.004, 0.016, 0.009) * front
        alb *= (1 - shadow[..., None] * np.array([0.8, 1.0, 0.9]))
        hu = (0.0055 + 0.003 * idn.upper_lip) * np.sqrt(np.clip(1 - (x / mw_) ** 2, 0, 1)) * (1 - 0.25 * np.exp(-(x / 0.004) ** 2))
        hl = (0.007 + 0.004 * idn.lower_lip) * np.sqrt(np.clip(1 - (x / (mw_ * 0.98)) ** 2, 0, 1))
        lip = np.where(y >= y_m, _smoothstep(hu + 0.0008, hu - 0.0008, y - y_m), _smoothstep(hl + 0.0008, hl - 0.0008, y_m - y))
        lip = lip * (z > 0) * (ax < mw_)
        alb = alb * (1 - lip[..., None]) + np.array(idn.lip_colour) * lip[..., None]
        matl = np.where(lip > 0.5, MAT_LIPS, matl)
        bx = np.clip((ax - 0.011) / 0.048, 0, 1)
        by = e_y + 0.02 + 0.007 * np.sin(np.pi * np.clip(bx * 0.8 + 0.1, 0, 1)) - 0.004 * bx
        bth = 0.0045 * idn.brow_thickness * (1 - 0.6 * bx)
        brow = _smoothstep(bth, bth * 0.6, np.abs(y - by)) * (ax > 0.009) * (ax < 0.061) * front
        brow = brow * _smoothstep(0.059, 0.05, ax)
        alb = alb * (1 - 0.9 * brow[..., None]) + 0.9 * brow[..., None] * np.array(idn.brow_colour)
        matl = np.where(brow > 0.5, MAT_BROW, matl)
        beard = idn.stubble * _smoothstep(y_m - 0.01, y_m - 0.03, y) * (z > -0.01) * (1 - lip) * 0.25
        beard = beard + idn.stubble * 0.25 * _gauss(x, y, 0, y_sn - 0.006, 0.018, 0.004) * (1 - lip)
        alb = alb * (1 - beard[..., None]) + beard[..., None] * np.array(idn.hair_colour) * 0.8

        pts = pts.reshape(-1, 3)
        alb = alb.reshape(-1, 3)
        matl = matl.reshape(-1)
        # Faces with the slit: rows just below the mouth row use duplicated (lower-lip) vertices.
        faces = _grid_faces(NR, NC, wrap=True)
        inner = _SLIT_COLS[1:-1]
        dup_src = MOUTH_ROW * NC + inner
        dup_ids = NR * NC + np.arange(len(inner))
        below = (faces.min(1) >= (MOUTH_ROW - 1) * NC) & (faces.max(1) < (MOUTH_ROW + 1) * NC)
        lut = np.arange(NR * NC)
        lut[dup_src] = dup_ids
        faces[below] = lut[faces[below]]
        # Pole caps close the crown and the (hidden) base of the skull.
        bot, top = NR * NC + len(inner), NR * NC + len(inner) + 1
        ring0 = np.arange(NC)
        ringN = (NR - 1) * NC + np.arange(NC)
        caps = np.concatenate([
            np.stack([np.full(NC, bot), (ring0 + 1) % NC, ring0], 1),
            np.stack([np.full(NC, top), ringN, (NR - 1) * NC + (np.arange(NC) + 1) % NC], 1),
        ])
        bot_p = pts[:NC].mean(0) - np.array([0, 0.003, 0])
        top_p = pts[ringN].mean(0) + np.array([0, 0.002, 0])
        pts = np.concatenate([pts, pts[dup_src], bot_p[None], top_p[None]])
        alb = np.concatenate([alb, alb[dup_src], alb[:1], alb[ringN[:1]]])
        matl = np.concatenate([matl, matl[dup_src], [MAT_SKIN, MAT_SKIN]])
        faces = np.concatenate([faces, caps])
        info = {"dup_src": dup_src, "dup_ids": dup_ids, "grid_xyz": np.stack([x, y, z], -1)}
        # the lips' front, where teeth sit behind
        self.z_lips = float(z[MOUTH_ROW, NC // 2])
        self.z_teeth = self.z_lips - 0.0065
        return pts, faces, alb, matl, info

    def _surface_z(self, skin_p: np.ndarray, x0: float, y0: float) -> float:
        """z of the front skin nearest to (x0, y0) (the skin grid is dense, so nearest is enough)."""
        g = skin_p[: NR * NC]
        sel = g[:, 2] > 0
        d = (g[sel, 0] - x0) ** 2 + (g[sel, 1] - y0) ** 2
        return float(g[sel][np.argmin(d), 2])

    def _eye_centre(self, sx: float, skin_p: np.ndarray) -> np.ndarray:
        idn = self.identity
        x0, y0 = sx * idn.eye_spacing, idn.eye_height
        z_s = self._surface_z(skin_p, x0, y0)
        return np.array([x0, y0, z_s + 0.0058 - idn.eye_size])

    def _lid_positions(self, blink: np.ndarray, sx: float, lid: str) -> np.ndarray:
        """Eyelid shell vertices ``(N, _LID_NT*_LID_NA, 3)`` for closure ``blink`` ``(N,)``."""
        idn = self.identity
        c = self._eye_centres[0 if sx > 0 else 1]
        a = np.radians(np.linspace(-80, 80, _LID_NA))
        shape = np.cos(np.clip(1.25 * a, -np.pi / 2, np.pi / 2))
        up_open = np.radians(idn.lid_open) * shape - np.radians(3)
        lo_open = -np.radians(idn.lid_open * 0.85) * shape - np.radians(3)
        closed = -np.radians(idn.lid_open * 0.3) * shape - np.radians(4)
        b = np.clip(np.asarray(blink, np.float64), 0, 1)[:, None]
        t = np.linspace(0, 1, _LID_NT)[None, :, None]
        if lid == "upper":
            edge = up_open + (closed - np.radians(1.5) - up_open) * b
            el = edge[:, None, :] + (np.radians(80) - edge[:, None, :]) * t
            r = idn.eye_size + 0.0011
        else:
            edge = lo_open + (closed + np.radians(1.5) - lo_open) * (b * 0.35)
            el = edge[:, None, :] + (-np.radians(80) - edge[:, None, :]) * t
            r = idn.eye_size + 0.0008
        az = np.broadcast_to(a, el.shape)
        d = np.stack([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)], -1)
        # lids are drawn double-sided, so winding does not matter
        return (c + r * d).reshape(len(b), -1, 3)

    def _ear(self, sx: float, skin_p: np.ndarray):
        idn = self.identity
        s = idn.ear_size
        a = np.linspace(0, 2 * np.pi, _EAR_NA, endpoint=False)
        b = np.linspace(-np.pi / 2 + 0.15, np.pi / 2 - 0.15, _EAR_NB)
        B, A = np.meshgrid(b, a, indexing="ij")
        up = 0.031 * s * np.cos(B) * np.sin(A)
        fw = 0.018 * s * np.cos(B) * np.cos(A) * (1 - 0.3 * _smoothstep(0, -1, np.sin(A)))
        out = 0.0065 * np.sin(B)
        # concha: a bowl on the outer face, leaving a raised helix rim
        bowl = np.exp(-0.5 * ((np.cos(B) * np.sin(A) / 0.55) ** 2 + (np.cos(B) * np.cos(A) / 0.5) ** 2))
        out = out - 0.009 * bowl * (B > 0)
        loc = np.stack([out, up, fw], -1).reshape(-1, 3)
        R = Rotation.from_euler("y", sx * np.radians(idn.ear_angle)).as_matrix()  # protrusion from the skull
        tilt = Rotation.from_euler("x", np.radians(-15)).as_matrix()
        loc = loc @ tilt.T @ R.T
        loc[:, 0] *= sx
        y0 = idn.eye_height - 0.012
        # attach to the skull's side at ear height, slightly behind the head centre
        g = skin_p[: NR * NC]
        sel = (np.sign(g[:, 0]) == sx) & (np.abs(g[:, 1] - y0) < 0.004) & (np.abs(g[:, 2] + 0.012) < 0.006)
        side_x = np.abs(g[sel, 0]).max() if sel.any() else self.identity.head_width
        centre = np.array([sx * (side_x + 0.002), y0, -0.014])
        f = _grid_faces(_EAR_NB, _EAR_NA, wrap=True)
        if sx < 0:
            f = f[:, ::-1]
        return loc + centre, f

    def _hair(self, skin_p: np.ndarray):
        idn = self.identity
        style = idn.hair_style
        u = -1 + 2 * np.arange(_HAIR_NC) / _HAIR_NC
        theta = np.pi * (0.6 * u + 0.4 * u**3)
        phi_e = np.arcsin(np.clip((idn.eye_height - 0.01) / idn.head_top, -1, 1))
        phi = np.linspace(np.radians(-50), np.radians(88), _HAIR_NR)
        T, P = np.meshgrid(theta, phi)
        base = self._base(T, P)
        thick = {"short": 0.008, "buzz": 0.003, "long": 0.011, "bob": 0.013, "bun": 0.009, "curly": 0.02, "bald": 0.0025}[style]
        ctr = np.array([0.0, 0.0, -0.01])
        rad = base - ctr
        rn = rad / np.linalg.norm(rad, axis=-1, keepdims=True)
        bump = 0.0
        if style == "curly":
            rng = np.random.default_rng(idn.seed)
            ph = rng.uniform(0, 2 * np.pi, 3)
            bump = 0.004 * (np.sin(23 * T + ph[0]) * np.sin(19 * P + ph[1]) + 0.5 * np.sin(41 * T + 37 * P + ph[2]))
        # A slightly fuller crown, as real hair sits higher on top than at the sides.
        crown = 0.006 * _smoothstep(0.2, 1.2, P) * (style not in ("buzz", "bald"))
        # Coverage: hairline from the forehead round the temples to the nape.
        at = np.abs(T)
        # The facial thirds: hairline to brow about as long as brow to nose base (~6-7 cm); a fringe lowers it.
        y_front = idn.eye_height + 0.088 - 0.03 * idn.fringe
        phi_front = np.arcsin(np.clip(y_front / idn.head_top, -1, 1))
        phi_side = phi_e + np.radians(4)
        phi_nape = np.radians(-32)
        hl = np.interp(at, [0, np.radians(45), np.radians(75), np.radians(100), np.radians(125), np.pi],
                       [phi_front, phi_front - np.radians(6), phi_side, phi_side + np.radians(4), phi_nape, phi_nape])
        # Vertices below the hairline slide up onto it, so the hair's edge follows the hairline curve
        # rather than the grid's staircase; thickness tapers to the skin there.
        long_ = style in ("long", "bob")
        # Long hair falls from the temples, behind the outer eye corner, and leaves the cheeks open.
        side = np.radians(78)
        if long_:
            hl = np.where(at > side, np.minimum(hl, phi_e - np.radians(8)), hl)
        P_eff = P if style == "bald" else np.maximum(P, hl)
        base = self._base(T, P_eff)
        rad = base - ctr
        rn = rad / np.linalg.norm(rad, axis=-1, keepdims=True)
        taper = _smoothstep(0.0, np.radians(7), P_eff - hl) * 0.8 + 0.2
        # over the ears long hair stands off the skull, so the ears stay under it
        puff = 0.014 * long_ * _smoothstep(np.radians(75), np.radians(95), at) * _smoothstep(phi_e + np.radians(30), phi_e, P_eff)
        pts = base + rn * ((thick + bump + crown + puff) * taper)[..., None]
        cover = P >= hl - np.radians(180.0 / _HAIR_NR)
        if style == "bald":
            cover &= (at > np.radians(85)) & (P < np.radians(25))
        pts = pts.reshape(-1, 3)
        cover = cover.reshape(-1)
        faces = _grid_faces(_HAIR_NR, _HAIR_NC, wrap=True)
        if long_:
            # A curtain that falls from the sides and back towards the shoulders.
            k0 = int(np.argmin(np.abs(phi - (phi_e - np.radians(8)))))
            ring = pts.reshape(_HAIR_NR, _HAIR_NC, 3)[k0]
            bottom = -idn.hair_length if style == "long" else idn.eye_height - 0.105
            ys = np.linspace(ring[0, 1], bottom, _HAIR_CURTAIN + 1)[1:]
            flare = np.linspace(0, 1, _HAIR_CURTAIN)[:, None, None]
            cur = np.repeat(ring[None], _HAIR_CURTAIN, 0).copy()
            cur[..., 0] *= 1 + 0.18 * flare[..., 0]
            cur[..., 2] = ctr[2] + (cur[..., 2] - ctr[2]) * (1 + 0.1 * flare[..., 0])
            cur[..., 1] = ys[:, None]
            cur_cover = np.broadcast_to(at[0] > side, (_HAIR_CURTAIN, _HAIR_NC)).reshape(-1)
            # stitch the ring row k0 to the curtain rows below it
            rows = np.concatenate([[k0], _HAIR_NR + np.arange(_HAIR_CURTAIN)])
            sub = _grid_faces(len(rows), _HAIR_NC, wrap=True)
            row_of = sub // _HAIR_NC
            col_of = sub % _HAIR_NC
            idx = np.where(row_of == 0, k0 * _HAIR_NC + col_of, _HAIR_NR * _HAIR_NC + (row_of - 1) * _HAIR_NC + col_of)
            pts = np.concatenate([pts, cur.reshape(-1, 3)])
            cover = np.concatenate([cover, cur_cover])
            faces = np.concatenate([faces, idx])
        if style == "bun":
            bp, bf = self._blob_raw((0, idn.head_top * 0.72, -idn.head_back * 0.85), (0.035, 0.03, 0.03))
            faces = np.concatenate([faces, bf + len(pts)])
            pts = np.concatenate([pts, bp])
            cover = np.concatenate([cover, np.ones(len(bp), bool)])
        keep = cover[faces].any(1)
        # Uncovered vertices lie on the hairline (zero thickness), so triangles touching one covered vertex
        # end exactly on the hairline; cells with no covered vertex are dropped.
        return pts, faces[keep]

    def _teeth(self, jaw: str):
        idn = self.identity
        s = np.linspace(-1, 1, _TEETH_NS)
        psi = s * np.radians(80)
        aw, ad = idn.mouth_width * 0.85, 0.017
        zf = self.z_teeth - (0.0 if jaw == "upper" else 0.0016)
        y_m = self.y_mouth
        if jaw == "upper":
            hs = np.linspace(y_m + 0.0095, y_m - 0.0012, _TEETH_NH)
        else:
            hs = np.linspace(y_m - 0.0105, y_m + 0.0002, _TEETH_NH)
        S, H = np.meshgrid(psi, hs)
        front = np.stack([aw * np.sin(S), H, zf - ad * (1 - np.cos(S))], -1)
        inward = np.stack([-np.sin(S) * 0.3, np.zeros_like(S), -np.cos(S)], -1)
        back = front + 0.006 * inward
        pts = np.concatenate([front.reshape(-1, 3), back.reshape(-1, 3)])
        nf = _TEETH_NS * _TEETH_NH
        f1 = _grid_faces(_TEETH_NH, _TEETH_NS, wrap=False)
        # bite edge strip joining the front and back surfaces' last rows
        er = _TEETH_NH - 1
        c = np.arange(_TEETH_NS - 1)
        a_, b_ = er * _TEETH_NS + c, er * _TEETH_NS + c + 1
        f_edge = np.concatenate([np.stack([a_, b_, b_ + nf], 1), np.stack([a_, b_ + nf, a_ + nf], 1)])
        faces = np.concatenate([f1, f1 + nf, f_edge])
        # per-tooth shading: dark gaps at tooth boundaries along the arch, pink gums at the root end
        arc = np.abs(np.concatenate([S.reshape(-1), S.reshape(-1)])) * aw
        widths = np.array([0.0042, 0.0035, 0.0040, 0.0035, 0.0050, 0.0050, 0.0050])
        bounds = np.concatenate([[0], np.cumsum(widths)])
        gap = np.exp(-0.5 * (np.min(np.abs(arc[:, None] - bounds[None, 1:]), 1) / 0.0003) ** 2)
        hh = np.concatenate([H.reshape(-1), H.reshape(-1)])
        root = (hh - y_m) / 0.0095 if jaw == "upper" else (y_m - hh) / 0.0105
        gum = _smoothstep(0.72, 0.85, root)
        alb = np.array([0.93, 0.9, 0.82])[None] * (1 - 0.45 * gap[:, None])
        alb = alb * (1 - gum[:, None]) + gum[:, None] * np.array([0.75, 0.35, 0.38])
        depth = np.concatenate([np.abs(S.reshape(-1)), np.abs(S.reshape(-1))])
        alb = alb * (1 - 0.55 * _smoothstep(0.5, 1.3, depth))[:, None]  # back teeth lie in shadow
        return pts, faces, alb

    def _blob_raw(self, centre, radii):
        p, f, _ = _sphere(1.0, _BLOB_NU, _BLOB_NV)
        return p * np.asarray(radii) + np.asarray(centre), f

    def _blob(self, centre, radii):
        return self._blob_raw(centre, radii)

    def _neck(self):
        idn = self.identity
        # ~3 mm rows: fine enough to carry the jaw's baked shadow (synth/occlusion.py)
        a = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        ys = np.linspace(-0.03, -0.2, 57)
        Y, A = np.meshgrid(ys, a, indexing="ij")
        r = idn.neck_radius * (1 + 0.12 * _smoothstep(-0.15, -0.2, Y))
        zc = -0.022 + 0.012 * _smoothstep(-0.05, -0.18, Y)
        p = np.stack([r * np.sin(A) * 1.05, Y, zc + r * np.cos(A) * 0.95], -1).reshape(-1, 3)
        return p, _grid_faces(len(ys), len(a), wrap=True)

    def _torso(self):
        idn = self.identity
        a = np.linspace(0, 2 * np.pi, 128, endpoint=False)
        ys = np.concatenate([np.linspace(-0.165, -0.26, 40), np.linspace(-0.27, -0.5, 10)])
        Y, A = np.meshgrid(ys, a, indexing="ij")
        sh = _smoothstep(-0.165, -0.235, Y)
        w = idn.neck_radius * 1.1 + (idn.shoulder_width - idn.neck_radius * 1.1) * sh**0.6
        d = idn.neck_radius * 1.05 + (0.1 - idn.neck_radius * 1.05) * sh**0.7
        s, c = np.sin(A), np.cos(A)
        q = 2.6
        x = w * np.sign(s) * np.abs(s) ** (2 / q)
        z = -0.02 + d * np.sign(c) * np.abs(c) ** (2 / q)
        # shoulders droop: lower the outer parts of the top
        Yd = Y - 0.03 * (np.abs(x) / idn.shoulder_width) ** 2 * sh
        p = np.stack([x, Yd, z], -1)
        cloth = np.array(idn.cloth)
        alb = np.broadcast_to(cloth, p.shape).copy()
        if idn.cloth_pattern == 1:
            alb *= (0.75 + 0.25 * (np.sin(Yd * 260) > 0))[..., None]
        elif idn.cloth_pattern == 2:
            alb *= (0.8 + 0.1 * (np.sin(x * 220) > 0) + 0.1 * (np.sin(Yd * 220) > 0))[..., None]
        # neckline: skin shows above a crew, V or collar opening at the front
        depth = {0: 0.03, 1: 0.075, 2: 0.05}[idn.neckline]
        edge = -0.17 - depth * (1 - np.clip(np.abs(x) / 0.065, 0, 1) ** (1 if idn.neckline == 1 else 2))
        open_ = _smoothstep(-0.003, 0.003, Yd - edge) * _smoothstep(-0.005, 0.005, z) * _smoothstep(0.07, 0.06, np.abs(x))
        skin = np.array(idn.skin) * 0.92
        alb = alb * (1 - open_[..., None]) + skin * open_[..., None]
        mat = np.where(open_ > 0.5, MAT_SKIN, MAT_CLOTH).astype(np.float64)
        return p.reshape(-1, 3), _grid_faces(len(ys), len(a), wrap=True), alb.reshape(-1, 3), mat.reshape(-1)

    # ---------------------------------------------------------------- rig
    def _build_rig(self) -> None:
        idn = self.identity
        V = len(self.rest)
        P = self.rest.astype(np.float64)
        x, y, z = P[:, 0], P[:, 1], P[:, 2]
        y_m, mw = self.y_mouth, idn.mouth_width
        ax = np.abs(x)
        skin = np.zeros(V, bool)
        sp = self.parts["skin"]
        skin[sp.start:sp.stop] = True
        front = (z > 0.0) & skin
        is_lower = np.zeros(V, bool)
        # rows below the slit (and the slit's lower duplicates) belong to the lower lip
        grid_row = np.full(V, -1)
        grid_row[: NR * NC] = np.arange(NR * NC) // NC
        is_lower[: NR * NC] = grid_row[: NR * NC] < MOUTH_ROW
        is_lower[self._skin_info["dup_ids"]] = True
        upper = skin & ~is_lower
        mouth = _gauss(x, y, 0, y_m, mw * 1.1, 0.011) * front
        corner = _gauss(ax, y, mw, y_m, 0.007, 0.008) * front
        ul = _gauss(x, y, 0, y_m + 0.004, mw * 0.85, 0.006) * front * upper
        ll = _gauss(x, y, 0, y_m - 0.005, mw * 0.8, 0.007) * front * is_lower
        cw = np.clip(1 - (ax / mw) ** 2, 0, 1)  # 1 at the lip centre, 0 at the corners
        sgn = np.sign(x)
        B = np.zeros((len(EXPR_NAMES), V, 3))
        e = {n: i for i, n in enumerate(EXPR_NAMES)}
        # lip_round: pull the corners in, push lips forward, open a small hole
        B[e["lip_round"], :, 0] = -0.35 * x * mouth
        B[e["lip_round"], :, 2] = 0.007 * mouth
        B[e["lip_round"], :, 1] = 0.0022 * cw * (ul / (ul.max() + 1e-9) - ll / (ll.max() + 1e-9)) * front
        # lip_spread: corners out and back
        B[e["lip_spread"], :, 0] = 0.006 * sgn * corner
        B[e["lip_spread"], :, 2] = -0.003 * corner
        B[e["lip_spread"], :, 1] = 0.0008 * corner
        # lip_press: lips thin and roll in
        B[e["lip_press"], :, 1] = -0.0018 * ul / (ul.max() + 1e-9) + 0.0018 * ll / (ll.max() + 1e-9)
        B[e["lip_press"], :, 2] = -0.0025 * mouth
        # upper_lip_raise / lower_lip_depress: the lips part at the centre, showing teeth
        B[e["upper_lip_raise"], :, 1] = 0.005 * _gauss(x, y, 0, y_m + 0.004, mw * 0.7, 0.01) * upper * front * cw
        B[e["lower_lip_depress"], :, 1] = -0.006 * _gauss(x, y, 0, y_m - 0.006, mw * 0.7, 0.011) * is_lower * front * cw
        # smile: corners up and out, cheeks up and forward
        cheek = _gauss(ax, y, 0.04, y_m + 0.018, 0.014, 0.014) * front
        B[e["smile"], :, 0] = 0.004 * sgn * corner
        B[e["smile"], :, 1] = 0.006 * corner + 0.003 * cheek
        B[e["smile"], :, 2] = -0.002 * corner + 0.003 * cheek
        # cheek_puff
        puff = _gauss(ax, y, 0.04, y_m + 0.002, 0.016, 0.017) * skin * (z > -0.02)
        B[e["cheek_puff"], :, 0] = 0.008 * sgn * puff
        B[e["cheek_puff"], :, 2] = 0.004 * puff
        # brows
        brow = _gauss(x, y, 0, idn.eye_height + 0.024, 0.055, 0.016) * front
        B[e["brow_raise"], :, 1] = 0.006 * brow
        inner = _gauss(ax, y, 0.014, idn.eye_height + 0.02, 0.013, 0.01) * front
        B[e["brow_frown"], :, 1] = -0.004 * inner
        B[e["brow_frown"], :, 0] = -0.003 * sgn * inner
        B[e["brow_frown"], :, 2] = 0.0015 * inner
        # the upper lids ride with raised brows a little
        for side in ("left", "right"):
            pt = self.parts[f"lid_upper_{side}"]
            B[e["brow_raise"], pt.start:pt.stop, 1] = 0.0
        act = np.nonzero(np.abs(B).sum((0, 2)) > 1e-7)[0]
        self._blend_ids = act
        self._blend = B[:, act].astype(np.float32)
        self._blend_pos = np.full(len(self.rest), -1, np.int64)  # vertex -> its column of _blend, or -1
        self._blend_pos[act] = np.arange(len(act))

        # jaw weights: lower face, lower lip (tapering to the corners), lower teeth, tongue, cavity floor
        wj = _smoothstep(y_m, y_m - 0.03, y) * _smoothstep(-0.045, 0.02, z)
        wj = np.maximum(wj, is_lower * front * _smoothstep(mw * 1.15, mw * 0.35, ax) * _smoothstep(y_m - 0.03, y_m, y))
        wj = wj * skin
        for name in ("teeth_lower", "tongue"):
            pt = self.parts[name]
            wj[pt.start:pt.stop] = 1.0
        pt = self.parts["cavity"]
        wj[pt.start:pt.stop] = _smoothstep(y_m + 0.004, y_m - 0.012, y[pt.start:pt.stop])
        self.jaw_weight = wj.astype(np.float32)
        self.jaw_pivot = np.array([0.0, idn.eye_height - 0.02, -0.02])
        tp = self.parts["tongue"]
        tl = P[tp.start:tp.stop]
        self._tongue_pivot = np.array([0.0, tl[:, 1].mean(), tl[:, 2].mean()])
        self._tongue_w = np.clip((tl[:, 2] - self._tongue_pivot[2]) / (np.ptp(tl[:, 2]) / 2), 0, 1)

        # pose weights: 1 for the head, blending down the neck, 0 for the torso
        pw = np.ones(V)
        nk = self.parts["neck"]
        pw[nk.start:nk.stop] = _smoothstep(-0.19, -0.06, y[nk.start:nk.stop])
        to = self.parts["torso"]
        pw[to.start:to.stop] = 0.0
        self.pose_weight = pw.astype(np.float32)

    # ---------------------------------------------------------------- public API
    @property
    def n_vertices(self) -> int:
        return len(self.rest)

    def vertices(self, params: dict[str, np.ndarray], frame: int | slice = slice(None),
                 ids: np.ndarray | None = None) -> np.ndarray:
        """Posed vertices in world metres.

        Args:
            params: ``expr (N, 10)``, ``jaw (N, 1)``, ``blink (N, 2)``, ``pose (N, 6)`` (missing keys = neutral).
            frame: which frames of ``params`` to pose.
            ids: pose only these vertex indices ``(K,)`` (None: all). Every deformation is per vertex, so a
                subset gives the same positions as ``vertices(...)[:, ids]`` at a fraction of the cost (lip
                vertex error poses a few hundred of the ~63k vertices for every frame).
        Returns:
            ``(n, V, 3)`` float32, or ``(n, K, 3)`` with ``ids``.
        """
        pr = _select(params, frame)
        n = pr["n"]
        ids = np.arange(len(self.rest)) if ids is None else np.asarray(ids, np.int64)
        X = np.broadcast_to(self.rest[ids], (n, len(ids), 3)).astype(np.float32).copy()
        blend_pos = self._blend_pos[ids]
        has = blend_pos >= 0
        X[:, has] += np.einsum("nk,kvc->nvc", pr["expr"], self._blend[:, blend_pos[has]])
        # tongue lift about its centre, in the jaw frame
        tp = self.parts["tongue"]
        tm = (ids >= tp.start) & (ids < tp.stop)
        if tm.any():
            ang = -np.radians(40.0) * pr["expr"][:, EXPR_NAMES.index("tongue_up")]
            T = X[:, tm] - self._tongue_pivot
            a = ang[:, None] * self._tongue_w[None, ids[tm] - tp.start]
            ty = T[..., 1] * np.cos(a) - T[..., 2] * np.sin(a)
            tz = T[..., 1] * np.sin(a) + T[..., 2] * np.cos(a)
            X[:, tm, 1] = ty + self._tongue_pivot[1]
            X[:, tm, 2] = tz + self._tongue_pivot[2]
        # jaw
        th = np.radians(JAW_MAX_DEG) * pr["jaw"][:, 0]
        Rj = Rotation.from_rotvec(np.stack([th, 0 * th, 0 * th], 1)).as_matrix().astype(np.float32)
        J = X - self.jaw_pivot.astype(np.float32)
        rot = np.einsum("nij,nvj->nvi", Rj, J) + self.jaw_pivot.astype(np.float32)
        X += self.jaw_weight[None, ids, None] * (rot - X)
        # lids
        for k, (side, sx) in enumerate((("left", 1.0), ("right", -1.0))):
            for lid in ("upper", "lower"):
                p = self.parts[f"lid_{lid}_{side}"]
                lm = (ids >= p.start) & (ids < p.stop)
                if lm.any():
                    X[:, lm] = self._lid_positions(pr["blink"][:, k], sx, lid)[:, ids[lm] - p.start]
        # pose
        pose = pr["pose"]
        R = Rotation.from_rotvec(pose[:, :3]).as_matrix().astype(np.float32)
        Y = np.einsum("nij,nvj->nvi", R, X) + pose[:, None, 3:6]
        w = self.pose_weight[None, ids, None]
        return (w * Y + (1 - w) * X).astype(np.float32)

    def landmarks3d(self, params: dict[str, np.ndarray], frame: int | slice = slice(None)) -> np.ndarray:
        """The 68 iBUG landmark vertices, ``(N, 68, 3)`` world metres."""
        return self.vertices(params, frame, ids=landmark_vertex_ids(self))

    def lip_vertices(self, params: dict[str, np.ndarray], frame: int | slice = slice(None)) -> np.ndarray:
        """Mouth-region vertices :data:`LIP_VERTEX_IDS`, ``(N, M, 3)`` world metres."""
        return self.vertices(params, frame, ids=LIP_VERTEX_IDS)


def smooth_field(p: np.ndarray, seed: int, n_waves: int = 12) -> np.ndarray:
    """A smooth random scalar field in about [-1, 1] at points ``p`` ``(..., 3)`` (sum of random plane waves
    of unit wavelength scale; cheaper than a noise library and plenty for tone variation)."""
    r = np.random.default_rng(np.random.SeedSequence([int(seed), 0xF1E1D]))
    k = r.normal(size=(n_waves, 3)) * 2 * np.pi
    ph = r.uniform(0, 2 * np.pi, n_waves)
    return np.sin(p @ k.T + ph).sum(-1) / np.sqrt(n_waves / 2)


def _sphere(r: float, nu: int, nv: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A UV sphere: vertices ``(nv*nu, 3)``, faces, and unit directions. The poles are small rings."""
    v = np.linspace(-np.pi / 2 + 0.05, np.pi / 2 - 0.05, nv)
    u = np.linspace(0, 2 * np.pi, nu, endpoint=False)
    V_, U = np.meshgrid(v, u, indexing="ij")
    d = np.stack([np.cos(V_) * np.sin(U), np.sin(V_), np.cos(V_) * np.cos(U)], -1).reshape(-1, 3)
    return r * d, _grid_faces(nv, nu, wrap=True), d


def _select(params: dict[str, np.ndarray], frame: int | slice) -> dict:
    n_all = max((len(v) for v in params.values()), default=1)
    idx = np.arange(n_all)[frame]
    idx = np.atleast_1d(idx)
    out = {"n": len(idx)}
    dims = {"expr": len(EXPR_NAMES), "jaw": 1, "blink": 2, "pose": 6}
    for k, d in dims.items():
        v = params.get(k)
        if v is None:
            out[k] = np.zeros((len(idx), d), np.float32)
        else:
            v = np.asarray(v, np.float32)
            if v.ndim != 2 or v.shape[1] != d:
                raise ValueError(f"params[{k!r}] must be (N, {d}), got {v.shape}")
            out[k] = v[idx]
    return out


# --------------------------------------------------------------------- landmarks and lip vertices
def _skin_grid_id(row: int, col: int) -> int:
    return int(row * NC + col)


def _nearest_skin(model: HeadModel, x0: float, y0: float, lower: bool | None = None) -> int:
    g = model._skin_info["grid_xyz"]
    rows, cols = np.meshgrid(np.arange(NR), np.arange(NC), indexing="ij")
    sel = g[..., 2] > 0.02
    if lower is True:
        sel &= rows < MOUTH_ROW
    elif lower is False:
        sel &= rows >= MOUTH_ROW
    d = np.where(sel, (g[..., 0] - x0) ** 2 + (g[..., 1] - y0) ** 2, np.inf)
    r, c = np.unravel_index(np.argmin(d), d.shape)
    return _skin_grid_id(r, c)


@lru_cache(maxsize=1)
def _reference_landmark_ids() -> tuple[int, ...]:
    """Landmark vertex ids chosen once on a reference identity; topology is shared, so they hold for all."""
    m = HeadModel(Identity.sample(0))
    return tuple(_choose_landmarks(m))


def _choose_landmarks(m: HeadModel) -> list[int]:
    idn = m.identity
    e_y, y_m, mw = m.y_eye, m.y_mouth, idn.mouth_width
    ids: list[int] = []
    g = m._skin_info["grid_xyz"]
    # jaw contour 0..16: the face's outline seen from the front, ear level to chin and back
    for k in range(17):
        s = (k - 8) / 8.0
        ang = s * np.radians(88)
        yy = e_y - 0.012 + (-idn.chin_drop + 0.003 - (e_y - 0.012)) * np.cos(ang) ** 1.3
        # the widest front-facing skin point at that height (the silhouette from the front)
        row = int(np.argmin(np.abs(g[:, NC // 2, 1] - yy)))
        if k == 8:
            # chin: the lowest front point of the midline
            ids.append(_skin_grid_id(row, NC // 2))
            continue
        cols = np.arange(NC)
        zz = g[row, :, 2]
        xx = g[row, :, 0]
        ok = (zz > -0.005) & (np.sign(xx) == np.sign(s))
        target = abs(s) ** 0.8
        xm = np.abs(xx[ok]).max()
        c = cols[ok][np.argmin(np.abs(np.abs(xx[ok]) - target * xm) + (zz[ok] < 0.0) * 1.0)]
        ids.append(_skin_grid_id(row, c))
    # brows 17..26 (image-left brow = subject's right = -x first)
    for sx, xs in ((-1, np.linspace(0.056, 0.014, 5)), (1, np.linspace(0.014, 0.056, 5))):
        for xv in xs:
            bx = np.clip((xv - 0.011) / 0.048, 0, 1)
            by = e_y + 0.02 + 0.007 * np.sin(np.pi * np.clip(bx * 0.8 + 0.1, 0, 1)) - 0.004 * bx
            ids.append(_nearest_skin(m, sx * xv, by))
    # nose bridge 27..30 and base 31..35
    for t in (0.0, 0.33, 0.66, 1.0):
        ids.append(_nearest_skin(m, 0.0, e_y + 0.002 + t * (m.y_nose_tip - e_y - 0.002)))
    for xv in (-0.009, -0.0045, 0.0, 0.0045, 0.009):
        ids.append(_nearest_skin(m, xv * idn.nose_width, m.y_nose_tip - 0.008 + 0.002 * abs(xv) / 0.009))
    # eyes 36..47 on the lid edges (edge row t = 0)
    def lid(side: str, which: str, az_deg: float) -> int:
        p = m.parts[f"lid_{which}_{side}"]
        col = int(np.argmin(np.abs(np.linspace(-80, 80, _LID_NA) - az_deg)))
        return p.start + col  # row 0 is the edge
    # subject's right eye (image left): outer corner at -x
    ids += [lid("right", "lower", -52), lid("right", "upper", -20), lid("right", "upper", 12),
            lid("right", "lower", 48), lid("right", "lower", 14), lid("right", "lower", -18)]
    ids += [lid("left", "lower", -48), lid("left", "upper", -12), lid("left", "upper", 20),
            lid("left", "lower", 52), lid("left", "lower", 18), lid("left", "lower", -14)]
    # outer lips 48..59
    hu = 0.0055 + 0.003 * idn.upper_lip
    hl = 0.007 + 0.004 * idn.lower_lip
    slit_row = MOUTH_ROW
    corner_c = [int(_SLIT_COLS[0]), int(_SLIT_COLS[-1])]
    ids.append(_skin_grid_id(slit_row, corner_c[0]))
    for xv in (-0.6, -0.3, 0.0, 0.3, 0.6):
        ids.append(_nearest_skin(m, xv * mw, y_m + hu * np.sqrt(1 - xv**2) * (0.85 if xv == 0 else 1.0), lower=False))
    ids.append(_skin_grid_id(slit_row, corner_c[1]))
    for xv in (0.6, 0.3, 0.0, -0.3, -0.6):
        ids.append(_nearest_skin(m, xv * mw, y_m - hl * np.sqrt(1 - xv**2), lower=True))
    # inner lips 60..67 on the slit: upper copies, then lower duplicates
    inner = _SLIT_COLS[1:-1]
    dup_of = {int(c): int(d) for c, d in zip(inner, m._skin_info["dup_ids"])}
    cols_at = [inner[int(round(f * (len(inner) - 1)))] for f in (0.25, 0.5, 0.75)]
    ids.append(_skin_grid_id(slit_row, corner_c[0] + 1))
    ids += [_skin_grid_id(slit_row, c) for c in cols_at]
    ids.append(_skin_grid_id(slit_row, corner_c[1] - 1))
    ids += [dup_of[int(c)] for c in cols_at[::-1]]
    assert len(ids) == 68, len(ids)
    return ids


def landmark_vertex_ids(model: HeadModel | None = None) -> np.ndarray:
    """The 68 landmark vertex ids (iBUG order); the same for every identity."""
    return np.asarray(_reference_landmark_ids(), np.int64)


def _lip_ids() -> np.ndarray:
    theta, phi = _grid_angles()
    rows = np.nonzero(np.abs(phi - PHI_MOUTH) < np.radians(7))[0]
    cols = np.nonzero(np.abs(theta) < THETA_SLIT + 0.06)[0]
    grid = (rows[:, None] * NC + cols[None, :]).reshape(-1)
    dup = NR * NC + np.arange(len(_SLIT_COLS) - 2)
    return np.concatenate([grid, dup]).astype(np.int64)


#: Mouth-region skin vertex ids (both lips and the slit's duplicated lower-lip vertices); fixed topology.
LIP_VERTEX_IDS = _lip_ids()


@lru_cache(maxsize=32)
def head_model(identity_seed: int) -> HeadModel:
    """A cached :class:`HeadModel` for an identity seed."""
    return HeadModel(Identity.sample(identity_seed))


def lip_vertices(identity_seed: int, params: dict[str, np.ndarray]) -> np.ndarray:
    """Mouth-region vertices of identity ``identity_seed`` posed by ``params``: ``(N, M, 3)`` metres.

    For lip vertex error (FaceFormer's LVE: max over lip vertices of the L2 error, averaged over frames).
    """
    return head_model(int(identity_seed)).lip_vertices(params)
