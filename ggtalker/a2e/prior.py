"""``A2EPrior``: audio of any length → head-parameter sequences, with pose/blink/style/seed controls.

Long audio is generated window by window (``window`` frames each), every window conditioned on the last
``prev`` frames already generated (DiffPoseTalk's scheme), so windows join without seams. The final window
is shifted back to end at the last frame and its overlap with what exists is imposed by replacement, so
every window the network sees is full length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ggtalker.a2e.diffusion import Diffusion
from ggtalker.a2e.model import STYLE_DIM, A2EConfig, A2ENet
from ggtalker.audio import AudioEncoder, build_encoder
from ggtalker.core.checkpoint import save_atomic
from ggtalker.core.params import EXPR_NAMES, PARAM_DIMS, PARAM_ORDER, SPEECH_KEYS, unpack

CKPT_FORMAT = "ggtalker-a2e/1"


def speech_columns(motion_dim: int) -> torch.Tensor:
    """Indices of the speech channels (:data:`ggtalker.core.params.SPEECH_KEYS`) in a packed vector."""
    e, j = param_slice("expr"), param_slice("jaw")
    cols = [e.start + i for i, n in enumerate(EXPR_NAMES) if n in SPEECH_KEYS] + list(range(j.start, j.stop))
    if max(cols) >= motion_dim:
        raise ValueError(f"speech columns reach {max(cols)}, beyond the {motion_dim}-d motion vector")
    return torch.tensor(sorted(cols))


def param_slice(key: str) -> slice:
    """Columns of ``key`` inside a packed vector."""
    i = 0
    for k in PARAM_ORDER:
        if k == key:
            return slice(i, i + PARAM_DIMS[k])
        i += PARAM_DIMS[k]
    raise KeyError(key)


def blink_schedule(n_frames: int, fps: float, rate_per_min: float, seed: int = 0) -> np.ndarray:
    """Eyelid closure ``(n_frames, 2)`` for blinks at ``rate_per_min`` (a Poisson process, ≥ 0.4 s apart).

    Each blink is a 100 ms close / 180 ms open raised-cosine (human blinks last 100–400 ms); both eyes together.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(n_frames, np.float32)
    if rate_per_min <= 0:
        return np.repeat(out[:, None], 2, 1)
    t, dur = rng.exponential(60.0 / rate_per_min) * 0.5, n_frames / fps
    close_s, open_s = 0.10, 0.18
    frames_t = np.arange(n_frames) / fps
    while t < dur:
        rel = frames_t - t
        closing = (rel >= -close_s) & (rel < 0)
        opening = (rel >= 0) & (rel < open_s)
        shape = np.zeros(n_frames, np.float32)
        shape[closing] = 0.5 - 0.5 * np.cos(np.pi * (rel[closing] + close_s) / close_s)
        shape[opening] = 0.5 + 0.5 * np.cos(np.pi * rel[opening] / open_s)
        out = np.maximum(out, shape)
        t += max(0.4, rng.exponential(60.0 / rate_per_min))
    return np.repeat(out[:, None], 2, 1)


#: Default blinks per minute. Blinks are rare, audio-independent events; the shipped full prior (2.8k steps)
#: collapsed to almost never blinking (max eyelid closure 0.02-0.47, no full blink in 9 s of speech over 3
#: seeds), so by default a seeded natural schedule is imposed, as GGTalker's explicit blink control does.
NATURAL_BLINK_RATE = 15.0


