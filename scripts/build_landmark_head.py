"""Build the tracker's 68-landmark head ``ggtalker/track/assets/landmark_head_synthtalk.npz`` from SynthTalk.

    python scripts/build_landmark_head.py [--identities 24]

The head template (:mod:`ggtalker.gaussians.template`) is SynthTalk's mean skin resampled on a coarse star-shaped
mesh: it has no mouth slit (upper and lower inner-lip points embed at the same template vertex, so its jaw
cannot open the inner lips) and no eyelids (its blink bases are zero). The tracker therefore fits the same
parameter space on the *landmark vertices themselves*: SynthTalk's 68 landmark vertices
(:func:`ggtalker.synth.head.landmark_vertex_ids`) at neutral, averaged over training identities, with the mean
displacement per unit of each blend parameter, built the way ``template_build`` builds the template's bases.
The jaw, a rotation in SynthTalk, gets a quadratic term too (displacement at jaw 0.5 and 1 → ``a j + b j²``).
Training identities only (:data:`ggtalker.synth.splits.TRAIN_IDENTITIES`), so test identities stay unseen.

Detectors do not put their 68 points where SynthTalk's landmark vertices are (the jaw contour most of all: a
detector's is the face's silhouette, and MediaPipe's mesh has no exact iBUG equivalents, see
``ggtalker.track.landmarks.MP_TO_68``). So for each detector (``--detectors``) the neutral points are also
*calibrated*: the training identities are rendered at neutral expression from known views (yaw ±30°, pitch
±15°), the detector runs on the frames, and each of its 68 points is triangulated in the head frame (linear
least squares over all views and identities) → ``points_<detector>``; the same at jaw 0.5 and 1 gives the
detector's own jaw displacement (``jaw_<detector>``, ``jaw_quad_<detector>``: how its points move when the mouth
opens, which for the lip points is not how SynthTalk's lip vertices move), and the same with each lip component
(``CALIB_EXPR``) at ``EXPR_LEVEL`` gives the detector's own lip displacements (``expr_<detector>``; its other
components are SynthTalk's): uncalibrated, they competed with the jaw for the mouth's opening. Blink stays
SynthTalk's. Deterministic: rebuilt, the earlier arrays came out bit-identical.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ggtalker.core.params import PARAM_DIMS
from ggtalker.synth.head import HeadModel, landmark_vertex_ids
from ggtalker.synth.splits import TRAIN_IDENTITIES

OUT = Path(__file__).resolve().parents[1] / "ggtalker" / "track" / "assets" / "landmark_head_synthtalk.npz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identities", type=int, default=24)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--detectors", nargs="*", default=["mediapipe", "dlib68", "mediapipe_refined"])
    ap.add_argument("--calib-identities", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    a = ap.parse_args()
    zero = {k: np.zeros((1, d), np.float32) for k, d in PARAM_DIMS.items()}
    units = [(k, i) for k in ("expr", "jaw", "blink") for i in range(PARAM_DIMS[k])]
    ids = landmark_vertex_ids()
    seeds = list(TRAIN_IDENTITIES[: a.identities])
    neutral = np.zeros((68, 3))
    basis = np.zeros((len(units), 68, 3))
    jaw_half = np.zeros((68, 3))
    for seed in seeds:
        m = HeadModel(seed)
        base = m.vertices(zero, ids=ids)[0]
        neutral += base / len(seeds)
        for u, (k, i) in enumerate(units):
            p = {kk: v.copy() for kk, v in zero.items()}
            p[k][0, i] = 1.0
            basis[u] += (m.vertices(p, ids=ids)[0] - base) / len(seeds)
        p = {kk: v.copy() for kk, v in zero.items()}
        p["jaw"][0, 0] = 0.5
        jaw_half += (m.vertices(p, ids=ids)[0] - base) / len(seeds)
    # d(j) = a j + b j^2 through d(0.5) and d(1): b = 2 d(1) - 4 d(0.5), a = d(1) - b.
    j = units.index(("jaw", 0))
    jaw_quad = 2 * basis[j] - 4 * jaw_half
    basis[j] = basis[j] - jaw_quad
    meta = {"source": "synthtalk", "identities": [seeds[0], seeds[-1]], "n_identities": len(seeds),
            "units": [f"{k}[{i}]" for k, i in units], "jaw": "basis[jaw] * j + jaw_quad * j^2",
            "script": "scripts/build_landmark_head.py"}
    calibrated = {}
    if a.detectors:
        pts, info = calibrate(a.detectors, seeds[: a.calib_identities], a.size)
        meta["calibration"] = info
        print(f"calibration: {info}")
        for name, p in pts.items():
            # Neutral points, and the detector's own jaw displacement (a j + b j^2 through jaw 0.5 and 1).
            d_half, d_one = p[1] - p[0], p[2] - p[0]
            quad = 2 * d_one - 4 * d_half
            calibrated[f"points_{name}"] = p[0]
            calibrated[f"jaw_{name}"] = d_one - quad
            calibrated[f"jaw_quad_{name}"] = quad
            # The lip components compete with the jaw for the mouth's opening, so they need the detector's own
            # displacement too (linear, through EXPR_LEVEL); the others keep SynthTalk's.
            expr = basis[:PARAM_DIMS["expr"]].copy()
            for m, i in enumerate(CALIB_EXPR):
                expr[i] = (p[len(JAW_LEVELS) + m] - p[0]) / EXPR_LEVEL
            calibrated[f"expr_{name}"] = expr
    a.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(a.out, points=neutral.astype(np.float32), basis=basis.astype(np.float32),
                        jaw_quad=jaw_quad.astype(np.float32), meta_json=np.array(json.dumps(meta)),
                        **{k: v.astype(np.float32) for k, v in calibrated.items()})
    print(f"wrote {a.out}: 68 points from {len(seeds)} identities; "
          f"inter-ocular {np.linalg.norm(neutral[36] - neutral[45]) * 1000:.1f} mm")


#: Calibration views (yaw, pitch) in degrees: the tracker's working range; jaw openings calibrated.
VIEWS = [(y, p) for y in (-30, -15, 0, 15, 30) for p in (-15, 0, 15)]
JAW_LEVELS = (0.0, 0.5, 1.0)
#: Expression components calibrated per detector (lip_round .. smile: the ones that move the lips), each rendered
#: alone at EXPR_LEVEL (about speech's upper range: SynthTalk's test clips have lip stds of 0.1-0.35).
CALIB_EXPR = (0, 1, 2, 3, 4, 5)
EXPR_LEVEL = 0.5


def calibration_levels() -> list[dict[str, np.ndarray]]:
    """The rendered parameter sets: :data:`JAW_LEVELS` (the first is neutral), then each of :data:`CALIB_EXPR`
    at :data:`EXPR_LEVEL`; each ``{name: (1, D)}``."""
    levels = []
    for jaw in JAW_LEVELS:
        p = {k: np.zeros((1, d), np.float32) for k, d in PARAM_DIMS.items()}
        p["jaw"][0, 0] = jaw
        levels.append(p)
    for i in CALIB_EXPR:
        p = {k: np.zeros((1, d), np.float32) for k, d in PARAM_DIMS.items()}
        p["expr"][0, i] = EXPR_LEVEL
        levels.append(p)
    return levels


def calibrate(detectors: list[str], seeds: list[int], size: int) -> tuple[dict[str, np.ndarray], dict]:
    """Triangulate where each detector puts its 68 points on SynthTalk heads, at each of
    :func:`calibration_levels`.

    Returns ``{name: (levels, 68, 3)}`` head-frame points and a summary. Renders once per identity, view and
    level; the head pose is zero, so the head frame is the world frame of the known camera.
    """
    from ggtalker.core.audio import SAMPLE_RATE
    from ggtalker.synth.cameras import static_cameras
    from ggtalker.synth.world import render_clip
    from ggtalker.track.landmarks import DETECTORS

    dets = {name: DETECTORS[name]() for name in detectors}
    levels = calibration_levels()
    rows = {(name, j, k): ([], []) for name in detectors for j in range(len(levels)) for k in range(68)}
    found = {name: 0 for name in detectors}
    for seed in seeds:
        for j, params in enumerate(levels):
            perf = {"fps": 25.0, "audio": np.zeros(int(1 / 25 * SAMPLE_RATE), np.float32), "params": params}
            for yaw, pitch in VIEWS:
                cams = static_cameras(1, size, yaw, pitch)
                clip = render_clip(seed, perf, cams, size)
                box = np.concatenate([clip.landmarks[0].min(0), clip.landmarks[0].max(0)])
                P = cams.K[0].astype(np.float64) @ cams.w2c[0, :3].astype(np.float64)
                for name, det in dets.items():
                    lmk = det.detect(clip.frames[0], box)
                    if not np.isfinite(lmk).all():
                        continue
                    found[name] += 1
                    for k in range(68):
                        u, v = lmk[k]
                        # DLT: (u P3 - P1) X = 0, (v P3 - P2) X = 0 with X = (x, y, z, 1)
                        for r in (u * P[2] - P[0], v * P[2] - P[1]):
                            rows[(name, j, k)][0].append(r[:3])
                            rows[(name, j, k)][1].append(-r[3])
    out = {name: np.stack([np.stack([np.linalg.lstsq(np.array(rows[(name, j, k)][0]), np.array(rows[(name, j, k)][1]),
                                                     rcond=None)[0] for k in range(68)]) for j in range(len(levels))])
           for name in detectors}
    info = {"views": VIEWS, "jaw_levels": list(JAW_LEVELS), "expr_components": list(CALIB_EXPR),
            "expr_level": EXPR_LEVEL, "identities": len(seeds), "size": size,
            "frames": len(seeds) * len(VIEWS) * len(levels), "frames_detected": found}
    return out, info


if __name__ == "__main__":
    main()
