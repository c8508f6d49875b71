"""Pieces the in-house baselines share: seeding, audio conditioning, head-pose geometry, camera rays,
plane-induced homographies (novel-view warping), a learned 2D backdrop and the photometric loss.

Every baseline is trained per identity from its own clip, so nothing here loads a prior.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from scipy.spatial.transform import Rotation
from torchmetrics.functional.image import structural_similarity_index_measure
from tqdm.auto import tqdm

from ggtalker.core.clip import MASK_HEAD, Cameras, Clip
from ggtalker.core.clip import concat_clips as core_concat_clips


def seed_all(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for the method's own sampling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def resolve_device(device: str) -> torch.device:
    """``cpu``/``cuda``/``cuda:1`` → torch.device; a clear error when CUDA is asked for but absent."""
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={device!r} was requested but torch sees no CUDA device")
    return dev


def concat_clips(train: list[Clip], method: str) -> Clip:
    """One clip out of an identity's training clips (frames, audio-derived inputs handled per clip).

    Raises ValueError naming the clip when frames are missing or sizes differ.
    """
    if not train:
        raise ValueError(f"{method}: prepare() got no training clips")
    for c in train:
        if c.frames is None:
            raise ValueError(f"{c.id}: {method} needs training frames (the clip has none)")
        if (c.height, c.width) != (train[0].height, train[0].width):
            raise ValueError(f"{c.id}: size {c.height}x{c.width} differs from {train[0].id}'s "
                             f"{train[0].height}x{train[0].width}")
    return core_concat_clips(train)


# ----------------------------------------------------------------------------------------------- audio

def audio_features(audio: np.ndarray, n_frames: int, fps: float, encoder: dict | None = None) -> np.ndarray:
    """Per-video-frame audio features ``(n_frames, D)`` float32 from 16 kHz mono ``(S,)`` audio, through
    the project's shared front end (:func:`ggtalker.audio.build_encoder`; ``encoder`` is its config,
    default a compact log-mel: 40 bands, no stacked context, since the baselines add their own window)."""
    from ggtalker.audio import build_encoder

    enc = build_encoder(dict(encoder or DEFAULT_AUDIO))
    return enc.encode(np.asarray(audio, np.float32), n_frames, fps).cpu().numpy().astype(np.float32)


#: Audio front end of the baselines (see :func:`audio_features`).
DEFAULT_AUDIO = {"kind": "logmel", "n_mels": 40, "context": 0}


def audio_windows(feats: np.ndarray, radius: int) -> np.ndarray:
    """Stack each frame's neighbours: ``(N, D)`` → ``(N, 2*radius+1, D)`` (edges repeat the end frames).

    Talking-head models condition on a short window (Wav2Lip: 5 frames; ER-NeRF: 16 + smoothing) because
    visible articulation leads or lags the sound by tens of milliseconds.
    """
    n = len(feats)
    idx = np.clip(np.arange(n)[:, None] + np.arange(-radius, radius + 1)[None], 0, n - 1)
    return feats[idx]


@dataclass
class Standardiser:
    """Per-dimension mean/std fitted on the training features (applied to any driving audio)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> "Standardiser":
        x = x.reshape(-1, x.shape[-1])
        return cls(x.mean(0), x.std(0) + 1e-4)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)


# -------------------------------------------------------------------------------------------- geometry

def pose_to_matrix(pose: np.ndarray) -> np.ndarray:
    """Head pose ``(N, 6)`` (axis-angle rad, translation m) → head-to-world ``(N, 4, 4)`` float32."""
    pose = np.asarray(pose, np.float64).reshape(-1, 6)
    m = np.tile(np.eye(4), (len(pose), 1, 1))
    m[:, :3, :3] = Rotation.from_rotvec(pose[:, :3]).as_matrix()
    m[:, :3, 3] = pose[:, 3:]
    return m.astype(np.float32)


def head_to_camera(cameras: Cameras, pose: np.ndarray | None) -> np.ndarray:
    """``(N, 4, 4)`` head-frame → camera transforms: ``w2c @ pose`` (identity pose when None)."""
    w2c = cameras.w2c.astype(np.float32)
    if pose is None:
        return w2c.copy()
    return np.einsum("nij,njk->nik", w2c, pose_to_matrix(pose)).astype(np.float32)


