"""Fit a head's pose, expression, jaw, blink, identity shape and the camera focal length to 2D landmarks.

One joint optimisation over every frame (torch, CPU, batched), with:

* a robust data term: Huber on the reprojection residual of each detected landmark, in pixels at 512 px
  (so the weights do not depend on the image size), the jaw contour down-weighted (detectors put it on
  the silhouette, which slides with yaw, not on fixed skin points);
* temporal smoothness: a second-difference penalty on the pose and the per-frame parameters, which also
  carries frames whose detection failed (their data weight is zero; they are initialised by interpolation);
* priors: small expression values, an identity shape near the mean (anisotropic scale with its mean fixed,
  so the overall size stays the head's own and depth absorbs a larger or smaller person; small per-landmark
  offsets), and a weak prior on the focal length (the default lens of :mod:`ggtalker.core.cameras`).

The camera is one fixed frontal camera (the frontal camera of :mod:`ggtalker.core.cameras`, so
``scripts/talk.py``'s frontal and orbit paths see the tracked head as the video did) with the fitted focal
length; the head moves in the world frame through ``pose`` (axis-angle, metres), as SynthTalk's heads do.
Projection: OpenCV, ``x_cam = R_c (R(pose) (s ⊙ (canonical + offsets)) + t) + t_c``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
# torch.optim loads torch._dynamo on the first optimizer; loaded after an EGL context exists (a SynthTalk render
# in the same process, as in the tracker's validation) that import segfaults, so load it with this module.
import torch._dynamo  # noqa: F401

from ggtalker.core.cameras import DISTANCE, FOV_Y_DEG, look_at, orbit_eye
from ggtalker.gaussians.rotation import axis_angle_to_matrix
from ggtalker.track.heads import LandmarkHead

#: iBUG-68 groups.
JAW = tuple(range(0, 17))
EYE_LEFT_IMG, EYE_RIGHT_IMG = (36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47)


@dataclass
class FitConfig:
    """Weights and schedule of :func:`fit_landmarks` (defaults measured on SynthTalk, docs/tracking.md).

    Attributes:
        steps_rigid, steps: Adam steps of the rigid stage (pose, focal, scale) and the joint stage.
        huber_px: Huber threshold in pixels at 512 px.
        jaw_weight: data weight of the 17 jaw-contour points (the rest weigh 1).
        smooth_pose, smooth_params: second-difference weights (per frame², radians/metres/units).
        expr_prior: L2 pull of expression values to 0; offset_prior_mm: scale of the landmark offsets' prior.
        scale_prior: L2 weight on the log anisotropic scale; focal_prior: L2 weight on log(f / f_prior).
        fov_prior_deg: vertical field of view of the focal prior; fit_focal: fit the focal length (under the
            prior) instead of keeping the prior's.
    """

    steps_rigid: int = 150
    steps: int = 350
    lr: float = 0.02
    huber_px: float = 2.0
    jaw_weight: float = 0.3
    smooth_pose: float = 20.0
    smooth_params: float = 2.0
    expr_prior: float = 1.0
    offset_prior_mm: float = 0.5
    scale_prior: float = 1000.0
    focal_prior: float = 100.0
    fov_prior_deg: float = FOV_Y_DEG
    # Off by default: on SynthTalk with exact landmarks a free focal drifted 8-13 % from the truth (and the
    # depth 65-98 mm with it) even under this prior; fixed at the true lens, depth was within 6 mm
    # (docs/tracking.md). 68 landmarks of one face barely see perspective.
    fit_focal: bool = False
    camera_distance: float = DISTANCE


@dataclass
class FitResult:
    """What :func:`fit_landmarks` found.

    Attributes:
        params: per-frame ``{name: (N, D)}`` float32: ``pose (N, 6)`` and the head's parameters.
        K: ``(3, 3)`` intrinsics; w2c: ``(4, 4)`` world-to-camera (the same for every frame).
        identity: per-identity ``{"log_scale": (3,), "offsets": (68, 3), ...}``.
        projected: ``(N, 68, 2)`` fitted landmarks in pixels.
        reproj_px: ``(N,)`` mean reprojection error over each frame's detected landmarks (NaN: none detected).
        losses: the loss at the end of each stage.
    """

    params: dict[str, np.ndarray]
    K: np.ndarray
    w2c: np.ndarray
    identity: dict[str, np.ndarray]
    projected: np.ndarray
    reproj_px: np.ndarray
    losses: dict[str, float] = field(default_factory=dict)


def frontal_w2c(distance: float = DISTANCE) -> np.ndarray:
    """The fixed tracking camera ``(4, 4)``: :mod:`ggtalker.core.cameras`' frontal camera."""
    return look_at(orbit_eye(0.0, 0.0, distance)).astype(np.float32)


