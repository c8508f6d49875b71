"""Build the built-in head template ``ggtalker/gaussians/assets/head_template.npz``.

    python scripts/build_head_template.py [--source synthtalk|procedural] [--rings 24 --segments 32]
    python scripts/build_head_template.py --rings 64 --segments 96 --face-warp 0.45 --name head_template_v2

``synthtalk`` (default when ``ggtalker.synth.head`` imports) resamples SynthTalk's mean head and its
per-parameter blendshapes onto a coarse latitude–longitude mesh; ``procedural`` uses the analytic
stand-in head of :func:`ggtalker.gaussians.template_build.procedural_source`. Deterministic.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ggtalker.gaussians.template import ASSET, HeadTemplate, asset_path
from ggtalker.gaussians.template_build import fit_to_source, latlong_mesh, procedural_source


def synthtalk_source(n_identities: int = 12):
    """SynthTalk's mean head: the skin surface (same topology for every identity) averaged over
    ``n_identities`` identities, with its mean displacement for a unit value of each parameter.

    Only the skin is used: hair, ears and eyes differ in topology between identities, so their shape is
    left to the Gaussians' offsets and colours; lids are separate parts, so the blink bases come out zero
    and blinking is carried by the color MLP (a documented simplification).
    """
    from ggtalker.synth.head import HeadModel
    from ggtalker.core.params import PARAM_DIMS

    zero = {k: np.zeros((1, d), np.float32) for k, d in PARAM_DIMS.items()}
    units = [(k, i) for k in ("expr", "jaw", "blink") for i in range(PARAM_DIMS[k])]
    neutral, disp = 0.0, {u: 0.0 for u in units}
    for seed in range(n_identities):
        model = HeadModel(seed)
        sk = model.parts["skin"]
        base = model.vertices(zero)[0, sk.start:sk.stop]
        neutral = neutral + base / n_identities
        for k, i in units:
            p = {kk: v.copy() for kk, v in zero.items()}
            p[k][0, i] = 1.0
            disp[(k, i)] = disp[(k, i)] + (model.vertices(p)[0, sk.start:sk.stop] - base) / n_identities
    # Subsample the dense skin grid: the fit needs shape, not every vertex, and argpartition over
    # V × M directions must stay small.
    keep = np.random.default_rng(0).choice(len(neutral), size=min(len(neutral), 12000), replace=False)
    return neutral[keep], (lambda k, i: disp[(k, i)][keep])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", choices=["synthtalk", "procedural"], default=None)
    ap.add_argument("--rings", type=int, default=24)
    ap.add_argument("--segments", type=int, default=32)
    ap.add_argument("--face-warp", type=float, default=0.0,
                    help="bunch the longitude columns at the face (see template_build.latlong_mesh)")
    ap.add_argument("--name", default=None, help="write ggtalker/gaussians/assets/NAME.npz (default: --out)")
    ap.add_argument("--out", default=str(ASSET))
    a = ap.parse_args()
    source = a.source
    if source is None:
        try:
            import ggtalker.synth.head  # noqa: F401
            source = "synthtalk"
        except ImportError:
            source = "procedural"
    neutral, disp = synthtalk_source() if source == "synthtalk" else procedural_source()
    dirs, faces, uv = latlong_mesh(a.rings, a.segments, face_warp=a.face_warp)
    v, basis = fit_to_source(dirs, neutral, disp)
    t = HeadTemplate(torch.from_numpy(v), torch.from_numpy(faces), torch.from_numpy(uv), torch.from_numpy(basis),
                     meta={"source": source, "rings": a.rings, "segments": a.segments, "face_warp": a.face_warp,
                           "n_source_vertices": len(neutral),
                           "procedure": "ggtalker.gaussians.template_build.fit_to_source (k=6 directional resampling)"})
    path = t.save(asset_path(a.name) if a.name else a.out)
    print(f"wrote {path}: {t.n_vertices} vertices, {len(faces)} faces, source={source}")


if __name__ == "__main__":
    main()