def pixel_rays(K: torch.Tensor, h2c: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rays of every pixel centre, in the head frame.

    Args:
        K: ``(N, 3, 3)`` intrinsics; h2c: ``(N, 4, 4)`` head→camera transforms.
    Returns:
        origins ``(N, H*W, 3)`` and unit directions ``(N, H*W, 3)``, rows in raster order.
    """
    v, u = torch.meshgrid(torch.arange(height, device=K.device, dtype=K.dtype) + 0.5,
                          torch.arange(width, device=K.device, dtype=K.dtype) + 0.5, indexing="ij")
    pix = torch.stack([u, v, torch.ones_like(u)], -1).reshape(-1, 3)
    d_cam = torch.einsum("nij,pj->npi", torch.linalg.inv(K), pix)
    c2h = torch.linalg.inv(h2c)
    d = torch.einsum("nij,npj->npi", c2h[:, :3, :3], d_cam)
    o = c2h[:, None, :3, 3].expand_as(d)
    return o.contiguous(), F.normalize(d, dim=-1)


def head_extent(clip: Clip) -> tuple[float, float]:
    """``(radius_m, depth_m)``: an estimate of the head's world radius and its mean camera depth.

    The radius comes from the head-mask area (a disc of equal area) back-projected at the head
    centre's depth; without masks, a third of the image height is assumed.
    """
    h2c = head_to_camera(clip.cameras, clip.params.get("pose"))
    depth = float(np.median(h2c[:, 2, 3]))
    f = float(np.median(clip.cameras.K[:, 1, 1]))
    if clip.masks is not None and (clip.masks == MASK_HEAD).any():
        r_px = float(np.sqrt((clip.masks == MASK_HEAD).sum((1, 2)).mean() / np.pi))
    else:
        r_px = clip.height / 3
    return r_px * depth / f, depth


def plane_homography(K_src: np.ndarray, w2c_src: np.ndarray, K_dst: np.ndarray, w2c_dst: np.ndarray,
                     point: np.ndarray) -> np.ndarray:
    """Homographies ``(N, 3, 3)`` mapping source pixels to destination pixels, induced by the plane
    through world ``point`` ``(N, 3)`` (or ``(3,)``) that faces the source camera.

    A 2D method has no depth, so a novel view is approximated by assuming the whole image lies on
    that plane (exact for points on it, increasingly wrong away from it and at large yaw).
    All camera arguments are ``(N, 3, 3)`` / ``(N, 4, 4)`` (or single matrices).
    """
    K_src, K_dst = np.asarray(K_src, np.float64).reshape(-1, 3, 3), np.asarray(K_dst, np.float64).reshape(-1, 3, 3)
    w2c_src, w2c_dst = np.asarray(w2c_src, np.float64).reshape(-1, 4, 4), np.asarray(w2c_dst, np.float64).reshape(-1, 4, 4)
    n = max(len(K_src), len(K_dst), len(w2c_src), len(w2c_dst))
    point = np.broadcast_to(np.asarray(point, np.float64).reshape(-1, 3), (n, 3))
    rel = np.einsum("nij,njk->nik", np.broadcast_to(w2c_dst, (n, 4, 4)), np.linalg.inv(np.broadcast_to(w2c_src, (n, 4, 4))))
    R, t = rel[:, :3, :3], rel[:, :3, 3]
    p_src = np.einsum("nij,nj->ni", np.broadcast_to(w2c_src, (n, 4, 4))[:, :3, :3], point) + np.broadcast_to(w2c_src, (n, 4, 4))[:, :3, 3]
    d = p_src[:, 2]
    if (d <= 0).any():
        raise ValueError("plane_homography: the plane point lies behind the source camera")
    normal = np.array([0.0, 0.0, 1.0])
    M = R + t[:, :, None] * normal[None, None, :] / d[:, None, None]
    H = np.einsum("nij,njk,nkl->nil", np.broadcast_to(K_dst, (n, 3, 3)), M, np.linalg.inv(np.broadcast_to(K_src, (n, 3, 3))))
    return (H / H[:, 2:3, 2:3]).astype(np.float32)


def warp_images(images: torch.Tensor, H: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Warp source images ``(N, C, h, w)`` by homographies ``(N, 3, 3)`` (source→destination pixels)
    onto a ``height × width`` destination grid; outside samples take the nearest border pixel."""
    n, _, h, w = images.shape
    v, u = torch.meshgrid(torch.arange(height, device=images.device, dtype=torch.float32) + 0.5,
                          torch.arange(width, device=images.device, dtype=torch.float32) + 0.5, indexing="ij")
    pix = torch.stack([u, v, torch.ones_like(u)], -1).reshape(-1, 3)
    src = torch.einsum("nij,pj->npi", torch.linalg.inv(H.float()), pix)
    src = src[..., :2] / src[..., 2:].clamp_min(1e-8)
    grid = torch.stack([src[..., 0] / w * 2 - 1, src[..., 1] / h * 2 - 1], -1).reshape(n, height, width, 2)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def is_same_camera(K_a: np.ndarray, w2c_a: np.ndarray, K_b: np.ndarray, w2c_b: np.ndarray, tol: float = 1e-5) -> bool:
    """Whether two cameras coincide (then no warp is needed and none is applied)."""
    return bool(np.allclose(K_a, K_b, atol=tol * 100) and np.allclose(w2c_a, w2c_b, atol=tol))


def backdrop_homographies(K: np.ndarray, w2c: np.ndarray, K0: np.ndarray, w2c0: np.ndarray,
                           pose: np.ndarray | None, force: bool = False) -> np.ndarray | None:
    """Homographies taking the backdrop (first training camera) to each camera ``(N, 3, 3)``, or None when
    every camera is the training camera (the common monocular case: no resampling blur)."""
    if not force and all(is_same_camera(K0, w2c0, K[i], w2c[i]) for i in range(len(K))):
        return None
    centre = np.zeros((len(K), 3), np.float32) if pose is None else np.asarray(pose, np.float32)[:, 3:]
    return plane_homography(np.broadcast_to(K0, (len(K), 3, 3)), np.broadcast_to(w2c0, (len(K), 4, 4)), K, w2c, centre)


# ------------------------------------------------------------------------------------------- backdrop

class Backdrop(torch.nn.Module):
    """A learned 2D background + torso image in the first training camera's pixel grid.

    ER-NeRF and TalkingGaussian composite the rendered head over a fixed background image and a
    separately modelled torso; here both are one learned image (initialised from the training frames
    with the head masked out) that other cameras see through a plane homography.
    """

    def __init__(self, frames: np.ndarray, masks: np.ndarray | None) -> None:
        super().__init__()
        f = frames.astype(np.float32) / 255.0
        if masks is not None:
            keep = (masks != MASK_HEAD)[..., None].astype(np.float32)
            cnt = keep.sum(0)
            img = np.where(cnt > 0, (f * keep).sum(0) / np.maximum(cnt, 1), np.median(f[keep[..., 0] > 0], 0)
                           if keep.any() else f.mean(0))
        else:
            img = np.median(f, 0)
        self.image = torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float())

    def forward(self, H: torch.Tensor | None, height: int, width: int, n: int) -> torch.Tensor:
        """``(n, 3, height, width)``: the backdrop seen by ``n`` cameras (``H`` None = the training camera)."""
        img = self.image.clamp(0, 1)
        if H is None:
            return img.expand(n, -1, -1, -1)
        return warp_images(img.expand(n, -1, -1, -1), H, height, width)


