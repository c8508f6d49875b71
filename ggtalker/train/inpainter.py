"""Train the Body Inpainter prior across identities.

A target frame's head pixels (its head mask, feathered by a 3×3 blur, stands in for the rendered alpha;
a small colour jitter stands in for rendering error) are the "rendered head"; another frame of the
same identity is the context. The network must reproduce the whole target frame. No Gaussian
rendering is needed, so this trains in minutes on a CPU; adaptation later fine-tunes on real renders.
With a state path the run saves a :class:`~ggtalker.train.checkpoint.TrainingState` every ``ckpt_every``
steps and ``resume`` continues it exactly.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ggtalker.gaussians.data import FrameSet
from ggtalker.gaussians.inpainter import BodyInpainter
from ggtalker.gaussians.losses import photometric
from ggtalker.train.checkpoint import TrainingState


def pseudo_render(fs: FrameSet, idx: list[int], g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(head_rgb (B,3,H,W), alpha (B,1,H,W))`` made from the frames' own head pixels."""
    alpha = F.avg_pool2d(fs.head[idx][:, None], 3, stride=1, padding=1)
    jitter = 1 + 0.06 * (torch.rand(len(idx), 3, 1, 1, generator=g) - 0.5).to(fs.images.device)
    rgb = (fs.images[idx].permute(0, 3, 1, 2) * jitter).clamp(0, 1) * alpha
    return rgb, alpha


def train_inpainter(inp: BodyInpainter, identities: dict[str, FrameSet], steps: int = 200, batch: int = 4,
                    lr: float = 2e-3, seed: int = 0, progress: bool = True, state_path: str | Path | None = None,
                    resume: bool = False, ckpt_every: int = 250) -> list[dict]:
    """Optimise ``inp`` in place; returns the loss log (one dict per 20 steps).

    Args:
        state_path: where the resumable training state goes (None: no checkpoints); resume: continue from it.
    """
    g = torch.Generator().manual_seed(seed)
    names = sorted(identities)
    opt = torch.optim.Adam(inp.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr * 0.1)
    state = TrainingState(state_path, ckpt_every, {"inpainter": inp, "opt": opt, "sched": sched}, {"batches": g}) \
        if state_path is not None else None
    start, extra = state.begin(resume) if state is not None else (0, {})
    log, run, t0 = extra.get("log", []), extra.get("run", []), time.perf_counter()
    for step in tqdm(range(start, steps), desc="train inpainter", disable=not progress, initial=start, total=steps):
        losses = []
        for i in torch.randint(len(names), (batch,), generator=g).tolist():
            fs = identities[names[i]]
            t, c = torch.randint(len(fs), (2,), generator=g).tolist()
            rgb, alpha = pseudo_render(fs, [t], g)
            out = inp(rgb, alpha, fs.images[[c]].permute(0, 3, 1, 2), fs.head[[c]][:, None])
            losses.append(photometric(out.permute(0, 2, 3, 1), fs.images[[t]]))
        loss = torch.stack(losses).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        run.append(float(loss.detach()))
        if (step + 1) % 20 == 0 or step == steps - 1:
            log.append({"step": step + 1, "loss": sum(run) / len(run), "s": time.perf_counter() - t0})
            run = []
        if state is not None:
            state.maybe_save(step + 1, log=log, run=run)
    if state is not None:
        state.save(steps, log=log, run=run)
    return log
