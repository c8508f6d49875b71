"""``nerf_talker``: an audio-conditioned tri-plane radiance field, in the spirit of ER-NeRF / RAD-NeRF.

Kept from ER-NeRF (Li et al., ICCV 2023) and RAD-NeRF (Tang et al., 2022):
  * a per-identity radiance field in the head's canonical frame; the tracked head pose is a rigid
    transform applied to the camera rays (so the field never has to model head motion);
  * a factorised spatial encoding (tri-plane, as ER-NeRF's "tri-plane hash" encoder);
  * audio conditioning through a windowed audio encoder, modulated per point by a channel-wise
    attention computed from the point's spatial features (ER-NeRF's region attention module);
  * an explicit eye-closure input (their AU45 "eye" feature);
  * volume rendering composited over a background; the head is rendered alone and the torso/background
    are a separate layer.

Simplified:
  * tri-plane of plain learned grids instead of multiresolution hash tables (pure torch, CPU-friendly);
  * a small fixed number of stratified samples per ray (no occupancy grid, no proposal sampling),
    bounded by a sphere around the head whose radius is estimated from the training masks;
  * no view-dependent colour, no ambient (AU) branch, no LPIPS fine-tuning stage;
  * torso + background are one learned 2D image (initialised from the training frames, head removed)
    instead of ER-NeRF's deformable torso field; novel cameras see it through a plane homography;
  * audio features are the project's shared front end (log-mel), not DeepSpeech / HuBERT;
  * with no pose control the head is held at the training clip's median pose (ER-NeRF replays
    the tracked training poses instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from baselines.common import (
    AudioNet, Backdrop, FitHook, Standardiser, TriPlane, Validation, audio_features, audio_windows,
    backdrop_homographies, concat_clips, drive_frames, fit, head_extent, head_to_camera, mlp, photometric_loss,
    pixel_rays, resolve_device, seed_all, to_float, train_eye, training_audio, validation_loss,
)
from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.clip import MASK_HEAD, Cameras, Clip


class AudioRadianceField(torch.nn.Module):
    """Density and colour at head-frame points, given the frame's audio code and eye input.

    Args:
        audio_dim: per-frame audio feature width; window: frames per audio window.
        planes, plane_res: tri-plane channels and resolution; code: audio code width; hidden: MLP width.
    """

    def __init__(self, audio_dim: int, window: int, planes: int = 8, plane_res: int = 64, code: int = 16,
                 hidden: int = 64) -> None:
        super().__init__()
        self.triplane = TriPlane(planes, plane_res)
        self.audio = AudioNet(audio_dim, window, code)
        f = self.triplane.out_dim
        # Region attention: each point decides how much of each audio / eye channel concerns it.
        self.attn = torch.nn.Linear(f, code + 1)
        self.sigma = mlp([f + code + 1, hidden, hidden, 1])
        # Colour sees only the static features and the eye input: audio moves geometry (the mouth opening,
        # revealing the dark interior), it does not repaint the skin. With a clip of a few seconds an
        # audio-conditioned colour learns each frame's look as a function of its audio and fails on new audio.
        self.color = mlp([f + 1, hidden, 3])

    def forward(self, x: torch.Tensor, code: torch.Tensor, eye: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (B, P, 3)`` in [-1, 1], ``code (B, C)``, ``eye (B, 1)`` → density ``(B, P)``, rgb ``(B, P, 3)``."""
        b, p, _ = x.shape
        feat = self.triplane(x.reshape(-1, 3)).reshape(b, p, -1)
        cond = torch.cat([code, eye], -1)[:, None].expand(b, p, -1)
        cond = cond * torch.sigmoid(self.attn(feat))
        h = self.sigma(torch.cat([feat, cond], -1))
        inside = (x.abs() <= 1).all(-1).float()
        sigma = F.softplus(h[..., 0] - 1.0) * inside
        rgb = torch.sigmoid(self.color(torch.cat([feat, cond[..., -1:]], -1)))
        return sigma, rgb


