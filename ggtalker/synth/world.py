"""SynthTalk clips: an identity performing an utterance, seen by cameras, rendered with masks and landmarks.

What a method may see is what a real capture pipeline would give it: frames, audio, cameras and
*tracked* parameters. Training clips carry the ground truth plus tracker noise (``tracker_noise``, the
same for every method, recorded in ``clip.meta``); target clips carry the exact parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from ggtalker.core.clip import Cameras, Clip
from ggtalker.synth.cameras import project
from ggtalker.synth.head import head_model, landmark_vertex_ids
from ggtalker.core.params import PARAM_DIMS

#: Tracker noise at ``tracker_noise=1``: per-key standard deviation of slowly varying (per-frame-correlated)
#: error plus white jitter, in parameter units (pose: radians then metres). Scaled linearly.
TRACKER_SIGMA = {"expr": 0.05, "jaw": 0.04, "blink": 0.08, "pose": np.array([0.02, 0.02, 0.01, 0.003, 0.003, 0.004])}
#: Frames rendered per batch (bounds memory: a batch of posed vertices is ``batch × 63k × 3`` floats).
BATCH = 32


def _params_of(performance: Any) -> tuple[dict[str, np.ndarray], float, np.ndarray | None, dict]:
    """Accept a :class:`ggtalker.synth.performance.Performance` or a plain ``{"params", "fps", "audio"}`` dict."""
    if isinstance(performance, dict):
        meta = dict(performance.get("meta", {}))
        return performance["params"], float(performance.get("fps", 25.0)), performance.get("audio"), meta
    meta = {"text": getattr(performance, "text", None), "audio_offset_frames": getattr(performance, "audio_offset_frames", 0),
            "performance_seed": getattr(performance, "seed", None)}
    voice = getattr(performance, "voice", None)
    if voice is not None:
        meta["voice"] = voice.id() if hasattr(voice, "id") else str(voice)
        meta["language"] = getattr(voice, "language", None)
    meta.update(getattr(performance, "meta", {}) or {})
    return performance.params, float(performance.fps), performance.audio, meta


def tracked_params(params: dict[str, np.ndarray], fps: float, noise: float, seed: int,
                   bias: bool = False) -> dict[str, np.ndarray]:
    """Ground-truth params plus simulated monocular-tracker error (deterministic for ``seed``).

    The error is what a face tracker makes: a slow bias (low-pass, ~1 s) plus frame-to-frame jitter, both
    scaled by ``noise`` (0 = exact). Values stay in their valid ranges (expr/jaw/blink clipped to [0, 1]).
    The error's mean over the clip is removed (``bias=False``, the default): a
    tracker whose frame agrees with the evaluation's on average. That mean is what no monocular fit can
    observe, and a head learnt under it is offset by it against the exact parameters that drive SynthTalk's
    targets (docs/ggtalker-fidelity.md). ``bias=True`` keeps it (the same draws), as the first world-5 clips did.
    """
    if noise <= 0:
        return {k: np.asarray(v, np.float32).copy() for k, v in params.items()}
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x7AC]))
    out = {}
    for k in sorted(params):
        v = np.asarray(params[k], np.float32)
        sig = np.broadcast_to(np.asarray(TRACKER_SIGMA.get(k, 0.03), np.float32), (v.shape[1],))
        n = len(v)
        slow = rng.normal(size=(n + 50, v.shape[1]))
        ker = np.exp(-0.5 * (np.arange(-25, 26) / (0.4 * fps)) ** 2)
        ker /= np.sqrt((ker**2).sum())
        slow = np.stack([np.convolve(slow[:, d], ker, mode="same") for d in range(v.shape[1])], 1)[25 : 25 + n]
        jitter = rng.normal(size=v.shape)
        e = noise * sig * (0.8 * slow + 0.6 * jitter)
        if not bias:
            e = e - e.mean(0)
        w = v + e.astype(np.float32)
        if k in ("expr", "jaw", "blink"):
            w = np.clip(w, 0.0, 1.0)
        out[k] = w.astype(np.float32)
    return out


def render_clip(identity_seed: int, performance: Any, cameras: Cameras, size: int | tuple[int, int],
                tracker_noise: float = 0.0, seed: int = 0, clip_id: str | None = None,
                progress: bool = False, samples: int = 0, tracker_bias: bool = False) -> Clip:
    """Render ``performance`` on identity ``identity_seed`` through ``cameras``.

    Args:
        identity_seed: which SynthTalk person (:meth:`Identity.sample`).
        performance: a ``Performance`` (audio, fps, params ``{expr, jaw, blink, pose}``) or an equivalent dict.
        cameras: one camera per frame (``len(cameras)`` must equal the number of frames).
        size: image side in pixels or ``(width, height)``; cameras' intrinsics must be for this size.
        tracker_noise: scale of simulated tracker error in the returned ``params`` (0 = exact ground truth).
        seed: seed of the tracker noise.
        tracker_bias: True keeps the tracker error's mean over the clip, as the first world-5 clips did (:func:`tracked_params`).
        samples: MSAA samples; 0 (default) renders 2x2 supersampled, the same method on every device.
    Returns:
        A validated :class:`Clip` with frames ``(N,H,W,3)``, masks (0 background, 1 head = face, hair,
        ears, eyes and mouth, 2 torso = neck, shoulders, clothes), landmarks ``(N,68,2)`` (iBUG-68, projected
        from fixed mesh vertices, occluded or not), params and audio.
    """
    from ggtalker.synth.render import Renderer

    params, fps, audio, meta = _params_of(performance)
    params = {k: np.asarray(params[k], np.float32) for k in PARAM_DIMS if k in params}
    n = len(next(iter(params.values())))
    if len(cameras) != n:
        raise ValueError(f"render_clip: {len(cameras)} cameras for {n} frames of params")
    w, h = (size, size) if np.isscalar(size) else size
    model = head_model(int(identity_seed))
    renderer = Renderer(model, w, h, samples=samples)
    frames = np.empty((n, h, w, 3), np.uint8)
    masks = np.empty((n, h, w), np.uint8)
    lmk = np.empty((n, 68, 2), np.float32)
    ids = landmark_vertex_ids()
    try:
        for s in tqdm(range(0, n, BATCH), disable=not progress, desc=f"render id{identity_seed}", unit="batch"):
            sl = slice(s, min(s + BATCH, n))
            verts = model.vertices(params, sl)
            f, m, _ = renderer.render(verts, cameras[sl])
            frames[sl], masks[sl] = f, m
            lmk[sl] = project(verts[:, ids], cameras[sl])
    finally:
        renderer.release()
    meta = {**{k: v for k, v in meta.items() if v is not None}, "identity": f"synth{int(identity_seed)}",
            "identity_seed": int(identity_seed), "tracker_noise": float(tracker_noise), "tracker_seed": int(seed),
            "params": "tracked" if tracker_noise > 0 else "exact", "world": "synthtalk/1",
            **({"tracker_bias": bool(tracker_bias)} if tracker_noise > 0 else {})}
    return Clip(
        fps=fps, cameras=cameras, width=w, height=h, frames=frames, audio=audio,
        params=tracked_params(params, fps, tracker_noise, seed, tracker_bias), masks=masks, landmarks=lmk,
        id=clip_id or f"synth{int(identity_seed)}", meta=meta,
    ).validate()