# ----------------------------------------------------------------------------------------------- loss

def l1_dssim(pred: torch.Tensor, target: torch.Tensor, lam: float = 0.2) -> torch.Tensor:
    """3DGS's photometric loss ``(1-λ)·L1 + λ·(1-SSIM)/2`` on ``(B, 3, H, W)`` images in [0, 1]."""
    l1 = (pred - target).abs().mean()
    if lam == 0 or min(pred.shape[-2:]) < 11:
        return l1
    ssim = structural_similarity_index_measure(pred, target, data_range=1.0)
    return (1 - lam) * l1 + lam * (1 - ssim) / 2


def photometric_loss(pred: torch.Tensor, target: torch.Tensor, alpha: torch.Tensor, head: torch.Tensor | None,
                     ssim_weight: float, mask_weight: float) -> torch.Tensor:
    """The 3D baselines' training loss: :func:`l1_dssim` of the composite plus ``mask_weight``·MSE of the head's
    opacity against the head mask (which separates head from backdrop).

    ``pred``/``target`` are ``(B, 3, H, W)`` images (``ssim_weight`` 0 also takes any matching shape, e.g. rays
    ``(B, R, 3)``); ``alpha``/``head`` match each other (``(B, 1, H, W)`` or ``(B, R)``); ``head`` None skips the
    mask term.
    """
    loss = l1_dssim(pred, target, ssim_weight)
    if head is not None and mask_weight > 0:
        loss = loss + mask_weight * (alpha - head).pow(2).mean()
    return loss


