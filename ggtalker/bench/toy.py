"""A tiny procedural clip source for harness tests: seconds on a CPU, no renderer needed.

Each toy identity is a coloured disc ("head") on a background with a dark mouth whose opening follows
the loudness envelope of a tone-burst audio track. It exercises every field of the clip format.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.cache import cache_root
from ggtalker.core.case import Case
from ggtalker.core.clip import MASK_HEAD, MASK_TORSO, Cameras, Clip, write_clip


def toy_clip(identity: int, take: int, n_frames: int = 25, size: int = 48, fps: float = 25.0) -> Clip:
    """A deterministic toy clip for ``(identity, take)``."""
    rng = np.random.default_rng([identity, take])
    ident = np.random.default_rng(identity)
    head_rgb = ident.uniform(80, 230, 3)
    bg_rgb = ident.uniform(0, 80, 3)
    n_samples = int(round(n_frames / fps * SAMPLE_RATE))
    t = np.arange(n_samples) / SAMPLE_RATE
    env = np.clip(np.sin(2 * np.pi * rng.uniform(1.5, 3.0) * t + rng.uniform(0, 6)), 0, None)
    audio = (0.3 * env * np.sin(2 * np.pi * (150 + 40 * identity) * t)).astype(np.float32)
    frame_env = env[(np.arange(n_frames) / fps * SAMPLE_RATE).astype(int)]

    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    cx, cy, r = size / 2, size * 0.42, size * 0.3
    frames = np.empty((n_frames, size, size, 3), np.uint8)
    masks = np.zeros((n_frames, size, size), np.uint8)
    lms = np.zeros((n_frames, 68, 2), np.float32)
    for i in range(n_frames):
        dx = 1.5 * np.sin(0.3 * i + identity)
        head = (xx - cx - dx) ** 2 + (yy - cy) ** 2 < r**2
        torso = (yy > size * 0.75) & (np.abs(xx - cx) < size * 0.35)
        mouth_h = 1 + 4 * frame_env[i]
        mouth = ((xx - cx - dx) / (r * 0.45)) ** 2 + ((yy - cy - r * 0.45) / mouth_h) ** 2 < 1
        img = np.broadcast_to(bg_rgb, (size, size, 3)).copy()
        img[torso] = head_rgb * 0.5
        img[head] = head_rgb
        img[head & mouth] = (40, 10, 10)
        # Sensor noise: no two toy frames are identical, so per-frame PSNR stays finite off the ground truth.
        frames[i] = np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8)
        masks[i][torso] = MASK_TORSO
        masks[i][head] = MASK_HEAD
        ang = np.linspace(0, 2 * np.pi, 68, endpoint=False)
        lms[i] = np.stack([cx + dx + r * np.cos(ang), cy + r * np.sin(ang)], 1)
        lms[i, 48:68] = np.stack([cx + dx + r * 0.45 * np.cos(ang[:20] * 3.4), cy + r * 0.45 + mouth_h * np.sin(ang[:20] * 3.4)], 1)
    f = size * 1.2
    K = np.tile(np.array([[f, 0, size / 2], [0, f, size / 2], [0, 0, 1]], np.float32), (n_frames, 1, 1))
    w2c = np.tile(np.eye(4, dtype=np.float32), (n_frames, 1, 1))
    w2c[:, 2, 3] = 1.0
    params = {
        "jaw": frame_env[:, None].astype(np.float32),
        "pose": np.concatenate([np.zeros((n_frames, 3)), (np.sin(0.3 * np.arange(n_frames) + identity) * 0.01)[:, None], np.zeros((n_frames, 2))], 1).astype(np.float32),
    }
    return Clip(
        fps=fps, cameras=Cameras(K, w2c), width=size, height=size, frames=frames, audio=audio,
        params=params, masks=masks, landmarks=lms, id=f"toy{identity}_{take}", meta={"identity": f"toy{identity}"},
    )


def toy_cases(scale: str = "smoke", seed: int = 0, n_identities: int = 2, n_test: int = 2) -> list[Case]:
    """Toy cases: per identity one training clip and ``n_test`` held-out clips, cached on disk."""
    n_frames, size = (25, 48) if scale == "smoke" else (100, 128)
    recipe = {"v": 2, "n_frames": n_frames, "size": size, "seed": seed, "n_id": n_identities, "n_test": n_test}
    root = cache_root() / "toy" / hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    cases = []
    for ident in range(n_identities):
        iid = seed * 1000 + ident
        train = root / f"id{ident}" / "train"
        if not (train / "clip.json").exists():
            write_clip(toy_clip(iid, 0, n_frames, size), train, overwrite=True)
        for k in range(n_test):
            target = root / f"id{ident}" / f"test{k}"
            if not (target / "clip.json").exists():
                write_clip(toy_clip(iid, k + 1, n_frames, size), target, overwrite=True)
            cases.append(Case(id=f"id{ident}_test{k}", identity=f"toy{ident}", train=[train], target=target,
                              tags={"take": str(k)}))
    return cases

