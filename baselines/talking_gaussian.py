"""``talking_gaussian``: canonical 3D Gaussians + an audio-driven deformation field, in the spirit of
TalkingGaussian (Li et al., ECCV 2024) and GaussianTalker (Cho et al., ACM MM 2024).

Kept from those papers:
  * a persistent set of canonical 3D Gaussians per identity (no face model, no priors), trained from the
    identity's own clip with 3DGS's loss (L1 + λ·D-SSIM, λ = 0.2);
  * a deformation field over the canonical space: tri-plane features at each Gaussian's centre, fused with
    the audio code (and an eye-closure input) through a region-attention gate, decoded by a small MLP into
    position, rotation and scale offsets (TalkingGaussian's "personalised deformation", GaussianTalker's
    spatial-audio attention simplified to a channel gate);
  * the tracked head pose as a rigid transform (the Gaussians live in the head frame; each frame renders
    through ``w2c @ pose``);
  * background and torso handled outside the head model (TalkingGaussian pastes a background and trains a
    separate torso); here one learned 2D backdrop, composited with the rendered alpha.

Simplified:
  * one deformation branch (TalkingGaussian splits face and inside-mouth branches);
  * no densification / pruning: a fixed number of Gaussians initialised on and inside an ellipsoid whose
    size comes from the head masks (coloured with the mean head colour);
  * RGB colours instead of spherical harmonics; no colour deformation (audio moves geometry only, which
    keeps a few seconds of training from memorising per-frame appearance);
  * with no pose control the head is held at the training clip's median pose.

Rendering is ``ggtalker.render.gaussians.rasterization`` (gsplat on CUDA, the project's pure-torch
rasterizer on CPU).
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
    resolve_device, seed_all, to_float, train_eye, training_audio, validation_loss,
)
from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.clip import MASK_HEAD, Cameras, Clip


def fibonacci_ball(n: int, radius: float, shell: float = 0.7, gen: torch.Generator | None = None) -> torch.Tensor:
    """``(n, 3)`` points: ``shell`` of them evenly on a sphere of ``radius`` (Fibonacci lattice), the rest
    uniformly inside it (mouth interior and anything the surface alone cannot explain)."""
    ns = int(n * shell)
    i = torch.arange(ns, dtype=torch.float32) + 0.5
    phi = torch.arccos(1 - 2 * i / ns)
    theta = np.pi * (1 + 5**0.5) * i
    surface = torch.stack([torch.cos(theta) * torch.sin(phi), torch.cos(phi), torch.sin(theta) * torch.sin(phi)], -1)
    inner = torch.randn(n - ns, 3, generator=gen)
    inner = F.normalize(inner, dim=-1) * torch.rand(n - ns, 1, generator=gen) ** (1 / 3) * 0.9
    return torch.cat([surface, inner]) * radius


class DeformableGaussians(torch.nn.Module):
    """Canonical Gaussians (head frame) and their audio-conditioned deformation.

    Args:
        n: number of Gaussians; radius: head radius (m); rgb: initial colour ``(3,)`` in [0, 1].
        audio_dim, window: audio features per frame and frames per window.
        planes, plane_res, code, hidden: deformation-field size.
    """

    def __init__(self, n: int, radius: float, rgb: np.ndarray, audio_dim: int, window: int, planes: int = 8,
                 plane_res: int = 32, code: int = 16, hidden: int = 64, gen: torch.Generator | None = None) -> None:
        super().__init__()
        self.radius = radius
        self.means = torch.nn.Parameter(fibonacci_ball(n, radius, gen=gen))
        self.log_scales = torch.nn.Parameter(torch.full((n, 3), float(np.log(radius * 2.5 / np.sqrt(n)))))
        self.quats = torch.nn.Parameter(torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1))
        self.opacity_logit = torch.nn.Parameter(torch.zeros(n))
        rgb = torch.as_tensor(np.clip(rgb, 0.02, 0.98), dtype=torch.float32)
        self.color_logit = torch.nn.Parameter(torch.logit(rgb).repeat(n, 1) + 0.1 * torch.randn(n, 3, generator=gen))
        self.triplane = TriPlane(planes, plane_res, init_std=0.01)
        self.audio = AudioNet(audio_dim, window, code)
        f = self.triplane.out_dim
        self.attn = torch.nn.Linear(f, code + 1)
        self.deform = mlp([f + code + 1, hidden, hidden, 3 + 4 + 3])
        # Start from the undeformed canonical head: the offsets grow only as the data asks for them.
        torch.nn.init.zeros_(self.deform[-1].weight)
        torch.nn.init.zeros_(self.deform[-1].bias)

    def forward(self, audio_win: torch.Tensor, eye: torch.Tensor) -> dict[str, torch.Tensor]:
        """Deformed Gaussians for ``B`` frames: audio windows ``(B, W, D)``, eye ``(B, 1)`` →
        means ``(B, N, 3)``, quats ``(B, N, 4)``, scales ``(B, N, 3)``, opacities ``(N,)``, colors ``(N, 3)``."""
        b = audio_win.shape[0]
        feat = self.triplane(self.means / (1.2 * self.radius))  # (N, F)
        cond = torch.cat([self.audio(audio_win), eye], -1)  # (B, C+1)
        gate = torch.sigmoid(self.attn(feat))  # (N, C+1): which audio/eye channels move this Gaussian
        x = torch.cat([feat[None].expand(b, -1, -1), cond[:, None] * gate[None]], -1)
        d = self.deform(x)
        means = self.means[None] + 0.1 * self.radius * torch.tanh(d[..., :3])
        quats = self.quats[None] + 0.1 * d[..., 3:7]
        scales = torch.exp(self.log_scales[None] + 0.1 * d[..., 7:10])
        return {"means": means, "quats": quats, "scales": scales,
                "opacities": torch.sigmoid(self.opacity_logit), "colors": torch.sigmoid(self.color_logit)}


def render(model: DeformableGaussians, audio_win: torch.Tensor, eye: torch.Tensor, K: torch.Tensor,
           h2c: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Render ``B`` frames: premultiplied rgb ``(B, 3, H, W)``, alpha ``(B, 1, H, W)``, expected depth ``(B, H, W)``."""
    from ggtalker.render.gaussians import rasterization

    g = model(audio_win, eye)
    b, n = g["means"].shape[:2]
    colors, alphas, _ = rasterization(
        g["means"], g["quats"], g["scales"], g["opacities"][None].expand(b, n), g["colors"][None].expand(b, n, 3),
        h2c[:, None], K[:, None], width, height, render_mode="RGB+ED",
    )
    colors, alphas = colors[:, 0], alphas[:, 0]  # (B, H, W, 4), (B, H, W, 1)
    rgb = colors[..., :3].permute(0, 3, 1, 2)
    alpha = alphas.permute(0, 3, 1, 2)
    depth = torch.where(alphas[..., 0] > 1e-3, colors[..., 3], torch.full_like(colors[..., 3], float("nan")))
    return rgb, alpha, depth


