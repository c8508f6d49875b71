"""The Audio-Expression network: a conditional transformer over windows of head-parameter sequences.

One backbone serves both the diffusion prior (input: the noisy window ``x_t`` and timestep ``t``) and the
deterministic regressor baseline (input zeros, ``t = 0``), so the comparison isolates diffusion itself.

Layout of one forward pass (B windows, P previous frames, N current frames, L = P + N)::

    audio (B, L, Da) ─ Linear ─ shallow TransformerEncoder ─► per-frame condition tokens c (B, L, d)
                                            └─ mean over time ─┐
    style (B, 64) ─ Linear ───────────────────────────────────┼─► global condition g (B, d)
    t ─ sinusoid ─ MLP ─► t_emb (B, d) ──────────── FiLM(g + t_emb) in every decoder layer; and a token
    [prev clean frames | x_t] (B, L, M) ─ Linear + c + position ─► decoder tokens
    decoder layer × K: FiLM → self-attention over [t token, style token, frames] → cross-attention to c → FFN
    ─► x0 estimate of the N current frames (B, N, M)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

STYLE_DIM = 64


@dataclass
class A2EConfig:
    """Architecture hyper-parameters (stored in checkpoints).

    Attributes:
        audio_dim: width of the encoder's frame-aligned features.
        motion_dim: width of the packed parameter vector (expr, jaw, blink, pose = 19).
        n_styles: learned speaking-style codes (training voices); index 0 is the null style.
        d_model, n_heads, n_layers: decoder size; ``audio_layers`` the shallow audio transformer.
        window, prev: frames per window and previous frames given as context.
    """

    audio_dim: int = 800
    motion_dim: int = 19
    n_styles: int = 1
    d_model: int = 192
    n_heads: int = 4
    n_layers: int = 4
    audio_layers: int = 2
    ff_mult: int = 2
    dropout: float = 0.1
    window: int = 100
    prev: int = 10

    def to_dict(self) -> dict:
        return asdict(self)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding ``(B, dim)`` of integer or real timesteps ``(B,)`` (Transformer/DDPM style)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    ang = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)


class DecoderLayer(nn.Module):
    """FiLM-modulated pre-norm block: self-attention, cross-attention to the audio tokens, feed-forward."""

    def __init__(self, d: int, heads: int, ff_mult: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, ff_mult * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_mult * d, d))
        # FiLM from the (timestep + global) condition; zero-initialised so each block starts as identity-modulated.
        self.film = nn.Linear(d, 2 * d)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, cond_tokens: torch.Tensor, film_in: torch.Tensor) -> torch.Tensor:
        """``h`` (B, T, d) decoder tokens, ``cond_tokens`` (B, L, d), ``film_in`` (B, d) → (B, T, d)."""
        scale, shift = self.film(film_in)[:, None].chunk(2, dim=-1)
        x = self.norm1(h) * (1 + scale) + shift
        h = h + self.drop(self.self_attn(x, x, x, need_weights=False)[0])
        x = self.norm2(h)
        h = h + self.drop(self.cross_attn(x, cond_tokens, cond_tokens, need_weights=False)[0])
        return h + self.drop(self.ff(self.norm3(h)))


class A2ENet(nn.Module):
    """Predicts the clean window ``x0`` from a noisy one, audio, style and the previous frames."""

    def __init__(self, cfg: A2EConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.audio_in = nn.Linear(cfg.audio_dim, d)
        enc_layer = nn.TransformerEncoderLayer(d, cfg.n_heads, cfg.ff_mult * d, cfg.dropout, batch_first=True,
                                               norm_first=True, activation="gelu")
        self.audio_tf = nn.TransformerEncoder(enc_layer, cfg.audio_layers, enable_nested_tensor=False)
        self.null_audio = nn.Parameter(torch.zeros(d))  # classifier-free guidance: the dropped audio condition
        self.style = nn.Embedding(cfg.n_styles + 1, STYLE_DIM)  # row 0: the null (unconditional) style
        self.style_in = nn.Linear(STYLE_DIM, d)
        self.t_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.motion_in = nn.Linear(cfg.motion_dim, d)
        # Which role a frame token plays: 0 previous frame given, 1 previous frame absent, 2 current frame.
        self.role = nn.Embedding(3, d)
        self.pos = nn.Parameter(torch.randn(cfg.prev + cfg.window, d) * 0.02)
        self.layers = nn.ModuleList(DecoderLayer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout) for _ in range(cfg.n_layers))
        self.out_norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, cfg.motion_dim)

    def style_vector(self, style: torch.Tensor) -> torch.Tensor:
        """``(B,)`` style indices → ``(B, 64)`` codes; ``(B, 64)`` codes pass through."""
        return self.style(style) if style.dtype in (torch.int32, torch.int64) else style

    def condition(self, audio: torch.Tensor, style: torch.Tensor,
                  audio_drop: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Condition tokens: audio ``(B, L, Da)`` → ``(B, L, d)`` per-frame tokens; style → ``(B, d)``.

        Independent of the timestep, so samplers compute them once per window, not once per step.
        ``audio_drop`` ``(B,)`` bool replaces the audio tokens by the learned null token (guidance).
        """
        c = self.audio_tf(self.audio_in(audio) + self.pos[: audio.shape[1]])
        if audio_drop is not None:
            c = torch.where(audio_drop[:, None, None], self.null_audio.expand_as(c), c)
        return c, self.style_in(self.style_vector(style))

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor, c: torch.Tensor, s: torch.Tensor, prev: torch.Tensor,
                prev_mask: torch.Tensor) -> torch.Tensor:
        """x0 estimate ``(B, N, M)`` from precomputed conditions ``c`` ``(B, P+N, d)`` and ``s`` ``(B, d)``."""
        b, n, _ = x_t.shape
        p = prev.shape[1]
        t_emb = self.t_mlp(timestep_embedding(t, self.cfg.d_model))
        film_in = c.mean(1) + s + t_emb  # the global condition plus the timestep
        prev_role = torch.where(prev_mask[:, None], 0, 1).expand(b, p)
        roles = torch.cat([prev_role, torch.full((b, n), 2, device=x_t.device, dtype=torch.long)], 1)
        frames = torch.cat([prev * prev_mask[:, None, None], x_t], 1)
        h = self.motion_in(frames) + self.role(roles) + self.pos[: p + n] + c
        h = torch.cat([t_emb[:, None], s[:, None], h], 1)  # timestep and style as extra tokens
        for layer in self.layers:
            h = layer(h, c, film_in)
        return self.out(self.out_norm(h[:, 2 + p :]))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, audio: torch.Tensor, prev: torch.Tensor,
                prev_mask: torch.Tensor, style: torch.Tensor, audio_drop: torch.Tensor | None = None) -> torch.Tensor:
        """Estimate the clean current window.

        Args:
            x_t: ``(B, N, M)`` noisy current frames (normalised), N ≤ ``cfg.window``.
            t: ``(B,)`` diffusion timesteps.
            audio: ``(B, P + N, Da)`` frame-aligned audio features for previous and current frames.
            prev: ``(B, P, M)`` previous clean frames (normalised; ignored where ``prev_mask`` is False).
            prev_mask: ``(B,)`` bool, True where previous frames are given.
            style: ``(B,)`` long style indices (0 = null) or ``(B, 64)`` style codes.
            audio_drop: ``(B,)`` bool, True to replace the audio condition by the null token (guidance).
        Returns:
            ``(B, N, M)`` estimate of the clean current frames.
        """
        c, s = self.condition(audio, style, audio_drop)
        return self.denoise(x_t, t, c, s, prev, prev_mask)
