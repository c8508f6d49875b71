"""Speak: an adapted identity + a WAV → an mp4 with the audio.

    python scripts/talk.py --identity me.pt --audio speech.wav --out talk.mp4 [--camera frontal|orbit]
        [--size 256] [--pose pose.npy] [--blink blink.npy] [--seed 0] [--device cpu]

``--identity`` is a checkpoint from ``scripts/adapt_identity.py`` (it carries the adapted UV Gaussian map,
color MLP, inpainter, context frame and, when adapted, the A2E weights and style code). ``--pose``/``--blink``
are ``(N, 6)``/``(N, 2)`` .npy controls (N = frames at ``--fps``); without them the audio prior moves the head
and blinks. ``orbit`` sweeps the camera ±40° in yaw to show the head from the side.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ggtalker.core.audio import SAMPLE_RATE, load_audio
from ggtalker.core.clip import Cameras
from ggtalker.core.video import write_video


def camera_path(kind: str, n: int, size: int, fps: float) -> Cameras:
    """``frontal``: a fixed camera in front; ``orbit``: yaw 40°·sin(2π t / 6 s), pitch 0."""
    from ggtalker.core.cameras import intrinsics, look_at, orbit_eye

    if kind == "frontal":
        yaw = np.zeros(n)
    elif kind == "orbit":
        yaw = 40.0 * np.sin(2 * np.pi * np.arange(n) / fps / 6.0)
    else:
        raise ValueError(f"--camera must be frontal or orbit, got {kind!r}")
    K = np.tile(intrinsics(size)[None], (n, 1, 1)).astype(np.float32)
    w2c = np.stack([look_at(orbit_eye(float(y), 0.0)) for y in yaw]).astype(np.float32)
    return Cameras(K, w2c)


def _control(path: str | None, n: int, d: int, what: str) -> np.ndarray | None:
    if path is None:
        return None
    a = np.load(path).astype(np.float32)
    if a.shape != (n, d):
        raise ValueError(f"{path}: {what} must have shape ({n}, {d}) for this audio at this fps, got {a.shape}")
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identity", required=True)
    ap.add_argument("--audio", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--camera", default="frontal")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--pose")
    ap.add_argument("--blink")
    ap.add_argument("--a2e", default="a2e_synthtalk", help="zoo entry used when the identity carries no adapted A2E")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--chunk", type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(2)
    from ggtalker.a2e.prior import A2EPrior
    from ggtalker.gaussians.adapt import IdentityState, build_runtime
    from ggtalker.methods.ggtalker import render_frames

    t0 = time.perf_counter()
    state = IdentityState.load(a.identity)
    audio = load_audio(a.audio)
    n = int(round(len(audio) / SAMPLE_RATE * a.fps))
    if n < 1:
        raise ValueError(f"{a.audio}: audio shorter than one frame")
    a2e = A2EPrior.from_state(state.a2e_state, a.device, where=a.identity) if state.a2e_state else A2EPrior.from_zoo(a.a2e, a.device)
    params = a2e.predict(audio, a.fps, n, pose=_control(a.pose, n, 6, "pose"), style=state.a2e_style, seed=a.seed)
    blink = _control(a.blink, n, 2, "blink")
    if blink is not None:
        params["blink"] = blink
    shell, mlp, inp = build_runtime(state)
    shell = shell.to(a.device)
    inp = inp.to(a.device) if inp is not None else None
    cams = camera_path(a.camera, n, a.size, a.fps)
    t1 = time.perf_counter()
    frames, _ = render_frames(shell.head, state, mlp, inp, params, cams.K, cams.w2c, a.size, a.size, a.chunk,
                              a.device, progress=True)
    t2 = time.perf_counter()
    write_video(a.out, frames, a.fps, audio=audio)
    print(f"wrote {a.out}: {n} frames {a.size}x{a.size}, motion {t1 - t0:.1f} s, render {t2 - t1:.1f} s "
          f"({n / max(t2 - t1, 1e-9):.1f} frames/s)")


if __name__ == "__main__":
    main()
