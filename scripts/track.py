"""Track a video of one person into a GGTalker clip: face crop, landmarks, head fit, masks.

    python scripts/track.py VIDEO --out CLIP_DIR [--size 512] [--fps 25] [--detector mediapipe_refined] [--head synthtalk]

Writes the clip folder (frames.mp4, audio.wav at 16 kHz, cameras.npz, params.npz {expr, jaw, blink, pose},
masks.npz, landmarks.npy; see ggtalker/core/clip.py) and prints the reprojection error and the time per
stage. Tracks are cached by the video's content and the settings (under $GGTALKER_CACHE/track/): tracking the same
video again copies the cached clip. A video with no face or several faces stops with one error naming it.
See docs/tracking.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ggtalker.core.clip import ClipError, read_clip
from ggtalker.track.heads import HEADS
from ggtalker.track.landmarks import DETECTORS
from ggtalker.track.pipeline import TrackSettings, tracked_clip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="the clip folder to write")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--detector", choices=sorted(DETECTORS), default="mediapipe_refined")
    ap.add_argument("--head", choices=sorted(HEADS), default="synthtalk")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if not a.video.is_file():
        ap.exit(2, f"track.py: error: {a.video}: video not found\n")
    if a.size < 32 or a.fps <= 0:
        ap.exit(2, f"track.py: error: --size must be >= 32 and --fps > 0, got {a.size}, {a.fps}\n")
    t0 = time.perf_counter()
    try:
        out = tracked_clip(a.video, a.out, TrackSettings(size=a.size, fps=a.fps, detector=a.detector, head=a.head),
                           progress=not a.quiet)
    except (ClipError, ValueError, OSError) as e:
        ap.exit(2, f"track.py: error: {e}\n")
    clip = read_clip(out, load_frames=False)
    tr = clip.meta.get("track", {})
    keys = ("frames", "frames_detected", "reproj_px_mean", "reproj_px_median", "focal_px", "detect_s", "crop_s",
            "landmarks_s", "fit_s", "masks_s")
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s: {json.dumps({k: tr.get(k) for k in keys})}")


if __name__ == "__main__":
    main()
