"""Train the SynthTalk sync expert and (with --zoo) ship it as ``ggtalker/zoo/sync_expert_synthtalk``.

    python -m ggtalker.train.sync_expert --n-train 24 --n-test 16 --steps 1500 --zoo        # CPU smoke size
    python -m ggtalker.train.sync_expert --n-train 400 --n-test 100 --steps 20000 --device cuda --zoo  # full
    python -m ggtalker.train.sync_expert ... --resume                                       # continue a run

Training data, training loop and the separation check. Data: SynthTalk performances (espeak-ng speech and
its phoneme-driven head parameters) rendered by SynthTalk's rasterizer, cached as clips under
``cache_root()/sync_expert``. The CLI renders (and caches) clips, trains, measures separation on held-out
clips (aligned vs audio delayed by 5 frames; ``scripts/eval_sync_expert.py`` measures the zoo's) and writes
``<out>/sync_expert.pt``, ``<out>/separation.json`` and the resumable ``<out>/train_state.pt``. With
``--zoo`` the checkpoint and its measured separation go into the zoo card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.cache import cache_root
from ggtalker.core.clip import Clip, read_clip, write_clip
from ggtalker.metrics.sync_expert import (
    ZOO_NAME, SyncExpert, clip_windows, cmvn_mfcc, expert_scores, mouth_boxes, mouth_crops,
)
from ggtalker.synth.recipes import WORLD_VERSION
from ggtalker.train.checkpoint import TrainingState
from ggtalker.zoo import save_entry

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
          device: str = "cpu", width: int = 32, log_every: int = 100, state_path: str | Path | None = None,
          resume: bool = False, ckpt_every: int = 500) -> tuple[SyncExpert, list[float]]:
    """Train an expert with Wav2Lip's objective (BCE on the embeddings' cosine similarity); returns it and the losses.

    Args:
        state_path: where the resumable training state goes (None: no checkpoints); resume: continue from it.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SyncExpert(width=width).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    warm = max(1, steps // 20)  # linear warm-up, then cosine decay
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(s, steps) / max(steps, 1))))
    state = TrainingState(state_path, ckpt_every, {"model": model, "opt": opt, "sched": sched}, {"batches": rng}) \
        if state_path is not None else None
    start, extra = state.begin(resume) if state is not None else (0, {})
    losses = extra.get("losses", [])
    bar = tqdm(range(start, steps), desc="sync expert", unit="step", initial=start, total=steps)
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
        if state is not None:
            state.maybe_save(step + 1, losses=losses)
    if state is not None:
        state.save(steps, losses=losses)
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


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-train", type=int, default=24, help="training clips (rendered once, cached)")
    ap.add_argument("--n-test", type=int, default=16, help="held-out clips (unseen identities and sentences)")
    ap.add_argument("--size", type=int, default=224, help="render size of the clips")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--width", type=int, default=32, help="channel multiplier of the towers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=1, help="processes rendering clips")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared machine)")
    ap.add_argument("--out", default="outputs/sync_expert")
    ap.add_argument("--ckpt-every", type=int, default=500, help="steps between saved training states")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/train_state.pt")
    ap.add_argument("--zoo", action="store_true", help=f"save as zoo entry {ZOO_NAME}")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    _, train_data = load_prepared(sync_clips("train", args.n_train, args.size, args.seed, args.workers))
    test_clips, _ = load_prepared(sync_clips("test", args.n_test, args.size, args.seed, args.workers))
    t0 = time.perf_counter()
    model, losses = train(train_data, args.steps, args.batch, args.lr, args.seed, args.device, args.width,
                          state_path=out / "train_state.pt", resume=args.resume, ckpt_every=args.ckpt_every)
    train_s = time.perf_counter() - t0
    model = model.cpu()
    ckpt = out / "sync_expert.pt"
    model.save(str(ckpt))
    sep = separation(model, test_clips, shift=5)
    report = {"separation_5f": sep["fraction"], "n_test": sep["n"], "train_s": round(train_s, 1),
              "final_loss": float(np.mean(losses[-50:])), "steps": args.steps, "n_train_clips": args.n_train,
              "n_train_windows": int(sum(len(d.video) for d in train_data)), "details": sep}
    (out / "separation.json").write_text(json.dumps(report, indent=1))
    print(f"separation (aligned conf > 5-frame-shifted conf): {sep['fraction']:.3f} of {sep['n']} held-out clips; "
          f"final loss {report['final_loss']:.3f}; train {train_s:.0f} s")
    if args.zoo:
        cmd = "python -m ggtalker.train.sync_expert " + " ".join(
            shlex.quote(a) for a in (argv or sys.argv[1:]) if a != "--resume")
        card = save_entry(
            ZOO_NAME, ckpt, recipe=cmd, steps=args.steps, device=f"{args.device} ({torch.__version__})",
            data=f"SynthTalk sync_clips(train, n={args.n_train}, size={args.size}, seed={args.seed}); test n={args.n_test}",
            metrics={"separation_5f": sep["fraction"], "n_test": sep["n"], "final_loss": report["final_loss"]},
            architecture=model.config,
        )
        print(f"wrote {card}")
    return report


if __name__ == "__main__":
    main()