class A2EPrior:
    """A trained Audio-Expression model (diffusion prior or its regressor twin) ready to predict.

    Args:
        net: the network. diffusion: its schedule. encoder_cfg: the audio encoder it was trained on.
        mean, std: ``(M,)`` normalisation of packed parameters. style_names: voice per style index 1..K.
        mode: ``diffusion`` or ``regress``. steps, guidance: DDIM steps and guidance scale.
        lip_samples: diffusion samples whose speech channels (jaw and the lip/tongue expression) are averaged;
            pose, blinks and affect come from the first (seed ``seed``), so they still vary with the seed.
    """

    def __init__(self, net: A2ENet, diffusion: Diffusion, encoder_cfg: dict, mean: np.ndarray, std: np.ndarray,
                 style_names: list[str], mode: str = "diffusion", steps: int = 10, guidance: float = 1.5,
                 info: dict | None = None, device: str = "cpu", lip_samples: int = 1) -> None:
        if mode not in ("diffusion", "regress"):
            raise ValueError(f"mode must be 'diffusion' or 'regress', got {mode!r}")
        self.net, self.diffusion, self.encoder_cfg = net.eval().to(device), diffusion, dict(encoder_cfg)
        self.mean = torch.as_tensor(mean, dtype=torch.float32, device=device)
        self.std = torch.as_tensor(std, dtype=torch.float32, device=device)
        self.style_names, self.mode, self.steps, self.guidance = list(style_names), mode, steps, guidance
        self.info, self.device, self.lip_samples = dict(info or {}), device, int(lip_samples)
        self._encoder: AudioEncoder | None = None

    # -- persistence -----------------------------------------------------------------------------
    def state(self, half: bool = True) -> dict[str, Any]:
        """A checkpoint dict (fp16 weights when ``half``)."""
        sd = {k: (v.half() if half and v.is_floating_point() else v).cpu() for k, v in self.net.state_dict().items()}
        return {"format": CKPT_FORMAT, "config": self.net.cfg.to_dict(), "state_dict": sd,
                "n_diffusion_steps": self.diffusion.n_steps, "encoder": self.encoder_cfg,
                "mean": self.mean.cpu().numpy(), "std": self.std.cpu().numpy(), "style_names": self.style_names,
                "mode": self.mode, "steps": self.steps, "guidance": self.guidance, "info": self.info,
                "lip_samples": self.lip_samples}

    def save(self, path: str | Path, half: bool = True) -> Path:
        return save_atomic(self.state(half), path)

    @classmethod
    def from_state(cls, ckpt: dict[str, Any], device: str = "cpu", where: str = "checkpoint") -> "A2EPrior":
        if ckpt.get("format") != CKPT_FORMAT:
            raise ValueError(f"{where}: format {ckpt.get('format')!r}, expected {CKPT_FORMAT!r}")
        net = A2ENet(A2EConfig(**ckpt["config"]))
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()})
        return cls(net, Diffusion(ckpt["n_diffusion_steps"]), ckpt["encoder"], ckpt["mean"], ckpt["std"],
                   ckpt["style_names"], ckpt["mode"], ckpt["steps"], ckpt["guidance"], ckpt.get("info"), device,
                   ckpt.get("lip_samples", 1))

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "A2EPrior":
        """Load a checkpoint file written by :meth:`save` or by the trainer."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: A2E checkpoint not found")
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        if "prior" in ckpt:  # a training checkpoint (with optimizer state)
            ckpt = ckpt["prior"]
        return cls.from_state(ckpt, device, where=str(path))

    @classmethod
    def from_zoo(cls, name: str = "a2e_synthtalk", device: str = "cpu") -> "A2EPrior":
        """Load a zoo entry by name (sha256-checked)."""
        from ggtalker.zoo import load_path

        return cls.load(load_path(name), device)

    # -- inference -----------------------------------------------------------------------------
    @property
    def encoder(self) -> AudioEncoder:
        if self._encoder is None:
            self._encoder = build_encoder(self.encoder_cfg)
            if self._encoder.dim != self.net.cfg.audio_dim:
                raise ValueError(f"audio encoder {self._encoder.name} gives {self._encoder.dim}-d features, the "
                                 f"model expects {self.net.cfg.audio_dim}")
        return self._encoder

    def style_index(self, style: str | int | None) -> int:
        """Index of a training voice's style code (None → 0, the null/average style)."""
        if style is None:
            return 0
        if isinstance(style, (int, np.integer)):
            if not 0 <= style <= len(self.style_names):
                raise ValueError(f"style index {style} out of range 0..{len(self.style_names)}")
            return int(style)
        if style not in self.style_names:
            raise KeyError(f"unknown style {style!r}; known: {', '.join(self.style_names)}")
        return self.style_names.index(style) + 1

    def _style_tensor(self, style: Any) -> torch.Tensor:
        if style is not None and not isinstance(style, (str, int, np.integer)):
            code = torch.as_tensor(np.asarray(style, np.float32), device=self.device).reshape(1, STYLE_DIM)
            return code
        return torch.tensor([self.style_index(style)], device=self.device)

    @torch.no_grad()
    def predict(self, audio16k: np.ndarray, fps: float = 25.0, n_frames: int | None = None,
                pose: np.ndarray | None = None, blink_rate: float | None = NATURAL_BLINK_RATE, style: Any = None,
                seed: int = 0, features: torch.Tensor | None = None) -> dict[str, np.ndarray]:
        """Head parameters for ``audio16k`` ``(S,)`` at 16 kHz.

        Args:
            n_frames: output length (default: the audio's duration × fps).
            pose: ``(N, 6)`` head pose to follow (imposed by replacement guidance); None lets the prior move the head.
            blink_rate: blinks per minute (a seeded schedule imposed on ``blink``; default a natural 15/min);
                None lets the prior blink on its own (the shipped prior almost never does: see NATURAL_BLINK_RATE).
            style: a training voice name, a style index, a ``(64,)`` code, or None (the null style).
            seed: initial noise of the diffusion sampler (pose and blinks vary with it; lips follow the audio).
            features: precomputed ``encoder.encode`` output ``(N, Da)`` (skips the encoder).
        Returns:
            ``{"expr": (N, 10), "jaw": (N, 1), "blink": (N, 2), "pose": (N, 6)}`` float32.
        """
        if n_frames is None:
            n_frames = int(round(len(audio16k) / 16_000 * fps))
        feats = features if features is not None else self.encoder.encode(audio16k, n_frames, fps)
        feats = feats.to(self.device)
        known, kmask = self._known(n_frames, fps, pose, blink_rate, seed)
        style_t = self._style_tensor(style)
        # Sample k is seeded seed + k and all are drawn in one batched pass (the same samples as one after another).
        n_samples = self.lip_samples if self.mode == "diffusion" else 1
        gens = [torch.Generator(device="cpu").manual_seed(int(seed) + k) for k in range(n_samples)]
        samples = self._generate(feats, known, kmask, style_t, gens)
        out = samples[0]
        if n_samples > 1:
            # The mean of several samples estimates the conditional mean of the lips, which one sample only
            # scatters around; pose, blinks and affect stay one coherent sample.
            speech = speech_columns(self.net.cfg.motion_dim)
            out[:, speech] = samples[:, :, speech].mean(0)
        return {k: v for k, v in unpack((out * self.std + self.mean).cpu().numpy()).items()}

    def _known(self, n: int, fps: float, pose: np.ndarray | None, blink_rate: float | None, seed: int):
        m = self.net.cfg.motion_dim
        raw = torch.zeros(n, m, device=self.device)
        mask = torch.zeros(n, m, dtype=torch.bool, device=self.device)
        if pose is not None:
            pose = np.asarray(pose, np.float32)
            if pose.shape != (n, PARAM_DIMS["pose"]):
                raise ValueError(f"pose must be ({n}, 6), got {pose.shape}")
            raw[:, param_slice("pose")] = torch.from_numpy(pose).to(self.device)
            mask[:, param_slice("pose")] = True
        if blink_rate is not None:
            raw[:, param_slice("blink")] = torch.from_numpy(blink_schedule(n, fps, blink_rate, seed)).to(self.device)
            mask[:, param_slice("blink")] = True
        return (raw - self.mean) / self.std, mask

    def _generate(self, feats: torch.Tensor, known: torch.Tensor, kmask: torch.Tensor, style: torch.Tensor,
                  gens: list[torch.Generator]) -> torch.Tensor:
        """``(S, N, M)`` normalised motion of ``S = len(gens)`` samples (sample ``s`` seeded by ``gens[s]``),
        one batch through every window."""
        cfg = self.net.cfg
        n, w, p, b = len(feats), cfg.window, cfg.prev, len(gens)
        # Audio of the P frames before the start does not exist: repeat the first frame's features.
        feats_p = torch.cat([feats[:1].expand(p, -1), feats], 0)
        style_b = style.expand(b, *style.shape[1:]).contiguous()
        out = torch.zeros(b, n, cfg.motion_dim, device=self.device)
        # Each window after the first starts `overlap` frames before the last one ended; the frames generated
        # twice are cross-faded, so the free channels (pose, blinks) join without a step at the seam.
        # Imposing the previous window's frames as known values instead left a visible jump with the full model.
        overlap = max(1, min(p, w // 4))
        done = 0
        while done < n:
            start = max(0, min(done - overlap if done else 0, n - w))  # the last window shifts back to stay full
            stop = min(start + w, n)
            k = known[start:stop][None].expand(b, -1, -1).contiguous()
            km = kmask[start:stop][None].expand(b, -1, -1).contiguous()
            has_prev = start >= p
            prev = out[:, start - p : start] if has_prev else torch.zeros(b, p, cfg.motion_dim, device=self.device)
            args = (feats_p[start : stop + p][None].expand(b, -1, -1).contiguous(), prev.contiguous(),
                    torch.full((b,), has_prev, device=self.device), style_b)
            if self.mode == "diffusion":
                x = self.diffusion.sample(self.net, *args, n=stop - start, steps=self.steps, guidance=self.guidance,
                                          known=k, known_mask=km, generator=gens)
            else:
                x = self.diffusion.regress(self.net, *args, n=stop - start, known=k, known_mask=km)
            if done > start:
                m = done - start
                ramp = torch.linspace(0, 1, m + 2, device=self.device)[1:-1, None]
                x[:, :m] = (1 - ramp) * out[:, start:done] + ramp * x[:, :m]
            out[:, start:stop] = x
            done = stop
        return out

    def describe(self) -> dict[str, Any]:
        # "sample_steps", not "steps": the checkpoint info below has "steps" (training steps), which would shadow it.
        return {"mode": self.mode, "sample_steps": self.steps, "guidance": self.guidance,
                "lip_samples": self.lip_samples, "encoder": self.encoder_cfg,
                "config": self.net.cfg.to_dict(), "styles": len(self.style_names), **self.info}
