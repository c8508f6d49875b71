"""Training data, training loop and the separation check of the SynthTalk sync expert.

Used by ``scripts/train_sync_expert.py`` (train, ship to the zoo) and ``scripts/eval_sync_expert.py``
(aligned vs 5-frame-shifted clips). Data: SynthTalk performances (espeak-ng speech and its phoneme-driven
head parameters) rendered by SynthTalk's rasterizer, cached as clips under ``cache_root()/sync_expert``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ggtalker.core.cache import cache_root
from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.clip import Clip, read_clip, write_clip
from ggtalker.metrics.sync_expert import (
    SyncExpert, clip_windows, cmvn_mfcc, expert_scores, mouth_boxes, mouth_crops,
)
from ggtalker.synth.recipes import WORLD_VERSION

#: Identity seeds: training and held-out identities never overlap.
SPLIT_IDENTITIES = {"train": range(100, 124), "test": range(500, 524)}
MAX_FRAMES = 50


def render_performance_clip(identity_seed: int, text: str, voice, size: int, yaw: float, pitch: float,
                            seed: int) -> Clip:
    """One SynthTalk clip: perform ``text`` with ``voice``, pose the head, render from a fixed camera."""
    from ggtalker.synth.cameras import project, static_cameras
    from ggtalker.synth.head import head_model
    from ggtalker.synth.performance import perform
    from ggtalker.synth.render import Renderer

    perf = perform(text, voice, seed=seed)
    n = min(perf.n_frames, MAX_FRAMES)
    params = {k: v[:n] for k, v in perf.params.items()}
    model = head_model(identity_seed)
    cams = static_cameras(n, size, yaw_deg=yaw, pitch_deg=pitch)
    verts = model.vertices(params)
    renderer = Renderer(model, size, size)
    try:
        frames, labels, _ = renderer.render(verts, cams)
    finally:
        renderer.release()
    lms = project(model.landmarks3d(params), cams).astype(np.float32)
    audio = perf.audio[: int(round(n / perf.fps * SAMPLE_RATE))]
    return Clip(fps=perf.fps, cameras=cams, width=size, height=size, frames=frames, audio=audio,
                params=params, masks=labels, landmarks=lms, id=f"sync_{identity_seed}_{seed}",
                meta={"identity": identity_seed, "text": text, "voice": voice.id()})


def _render_to(job: tuple) -> Path:
    """Render one clip job ``(path, identity, text, voice, size, yaw, pitch, seed)`` unless cached."""
    path, ident, text, voice, size, yaw, pitch, seed = job
    if not (path / "clip.json").is_file():
        import torch

        torch.set_num_threads(1)
        write_clip(render_performance_clip(ident, text, voice, size, yaw, pitch, seed), path, overwrite=True)
    return path


def sync_clips(split: str, n: int, size: int = 224, seed: int = 0, workers: int = 1) -> list[Path]:
    """Paths of ``n`` cached SynthTalk clips of ``split`` (rendered on first use, by ``workers`` processes).

    Train clips use the train sentence banks and identities, test clips held-out sentences and identities;
    languages and voices cycle through SynthTalk's training sets; cameras vary ±20° yaw, ±8° pitch.
    """
    from ggtalker.synth.sentences import TRAIN_LANGUAGES, TRAIN_VOICES, sentences, with_language

    recipe = {"v": 1, "world": WORLD_VERSION, "split": split, "size": size, "seed": seed, "max_frames": MAX_FRAMES}
    root = cache_root() / "sync_expert" / hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    ids = list(SPLIT_IDENTITIES[split])
    jobs = []
    for k in range(n):
        lang = TRAIN_LANGUAGES[k % len(TRAIN_LANGUAGES)]
        bank = sentences(lang, split)
        text = bank[(k // len(TRAIN_LANGUAGES)) % len(bank)]
        voice = with_language(TRAIN_VOICES[k % len(TRAIN_VOICES)], lang)
        yaw, pitch = rng.uniform(-20, 20), rng.uniform(-8, 8)
        jobs.append((root / f"{k:04d}", ids[k % len(ids)], text, voice, size, yaw, pitch, seed * 1000 + k))
    bar = dict(total=n, desc=f"sync-expert {split} clips", unit="clip")
    if workers <= 1:
        return [_render_to(j) for j in tqdm(jobs, **bar)]
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp

    # spawn: each worker opens its own EGL context; forked GL state is not safe.
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
        return list(tqdm(ex.map(_render_to, jobs), **bar))


@dataclass
class Prepared:
    """A clip reduced to what the expert sees: its windows ``video (W, 3, 5, 40, 64)``, ``audio (W, 1, 13, 20)``."""

    video: torch.Tensor
    audio: torch.Tensor


def prepare(clip: Clip) -> Prepared:
    """Mouth crops (from the clip's landmarks) and CMVN MFCC windows of one clip."""
    if clip.landmarks is None or clip.frames is None or clip.audio is None:
        raise ValueError(f"{clip.id}: the sync expert needs frames, audio and landmarks")
    vid, aud = clip_windows(mouth_crops(clip.frames, mouth_boxes(clip.landmarks)), cmvn_mfcc(clip.audio), len(clip.audio))
    return Prepared(vid, aud)


def sample_batch(data: list[Prepared], batch: int, rng: np.random.Generator, min_shift: int = 2,
                 max_shift: int = 15) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Half aligned windows (label 1), half negatives (label 0): the same clip's audio shifted by
    ``min_shift``…``max_shift`` frames either way, or (one in four) another clip's audio."""
    vids, auds, ys = [], [], []
    for b in range(batch):
        i = int(rng.integers(len(data)))
        d = data[i]
        w = len(d.video)
        t = int(rng.integers(w))
        vids.append(d.video[t])
        if b % 2 == 0:
            auds.append(d.audio[t])
            ys.append(1.0)
            continue
        if rng.random() < 0.25 and len(data) > 1:
            j = (i + 1 + int(rng.integers(len(data) - 1))) % len(data)
            auds.append(data[j].audio[int(rng.integers(len(data[j].audio)))])
        else:
            shifts = [s for s in range(-max_shift, max_shift + 1) if abs(s) >= min_shift and 0 <= t + s < w]
            auds.append(d.audio[t + int(rng.choice(shifts))] if shifts else data[(i + 1) % len(data)].audio[0])
        ys.append(0.0)
    return torch.stack(vids), torch.stack(auds), torch.tensor(ys)


def train(data: list[Prepared], steps: int, batch: int = 64, lr: float = 1e-3, seed: int = 0,
          device: str = "cpu", width: int = 32, log_every: int = 100) -> tuple[SyncExpert, list[float]]:
    """Train an expert with Wav2Lip's objective (BCE on the embeddings' cosine similarity); returns it and the losses."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SyncExpert(width=width).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    warm = max(1, steps // 20)  # linear warm-up, then cosine decay
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(s, steps) / max(steps, 1))))
    losses = []
    bar = tqdm(range(steps), desc="sync expert", unit="step")
    for step in bar:
        v, a, y = sample_batch(data, batch, rng)
        v, a, y = v.to(device), a.to(device), y.to(device)
        # Brightness/contrast jitter: the expert must read lip shape, not a method's colour fidelity.
        g = 1 + 0.2 * (torch.rand(len(v), 1, 1, 1, 1, device=device) - 0.5)
        o = 0.1 * (torch.rand(len(v), 1, 1, 1, 1, device=device) - 0.5)
        loss = F.binary_cross_entropy(model.sync_prob(v * g + o, a), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % log_every == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-log_every:]):.3f}")
    return model.eval(), losses


def delayed(audio: np.ndarray, frames: int, fps: float) -> np.ndarray:
    """Audio delayed by ``frames`` video frames, same length, silence filling the gap (as SynthTalk's
    ``shift_audio``, which works on performances; this one on a clip's track)."""
    k = int(round(frames * SAMPLE_RATE / fps))
    out = np.zeros_like(audio)
    if k >= 0:
        out[k:] = audio[: len(audio) - k]
    else:
        out[: len(audio) + k] = audio[-k:]
    return out


def separation(model: SyncExpert, clips: list[Clip], shift: int = 5) -> dict:
    """For each clip, ``sync_conf`` on its own audio and on audio delayed by ``shift`` frames.

    Returns ``{"fraction": share of clips whose aligned conf is higher, "n", "aligned": [...], "shifted": [...]}``.
    """
    al, sh = [], []
    for c in clips:
        al.append(expert_scores(model, c.frames, c.landmarks, c.audio)["conf"])
        sh.append(expert_scores(model, c.frames, c.landmarks, delayed(c.audio, shift, c.fps))["conf"])
    al_a, sh_a = np.array(al), np.array(sh)
    return {"fraction": float(np.mean(al_a > sh_a)), "n": len(clips), "shift_frames": shift,
            "aligned": al_a.round(4).tolist(), "shifted": sh_a.round(4).tolist()}


def load_prepared(paths: list[Path]) -> tuple[list[Clip], list[Prepared]]:
    clips = [read_clip(p) for p in paths]
    return clips, [prepare(c) for c in clips]
