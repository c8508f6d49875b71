"""Track SynthTalk test clips from their frames alone and compare with the world's truth (docs/tracking.md).

    python scripts/validate_tracker.py --identities 5 --seconds 2 --size 512 --out /tmp/track_val.csv

Each test identity speaks a test sentence (its own natural head motion) to a handheld phone camera at a base yaw
cycling through -30, -15, 0, 15, 30 degrees. Three tracks per clip: the detector on the frames with the head
calibrated to it (``mediapipe_refined`` by default: what a real video gets), the clip's exact SynthTalk landmarks
(the fit alone, no detector error), and the no-tracking baselines (zero pose and expression, the clip's mean jaw;
seen by the tracker's frontal camera, or by the true camera).
Errors against the truth: head rotation and translation in the camera frame (monocular tracking knows the head
relative to the camera), jaw correlation and MAE, expression MAE, and 68-landmark reprojection error in pixels
against SynthTalk's projected landmarks. Prints the medians over clips and writes one CSV row per clip and track.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import ggtalker.track.fit  # noqa: F401  (loads torch._dynamo before the renderer's EGL context)
from ggtalker.core.clip import Cameras
from ggtalker.synth.cameras import phone_cameras
from ggtalker.synth.performance import perform
from ggtalker.synth.sentences import sentences
from ggtalker.synth.splits import TEST_IDENTITIES
from ggtalker.synth.world import render_clip
from ggtalker.track.accuracy import track_accuracy
from ggtalker.track.fit import fit_landmarks, frontal_w2c
from ggtalker.track.heads import SynthTalkLandmarkHead, get_head
from ggtalker.track.landmarks import DETECTORS, detect_video

YAWS = (-30.0, -15.0, 0.0, 15.0, 30.0)


def baselines(ident: int, yaw: float, truth: dict, cams: Cameras) -> list[dict]:
    """No tracking: zero pose and expression, the clip's mean jaw, seen by the tracker's frontal camera
    (``baseline``: what a tracker that did nothing would report) or by the true camera
    (``baseline_known_camera``: only the head's own motion is missed)."""
    n = len(truth["pose"])
    zero = {key: np.zeros_like(v) for key, v in truth.items()}
    zero["jaw"][:] = truth["jaw"].mean()
    frontal = Cameras(cams.K, np.repeat(frontal_w2c()[None], n, 0))
    return [{"identity": ident, "yaw": yaw, "frames": n, "track": name, **track_accuracy(zero, c, truth, cams)}
            for name, c in (("baseline", frontal), ("baseline_known_camera", cams))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identities", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--detector", default="mediapipe_refined", choices=sorted(DETECTORS))
    ap.add_argument("--calibrated-expr", action="store_true",
                    help="the detector's own lip displacements, not SynthTalk's (SynthTalkLandmarkHead.load)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/track_val.csv"))
    ap.add_argument("--baselines-only", action="store_true", help="no rendering: the baselines' rows only")
    a = ap.parse_args()
    rows = []
    texts = sentences("en", "test")
    for k, ident in enumerate(TEST_IDENTITIES[: a.identities]):
        perf = perform(texts[k % len(texts)], seed=k)
        n = min(len(perf.audio) * 25 // 16000, int(a.seconds * 25))
        truth = {key: v[:n] for key, v in perf.params.items()}
        yaw = YAWS[k % len(YAWS)]
        cams = phone_cameras(n, a.size, seed=k, yaw_deg=yaw)
        if a.baselines_only:
            rows += baselines(ident, yaw, truth, cams)
            continue
        t0 = time.perf_counter()
        clip = render_clip(ident, {"params": truth, "fps": 25.0, "audio": None}, cams, a.size)
        render_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        det = detect_video(DETECTORS[a.detector](), clip.frames)
        detect_s = time.perf_counter() - t0
        calibrated = SynthTalkLandmarkHead.load(a.detector, calibrated_expr=a.calibrated_expr)
        for name, lmk, head in ((a.detector, det, calibrated),
                                ("exact_landmarks", clip.landmarks, get_head("synthtalk"))):
            t0 = time.perf_counter()
            r = fit_landmarks(lmk, a.size, a.size, head)
            fit_s = time.perf_counter() - t0
            c = Cameras(np.repeat(r.K[None], n, 0), np.repeat(r.w2c[None], n, 0))
            acc = track_accuracy(r.params, c, truth, cams, r.projected, clip.landmarks)
            acc["reproj_own_px"] = float(np.nanmean(r.reproj_px))
            rows.append({"identity": ident, "yaw": yaw, "frames": n, "track": name, "fit_s": fit_s,
                         "detect_s": detect_s if name == a.detector else 0.0, "render_s": render_s,
                         "detected": float(np.isfinite(lmk).all((1, 2)).mean()), **acc})
        rows += baselines(ident, yaw, truth, cams)
        print(pd.DataFrame(rows[-4:]).round(3).to_string())
    df = pd.DataFrame(rows)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    cols = [c for c in ["rot_deg_median", "trans_mm_median", "lateral_mm_median", "depth_mm_median", "jaw_corr", "jaw_mae",
            "expr_mae", "blink_mae", "reproj_px", "reproj_own_px", "fit_s", "detect_s"] if c in df]
    print(df.groupby("track")[cols].median().round(3).to_string())
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
