"""Frames of clips as tensors, grouped by identity, for prior training and adaptation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ggtalker.core.clip import Clip, ClipError, read_clip
from ggtalker.core.params import PARAM_DIMS


@dataclass
class FrameSet:
    """All frames of one identity's clips, concatenated.

    Attributes:
        images: ``(N, H, W, 3)`` float in [0, 1].
        head: ``(N, H, W)`` float head mask (label 1).
        params: ``{expr, jaw, blink, pose}`` each ``(N, D)``.
        K, w2c: ``(N, 3, 3)``, ``(N, 4, 4)``.
        clip_index: ``(N,)`` which clip each frame came from.
    """

    images: torch.Tensor
    head: torch.Tensor
    params: dict[str, torch.Tensor]
    K: torch.Tensor
    w2c: torch.Tensor
    clip_index: torch.Tensor
    masks: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        return int(self.images.shape[1]), int(self.images.shape[2])

    def to(self, device: str | torch.device) -> "FrameSet":
        return FrameSet(self.images.to(device), self.head.to(device), {k: v.to(device) for k, v in self.params.items()},
                        self.K.to(device), self.w2c.to(device), self.clip_index.to(device),
                        None if self.masks is None else self.masks.to(device))

    def take(self, idx: torch.Tensor | list[int]) -> "FrameSet":
        idx = torch.as_tensor(idx, dtype=torch.long, device=self.images.device)
        return FrameSet(self.images[idx], self.head[idx], {k: v[idx] for k, v in self.params.items()},
                        self.K[idx], self.w2c[idx], self.clip_index[idx],
                        None if self.masks is None else self.masks[idx])


def sample_indices(n: int, max_frames: int | None) -> np.ndarray:
    """Which of ``n`` concatenated frames :func:`frameset` keeps: all, or ``max_frames`` evenly spaced."""
    if max_frames is None or n <= max_frames:
        return np.arange(n)
    return np.linspace(0, n - 1, max_frames).round().astype(int)


def frameset(clips: list[Clip], max_frames: int | None = None, seed: int = 0) -> FrameSet:
    """Stack clips' frames (optionally an even subsample of ``max_frames``). Clips need frames, params, masks."""
    imgs, heads, masks, Ks, w2cs, ci = [], [], [], [], [], []
    params: dict[str, list[np.ndarray]] = {k: [] for k in PARAM_DIMS}
    for i, c in enumerate(clips):
        if c.frames is None or c.masks is None:
            raise ClipError(f"{c.id}: GGTalker training needs frames and masks")
        missing = [k for k in ("expr", "jaw", "pose") if k not in c.params]
        if missing:
            raise ClipError(f"{c.id}: GGTalker training needs tracked params {missing} (run a tracker first)")
        imgs.append(c.frames)
        masks.append(c.masks)
        Ks.append(c.cameras.K)
        w2cs.append(c.cameras.w2c)
        ci.append(np.full(c.n_frames, i))
        for k, d in PARAM_DIMS.items():
            params[k].append(c.params[k] if k in c.params else np.zeros((c.n_frames, d), np.float32))
    sel = sample_indices(sum(len(x) for x in imgs), max_frames)
    m = np.concatenate(masks)[sel]
    return FrameSet(
        images=torch.from_numpy(np.concatenate(imgs)[sel]).float() / 255.0,
        head=torch.from_numpy((m == 1).astype(np.float32)),
        params={k: torch.from_numpy(np.concatenate(v)[sel].astype(np.float32)) for k, v in params.items()},
        K=torch.from_numpy(np.concatenate(Ks)[sel].astype(np.float32)),
        w2c=torch.from_numpy(np.concatenate(w2cs)[sel].astype(np.float32)),
        clip_index=torch.from_numpy(np.concatenate(ci)[sel]), masks=torch.from_numpy(m),
    )


def find_clips(root: str | Path) -> dict[str, list[Path]]:
    """Clip folders under ``root`` grouped by identity (``meta.identity``, else the grandparent folder name)."""
    import json

    out: dict[str, list[Path]] = {}
    for header in sorted(Path(root).rglob("clip.json")):
        meta = json.loads(header.read_text()).get("meta", {})
        ident = str(meta.get("identity", header.parent.parent.name))
        out.setdefault(ident, []).append(header.parent)
    if not out:
        raise FileNotFoundError(f"{root}: no clip folders (clip.json) found")
    return out


def load_identities(root: str | Path, max_frames: int | None = None) -> dict[str, FrameSet]:
    """Every identity under ``root`` as a :class:`FrameSet`."""
    return {k: frameset([read_clip(p) for p in v], max_frames) for k, v in find_clips(root).items()}
