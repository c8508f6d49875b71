"""Train the Expression-Visual prior (generator + color MLP) self-supervised, source → target.

Each step takes, per identity in the batch, a source frame and a target frame (any clip, any view of
that identity): predict the UV Gaussian map from the source image, drive it with the target's
parameters, render from the target's camera, compare with the target's head pixels.
Loss = L1 + 0.2·D-SSIM (head pixels on black) + ``w_mask``·|alpha − head mask| + ``w_reg``·UV regulariser.
With a state path the run saves a :class:`~ggtalker.train.checkpoint.TrainingState` every ``ckpt_every``
steps and ``resume`` continues it exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ggtalker.gaussians.data import FrameSet
from ggtalker.gaussians.losses import mask_loss, photometric, uv_regulariser
from ggtalker.gaussians.prior import E2VPrior
from ggtalker.gaussians.render import render_head
from ggtalker.train.checkpoint import TrainingState


@dataclass
class E2VTrainConfig:
    steps: int = 200
    batch: int = 2
    lr: float = 2e-3
    w_mask: float = 0.5
    w_reg: float = 0.01
    seed: int = 0
    log_every: int = 20
    ckpt_every: int = 250
    #: Stop after this many seconds (checked each step; None: run every step). The GPU machine is lent
    #: for minutes at a time, so a time-boxed run ends in time to save what it learnt, resumable.
    max_seconds: float | None = None
    #: Draw source frames only among those whose camera is within this many degrees of yaw of the front
    #: (None: any frame). Adaptation always starts from a frontal phone frame, so the views the prior must
    #: invent (the sides and back) are those a frontal source does not show; with any-view sources most
    #: training pairs show it a side the test never gives. Targets stay any view.
    source_max_yaw: float | None = None


def e2v_step(prior: E2VPrior, src: FrameSet, tgt: FrameSet, w_mask: float, w_reg: float) -> tuple[torch.Tensor, dict]:
    """One source→target loss for a batch of B pairs (``src``, ``tgt`` of length B, same identity per index)."""
    img = src.images.permute(0, 3, 1, 2)
    uv = prior.generator.from_reference(prior.head, img, src.params, src.K, src.w2c)
    h, w = tgt.size
    losses = []
    photo = 0.0
    for b in range(len(tgt)):
        p = {k: v[b : b + 1] for k, v in tgt.params.items()}
        r = render_head(prior.head, uv[b], p, tgt.K[b : b + 1], tgt.w2c[b : b + 1], w, h, prior.color_mlp)
        gt = tgt.images[b : b + 1] * tgt.head[b : b + 1, ..., None]
        ph = photometric(r.rgb, gt)
        photo = photo + ph.detach() / len(tgt)
        losses.append(ph + w_mask * mask_loss(r.alpha, tgt.head[b : b + 1]))
    loss = torch.stack(losses).mean() + w_reg * uv_regulariser(uv, metric_offsets=prior.head.offset_unit is not None)
    return loss, {"photo": float(photo)}


def source_frames(fs: FrameSet, max_yaw: float | None) -> list[int]:
    """Indices of the frames of ``fs`` a source may be drawn from: those whose camera yaw is within
    ``max_yaw`` degrees of the front, or the most frontal one where none is (every frame for None)."""
    if max_yaw is None:
        return list(range(len(fs)))
    from ggtalker.core.clip import Cameras

    yaw = np.abs(Cameras(fs.K.cpu().numpy(), fs.w2c.cpu().numpy()).yaw_pitch_deg()[:, 0])
    ok = np.flatnonzero(yaw <= max_yaw)
    return ok.tolist() if len(ok) else [int(np.argmin(yaw))]


def train_e2v(prior: E2VPrior, identities: dict[str, FrameSet], cfg: E2VTrainConfig, progress: bool = True,
              state_path: str | Path | None = None, resume: bool = False) -> list[dict]:
    """Optimise ``prior`` in place; returns the loss log (one dict per ``log_every`` steps).

    Args:
        state_path: where the resumable training state goes (None: no checkpoints).
        resume: continue from ``state_path``.
    """
    g = torch.Generator().manual_seed(cfg.seed)
    names = sorted(identities)
    sources = {n: source_frames(identities[n], cfg.source_max_yaw) for n in names}
    opt = torch.optim.Adam(prior.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps, eta_min=cfg.lr * 0.1)
    state = TrainingState(state_path, cfg.ckpt_every, {"e2v": prior, "opt": opt, "sched": sched}, {"batches": g}) \
        if state_path is not None else None
    start, extra = state.begin(resume) if state is not None else (0, {})
    log, run, t0 = extra.get("log", []), extra.get("run", []), time.perf_counter()
    bar = tqdm(range(start, cfg.steps), desc="train e2v", disable=not progress, initial=start, total=cfg.steps)
    for step in bar:
        ids = torch.randint(len(names), (cfg.batch,), generator=g).tolist()
        src_i, tgt_i = [], []
        for i in ids:
            fs, allowed = identities[names[i]], sources[names[i]]
            pair = torch.randint(len(fs), (2,), generator=g)
            # With every frame allowed, the shipped priors' draw (the same random numbers).
            src = int(pair[0]) if len(allowed) == len(fs) else \
                allowed[int(torch.randint(len(allowed), (1,), generator=g))]
            src_i.append(fs.take([src]))
            tgt_i.append(fs.take([int(pair[1])]))
        src, tgt = _cat(src_i), _cat(tgt_i)
        loss, parts = e2v_step(prior, src, tgt, cfg.w_mask, cfg.w_reg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(prior.parameters(), 1.0)
        opt.step()
        sched.step()
        run.append(parts["photo"])
        if (step + 1) % cfg.log_every == 0 or step == cfg.steps - 1:
            rec = {"step": step + 1, "photo": sum(run) / len(run), "s": time.perf_counter() - t0}
            log.append(rec)
            bar.set_postfix(photo=f"{rec['photo']:.4f}")
            run = []
        if cfg.max_seconds is not None and time.perf_counter() - t0 > cfg.max_seconds and step + 1 < cfg.steps:
            if run:
                log.append({"step": step + 1, "photo": sum(run) / len(run), "s": time.perf_counter() - t0})
                run = []
            log[-1]["stopped"] = "max_seconds"
            if state is not None:
                state.save(step + 1, log=log, run=run)  # resume continues from here
            return log
        if state is not None:
            state.maybe_save(step + 1, log=log, run=run)
    if state is not None:
        state.save(cfg.steps, log=log, run=run)
    return log


def _cat(sets: list[FrameSet]) -> FrameSet:
    return FrameSet(torch.cat([s.images for s in sets]), torch.cat([s.head for s in sets]),
                    {k: torch.cat([s.params[k] for s in sets]) for k in sets[0].params},
                    torch.cat([s.K for s in sets]), torch.cat([s.w2c for s in sets]),
                    torch.cat([s.clip_index for s in sets]))