class DictState(dict):
    """A dict of plain counters a training step keeps (wav2lip2d's sync gate), checkpointed like a module."""

    def state_dict(self) -> dict:
        return dict(self)

    def load_state_dict(self, state: dict) -> None:
        self.clear()
        self.update(state)


@dataclass
class FitHook:
    """Watches a baseline's training loop from outside it (the convergence curves, ``scripts/baseline_curves.py``).

    Attributes:
        every: call ``evaluate`` at step 0 (before any training), every ``every``-th step and the last (0: never).
        evaluate: ``evaluate(step, state, losses)``: ``state`` is what ``prepare`` would return if training stopped
            after ``step`` steps (the live modules, not copies: read them, never step them, draw no random numbers);
            ``losses`` the training losses of steps ``1..step``.
        checkpointer: ``checkpointer(modules, generators)`` → an object with ``begin(resume) -> (step, extra)`` and
            ``maybe_save(step, **extra)`` (due steps) and ``save(step, **extra)`` (the last or a stop), e.g.
            ``functools.partial(ggtalker.train.checkpoint.TrainingState, path, every)``; it gets the method's
            modules, optimizer, scheduler and batch generators.
        resume: continue from the checkpointer's saved state.
        stop_after: leave the loop after this many steps (``evaluate`` may set it, e.g. on a time cap), saving a
            checkpoint there; the state returned is the partly trained one.
        extra: the caller's own counters (e.g. seconds trained), saved with each checkpoint, restored on resume.
    """

    every: int = 0
    evaluate: Callable[[int, Any, list[float]], None] | None = None
    checkpointer: Callable[[dict[str, Any], dict[str, torch.Generator]], Any] | None = None
    resume: bool = False
    stop_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fit(step: Callable[[int], torch.Tensor], optimizer: torch.optim.Optimizer, steps: int, desc: str,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None, hook: FitHook | None = None,
        snapshot: Callable[[], Any] | None = None, modules: dict[str, Any] | None = None,
        generators: dict[str, torch.Generator] | None = None) -> list[float]:
    """Run ``steps`` optimisation steps of ``step(i) -> loss``; return the loss history.

    With a ``hook``, ``snapshot()`` builds the method's state from the live modules for ``hook.evaluate``, and
    ``modules`` (``{name: module}``, the optimizer and scheduler added here) and ``generators`` (the batch
    samplers) are what ``hook.checkpointer`` saves and restores. Neither touches the random streams, so a run
    with a hook trains exactly as one without.
    """
    history: list[float] = []
    start, ckpt = 0, None
    if hook is not None and hook.checkpointer is not None:
        state = {**(modules or {}), "optimizer": optimizer, **({"scheduler": scheduler} if scheduler else {})}
        ckpt = hook.checkpointer(state, generators or {})
        start, saved = ckpt.begin(hook.resume)
        history = list(saved.get("losses", []))
        hook.extra.update(saved.get("extra", {}))
        if len(history) != start:
            raise RuntimeError(f"{desc}: the checkpoint at step {start} holds {len(history)} losses")
    evaluating = hook is not None and hook.every > 0 and hook.evaluate is not None and snapshot is not None
    if evaluating and start == 0:
        hook.evaluate(0, snapshot(), history)
    bar = tqdm(range(start, steps), desc=desc, leave=False, mininterval=1.0)
    for i in bar:
        optimizer.zero_grad(set_to_none=True)
        loss = step(i)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}: loss became {loss.item()} at step {i}")
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.append(float(loss.detach()))
        if i % 20 == 0:
            bar.set_postfix(loss=f"{history[-1]:.4f}")
        done = i + 1
        # Evaluate before saving: a run killed between the two re-trains from the previous checkpoint and
        # re-evaluates, so no evaluated step is ever missing from the record.
        if evaluating and (done % hook.every == 0 or done == steps):
            hook.evaluate(done, snapshot(), history)
        # Read after evaluate, which may set it (a time cap).
        stopping = hook is not None and hook.stop_after is not None and done >= hook.stop_after
        if ckpt is not None:
            # The last step and a stop are saved too, so a resume re-trains nothing.
            (ckpt.save if done == steps or stopping else ckpt.maybe_save)(done, losses=history, extra=dict(hook.extra))
        if stopping:
            break
    return history


