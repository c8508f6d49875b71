"""Speak: an adapted identity + a WAV → an mp4 with the audio.

    python scripts/talk.py --identity me.pt --audio speech.wav --out talk.mp4 [--camera frontal|orbit]
        [--size 256] [--pose pose.npy] [--blink blink.npy] [--seed 0] [--device cpu]

``--identity`` is a checkpoint from ``scripts/adapt_identity.py`` (the adapted UV Gaussian map, color MLP,
inpainter, context frame and, when adapted, the A2E weights and style code). ``--pose``/``--blink`` are
``(N, 6)``/``(N, 2)`` .npy controls (N = frames at ``--fps``); without them the audio prior moves the head
and blinks. ``orbit`` sweeps the camera ±40° in yaw to show the head from the side. Frames go to the encoder
a chunk at a time (``Talker.drive_chunks``), so memory does not grow with the audio's length.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path

import numpy as np
import torch

from ggtalker.core.audio import SAMPLE_RATE, load_audio
from ggtalker.core.cameras import CAMERA_PATHS, camera_path
from ggtalker.core.video_writer import VideoWriter
from ggtalker.talker import Identity, Talker


def _control(path: str | None, n: int, d: int, what: str) -> np.ndarray | None:
    if path is None:
        return None
    try:
        a = np.load(path).astype(np.float32)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read the {what} control ({e})") from e
    if a.shape != (n, d):
        raise ValueError(f"{path}: {what} must have shape ({n}, {d}) for this audio at this fps, got {a.shape}")
    return a


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identity", required=True)
    ap.add_argument("--audio", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--camera", default="frontal", choices=CAMERA_PATHS)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--pose")
    ap.add_argument("--blink")
    ap.add_argument("--a2e", default="a2e_synthtalk", help="zoo entry used when the identity carries no adapted A2E")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--stream", action="store_true",
                    help="live mode: feed the audio in --chunk-ms chunks at real-time pace (Talker.stream) and report "
                         "each chunk's latency from its arrival to its frames")
    ap.add_argument("--chunk-ms", type=float, default=80.0)
    ap.add_argument("--lookahead", type=int, default=2, help="--stream: frames of audio awaited past a frame")
    ap.add_argument("--record-speed", action="store_true", help="--stream: upsert the latencies into leaderboards/speed.csv")
    ap.add_argument("--no-video", action="store_true",
                    help="--stream: drop the frames instead of encoding them (a speed benchmark: the encoder is not GGTalker's)")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)

    # Every input is read and checked before the motion stage starts: a bad one costs a second, not the run.
    t0 = time.perf_counter()
    try:
        audio = load_audio(a.audio)
        n = int(round(len(audio) / SAMPLE_RATE * a.fps))
        if n < 1:
            raise ValueError(f"{a.audio}: audio shorter than one frame")
        controls = {k: v for k, v in (("pose", _control(a.pose, n, 6, "pose")),
                                      ("blink", _control(a.blink, n, 2, "blink"))) if v is not None}
        identity = Identity.load(a.identity, a.device)
        talker = Talker.from_zoo(a.device, a2e=a.a2e, chunk=a.chunk, progress=not a.stream)
        out_dir = Path(a.out).resolve().parent
        out_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(out_dir, os.W_OK):
            raise ValueError(f"{out_dir}: cannot write the video there")
    except (OSError, ValueError, KeyError) as e:
        ap.exit(2, f"talk.py: error: {e.args[0] if isinstance(e, KeyError) else e}\n")

    if a.stream:
        return _stream(a, talker, identity, audio, controls.get("pose"))
    cams = camera_path(a.camera, n, a.size, a.fps)
    params, chunks = talker.drive_chunks(identity, audio, cams, a.size, fps=a.fps, controls=controls, seed=a.seed,
                                         depth=False)
    t1 = time.perf_counter()
    with VideoWriter(a.out, a.fps, a.size, a.size, audio=audio) as video:
        for chunk in chunks:
            video.write(chunk.frames)
    t2 = time.perf_counter()
    print(f"wrote {a.out}: {n} frames {a.size}x{a.size}, motion {t1 - t0:.1f} s, render {t2 - t1:.1f} s "
          f"({n / max(t2 - t1, 1e-9):.1f} frames/s)")


def _stream(a: argparse.Namespace, talker: Talker, identity: Identity, audio: np.ndarray,
            pose: np.ndarray | None) -> None:
    """Feed ``audio`` in chunks at real-time pace (:class:`~ggtalker.bench.live.PacedAudio`: a stream that fell
    behind gets every chunk that has arrived in one push); latency = a chunk's arrival to the output of the
    last frame it made final (the last chunk's also includes the lookahead frames flushed after it)."""
    from ggtalker.bench.live import PacedAudio

    # A live application starts its engine before the microphone opens: the first push's one-off costs
    # (CUDA context, kernels, caches) are not part of a chunk's latency.
    for _ in talker.stream(identity, [np.zeros(SAMPLE_RATE // 2, np.float32)], a.camera, a.size, a.fps, a.lookahead,
                           seed=a.seed):
        pass
    paced = PacedAudio(audio, int(round(a.chunk_ms / 1000 * SAMPLE_RATE)), SAMPLE_RATE)
    outputs: list[tuple[int, float]] = []
    timings: dict[str, float] = {}
    n = 0
    with contextlib.nullcontext() if a.no_video else VideoWriter(a.out, a.fps, a.size, a.size, audio=audio) as video:
        for c in talker.stream(identity, paced, a.camera, a.size, a.fps, a.lookahead, pose=pose, seed=a.seed,
                               timings=timings):
            if video is not None:
                video.write(c.frames)
            n += len(c.frames)
            outputs.append((n, time.perf_counter()))
    t0 = paced.t0
    latencies = paced.latencies(outputs, int(SAMPLE_RATE // a.fps), a.lookahead)
    wall = time.perf_counter() - t0
    p50, p95 = (float(np.percentile(latencies, q)) * 1000 for q in (50, 95))
    print(f"{'dropped' if a.no_video else 'wrote ' + a.out}: {n} frames {a.size}x{a.size} streamed in {a.chunk_ms:g} ms chunks, lookahead {a.lookahead}; "
          f"chunk-to-frames latency p50 {p50:.0f} ms, p95 {p95:.0f} ms; {wall:.1f} s for {len(audio) / SAMPLE_RATE:.1f} s "
          f"of audio ({n / wall:.1f} frames/s; {len(paced.pushes)} pushes for {sum(paced.pushes)} chunks)")
    pushes = len(paced.pushes) + 1  # and the flush
    print("per push: " + ", ".join(f"{k} {v / pushes * 1000:.1f} ms" for k, v in timings.items())
          + f" (of {a.chunk_ms:g} ms of audio a chunk)")
    if a.record_speed:
        from ggtalker.bench.records import device_name
        from ggtalker.bench.speed import record_speed

        n_g = identity.head.report.get("n_gaussians", "")
        record_speed({"what": "stream", "device": device_name(a.device), "gaussians": n_g, "size": a.size, "batch": 1,
                      "fps_end_to_end": round(n / wall, 1), "latency_p50_ms": round(p50, 1),
                      "latency_p95_ms": round(p95, 1), "seconds": round(wall, 1),
                      "command": f"python scripts/talk.py --stream --chunk-ms {a.chunk_ms:g} --lookahead {a.lookahead} "
                                 f"--size {a.size} --device {a.device}" + (" --no-video" if a.no_video else "")})


if __name__ == "__main__":
    main()
