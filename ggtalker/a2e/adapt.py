"""Customized Adaptation of the Audio-Expression prior: the speaker's style from their own clip.

Fine-tunes, at a low learning rate, the A2E network's condition encoder (``audio_in``, ``audio_tf``) and
decoder (``layers``, ``out``) plus a free 64-d style code, on the clip's (audio, tracked parameters);
the audio feature extractor stays frozen (it is outside the network). The last ``holdout`` share of
the clip is held out and the state with the lowest held-out loss is kept (early stopping with patience).
Uses only the A2E model's public attributes (``net``, ``diffusion``, ``encoder``, ``mean``, ``std``).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ggtalker.a2e.diffusion import motion_loss
from ggtalker.core.params import pack

TUNED = ("audio_in", "audio_tf", "layers", "out", "out_norm")


@dataclass
class A2EAdaptConfig:
    """Budget of the A2E adaptation: ``steps`` at ``lr`` (tuned layers) and ``lr_style`` (the style code); the
    last ``holdout`` of the clip is held out, evaluated every ``eval_every`` steps, stopped after ``patience``
    evaluations without improvement."""

    steps: int = 30
    lr: float = 5e-5
    lr_style: float = 1e-2
    holdout: float = 0.2
    patience: int = 3
    eval_every: int = 5


def _windows(n: int, w: int, lo: int, hi: int) -> list[int]:
    return list(range(lo, max(lo, hi - w) + 1, max(1, w // 2)))


def finetune_a2e(prior: Any, audio16k: np.ndarray, params: dict[str, np.ndarray], fps: float,
                 cfg: A2EAdaptConfig | None = None, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Adapt ``prior`` (an :class:`ggtalker.a2e.prior.A2EPrior`) in place; returns a report.

    Args:
        audio16k: ``(S,)`` the clip's audio; params: its tracked ``{key: (N, D)}`` at ``fps``.

    Returns:
        ``{"style": (64,) ndarray (the adapted style code; pass as ``predict(style=...)``), "best_val",
        "val0", "steps_run", "seconds"}``.
    """
    cfg = cfg or A2EAdaptConfig()
    steps, lr, lr_style, holdout, patience, eval_every = (cfg.steps, cfg.lr, cfg.lr_style, cfg.holdout, cfg.patience,
                                                          cfg.eval_every)
    t0 = time.perf_counter()
    net, diff = prior.net, prior.diffusion
    n = len(next(iter(params.values())))
    x = torch.from_numpy(pack(params)).to(prior.device)
    x = (x - prior.mean) / prior.std
    feats = prior.encoder.encode(audio16k, n, fps).to(prior.device).float()
    p = net.cfg.prev
    feats_p = torch.cat([feats[:1].expand(p, -1), feats], 0)
    w = min(net.cfg.window, max(8, int(n * (1 - holdout))))
    split = int(n * (1 - holdout)) if n * holdout >= 8 else n
    train_starts = _windows(n, w, 0, split) or [0]
    val_starts = _windows(n, min(w, n - split), split, n) if split < n else []

    with torch.no_grad():
        style0 = net.style.weight[0].detach().clone()  # the null style: the prior's average speaker
    style = torch.nn.Parameter(style0.clone())
    tuned = [prm for name in TUNED if hasattr(net, name) for prm in getattr(net, name).parameters()]
    opt = torch.optim.Adam([{"params": tuned, "lr": lr}, {"params": [style], "lr": lr_style}])
    gen = torch.Generator(device="cpu").manual_seed(seed)

    def batch(starts: list[int], length: int):
        x0 = torch.stack([x[s : s + length] for s in starts])
        aud = torch.stack([feats_p[s : s + length + p] for s in starts])
        prev = torch.stack([x[s - p : s] if s >= p else torch.zeros(p, x.shape[1], device=x.device) for s in starts])
        mask = torch.tensor([s >= p for s in starts], device=x.device)
        return x0, aud, prev, mask

    def loss_on(starts: list[int], length: int, g: torch.Generator) -> torch.Tensor:
        x0, aud, prev, mask = batch(starts, length)
        b = len(starts)
        t = torch.randint(0, diff.n_steps, (b,), generator=g).to(x0.device)
        noise = torch.randn(x0.shape, generator=g).to(x0.device)
        pred = net(diff.q_sample(x0, t, noise), t, aud, prev, mask, style.expand(b, -1))
        return motion_loss(pred, x0)

    def val_loss() -> float:
        if not val_starts:
            return float("nan")
        with torch.no_grad():
            g = torch.Generator().manual_seed(1234)  # the same noise every evaluation
            return float(np.mean([float(loss_on(val_starts, min(w, n - split), g)) for _ in range(2)]))

    net.train()
    val0 = best = val_loss()
    best_state = (copy.deepcopy({k: v.clone() for k, v in net.state_dict().items()}), style.detach().clone())
    bad, step = 0, 0
    for step in tqdm(range(1, steps + 1), desc="adapt a2e", disable=not progress):
        idx = torch.randint(len(train_starts), (min(4, len(train_starts)),), generator=gen).tolist()
        loss = loss_on([train_starts[i] for i in idx], w, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if val_starts and step % eval_every == 0:
            v = val_loss()
            if v < best:
                best, bad = v, 0
                best_state = ({k: t.clone() for k, t in net.state_dict().items()}, style.detach().clone())
            else:
                bad += 1
                if bad >= patience:
                    break
    if not val_starts:  # nothing held out: keep the last state
        best_state = ({k: t.clone() for k, t in net.state_dict().items()}, style.detach().clone())
    net.load_state_dict(best_state[0])
    net.eval()
    return {"style": best_state[1].cpu().numpy(), "best_val": best, "val0": val0, "steps_run": step,
            "seconds": time.perf_counter() - t0}
