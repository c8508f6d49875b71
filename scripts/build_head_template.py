"""Build the built-in head template ``ggtalker/gaussians/assets/head_template.npz``.

    python scripts/build_head_template.py [--source synthtalk|procedural] [--rings 24 --segments 32]

``synthtalk`` (default when ``ggtalker.synth.head`` imports) resamples SynthTalk's mean head and its
per-parameter blendshapes onto a coarse latitude–longitude mesh; ``procedural`` uses the analytic
stand-in head of :func:`ggtalker.gaussians.template_build.procedural_source`. Deterministic.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ggtalker.gaussians.template import ASSET, HeadTemplate
from ggtalker.gaussians.template_build import fit_to_source, latlong_mesh, procedural_source


def synthtalk_source():
    """SynthTalk's mean head (neutral vertices and unit-parameter displacements)."""
    from ggtalker.synth import head as synth_head
    from ggtalker.synth.params import PARAM_DIMS

    model = synth_head.HeadModel.mean() if hasattr(synth_head.HeadModel, "mean") else synth_head.HeadModel()
    zero = {k: np.zeros((1, d), np.float32) for k, d in PARAM_DIMS.items()}
    neutral = np.asarray(model.vertices(zero))[0]

    def displacement(key: str, i: int) -> np.ndarray:
        p = {k: v.copy() for k, v in zero.items()}
        p[key][0, i] = 1.0
        return np.asarray(model.vertices(p))[0] - neutral

    return neutral, displacement


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", choices=["synthtalk", "procedural"], default=None)
    ap.add_argument("--rings", type=int, default=24)
    ap.add_argument("--segments", type=int, default=32)
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
    dirs, faces, uv = latlong_mesh(a.rings, a.segments)
    v, basis = fit_to_source(dirs, neutral, disp)
    t = HeadTemplate(torch.from_numpy(v), torch.from_numpy(faces), torch.from_numpy(uv), torch.from_numpy(basis),
                     meta={"source": source, "rings": a.rings, "segments": a.segments, "n_source_vertices": len(neutral),
                           "procedure": "ggtalker.gaussians.template_build.fit_to_source (k=6 directional resampling)"})
    path = t.save(a.out)
    print(f"wrote {path}: {t.n_vertices} vertices, {len(faces)} faces, source={source}")


if __name__ == "__main__":
    main()