def focal_for_fov(height: int, fov_deg: float) -> float:
    return 0.5 * height / np.tan(np.radians(fov_deg) / 2)


def _interp_missing(x: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Linear interpolation over frames of ``x (N, D)`` where ``ok (N,)`` is False (ends held)."""
    if ok.all() or not ok.any():
        return x
    t = np.arange(len(x))
    return np.stack([np.interp(t, t[ok], x[ok, d]) for d in range(x.shape[1])], 1)


def _second_diff(x: torch.Tensor) -> torch.Tensor:
    return (x[2:] - 2 * x[1:-1] + x[:-2]).pow(2).sum() if len(x) > 2 else x.sum() * 0


def fit_landmarks(lmk: np.ndarray, width: int, height: int, head: LandmarkHead,
                  config: FitConfig | None = None, focal: float | None = None,
                  progress=None) -> FitResult:
    """Fit ``head`` to per-frame landmarks.

    Args:
        lmk: ``(N, 68, 2)`` pixel landmarks, NaN where not detected (a whole frame may be NaN).
        width, height: image size in pixels.
        head: a :class:`~ggtalker.track.heads.LandmarkHead`.
        focal: a known focal length in pixels (then it is not fitted).
        progress: optional callable ``(step, total)`` for a progress bar.
    Returns:
        A :class:`FitResult`.
    """
    # Tensors of N x 68 x 3 gain nothing from intra-op threads, and on a loaded 2-core machine two spinning
    # threads made each step ~20x slower (7.2 s vs 0.32 s for the same fit, measured): fit on one thread.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit(lmk, width, height, head, config or FitConfig(), focal, progress)
    finally:
        torch.set_num_threads(threads)


def _fit(lmk: np.ndarray, width: int, height: int, head: LandmarkHead, c: FitConfig, focal: float | None,
         progress) -> FitResult:
    lmk = np.asarray(lmk, np.float64)
    n = len(lmk)
    if lmk.shape != (n, 68, 2) or n == 0:
        raise ValueError(f"landmarks must be (N, 68, 2) with N > 0, got {lmk.shape}")
    seen = np.isfinite(lmk).all(2)                                        # (N, 68)
    frame_ok = seen.sum(1) >= 20
    if not frame_ok.any():
        raise ValueError("no frame has landmarks to fit (the detector found no face)")
    px = 512.0 / height                                                   # residuals in pixels at 512 px
    w2c = torch.from_numpy(frontal_w2c(c.camera_distance)).double()
    Rc, tc = w2c[:3, :3], w2c[:3, 3]
    f0 = focal if focal is not None else focal_for_fov(height, c.fov_prior_deg)
    cx, cy = (width - 1) / 2, (height - 1) / 2

    # Initial translation: back-project the landmark centroid at the depth where the eyes are as far apart
    # in pixels as the mean head's (rotation zero).
    zero = {k: torch.zeros(1, d, dtype=torch.float64) for k, d in head.frame_dims.items()}
    zero_id = {k: torch.zeros(d, dtype=torch.float64) for k, d in head.identity_dims.items()}
    canon0 = _as64(head.canonical(_as32(zero), _as32(zero_id)))[0]        # (68, 3)
    eye3d = (canon0[list(EYE_LEFT_IMG)].mean(0) - canon0[list(EYE_RIGHT_IMG)].mean(0)).norm().item()
    obs = np.where(seen[..., None], lmk, np.nan)
    with warnings.catch_warnings():  # lost frames are all-NaN: their means are NaN, interpolated below
        warnings.simplefilter("ignore", RuntimeWarning)
        eyes_px = np.linalg.norm(np.nanmean(obs[:, EYE_LEFT_IMG], 1) - np.nanmean(obs[:, EYE_RIGHT_IMG], 1), axis=1)
        cen = np.nanmean(obs, 1)
    depth = f0 * eye3d / np.where(np.isfinite(eyes_px) & (eyes_px > 1), eyes_px, np.nan)
    p_cam = np.stack([(cen[:, 0] - cx) * depth / f0, (cen[:, 1] - cy) * depth / f0, depth], 1)
    ok0 = frame_ok & np.isfinite(p_cam).all(1)
    p_cam = _interp_missing(np.nan_to_num(p_cam), ok0)
    p_world = (p_cam - tc.numpy()) @ Rc.numpy()                           # R^T (p - t)
    trans0 = p_world - canon0.mean(0).numpy()

    rot0, trans0 = _pnp_init(lmk, seen, frame_ok, canon0.numpy(), f0, cx, cy, Rc.numpy(), tc.numpy(), trans0)
    rot = torch.tensor(rot0, dtype=torch.float64, requires_grad=True)
    trans = torch.tensor(trans0, dtype=torch.float64, requires_grad=True)
    frame = {k: torch.full((n, d), 0.0 if head.frame_bounds.get(k) is None else 0.05, dtype=torch.float64,
                           requires_grad=True) for k, d in head.frame_dims.items()}
    ident = {k: torch.zeros(d, dtype=torch.float64, requires_grad=True) for k, d in head.identity_dims.items()}
    log_scale = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    offsets = torch.zeros(68, 3, dtype=torch.float64, requires_grad=True)
    log_f = torch.zeros((), dtype=torch.float64, requires_grad=c.fit_focal and focal is None)

    target = torch.from_numpy(np.nan_to_num(lmk))
    wts = torch.ones(68, dtype=torch.float64)
    wts[list(JAW)] = c.jaw_weight
    W = torch.from_numpy(seen.astype(np.float64)) * wts                   # (N, 68)
    n_seen = W.sum().clamp_min(1.0)

    def project() -> tuple[torch.Tensor, torch.Tensor]:
        canon = _as64(head.canonical(_as32(frame), _as32(ident)))
        s = torch.exp(log_scale - log_scale.mean())                        # anisotropic only: mean log 0
        X = (canon + offsets) * s
        R = axis_angle_to_matrix(rot)
        Xw = torch.einsum("nij,nvj->nvi", R, X) + trans[:, None]
        Xc = Xw @ Rc.T + tc
        fpx = f0 * torch.exp(log_f)
        z = Xc[..., 2].clamp_min(1e-3)
        uv = torch.stack([fpx * Xc[..., 0] / z + cx, fpx * Xc[..., 1] / z + cy], -1)
        return uv, fpx

    def loss_fn(rigid: bool) -> torch.Tensor:
        uv, _ = project()
        r = (uv - target).norm(dim=-1) * px                               # (N, 68) px at 512
        d = c.huber_px
        hub = torch.where(r < d, 0.5 * r**2, d * (r - 0.5 * d))
        loss = (hub * W).sum() / n_seen
        # Smoothness per frame pair, normalised by the number of frames so weights do not depend on N.
        loss = loss + c.smooth_pose * (_second_diff(rot) * 100 + _second_diff(trans) * 1e4) / n
        loss = loss + c.scale_prior * log_scale.pow(2).sum()
        loss = loss + c.focal_prior * log_f.pow(2)
        if not rigid:
            for k, v in frame.items():
                loss = loss + c.smooth_params * _second_diff(v) / n
            if "expr" in frame:
                loss = loss + c.expr_prior * frame["expr"].pow(2).sum() / n
            loss = loss + (offsets * 1000 / c.offset_prior_mm).pow(2).mean() * 0.5
            for v in ident.values():
                loss = loss + 1e-3 * v.pow(2).sum()
        return loss

    losses: dict[str, float] = {}
    total = c.steps_rigid + c.steps
    step = 0
    for stage, n_steps in (("rigid", c.steps_rigid), ("joint", c.steps)):
        rigid = stage == "rigid"
        groups = [{"params": [rot], "lr": c.lr}, {"params": [trans], "lr": c.lr * 0.05},
                  {"params": [log_scale], "lr": c.lr}]
        if log_f.requires_grad:
            groups.append({"params": [log_f], "lr": c.lr})
        if not rigid:
            groups += [{"params": list(frame.values()), "lr": c.lr * 2},
                       {"params": [offsets], "lr": c.lr * 0.02}]
            if ident:
                groups.append({"params": list(ident.values()), "lr": c.lr})
        opt = torch.optim.Adam(groups)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, n_steps), eta_min=0.05 * c.lr)
        for _ in range(n_steps):
            opt.zero_grad()
            loss = loss_fn(rigid)
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():  # projected gradient: keep bounded parameters in their box
                for k, v in frame.items():
                    b = head.frame_bounds.get(k)
                    if b is not None:
                        v.clamp_(*b)
            step += 1
            if progress is not None:
                progress(step, total)
        losses[stage] = float(loss.detach())

    with torch.no_grad():
        uv, fpx = project()
    uv_np = uv.numpy()
    err = np.linalg.norm(uv_np - lmk, axis=-1)
    reproj = np.array([err[i][seen[i]].mean() if seen[i].any() else np.nan for i in range(n)])
    K = np.array([[fpx.item(), 0, cx], [0, fpx.item(), cy], [0, 0, 1]], np.float32)
    params = {k: v.detach().numpy().astype(np.float32) for k, v in frame.items()}
    params["pose"] = torch.cat([rot, trans], 1).detach().numpy().astype(np.float32)
    identity = {"log_scale": (log_scale - log_scale.mean()).detach().numpy().astype(np.float32),
                "offsets": offsets.detach().numpy().astype(np.float32),
                **{k: v.detach().numpy().astype(np.float32) for k, v in ident.items()}}
    return FitResult(params=params, K=K, w2c=w2c.numpy().astype(np.float32), identity=identity,
                     projected=uv_np.astype(np.float32), reproj_px=reproj, losses=losses)


def _pnp_init(lmk: np.ndarray, seen: np.ndarray, frame_ok: np.ndarray, canon: np.ndarray, f: float, cx: float,
              cy: float, Rc: np.ndarray, tc: np.ndarray, trans_fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame rigid start ``(rot (N, 3), trans (N, 3))``, world frame: OpenCV's PnP of the neutral head's inner
    landmarks (the jaw contour slides with yaw), interpolated over frames it could not solve.

    Starting every frame frontal left a 30°-yaw SynthTalk clip in a local minimum (8.7° median error from exact
    landmarks); PnP starts each frame near its own pose.
    """
    import cv2
    from scipy.spatial.transform import Rotation

    K = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1]], np.float64)
    inner = np.arange(17, 68)
    rot = np.zeros((len(lmk), 3))
    trans = trans_fallback.copy()
    ok = np.zeros(len(lmk), bool)
    for i in np.flatnonzero(frame_ok):
        use = inner[seen[i, inner]]
        if len(use) < 6:
            continue
        good, rvec, tvec = cv2.solvePnP(canon[use].astype(np.float64), lmk[i, use].astype(np.float64), K, None,
                                        flags=cv2.SOLVEPNP_SQPNP)
        if not good or tvec[2, 0] <= 0:
            continue
        # head -> camera = (Rc, tc) ∘ (R, t): R = Rc^T R_cam, t = Rc^T (t_cam - tc)
        R = Rc.T @ cv2.Rodrigues(rvec)[0]
        rot[i] = Rotation.from_matrix(R).as_rotvec()
        trans[i] = Rc.T @ (tvec[:, 0] - tc)
        ok[i] = True
    if ok.any():
        rot, trans = _interp_missing(rot, ok), np.where(ok[:, None], trans, _interp_missing(trans, ok))
    return rot, trans