@dataclass
class Validation:
    """A baseline's score on held-out frames: its training loss there (deterministic: no jitter, fixed
    references) and the frames it predicted ``(M, H, W, 3)`` uint8 (for the harness's image metrics)."""

    loss: float
    frames: np.ndarray


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``(N, 3, H, W)`` float in [0, 1] → ``(N, H, W, 3)`` uint8."""
    return (images.clamp(0, 1) * 255 + 0.5).byte().permute(0, 2, 3, 1).cpu().numpy()


def collect_frames(rendered: Iterable[tuple[Any, torch.Tensor, Any, torch.Tensor]]) -> tuple[np.ndarray, np.ndarray]:
    """A renderer's ``(index, rgb (B, 3, H, W), alpha, depth (B, H, W) or (H, W))`` chunks → uint8 frames
    ``(N, H, W, 3)`` and float32 depth ``(N, H, W)``, in order."""
    frames, depths = [], []
    for _, rgb, _, depth in rendered:
        frames.append(to_uint8(rgb))
        d = depth.cpu().numpy()
        depths.append(d[None] if d.ndim == 2 else d)
    return np.concatenate(frames), np.concatenate(depths).astype(np.float32)


def validation_loss(rendered: Iterable[tuple[Any, torch.Tensor, torch.Tensor, Any]], clip: Clip, n_frames: int,
                    ssim_weight: float, mask_weight: float, device: torch.device) -> "Validation":
    """:func:`photometric_loss` of a renderer's chunks ``(frame index or slice, rgb (B, 3, H, W), alpha
    (B, 1, H, W), depth)`` against ``clip``'s frames (its head mask for the mask term), the mean over the
    ``n_frames`` rendered frames, with the rendered frames."""
    head = None if clip.masks is None else clip.masks == MASK_HEAD
    total, frames = 0.0, []
    for i, rgb, alpha, _ in rendered:
        sl = slice(int(i), int(i) + 1) if np.isscalar(i) else i
        tgt = to_float(clip.frames[sl], device)
        head_t = None if head is None else torch.from_numpy(head[sl]).to(device)[:, None].float()
        loss = photometric_loss(rgb, tgt, alpha, head_t, ssim_weight, mask_weight)
        total += float(loss) * len(tgt)  # a mean over the chunk's frames: weighted by their count
        frames.append(to_uint8(rgb))
    return Validation(total / n_frames, np.concatenate(frames))


def drive_frames(render: Callable[..., Iterable], state: Any, request: Any, train_pose: np.ndarray | None,
                 train_blink: np.ndarray | None) -> tuple[np.ndarray, dict, np.ndarray]:
    """Frames ``(N, H, W, 3)``, params and depth ``(N, H, W)`` of a request (a :class:`DriveRequest`) rendered
    by ``render(state, audio, fps, cameras, pose, eye, height, width, index)`` (a method's frame renderer),
    the head pose and eyes driven as :func:`drive_pose` / :func:`drive_eye` say."""
    n = request.n_frames
    pose = drive_pose(request.controls, train_pose, n)
    eye = drive_eye(request.controls, train_blink, n)
    frames, depth = collect_frames(render(state, request.audio, request.fps, request.cameras, pose, eye,
                                          request.height, request.width, np.arange(n)))
    return frames, {} if pose is None else {"pose": pose}, depth


def to_float(frames: np.ndarray, device: torch.device) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 → ``(N, 3, H, W)`` float in [0, 1] on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float().div_(255.0)


def training_audio(train: list[Clip], method: str, window: int, device) -> tuple["Standardiser", torch.Tensor]:
    """Standardised audio-feature windows of the training clips, in frame order.

    Returns ``(scaler, windows (N, window // 2 * 2 + 1, D))``, the scaler fitted on these clips (kept for
    generation); a clip without audio is an error naming it.
    """
    for t in train:
        if t.audio is None:
            raise ValueError(f"{t.id}: {method} needs training audio (the clip has none)")
    feats = np.concatenate([audio_features(t.audio, t.n_frames, t.fps) for t in train])
    scaler = Standardiser.fit(feats)
    return scaler, torch.from_numpy(audio_windows(scaler(feats), window // 2)).to(device)


def drive_pose(request_controls: dict[str, np.ndarray], train_pose: np.ndarray | None, n: int) -> np.ndarray | None:
    """The head pose to render with: the suite's pose control when granted, else the training clip's
    median pose held still (audio carries no head pose; ER-NeRF replays tracked poses instead)."""
    if "pose" in request_controls:
        return np.asarray(request_controls["pose"], np.float32)
    if train_pose is None:
        return None
    return np.repeat(np.median(train_pose, 0, keepdims=True), n, 0).astype(np.float32)


def drive_eye(request_controls: dict[str, np.ndarray], train_blink: np.ndarray | None, n: int) -> np.ndarray:
    """Eye-closure input ``(n, 1)``: the blink control's mean when granted, else the training median
    (ER-NeRF and TalkingGaussian take an eye-blink AU as an explicit input)."""
    if "blink" in request_controls:
        return np.asarray(request_controls["blink"], np.float32).mean(1, keepdims=True)
    if train_blink is None:
        return np.zeros((n, 1), np.float32)
    return np.full((n, 1), float(np.median(train_blink.mean(1))), np.float32)


def train_eye(clip: Clip) -> np.ndarray:
    """Eye-closure input of the training frames ``(N, 1)`` (zeros when the clip has no blink params)."""
    if "blink" in clip.params:
        return clip.params["blink"].mean(1, keepdims=True).astype(np.float32)
    return np.zeros((clip.n_frames, 1), np.float32)


# ------------------------------------------------------------------------------------------ fields

class TriPlane(torch.nn.Module):
    """Three axis-aligned feature planes (xy, yz, xz) sampled bilinearly and concatenated
    (EG3D / ER-NeRF's factorisation of a 3D feature grid; pure torch so it runs on CPU).

    Args:
        channels: features per plane; resolution: plane side in texels.
    """

    def __init__(self, channels: int, resolution: int, init_std: float = 0.1) -> None:
        super().__init__()
        self.planes = torch.nn.Parameter(torch.randn(3, channels, resolution, resolution) * init_std)

    @property
    def out_dim(self) -> int:
        return 3 * self.planes.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (P, 3)`` in [-1, 1]³ → features ``(P, 3*channels)`` (zero padding outside the box)."""
        coords = torch.stack([x[:, [0, 1]], x[:, [1, 2]], x[:, [0, 2]]])[:, None]  # (3, 1, P, 2)
        feats = F.grid_sample(self.planes, coords, mode="bilinear", padding_mode="zeros", align_corners=False)
        return feats[:, :, 0].permute(2, 0, 1).reshape(x.shape[0], -1)


class AudioNet(torch.nn.Module):
    """A window of per-frame audio features ``(B, W, D)`` → an audio code ``(B, out)``: a temporal conv
    then a linear layer (the role of ER-NeRF's / Wav2Lip's audio encoders, scaled down)."""

    def __init__(self, in_dim: int, window: int, out_dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.conv = torch.nn.Sequential(
            torch.nn.Conv1d(in_dim, hidden, 3, padding=1), torch.nn.LeakyReLU(0.02),
            torch.nn.Conv1d(hidden, hidden, 3, padding=1), torch.nn.LeakyReLU(0.02),
        )
        self.out = torch.nn.Linear(hidden * window, out_dim)

    def forward(self, win: torch.Tensor) -> torch.Tensor:
        h = self.conv(win.transpose(1, 2))
        return self.out(h.flatten(1))


def mlp(sizes: list[int], act: type[torch.nn.Module] = torch.nn.ReLU) -> torch.nn.Sequential:
    """A plain MLP with ``act`` between the linear layers (none after the last)."""
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return torch.nn.Sequential(*layers)