@dataclass
class GaussianState:
    model: DeformableGaussians
    backdrop: Backdrop
    scaler: Standardiser
    train_K: np.ndarray
    train_w2c: np.ndarray
    train_pose: np.ndarray | None
    train_blink: np.ndarray | None
    losses: list[float]


class TalkingGaussian(Method):
    """Deformable 3D Gaussian talking head, trained per identity (see the module docstring).

    Args:
        steps, lr, batch: training steps, base Adam learning rate, frames per step.
        n_gaussians, planes, plane_res, hidden, window: model size and audio window (frames).
        ssim_weight: λ of the D-SSIM term; mask_weight: weight of alpha-vs-head-mask.
    """

    name = "talking_gaussian"

    def __init__(self, steps: int = 100, lr: float = 1e-2, batch: int = 1, n_gaussians: int = 800, planes: int = 8,
                 plane_res: int = 32, hidden: int = 64, window: int = 5, ssim_weight: float = 0.2,
                 mask_weight: float = 0.1, device: str = "cpu", seed: int = 0) -> None:
        super().__init__(device=device, seed=seed)
        self.cfg = dict(steps=steps, lr=lr, batch=batch, n_gaussians=n_gaussians, planes=planes, plane_res=plane_res,
                        hidden=hidden, window=window, ssim_weight=ssim_weight, mask_weight=mask_weight)

    def describe(self) -> dict[str, Any]:
        return {"family": "TalkingGaussian / GaussianTalker (in-house re-implementation)",
                "priors": "none (per-identity)", "renderer": "ggtalker.render.gaussians.rasterization",
                "settings": self.cfg, "seed": self.seed, "device": self.device,
                "doc": "baselines/talking_gaussian.py, docs/baselines.md"}

    def prepare(self, identity: str, train: list[Clip], hook: FitHook | None = None) -> GaussianState:
        """Train on the identity's clips; ``hook`` watches the loop (held-out loss, checkpoints: :class:`FitHook`)."""
        c = self.cfg
        gen = seed_all(self.seed)
        dev = resolve_device(self.device)
        clip = concat_clips(train, self.name)
        scaler, wins = training_audio(train, self.name, c["window"], dev)
        radius, _ = head_extent(clip)
        head = None if clip.masks is None else clip.masks == MASK_HEAD
        rgb = (clip.frames[head].mean(0) if head is not None and head.any() else clip.frames.reshape(-1, 3).mean(0)) / 255
        model = DeformableGaussians(c["n_gaussians"], radius, rgb, wins.shape[-1], c["window"], c["planes"],
                                    c["plane_res"], hidden=c["hidden"], gen=gen).to(dev)
        backdrop = Backdrop(clip.frames, clip.masks).to(dev)
        n, h, w = clip.n_frames, clip.height, clip.width
        target = to_float(clip.frames, dev)
        head_t = None if head is None else torch.from_numpy(head).to(dev)[:, None].float()
        K = torch.from_numpy(clip.cameras.K).to(dev)
        h2c = torch.from_numpy(head_to_camera(clip.cameras, clip.params.get("pose"))).to(dev)
        eye = torch.from_numpy(train_eye(clip)).to(dev)
        homs = backdrop_homographies(clip.cameras.K, clip.cameras.w2c, clip.cameras.K[0], clip.cameras.w2c[0],
                                      clip.params.get("pose"))
        homs_t = None if homs is None else torch.from_numpy(homs).to(dev)
        lr = c["lr"]
        # Per-group rates in the 3DGS manner: positions slow (scaled by the scene size), appearance fast.
        opt = torch.optim.Adam([
            {"params": [model.means], "lr": lr * 0.02},
            {"params": [model.log_scales, model.quats], "lr": lr * 0.5},
            {"params": [model.opacity_logit, model.color_logit], "lr": lr * 2},
            {"params": [*model.triplane.parameters(), *model.audio.parameters(), *model.attn.parameters(),
                        *model.deform.parameters()], "lr": lr * 0.5},
            {"params": backdrop.parameters(), "lr": lr},
        ])

        def step(_: int) -> torch.Tensor:
            fi = torch.randint(0, n, (c["batch"],), generator=gen).to(dev)
            rgb, alpha, _ = render(model, wins[fi], eye[fi], K[fi], h2c[fi], h, w)
            bg = backdrop(None if homs_t is None else homs_t[fi], h, w, len(fi))
            pred = rgb + (1 - alpha) * bg
            return photometric_loss(pred, target[fi], alpha, None if head_t is None else head_t[fi],
                                    c["ssim_weight"], c["mask_weight"])

        def snapshot(losses: list[float] | None = None) -> GaussianState:
            return GaussianState(model, backdrop, scaler, clip.cameras.K[0], clip.cameras.w2c[0],
                                 clip.params.get("pose"), clip.params.get("blink"), losses or [])

        losses = fit(step, opt, c["steps"], f"{self.name} {identity}", hook=hook, snapshot=snapshot,
                     modules={"model": model, "backdrop": backdrop}, generators={"batches": gen})
        model.eval(), backdrop.eval()
        return snapshot(losses)

    def _frames(self, state: GaussianState, audio: np.ndarray, fps: float, cameras: Cameras, pose: np.ndarray | None,
                eye: np.ndarray, height: int, width: int,
                index: np.ndarray) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Render frames ``index`` of a drive, 8 at a time: ``(indices, composite (b, 3, H, W), alpha (b, 1, H, W),
        depth (b, H, W))``; audio ``(S,)`` and cameras / pose ``(N, 6)`` / eye ``(N, 1)`` cover all ``N`` frames."""
        dev = resolve_device(self.device)
        n = len(cameras.K)
        wins = torch.from_numpy(audio_windows(state.scaler(audio_features(audio, n, fps)), self.cfg["window"] // 2))
        K = torch.from_numpy(cameras.K.astype(np.float32))
        h2c = torch.from_numpy(head_to_camera(cameras, pose))
        homs = backdrop_homographies(cameras.K, cameras.w2c, state.train_K, state.train_w2c, pose,
                                     force=(height, width) != tuple(state.backdrop.image.shape[-2:]))
        for i in range(0, len(index), 8):
            sl = index[i : i + 8]
            rgb, alpha, depth = render(state.model, wins[sl].to(dev), torch.from_numpy(eye[sl]).to(dev), K[sl].to(dev),
                                       h2c[sl].to(dev), height, width)
            bg = state.backdrop(None if homs is None else torch.from_numpy(homs[sl]).to(dev), height, width, len(rgb))
            yield sl, rgb + (1 - alpha) * bg, alpha, depth

    @torch.no_grad()
    def validate(self, state: GaussianState, clip: Clip, index: np.ndarray | None = None) -> Validation:
        """The training loss on frames ``index`` (default all) of a held-out clip of the identity, each frame
        rendered with its own pose, eye and audio window (the clip's audio, ``clip.n_frames`` frames)."""
        index = np.arange(clip.n_frames) if index is None else np.asarray(index)
        rendered = self._frames(state, clip.audio, clip.fps, clip.cameras, clip.params.get("pose"), train_eye(clip),
                                clip.height, clip.width, index)
        return validation_loss(rendered, clip, len(index), self.cfg["ssim_weight"], self.cfg["mask_weight"],
                               resolve_device(self.device))

    @torch.no_grad()
    def generate(self, state: GaussianState, request: DriveRequest) -> Generation:
        frames, params, depth = drive_frames(self._frames, state, request, state.train_pose, state.train_blink)
        return Generation(frames=frames, params=params, depth=depth)