def _as32(d: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # Heads hold float32 buffers; the optimisation runs in float64 for well-conditioned Adam steps on
    # millimetre-scale residuals, so cast at the head's boundary (gradients flow through .float()).
    return {k: v.float() for k, v in d.items()}


def _as64(x: torch.Tensor) -> torch.Tensor:
    return x.double()


def eye_openness(lmk: np.ndarray) -> np.ndarray:
    """Eyelid gap / eye width per eye, ``(N, 68, 2)`` → ``(N, 2)`` (subject's left, right), NaN where missing.

    The subject's left eye is the image-right one (points 42–47). The gap is the mean of the two lid-pair
    distances (37–41, 38–40 and their mirror), as in the eye aspect ratio of Soukupová and Čech (2016).
    """
    def ear(e: tuple[int, ...]) -> np.ndarray:
        p = lmk[:, list(e)]
        gap = (np.linalg.norm(p[:, 1] - p[:, 5], axis=-1) + np.linalg.norm(p[:, 2] - p[:, 4], axis=-1)) / 2
        return gap / np.maximum(np.linalg.norm(p[:, 0] - p[:, 3], axis=-1), 1e-6)

    return np.stack([ear(EYE_RIGHT_IMG), ear(EYE_LEFT_IMG)], 1)


def blink_from_landmarks(lmk: np.ndarray, open_quantile: float = 0.9) -> np.ndarray:
    """Blink ``(N, 2)`` in [0, 1] (0 open … 1 shut) from the eyelid gap, for heads without a blink basis.

    Each eye's openness is divided by its own ``open_quantile`` over the video (the person's open eye), so a
    blink is 1 − openness / open; missing frames are interpolated.
    """
    o = eye_openness(lmk)
    out = np.zeros_like(o)
    for k in range(2):
        ok = np.isfinite(o[:, k])
        if not ok.any():
            continue
        ref = np.quantile(o[ok, k], open_quantile)
        out[:, k] = np.clip(1 - o[:, k] / max(ref, 1e-6), 0, 1)
        out[:, k] = _interp_missing(np.where(ok, out[:, k], 0)[:, None], ok)[:, 0]
    return out.astype(np.float32)