def render_rays(field: AudioRadianceField, o: torch.Tensor, d: torch.Tensor, code: torch.Tensor,
                eye: torch.Tensor, radius: float, n_samples: int, jitter: bool) -> tuple[torch.Tensor, ...]:
    """Volume-render rays ``o, d (B, R, 3)`` (head frame) through the sphere of ``radius``.

    Returns rgb ``(B, R, 3)`` (premultiplied), accumulated opacity ``(B, R)`` and expected depth
    along the ray ``(B, R)`` (NaN where the ray misses).
    """
    # Ray-sphere intersection bounds the samples to where the head can be.
    b_ = (o * d).sum(-1)
    c_ = (o * o).sum(-1) - radius**2
    disc = b_**2 - c_
    hit = disc > 0
    sq = disc.clamp_min(0).sqrt()
    near = (-b_ - sq).clamp_min(1e-3)
    far = (-b_ + sq).clamp_min(near + 1e-3)
    u = (torch.arange(n_samples, device=o.device, dtype=o.dtype) + 0.5) / n_samples
    if jitter:
        u = u + (torch.rand(*o.shape[:2], n_samples, device=o.device) - 0.5) / n_samples
    else:
        u = u.expand(*o.shape[:2], n_samples)
    t = near[..., None] + (far - near)[..., None] * u  # (B, R, S)
    pts = o[..., None, :] + d[..., None, :] * t[..., None]  # (B, R, S, 3)
    b, r, s, _ = pts.shape
    sigma, rgb = field(pts.reshape(b, r * s, 3) / radius, code, eye)
    sigma, rgb = sigma.reshape(b, r, s), rgb.reshape(b, r, s, 3)
    delta = ((far - near) / n_samples)[..., None] / radius  # in units of the head radius
    alpha = (1 - torch.exp(-sigma * delta)) * hit[..., None].float()
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[..., :1]), 1 - alpha[..., :-1] + 1e-10], -1), -1)
    w = alpha * trans
    acc = w.sum(-1)
    color = (w[..., None] * rgb).sum(-2)
    depth = (w * t).sum(-1) / acc.clamp_min(1e-6)
    depth = torch.where(acc > 1e-3, depth, torch.full_like(depth, float("nan")))
    return color, acc, depth


@dataclass
class NerfState:
    field: AudioRadianceField
    backdrop: Backdrop
    scaler: Standardiser
    radius: float
    train_K: np.ndarray
    train_w2c: np.ndarray
    train_pose: np.ndarray | None
    train_blink: np.ndarray | None
    losses: list[float]


