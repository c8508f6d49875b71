"""Fit diagnostic: adapt a method to SynthTalk identities and score the frames it fitted, held-out frames
driven by true parameters, and the same frames driven by audio.

    python scripts/diagnose_fit.py                                   # ggtalker, smoke, 2 identities (CPU)
    python scripts/diagnose_fit.py --scale full --identities 3 --device cuda
    python scripts/diagnose_fit.py --method ggtalker_noprior --set e2v_config.uv_res=128 --label noprior_uv128
    python scripts/diagnose_fit.py --views 0 30 60 90          # also splits view_yaw+0 ... view_yaw+90, and
                                                               # fit_<label>_<scale>_views.png (truth over render)

Upserts rows into ``leaderboards/fit_diagnostic.csv`` (method, scale, device, identity, split, psnr_face,
ssim_face, silhouette_iou, n_gaussians, adapt_s, commit) and writes ``leaderboards/media/fit_<label>_<scale>.png``
(truth | true params | audio, three held-out frames). See :mod:`ggtalker.bench.fit_diagnostic`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ggtalker.bench.fit_diagnostic import (
    PARAM_ERRORS, REGIONS, SIZES, diagnose_identity, figure, frame_tables, rows, suite_cases, view_cases, views_figure,
    write_rows,
)
from ggtalker.bench.method_config import method_params
from ggtalker.core.registry import METHODS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="ggtalker")
    ap.add_argument("--scale", choices=sorted(SIZES), default="smoke")
    ap.add_argument("--identities", type=int, default=None, help="test identities (default: the suite's)")
    ap.add_argument("--only", type=int, nargs="*", default=None, metavar="K",
                    help="diagnose only the K-th of those identities (0-based), so several jobs can share them")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="method param overrides")
    ap.add_argument("--label", default=None, help="the row's method label (default: the method name)")
    ap.add_argument("--size", type=int, default=None, help="override the frame size")
    ap.add_argument("--source", nargs="*", default=[], metavar="KEY=VALUE",
                    help="suite source overrides, e.g. train_tracker_noise=0 (exact training parameters)")
    ap.add_argument("--prepare-only", action="store_true",
                    help="render (cache) the identities' clips and stop: $GGTALKER_WORKERS renders them in parallel")
    ap.add_argument("--views", type=float, nargs="*", default=[], metavar="YAW",
                    help="also score the first held-out sentence seen from a static camera at each yaw (degrees), "
                         "driven by its true parameters: splits view_yaw<YAW> (training sees only the phone clip)")
    ap.add_argument("--csv", default="leaderboards/fit_diagnostic.csv")
    ap.add_argument("--media", default="leaderboards/media")
    ap.add_argument("--frames", default=None, metavar="DIR",
                    help="also write DIR/frames_<label>_<identity>.csv: each frame's face and region errors, blink, jaw")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    label = a.label or a.method
    params = method_params(a.method, a.scale, a.set)
    # Built before any clip is rendered, so a bad parameter fails at once; --prepare-only needs no method.
    method = None if a.prepare_only else METHODS.build(
        {"target": METHODS.spec(a.method)["target"], "params": params, "name": a.method}, device=a.device, seed=a.seed)
    by_identity = suite_cases(a.scale, a.seed, a.identities, a.size, a.source)
    views = view_cases(a.scale, a.seed, a.views, a.identities, a.size, a.source) if a.views else {}
    if a.prepare_only:
        print(f"{sum(map(len, by_identity.values()))} cases ready")
        return
    if a.only is not None:
        by_identity = {k: v for i, (k, v) in enumerate(by_identity.items()) if i in a.only}
    results_all = {}
    for identity, cs in by_identity.items():
        results, adapt_s, n_g = diagnose_identity(method, identity, cs[0].train, [c.target for c in cs], a.device,
                                                  views.get(identity))
        results_all[identity] = results
        new = rows(label, a.scale, a.device, identity, results, n_g, adapt_s)
        if a.frames:
            from ggtalker.core.atomic import write_text

            print(f"frames: {write_text(Path(a.frames) / f'frames_{label}_{identity}.csv', frame_tables(results).to_csv(index=False))}")
        write_rows(Path(a.csv), new)
        for r in new:
            print(f"{label} {identity} {r['split']:11s} psnr_face {r['psnr_face']:.2f}  ssim_face {r['ssim_face']:.3f}  "
                  f"silhouette_iou {r['silhouette_iou']:.3f}  ({r['n_frames']} frames, adapt {adapt_s:.0f} s)")
            if r["psnr_inner"] == r["psnr_inner"]:
                print("  regions, psnr (share of the face's squared error): " + ", ".join(
                    f"{g} {r['psnr_' + g]:.2f} ({100 * r['err_share_' + g]:.0f} %)" for g in REGIONS))
            if r["split"] == "train" and r["rot_err"] == r["rot_err"]:  # NaN where the truth is unknown
                print("  parameters, tracked -> fitted: " + ", ".join(
                    f"{c} {r[c + '_tracked']:.4g} -> {r[c]:.4g}" for c in PARAM_ERRORS))
    print(f"figure: {figure(Path(a.media) / f'fit_{label}_{a.scale}.png', results_all)}")
    if a.views:
        print(f"views: {views_figure(Path(a.media) / f'fit_{label}_{a.scale}_views.png', results_all)}")


if __name__ == "__main__":
    main()
