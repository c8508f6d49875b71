"""What the training clip's tracker error alone costs: SynthTalk renders each identity's held-out target frames
under their true parameters and under the true parameters plus the *mean* tracker error of the identity's
training clip, and scores one against the other with the harness's face PSNR.

    python scripts/tracker_ceiling.py                        # full scale (512², 12 s clip), 3 identities, CPU
    python scripts/tracker_ceiling.py --identities 2 --size 128 --frames 4
    python scripts/tracker_ceiling.py --sensitivity          # also: face PSNR per single parameter error
    python scripts/tracker_ceiling.py --tracker-bias         # the first world-5 clips (error mean kept)

A head learnt from the training clip lives in its tracker's frame: per-frame error can be corrected
photometrically, the mean over the clip cannot (nothing in a monocular clip tells a rotated head under
unrotated parameters from the reverse). Driven by the targets' true parameters, such a head is offset by that
mean, so these numbers bound ``test_oracle`` and ``test_audio`` of the fit diagnostic for every method
(docs/ggtalker-fidelity.md). Rendering only: no method, no GPU.
"""

from __future__ import annotations

import argparse

import numpy as np

from ggtalker.bench.fit_diagnostic import score
from ggtalker.bench.method import Generation
from ggtalker.core.clip import Clip
from ggtalker.core.registry import METRICS
from ggtalker.gaussians.data import sample_indices
from ggtalker.synth.recipes import build_performance
from ggtalker.synth.sources import _cfg, _identities, target_recipe, train_recipe
from ggtalker.synth.world import render_clip, tracked_params


def clip_bias(recipe, max_frames: int) -> np.ndarray:
    """``(6,)`` mean pose error (axis-angle, metres) of a training recipe's tracked params over the frames an
    adaptation keeps (``max_frames`` evenly spaced, as :func:`ggtalker.gaussians.data.frameset`)."""
    truth = build_performance(recipe).params
    tracked = tracked_params(truth, recipe.fps, recipe.tracker_noise, recipe.tracker_seed, recipe.tracker_bias)
    idx = sample_indices(len(truth["pose"]), max_frames)
    return (tracked["pose"] - truth["pose"])[idx].mean(0)


#: Single parameter errors of :func:`sensitivity`: (name, key, component or None for all, size). Rotation
#: about the first axis in radians, translation along x in metres, blendshapes in their [0, 1] units.
PERTURBATIONS = (("rotation 0.004 rad", "pose", 0, 0.004), ("rotation 0.008 rad", "pose", 0, 0.008),
                 ("rotation 0.016 rad", "pose", 0, 0.016), ("translation 0.5 mm", "pose", 3, 0.0005),
                 ("translation 1 mm", "pose", 3, 0.001), ("jaw 0.02", "jaw", 0, 0.02),
                 ("expression ±0.02", "expr", None, 0.02), ("expression ±0.04", "expr", None, 0.04))


def sensitivity(identity: int, params: dict[str, np.ndarray], cameras, size: int, truth: Clip, metric) -> list:
    """``[(name, face PSNR)]`` of the world rendered with one :data:`PERTURBATIONS` error against ``truth``
    (expression: each component ± the size, signs drawn with seed 0)."""
    out = []
    for name, key, comp, size_ in PERTURBATIONS:
        q = {k: v.copy() for k, v in params.items()}
        if comp is None:
            signs = np.random.default_rng(0).choice([-1.0, 1.0], size=q[key].shape)
            q[key] = np.clip(q[key] + size_ * signs, 0, 1).astype(np.float32)
        else:
            q[key][:, comp] += size_
        out.append((name, score(metric, Generation(frames=render(identity, q, cameras, size).frames), truth)["psnr_face"]))
    return out


def render(identity: int, params: dict[str, np.ndarray], cameras, size: int) -> Clip:
    return render_clip(identity, {"params": params, "fps": 25.0}, cameras, size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="full", choices=("smoke", "full"))
    ap.add_argument("--identities", type=int, default=3)
    ap.add_argument("--size", type=int, default=None, help="frame side (default: the scale's)")
    ap.add_argument("--frames", type=int, default=8, help="target frames scored per identity")
    ap.add_argument("--sensitivity", action="store_true", help="also score single parameter errors (first identity)")
    ap.add_argument("--max-train-frames", type=int, default=150, help="frames the adaptation keeps")
    ap.add_argument("--tracker-bias", action="store_true",
                    help="training clips whose tracker error keeps its mean over the clip (source train_tracker_bias=true)")
    a = ap.parse_args()
    # The fit diagnostic's sizes (scripts/diagnose_fit.py): a 12 s adaptation clip, 4 s targets.
    cfg = _cfg(a.scale, {"train_seconds": 12, "test_seconds": 4, "n_test": 1, "n_identities": a.identities,
                         "size": a.size, "train_tracker_bias": a.tracker_bias or None})
    psnr = {"psnr_face": METRICS.build("psnr_face")}
    print("identity  mean tracker error (rot rad | trans mm)            face PSNR under it: rot | trans | both")
    for ident in _identities(cfg, 0):
        bias = clip_bias(train_recipe(ident, cfg), a.max_train_frames)
        target = target_recipe(ident, 0, cfg)
        perf = build_performance(target).params
        sel = np.linspace(0, len(perf["pose"]) - 1, a.frames).round().astype(int)
        params = {k: np.asarray(v, np.float32)[sel] for k, v in perf.items()}
        cams = target.camera.build(len(sel), cfg["size"], target.fps)
        truth = render(ident, params, cams, cfg["size"])
        out = []
        for part in (np.r_[bias[:3], 0, 0, 0], np.r_[0, 0, 0, bias[3:]], bias):
            off = {**params, "pose": params["pose"] + part.astype(np.float32)}
            out.append(score(psnr, Generation(frames=render(ident, off, cams, cfg["size"]).frames), truth)["psnr_face"])
        print(f"synth{ident:<4d} {np.round(bias[:3], 4)} | {np.round(bias[3:] * 1000, 2)}   "
              + " | ".join(f"{v:.2f}" for v in out))
        if a.sensitivity:
            for name, v in sensitivity(ident, params, cams, cfg["size"], truth, psnr):
                print(f"    {name:20s} face PSNR {v:.2f}")
            a.sensitivity = False


if __name__ == "__main__":
    main()