class NerfTalker(Method):
    """Audio-conditioned tri-plane NeRF, trained per identity (see the module docstring).

    Args:
        steps: optimisation steps; lr: Adam learning rate.
        frames_per_step, rays_per_frame: a batch is ``frames_per_step`` frames × ``rays_per_frame`` rays.
        n_samples: samples per ray; planes, plane_res, hidden: model size; window: audio window (frames).
        mask_weight: weight of the opacity-vs-head-mask loss (separates head from backdrop).
        chunk: rays per forward pass at generation.
    """

    name = "nerf_talker"

    def __init__(self, steps: int = 100, lr: float = 5e-3, frames_per_step: int = 2, rays_per_frame: int = 512,
                 n_samples: int = 16, planes: int = 8, plane_res: int = 32, hidden: int = 64, window: int = 5,
                 mask_weight: float = 0.1, chunk: int = 8192, device: str = "cpu", seed: int = 0) -> None:
        super().__init__(device=device, seed=seed)
        self.cfg = dict(steps=steps, lr=lr, frames_per_step=frames_per_step, rays_per_frame=rays_per_frame,
                        n_samples=n_samples, planes=planes, plane_res=plane_res, hidden=hidden, window=window,
                        mask_weight=mask_weight, chunk=chunk)

    def describe(self) -> dict[str, Any]:
        return {"family": "ER-NeRF / RAD-NeRF (in-house re-implementation)", "priors": "none (per-identity)",
                "settings": self.cfg, "seed": self.seed, "device": self.device,
                "doc": "baselines/nerf_talker.py, docs/baselines.md"}

    # ---------------------------------------------------------------------------------------- train
    def prepare(self, identity: str, train: list[Clip], hook: FitHook | None = None) -> NerfState:
        """Train on the identity's clips; ``hook`` watches the loop (held-out loss, checkpoints: :class:`FitHook`)."""
        c = self.cfg
        gen = seed_all(self.seed)
        dev = resolve_device(self.device)
        clip = concat_clips(train, self.name)
        scaler, wins = training_audio(train, self.name, c["window"], dev)
        radius_head, _ = head_extent(clip)
        radius = 1.6 * radius_head
        field = AudioRadianceField(wins.shape[-1], c["window"], c["planes"], c["plane_res"], hidden=c["hidden"]).to(dev)
        backdrop = Backdrop(clip.frames, clip.masks).to(dev)
        n, h, w = clip.n_frames, clip.height, clip.width
        target = to_float(clip.frames, dev).flatten(2).transpose(1, 2)  # (N, HW, 3)
        head = torch.from_numpy(clip.masks == MASK_HEAD).to(dev).flatten(1).float() if clip.masks is not None else None
        K = torch.from_numpy(clip.cameras.K).to(dev)
        h2c = torch.from_numpy(head_to_camera(clip.cameras, clip.params.get("pose"))).to(dev)
        eye = torch.from_numpy(train_eye(clip)).to(dev)
        homs = backdrop_homographies(clip.cameras.K, clip.cameras.w2c, clip.cameras.K[0], clip.cameras.w2c[0],
                                      clip.params.get("pose"))
        homs_t = None if homs is None else torch.from_numpy(homs).to(dev)
        opt = torch.optim.Adam(list(field.parameters()) + list(backdrop.parameters()), lr=c["lr"])
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.1 ** (1 / max(c["steps"], 1)))
        nrays = min(c["rays_per_frame"], h * w)

        def step(_: int) -> torch.Tensor:
            fi = torch.randint(0, n, (c["frames_per_step"],), generator=gen).to(dev)
            pi = torch.randint(0, h * w, (len(fi), nrays), generator=gen).to(dev)
            o, d = pixel_rays(K[fi], h2c[fi], h, w)
            o, d = o.gather(1, pi[..., None].expand(-1, -1, 3)), d.gather(1, pi[..., None].expand(-1, -1, 3))
            code = field.audio(wins[fi])
            rgb, acc, _ = render_rays(field, o, d, code, eye[fi], radius, c["n_samples"], jitter=True)
            bg = backdrop(None if homs_t is None else homs_t[fi], h, w, len(fi)).flatten(2).transpose(1, 2)
            bg = bg.gather(1, pi[..., None].expand(-1, -1, 3))
            pred = rgb + (1 - acc[..., None]) * bg
            gt = target[fi].gather(1, pi[..., None].expand(-1, -1, 3))
            return photometric_loss(pred, gt, acc, None if head is None else head[fi].gather(1, pi), 0.0,
                                    c["mask_weight"])

        def snapshot(losses: list[float] | None = None) -> NerfState:
            return NerfState(field, backdrop, scaler, radius, clip.cameras.K[0], clip.cameras.w2c[0],
                             clip.params.get("pose"), clip.params.get("blink"), losses or [])

        losses = fit(step, opt, c["steps"], f"{self.name} {identity}", sched, hook=hook, snapshot=snapshot,
                     modules={"field": field, "backdrop": backdrop}, generators={"batches": gen})
        field.eval(), backdrop.eval()
        return snapshot(losses)

    def _frames(self, state: NerfState, audio: np.ndarray, fps: float, cameras: Cameras, pose: np.ndarray | None,
                eye: np.ndarray, height: int, width: int,
                index: np.ndarray) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Render frames ``index`` of a drive one by one (stratified midpoints, no jitter): ``(i, composite
        (1, 3, H, W), opacity (1, 1, H, W), camera depth (H, W))``; audio ``(S,)`` and cameras / pose ``(N, 6)`` /
        eye ``(N, 1)`` cover all ``N`` frames."""
        dev = resolve_device(self.device)
        n, h, w, chunk = len(cameras.K), height, width, self.cfg["chunk"]
        wins = audio_windows(state.scaler(audio_features(audio, n, fps)), self.cfg["window"] // 2)
        wins = torch.from_numpy(wins).to(dev)
        eye_t = torch.from_numpy(eye).to(dev)
        K = torch.from_numpy(cameras.K.astype(np.float32)).to(dev)
        h2c = torch.from_numpy(head_to_camera(cameras, pose)).to(dev)
        homs = backdrop_homographies(cameras.K, cameras.w2c, state.train_K, state.train_w2c, pose,
                                     force=(h, w) != tuple(state.backdrop.image.shape[-2:]))
        for i in index:
            o, d = pixel_rays(K[i : i + 1], h2c[i : i + 1], h, w)
            code = state.field.audio(wins[i : i + 1])
            rgb, acc, dep = [], [], []
            for s in range(0, h * w, chunk):
                r = render_rays(state.field, o[:, s : s + chunk], d[:, s : s + chunk], code, eye_t[i : i + 1],
                                state.radius, self.cfg["n_samples"], jitter=False)
                rgb.append(r[0]), acc.append(r[1]), dep.append(r[2])
            rgb, acc, dep = torch.cat(rgb, 1), torch.cat(acc, 1), torch.cat(dep, 1)
            bg = state.backdrop(None if homs is None else torch.from_numpy(homs[i : i + 1]).to(dev), h, w, 1)
            alpha = acc.reshape(1, 1, h, w)
            img = rgb.transpose(1, 2).reshape(1, 3, h, w) + (1 - alpha) * bg
            # Ray-length depth → camera z (rays are unit length in the head frame, which is rigid).
            dcam = torch.einsum("ij,pj->pi", h2c[i, :3, :3], d[0])[:, 2]
            yield int(i), img, alpha, (dep[0] * dcam).reshape(h, w)

    @torch.no_grad()
    def validate(self, state: NerfState, clip: Clip, index: np.ndarray | None = None) -> Validation:
        """The training loss (L1 + mask term) over every pixel of frames ``index`` (default all) of a held-out
        clip of the identity, each rendered with its own pose, eye and audio window; the training loss on random
        rays is an unbiased estimate of this per-pixel mean."""
        index = np.arange(clip.n_frames) if index is None else np.asarray(index)
        rendered = self._frames(state, clip.audio, clip.fps, clip.cameras, clip.params.get("pose"), train_eye(clip),
                                clip.height, clip.width, index)
        return validation_loss(rendered, clip, len(index), 0.0, self.cfg["mask_weight"], resolve_device(self.device))

    # ------------------------------------------------------------------------------------- generate
    @torch.no_grad()
    def generate(self, state: NerfState, request: DriveRequest) -> Generation:
        frames, params, depth = drive_frames(self._frames, state, request, state.train_pose, state.train_blink)
        return Generation(frames=frames, params=params, depth=depth)
