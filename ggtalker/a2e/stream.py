"""Streaming the audio prior: audio arrives in chunks, head parameters leave as soon as they are final.

The prior was trained on windows of up to ``W`` frames that continue ``P`` given previous frames
(:class:`ggtalker.a2e.model.A2ENet`); offline prediction (:meth:`A2EPrior.predict`) walks the audio with
overlapping windows. A stream cannot wait for a whole window of audio, so each step samples one window that
*starts at the first frame not yet emitted* and *ends where the audio received so far ends*, conditioned on
the last ``P`` emitted frames exactly as in training, and emits the frames for which ``lookahead`` frames of
audio have arrived. Emitted frames are never revised; each window continues from what was emitted, which is
how the prior was trained to join windows, and starts each frame from the same noise as every other window
covering it.

Measured (CPU, 2 threads, the shipped prior with 1 lip sample, 80 ms chunks, lookahead 2 frames):
on 6 s of SynthTalk training-split speech, jaw correlation with the truth 0.907 against offline's 0.921,
mean |Δjaw| 0.080 at chunk borders against 0.071 inside chunks, 35 ms median per chunk; on the 4 s of
tests/test_a2e_stream.py (validation sentences) 0.911 against 0.922, and a border/inside step ratio of 1.43
against the offline prediction's 1.31 at the same frames. Windows padded to ``W`` past the audio's end gave
0.85 and 0.100 / 0.073 on the first clip: the prior never saw padded audio features in training.

The latency of a frame is its audio's arrival plus ``lookahead`` frames plus one window's sampling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ggtalker.a2e.prior import NATURAL_BLINK_RATE, A2EPrior, blink_schedule, param_slice, speech_columns
from ggtalker.core.params import PARAM_DIMS, unpack

SAMPLE_RATE = 16_000
#: Frames of audio before a window's first previous frame that are encoded and dropped, so the encoder's
#: own edge (its first analysis windows) never falls on a frame the prior sees.
ENCODER_MARGIN = 4


class MotionStream:
    """Head parameters of chunked audio, frame by frame, from an :class:`A2EPrior` (diffusion or regress).

    Args:
        prior: the audio prior (its ``lip_samples`` are averaged as offline).
        fps: output frame rate.
        lookahead: frames of audio past a frame that must have arrived before the frame is emitted.
        pose: ``(N, 6)`` head pose to follow for the first ``N`` frames (None: the prior moves the head).
        blink_rate: blinks per minute (the offline schedule for the same seed), or None.
        style, seed: as :meth:`A2EPrior.predict`.
    """

    def __init__(self, prior: A2EPrior, fps: float = 25.0, lookahead: int = 2, pose: np.ndarray | None = None,
                 blink_rate: float | None = NATURAL_BLINK_RATE, style: Any = None, seed: int = 0) -> None:
        if lookahead < 0:
            raise ValueError(f"lookahead must be >= 0 frames, got {lookahead}")
        if SAMPLE_RATE % fps:
            raise ValueError(f"fps={fps}: a frame must be a whole number of 16 kHz samples")
        self.prior, self.fps, self.lookahead, self.seed = prior, float(fps), int(lookahead), int(seed)
        self.pose = None if pose is None else np.asarray(pose, np.float32)
        if self.pose is not None and self.pose.shape[1:] != (PARAM_DIMS["pose"],):
            raise ValueError(f"pose must be (N, 6), got {self.pose.shape}")
        self.blink_rate = blink_rate
        self.blinks = np.zeros((0, 2), np.float32)  # the schedule drawn so far (a prefix of any longer one)
        self.spf = int(SAMPLE_RATE // fps)
        self.audio = np.zeros(0, np.float32)
        cfg = prior.net.cfg
        self.motion = torch.zeros(0, cfg.motion_dim, device=prior.device)  # emitted, normalised
        self.style = prior._style_tensor(style)
        n_samples = prior.lip_samples if prior.mode == "diffusion" else 1
        self.gens = [torch.Generator(device="cpu").manual_seed(self.seed + k) for k in range(n_samples)]
        self.noise = torch.zeros(n_samples, 0, cfg.motion_dim)  # per absolute frame, drawn as needed
        self.speech = speech_columns(cfg.motion_dim)

    @property
    def emitted(self) -> int:
        return int(self.motion.shape[0])

    def push(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        """Add ``(S,)`` float32 16 kHz audio; returns the newly final frames ``{key: (n, D)}`` (n may be 0)."""
        chunk = np.asarray(chunk, np.float32)
        if chunk.ndim != 1:
            raise ValueError(f"audio chunks must be mono (S,), got shape {chunk.shape}")
        self.audio = np.concatenate([self.audio, chunk])
        return self._emit(len(self.audio) // self.spf - self.lookahead)

    def flush(self) -> dict[str, np.ndarray]:
        """The remaining frames once the audio has ended (the last ``lookahead`` ones, and a partial frame)."""
        return self._emit(int(np.ceil(len(self.audio) / self.spf)))

    @torch.no_grad()
    def _emit(self, until: int) -> dict[str, np.ndarray]:
        start = self.emitted
        while self.emitted < until:
            self.motion = torch.cat([self.motion, self._window(until)])
        if self.emitted == start:
            return {k: np.zeros((0, d), np.float32) for k, d in PARAM_DIMS.items()}
        new = self.motion[start:]
        return unpack((new * self.prior.std + self.prior.mean).cpu().numpy())

    def _window(self, until: int) -> torch.Tensor:
        """Sample the window at the first unemitted frame; returns its frames up to ``until`` (normalised)."""
        pr, cfg = self.prior, self.prior.net.cfg
        p, e = cfg.prev, self.emitted
        # The window ends where the audio does: past it the prior would see padded features, which it never
        # saw in training (measured: jaw correlation with the truth 0.85 with full padded windows).
        w = int(min(cfg.window, max(until, int(np.ceil(len(self.audio) / self.spf))) - e))
        f0 = max(0, e - p - ENCODER_MARGIN)
        feats = pr.encoder.encode(self.audio[f0 * self.spf:] if len(self.audio) > f0 * self.spf else np.zeros(self.spf, np.float32),
                                  e + w - f0, self.fps).to(pr.device)
        feats = feats[e - f0 - min(p, e):]  # from the first previous frame (or the window's start)
        if e < p:  # as offline: before P frames exist, the first frame's features stand for the missing past
            feats = torch.cat([feats[:1].expand(p - e, -1), feats], 0)
        has_prev = e >= p
        b = len(self.gens)
        prev = (self.motion[e - p:e] if has_prev else torch.zeros(p, cfg.motion_dim, device=pr.device))
        known, kmask = self._known(e, w)
        args = (feats[None].expand(b, -1, -1).contiguous(), prev[None].expand(b, -1, -1).contiguous(),
                torch.full((b,), has_prev, device=pr.device), self.style.expand(b, *self.style.shape[1:]).contiguous())
        kn, km = known[None].expand(b, -1, -1).contiguous(), kmask[None].expand(b, -1, -1).contiguous()
        if pr.mode == "diffusion":
            x = pr.diffusion.sample(pr.net, *args, n=w, steps=pr.steps, guidance=pr.guidance, known=kn, known_mask=km,
                                    noise=self._noise(e, w))
        else:
            x = pr.diffusion.regress(pr.net, *args, n=w, known=kn, known_mask=km)
        take = min(w, until - e)
        frames = x[0, :take].clone()
        if b > 1:
            frames[:, self.speech] = x[:, :take][:, :, self.speech].mean(0)
        return frames

    def _noise(self, start: int, n: int) -> torch.Tensor:
        """``(S, n, M)`` initial noise of frames ``[start, start + n)``: one draw per sample and absolute frame,
        so the windows covering a frame all start it from the same noise (DDIM is deterministic from there;
        consecutive windows then agree where they overlap and the emitted frames join without seams)."""
        while self.noise.shape[1] < start + n:
            block = torch.stack([torch.randn(256, self.noise.shape[2], generator=g) for g in self.gens])
            self.noise = torch.cat([self.noise, block], 1)
        return self.noise[:, start:start + n]

    def _known(self, start: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Imposed pose and blink of frames ``[start, start + n)``, normalised, and where they are imposed."""
        pr = self.prior
        raw = torch.zeros(n, pr.net.cfg.motion_dim, device=pr.device)
        mask = torch.zeros_like(raw, dtype=torch.bool)
        if self.pose is not None and start < len(self.pose):
            m = min(n, len(self.pose) - start)
            raw[:m, param_slice("pose")] = torch.from_numpy(self.pose[start:start + m]).to(pr.device)
            mask[:m, param_slice("pose")] = True
        if self.blink_rate is not None:
            if len(self.blinks) < start + n:  # drawn again only when the stream outgrows it, to twice the length
                self.blinks = blink_schedule(max(2 * len(self.blinks), start + n), self.fps, self.blink_rate, self.seed)
            raw[:, param_slice("blink")] = torch.from_numpy(self.blinks[start:start + n]).to(pr.device)
            mask[:, param_slice("blink")] = True
        return (raw - pr.mean) / pr.std, mask
