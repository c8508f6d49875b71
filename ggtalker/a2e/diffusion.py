"""Gaussian diffusion over normalised motion windows: x0-prediction training and few-step DDIM sampling.

The network predicts the clean window (x0), as GGTalker and DiffPoseTalk do; sampling is deterministic DDIM
(eta = 0) over a short strided schedule, so the only randomness of a sample is its initial noise (the seed).
Known dimensions (a given head pose, a blink schedule) are imposed by replacement guidance: after every
x0 estimate they are overwritten before the next noising step, so the free dimensions adapt to them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ggtalker.a2e.model import A2ENet


def cosine_alpha_bar(n_steps: int, s: float = 0.008) -> torch.Tensor:
    """ᾱ_t for t = 0..n_steps-1 of the cosine schedule (Nichol & Dhariwal 2021), ``(n_steps,)``."""
    x = torch.linspace(0, n_steps, n_steps + 1, dtype=torch.float64)
    f = torch.cos(((x / n_steps) + s) / (1 + s) * math.pi / 2) ** 2
    ab = (f / f[0])[1:]
    return ab.clamp(1e-5, 1.0).float()


def motion_loss(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None,
                vel_weight: float = 1.0) -> torch.Tensor:
    """L2 on frames plus Huber on frame-to-frame differences (GGTalker's loss); ``(B, N, M)`` → scalar.

    Args:
        weights: ``(M,)`` per-dimension weights (e.g. more on the mouth), or None.
    """
    w = torch.ones(pred.shape[-1], device=pred.device) if weights is None else weights
    l2 = ((pred - target) ** 2 * w).mean()
    vel = F.huber_loss(pred.diff(dim=1) * w.sqrt(), target.diff(dim=1) * w.sqrt(), delta=0.1) if pred.shape[1] > 1 else 0.0
    return l2 + vel_weight * vel


class Diffusion:
    """Schedule and samplers around an :class:`A2ENet`.

    Args:
        n_steps: training timesteps.
    """

    def __init__(self, n_steps: int = 500) -> None:
        self.n_steps = n_steps
        self.alpha_bar = cosine_alpha_bar(n_steps)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise clean windows ``(B, N, M)`` to timesteps ``t`` ``(B,)``."""
        ab = self.alpha_bar.to(x0.device)[t][:, None, None]
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def training_loss(self, net: A2ENet, x0: torch.Tensor, audio: torch.Tensor, prev: torch.Tensor,
                      prev_mask: torch.Tensor, style: torch.Tensor, p_drop: float = 0.1,
                      weights: torch.Tensor | None = None, regress: bool = False,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """One batch's loss. ``regress=True`` trains the same backbone as a deterministic regressor
        (zero input, t = 0, no condition dropping).

        Shapes: ``x0`` (B, N, M), ``audio`` (B, P+N, Da), ``prev`` (B, P, M), ``prev_mask``/``style`` (B,).
        """
        b, dev = x0.shape[0], x0.device
        if regress:
            pred = net(torch.zeros_like(x0), torch.zeros(b, dtype=torch.long, device=dev), audio, prev, prev_mask, style)
            return motion_loss(pred, x0, weights)
        t = torch.randint(0, self.n_steps, (b,), device=dev, generator=generator)
        noise = torch.randn(x0.shape, device=dev, generator=generator)
        # Classifier-free guidance: drop audio and style (independently) with probability p_drop.
        drop_a = torch.rand(b, device=dev, generator=generator) < p_drop
        drop_s = torch.rand(b, device=dev, generator=generator) < p_drop
        style = torch.where(drop_s, torch.zeros_like(style), style)
        pred = net(self.q_sample(x0, t, noise), t, audio, prev, prev_mask, style, audio_drop=drop_a)
        return motion_loss(pred, x0, weights)

    @torch.no_grad()
    def sample(self, net: A2ENet, audio: torch.Tensor, prev: torch.Tensor, prev_mask: torch.Tensor,
               style: torch.Tensor, n: int, steps: int = 10, guidance: float = 1.5,
               known: torch.Tensor | None = None, known_mask: torch.Tensor | None = None,
               generator: torch.Generator | list[torch.Generator] | None = None,
               noise: torch.Tensor | None = None) -> torch.Tensor:
        """DDIM sampling (eta = 0) of ``(B, n, M)`` normalised windows.

        Args:
            steps: denoising steps (strided over the training schedule).
            guidance: classifier-free guidance scale on the audio condition (1 = none).
            known: ``(B, n, M)`` values to impose where ``known_mask`` ``(M,)`` or ``(B, n, M)`` is True.
            generator: the seed of the initial noise, or one generator per batch row (row ``i`` then gets the
                noise a batch of one would get from ``generator[i]``: several samples in one pass equal the
                samples drawn one after another).
            noise: ``(B, n, M)`` initial noise to start from instead (``generator`` is then unused): a stream
                gives each frame the same noise in every window that covers it.
        """
        b, m = audio.shape[0], net.cfg.motion_dim
        dev = audio.device
        if noise is not None:
            if tuple(noise.shape) != (b, n, m):
                raise ValueError(f"noise must be {(b, n, m)}, got {tuple(noise.shape)}")
            x = noise.to(dev)
        elif isinstance(generator, (list, tuple)):
            if len(generator) != b:
                raise ValueError(f"{len(generator)} generators for a batch of {b}")
            x = torch.cat([torch.randn((1, n, m), generator=g) for g in generator]).to(dev)
        else:
            x = torch.randn((b, n, m), generator=generator).to(dev)  # CPU generator: same noise on every device
        ts = torch.linspace(self.n_steps - 1, 0, steps, device=dev).round().long()
        ab = self.alpha_bar.to(dev)
        guided = guidance != 1.0
        if guided:  # conditional and audio-dropped halves in one batch
            drop = torch.arange(2 * b, device=dev) >= b
            c, s = net.condition(torch.cat([audio, audio]), torch.cat([style, style]), drop)
            prev, prev_mask = torch.cat([prev, prev]), torch.cat([prev_mask, prev_mask])
        else:
            c, s = net.condition(audio, style)
        for i, t in enumerate(ts):
            if guided:
                cond, uncond = net.denoise(torch.cat([x, x]), t.expand(2 * b), c, s, prev, prev_mask).chunk(2)
                x0 = uncond + guidance * (cond - uncond)
            else:
                x0 = net.denoise(x, t.expand(b), c, s, prev, prev_mask)
            if known is not None:
                x0 = torch.where(known_mask, known, x0)
            if i == len(ts) - 1:
                return x0
            a_t, a_next = ab[t], ab[ts[i + 1]]
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
        return x0

    @torch.no_grad()
    def regress(self, net: A2ENet, audio: torch.Tensor, prev: torch.Tensor, prev_mask: torch.Tensor,
                style: torch.Tensor, n: int, known: torch.Tensor | None = None,
                known_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The deterministic regressor's prediction ``(B, n, M)`` (same interface as :meth:`sample`)."""
        b = audio.shape[0]
        x0 = net(torch.zeros((b, n, net.cfg.motion_dim), device=audio.device),
                 torch.zeros(b, dtype=torch.long, device=audio.device), audio, prev, prev_mask, style)
        return x0 if known is None else torch.where(known_mask, known, x0)
