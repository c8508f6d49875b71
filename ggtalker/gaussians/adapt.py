"""Customized Adaptation of the visual side to one identity from a short monocular clip.

1. UV map from the reference frame with the Identity-Gaussian Generator (the prior's initialisation).
2. Optimise the UV map (and the color MLP) with the tracked parameters frozen.
3. Optimise jointly with corrections of the tracked parameters (absorbs monocular tracking error;
   :mod:`ggtalker.gaussians.corrections`).
4. Fine-tune the Body Inpainter on the clip's own frames composited from the adapted head.
The audio prior is adapted separately (:mod:`ggtalker.a2e.adapt`); :class:`ggtalker.talker.Talker` runs both
and keeps the result, :class:`AdaptedHead` with the A2E's, as one :class:`ggtalker.talker.Identity`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ggtalker.gaussians.color_mlp import ColorMLP, with_specular_channels
from ggtalker.gaussians.corrections import Corrections
from ggtalker.gaussians.data import FrameSet
from ggtalker.gaussians.head import GaussianHead
from ggtalker.gaussians.inpainter import BodyInpainter
from ggtalker.gaussians.losses import mask_loss, photometric, uv_regulariser
from ggtalker.gaussians.prior import E2VConfig, E2VPrior
from ggtalker.gaussians.render import render_head, scale_intrinsics

@dataclass
class HeadAdaptConfig:
    """Budget of the visual adaptation. ``max_side`` renders training frames at most this many pixels high/wide."""

    steps_uv: int = 60
    steps_joint: int = 30
    steps_inpaint: int = 40
    batch: int = 2
    lr_uv: float = 1e-2
    lr_mlp: float = 1e-3
    lr_params: float = 2e-3
    lr_inpaint: float = 1e-3
    w_mask: float = 0.5
    w_reg: float = 0.01
    w_param: float = 1.0
    max_side: int = 96
    ref_frame: int = 0
    #: Keep one Adam state from the UV stage into the joint stage. A fresh Adam restarts every moment at
    #: zero, so its first joint steps move each texel by the full learning rate: the joint loss rose
    #: (0.025 → 0.048) where it should fall. False is the first zoo prior's schedule.
    one_optimizer: bool = False
    #: Learning rates decay exponentially to this fraction over the UV and joint stages (1: constant).
    lr_final: float = 1.0
    #: How the joint stage corrects the tracked parameters (:mod:`ggtalker.gaussians.corrections`).
    #: ``frame``: a free correction per frame and key, anchored by ``w_param`` times their mean square, on
    #: the tail of the UV stage's learning-rate schedule (the first zoo prior's). ``smooth``: anchored by
    #: ``w_anchor`` times (correction / tracker error scale)², the head pose's roughness in time weighted by
    #: ``w_smooth``, and a schedule of their own over the joint stage (``lr_params`` → ``lr_final`` of it).
    corrections: str = "frame"
    #: The corrections' learnt numbers: ``raw`` (radians, metres; the first prior's, where one ``lr_params``
    #: is too coarse for translation and too slow for rotation) or ``tracker`` (units of a tracker's error,
    #: :data:`ggtalker.gaussians.corrections.TRACKER_SCALE`, so ``lr_params`` means the same for every
    #: quantity; their own schedule over the joint stage, as ``smooth``'s). A good ``lr_params`` then is 0.3.
    correction_units: str = "raw"
    #: Where the corrections' own schedule ends, a fraction of ``lr_params`` (None: ``lr_final``).
    lr_params_final: float | None = None
    w_anchor: float = 1e-3
    w_smooth: float = 1e-2
    #: Steps of a last stage that refines only the corrections, the head and colours frozen
    #: (:func:`refine_corrections`): the joint stage fits head and corrections together, so the training
    #: frames' poses are still off by what the head absorbed last (0.7-1.3 mm on the H200, about 28-30 dB
    #: at 512²). 0 = no such stage (the first prior's schedule). Measured on the H200 (identity 0, 300 steps):
    #: no help, train 27.93 against 29.21 dB without it (docs/ggtalker-fidelity.md).
    steps_refine: int = 0
    #: Adapt a UV map of this resolution, the prior's generated map resampled bilinearly to it, or None for
    #: the prior's own. Twice the prior's resolution is a densification: four Gaussians, each half as wide
    #: (their scale follows the texel spacing), start where one was, and adaptation can then give the
    #: texture detail the prior's map is too coarse for (:func:`densified_head`). Measured on the H200 (512² from
    #: the 256² prior, 262k Gaussians): within ±0.5 dB of the prior's map on identities 0-2, so not the limit.
    uv_res: int | None = None
    #: Give the head-pose corrections zero mean over the training frames
    #: (:meth:`ggtalker.gaussians.corrections.Corrections.deltas`), so the head stays in the tracker's frame.
    center_pose: bool = False
    #: Give every Gaussian its own specular lobe, adapted (:class:`ggtalker.gaussians.color_mlp.ColorMLP`,
    #: ``specular``): the eye's catchlight moves as the head turns, which the shared colour MLP cannot
    #: follow. Needs the colour MLP.
    specular: bool = False
    #: Weight of the squared distance of the adapted UV map from the prior's own map (its mean over texels
    #: and channels). Training sees one frontal phone clip: photometric gradients reach only what it shows,
    #: and without an anchor the rest drifts, so side views lose what the prior gave them.
    w_prior: float = 0.0

    @property
    def corrections_lr_final(self) -> float:
        """Where the corrections' own schedule ends, a fraction of ``lr_params``."""
        return self.lr_final if self.lr_params_final is None else self.lr_params_final


@dataclass
class AdaptedHead:
    """The visual side of an adapted identity: the head, its colours and the frame it is inpainted into.

    Attributes:
        e2v_config: the prior's sizes (rebuilds the head and the color MLP).
        uvmap: ``(C, R, R)`` the adapted UV Gaussian map.
        color_mlp: state dict of the adapted color MLP (None = base colours only).
        inpainter: state dict of the adapted Body Inpainter (None = naive paste).
        context: ``(H, W, 3)`` uint8 identity frame (body, background) the head is inpainted into.
        context_head: ``(H, W)`` uint8 head mask of the context frame.
        report: losses and timings of the adaptation.
        train_params: the training frames' tracked params plus the corrections the joint stage learnt,
            ``{key: (N, D)}`` in the order of the adaptation's :class:`FrameSet` (the fit diagnostic's
            ``train`` split renders with them).
        train_index: ``(N,)`` which frames of the training clips (concatenated) those were, where known.
    """

    e2v_config: dict
    uvmap: torch.Tensor
    color_mlp: dict | None
    inpainter: dict | None
    context: np.ndarray
    context_head: np.ndarray
    report: dict = field(default_factory=dict)
    train_params: dict | None = None
    train_index: np.ndarray | None = None


def training_view(fs: FrameSet, max_side: int) -> tuple[FrameSet, float]:
    """Downscale frames (and intrinsics) so the longer side is at most ``max_side``; returns (frames, factor)."""
    h, w = fs.size
    f = min(1.0, max_side / max(h, w))
    if f >= 1.0:
        return fs, 1.0
    nh, nw = max(8, round(h * f)), max(8, round(w * f))
    img = F.interpolate(fs.images.permute(0, 3, 1, 2), size=(nh, nw), mode="bilinear", antialias=True,
                        align_corners=False).permute(0, 2, 3, 1)
    head = F.interpolate(fs.head[:, None], size=(nh, nw), mode="area")[:, 0]
    fx = nw / w
    return FrameSet(img, head, fs.params, scale_intrinsics(fs.K, fx), fs.w2c, fs.clip_index), fx


def densified_head(head: GaussianHead, uvmap: torch.Tensor, res: int | None) -> tuple[GaussianHead, torch.Tensor]:
    """``head`` with a ``res × res`` layout on the same template, and ``uvmap`` ``(C, R, R)`` resampled to it
    ``(C, res, res)`` (bilinear); both unchanged where ``res`` is None or already the map's.

    Offsets are metric or texel-relative, scales relative to the texel spacing (:func:`ggtalker.gaussians.head.bind`),
    so every channel resamples as a smooth field: the resampled map renders the same head with more,
    smaller Gaussians."""
    if res is None or res == head.layout.res:
        return head, uvmap
    if res < 8:
        raise ValueError(f"uv_res must be at least 8, got {res}")
    dense = GaussianHead(head.template, res, head.offset_unit)
    dense.layout = dense.layout.to(uvmap.device)
    # A coarser map averages its texels' footprint (antialiased), a finer one interpolates.
    return dense, F.interpolate(uvmap[None], size=(res, res), mode="bilinear", align_corners=False,
                                antialias=res < head.layout.res)[0]


def adapt_identity(prior: E2VPrior, fs: FrameSet, cfg: HeadAdaptConfig, inpainter: BodyInpainter | None = None,
                   use_color: bool = True, progress: bool = True, seed: int = 0) -> AdaptedHead:
    """Adapt the visual prior to ``fs`` (one identity's training frames). ``prior`` is not modified.

    Args:
        prior: the trained (or, for the no-visual-prior ablation, freshly initialised) E2V prior.
        fs: training frames with tracked params, cameras and head masks.
        inpainter: Body Inpainter to fine-tune (a copy is taken), or None for no inpainting.
        use_color: adapt and keep the color MLP (False: base colours only).
        seed: of the training-frame draws.
    """
    t_start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    head = prior.head
    tv, _ = training_view(fs, cfg.max_side)
    h, w = tv.size
    ref = fs.take([cfg.ref_frame])
    with torch.no_grad():
        uv0 = prior.generator.from_reference(head, ref.images.permute(0, 3, 1, 2), ref.params, ref.K, ref.w2c)[0]
    head, uv0 = densified_head(head, uv0, cfg.uv_res)
    mlp: ColorMLP | None = copy.deepcopy(prior.color_mlp) if use_color else None
    specular = prior.cfg.specular
    if cfg.specular and not specular:
        if mlp is None:
            raise ValueError("adapt.specular needs the colour MLP (use_color_mlp=true)")
        uv0, specular, mlp.specular = with_specular_channels(uv0), True, True
    uvmap = torch.nn.Parameter(uv0.clone())
    anchor = uv0.detach().clone()
    n = len(tv)
    corr = Corrections(tv.params, tv.clip_index, cfg.corrections, cfg.center_pose, cfg.correction_units)
    report: dict[str, Any] = {"n_frames": n, "train_size": [h, w], "n_gaussians": head.n_gaussians,
                              "corrections": cfg.corrections}

    def step_loss(idx: list[int], joint: bool) -> torch.Tensor:
        b = tv.take(idx)
        with torch.set_grad_enabled(joint):  # the UV stage renders with the parameters frozen
            b.params = corr.params(idx)
        loss = adaptation_loss(head, uvmap, mlp, b, cfg)
        if cfg.w_prior > 0:
            loss = loss + cfg.w_prior * (uvmap - anchor).pow(2).mean()
        return loss + correction_prior(corr, idx, cfg) if joint else loss

    total = max(1, cfg.steps_uv + cfg.steps_joint)

    def run(stage: str, steps: int, opt: torch.optim.Optimizer, joint: bool, first_step: int) -> list[float]:
        """``steps`` steps of ``opt``, the learning rates decayed for steps ``first_step`` on of ``total``
        (a group marked ``own_schedule`` decays over these ``steps`` alone, to its ``final`` fraction)."""
        hist = []
        base = [grp["lr"] for grp in opt.param_groups]
        for i in tqdm(range(steps), desc=f"adapt {stage}", disable=not progress):
            for grp, lr in zip(opt.param_groups, base):
                t = i / max(1, steps) if grp.get("own_schedule") else (first_step + i) / total
                grp["lr"] = lr * grp.get("final", cfg.lr_final) ** t
            idx = torch.randint(n, (min(cfg.batch, n),), generator=g).tolist()
            loss = step_loss(idx, joint)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            hist.append(float(loss.detach()))
        for grp, lr in zip(opt.param_groups, base):
            grp["lr"] = lr
        return hist

    groups = [{"params": [uvmap], "lr": cfg.lr_uv}]
    if mlp is not None:
        groups.append({"params": list(mlp.parameters()), "lr": cfg.lr_mlp})
    own = corr.mode == "smooth" or corr.units == "tracker"
    corr_groups = [{"params": list(corr.parameters()), "lr": cfg.lr_params, "own_schedule": own,
                    "final": cfg.corrections_lr_final}]
    t0 = time.perf_counter()
    opt = torch.optim.Adam(groups)
    h1 = run("uv", cfg.steps_uv, opt, joint=False, first_step=0)
    if cfg.one_optimizer:
        for grp in corr_groups:
            opt.add_param_group(grp)
    else:
        opt = torch.optim.Adam(groups + corr_groups)
    h2 = run("joint", cfg.steps_joint, opt, joint=True, first_step=cfg.steps_uv)
    report.update(loss_uv=_ends(h1), loss_joint=_ends(h2))
    if cfg.steps_refine > 0:
        h3 = refine_corrections(head, uvmap.detach(), mlp, tv, corr, cfg, cfg.steps_refine, g, progress)
        report.update(loss_refine=_ends(h3))
    report["head_s"] = time.perf_counter() - t0

    inp_state = None
    if inpainter is not None:
        t0 = time.perf_counter()
        inp = copy.deepcopy(inpainter)
        hist = finetune_inpainter(inp, head, uvmap.detach(), mlp, fs, cfg, ref_index=cfg.ref_frame,
                                  generator=g, progress=progress)
        inp_state = {k: v.detach().cpu().clone() for k, v in inp.state_dict().items()}
        report.update(loss_inpaint=_ends(hist), inpaint_s=time.perf_counter() - t0)
    report["seconds"] = time.perf_counter() - t_start
    ctx = (ref.images[0] * 255).round().byte().cpu().numpy()
    ctx_head = ref.head[0].round().byte().cpu().numpy()
    return AdaptedHead(e2v_config={**asdict(prior.cfg), "uv_res": head.layout.res, "specular": specular},
                         uvmap=uvmap.detach().cpu().clone(),
                         color_mlp=None if mlp is None else {k: v.detach().cpu().clone() for k, v in mlp.state_dict().items()},
                         inpainter=inp_state, context=ctx, context_head=ctx_head, report=report,
                         train_params=corr.corrected())


def correction_prior(corr: Corrections, idx: list[int], cfg: HeadAdaptConfig) -> torch.Tensor:
    """The corrections' regulariser for a batch ``idx`` (:class:`HeadAdaptConfig.corrections`): ``frame``
    anchors by ``w_param`` times the batch's mean square (``w_anchor`` in tracker units, where the mean
    square is in units of a tracker's error: ``w_param`` = 1 on radians and metres is almost no anchor, on
    tracker units a strong one); ``smooth`` by ``w_anchor`` in tracker-error units plus ``w_smooth`` times
    the pose's roughness in time."""
    if corr.mode == "frame":
        return (cfg.w_param if corr.units == "raw" else cfg.w_anchor) * corr.penalty(idx)
    return cfg.w_anchor * corr.penalty(idx) + cfg.w_smooth * corr.roughness()


def refine_corrections(head: Any, uvmap: torch.Tensor, mlp: ColorMLP | None, fs: FrameSet, corr: Corrections,
                       cfg: HeadAdaptConfig, steps: int, generator: torch.Generator,
                       progress: bool = False) -> list[float]:
    """Fit the corrections alone to ``fs`` with the head frozen; returns the loss of each step.

    ``steps`` steps of ``cfg.batch`` random frames, Adam on ``corr`` from ``cfg.lr_params`` decaying to
    ``cfg.lr_params_final`` (or ``cfg.lr_final``) of it, loss :func:`adaptation_loss` + :func:`correction_prior`. ``uvmap`` ``(C, R, R)``
    and the colour MLP are not changed (their gradients are not computed).

    Args:
        fs: the frames the corrections belong to (``len(fs)`` = the corrections' frames), at training size.
    """
    frozen = [] if mlp is None else [q for q in mlp.parameters() if q.requires_grad]
    for q in frozen:
        q.requires_grad_(False)
    opt = torch.optim.Adam(corr.parameters(), lr=cfg.lr_params)
    n, hist = len(fs), []
    try:
        for i in tqdm(range(steps), desc="adapt refine", disable=not progress):
            opt.param_groups[0]["lr"] = cfg.lr_params * cfg.corrections_lr_final ** (i / max(1, steps))
            idx = torch.randint(n, (min(cfg.batch, n),), generator=generator).tolist()
            b = fs.take(idx)
            b.params = corr.params(idx)
            loss = adaptation_loss(head, uvmap.detach(), mlp, b, cfg) + correction_prior(corr, idx, cfg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            hist.append(float(loss.detach()))
    finally:
        for q in frozen:
            q.requires_grad_(True)
    return hist


def adaptation_loss(head: Any, uvmap: torch.Tensor, mlp: ColorMLP | None, b: FrameSet,
                    cfg: HeadAdaptConfig) -> torch.Tensor:
    """Photometric + mask + UV regulariser on a batch of training frames, rendered with ``b.params``.

    Args:
        uvmap: ``(C, R, R)``; b: the batch (images on the render size, ``params`` ``{key: (B, D)}``, which
            the joint stage replaces by the corrected ones, :class:`~ggtalker.gaussians.corrections.Corrections`).
    """
    h, w = b.size
    r = render_head(head, uvmap, b.params, b.K, b.w2c, w, h, mlp)
    gt = b.images * b.head[..., None]
    loss = (photometric(r.rgb, gt) + cfg.w_mask * mask_loss(r.alpha, b.head)
            + cfg.w_reg * uv_regulariser(uvmap, metric_offsets=head.offset_unit is not None))
    return loss


def finetune_inpainter(inp: BodyInpainter, head: Any, uvmap: torch.Tensor, mlp: ColorMLP | None, fs: FrameSet,
                       cfg: HeadAdaptConfig, ref_index: int, generator: torch.Generator, progress: bool = True) -> list[float]:
    """Teach the inpainter to turn (adapted head render, reference frame) into each training frame."""
    tv, _ = training_view(fs, cfg.max_side)
    h, w = tv.size
    ctx = tv.take([ref_index])
    context = ctx.images.permute(0, 3, 1, 2)
    context_head = ctx.head[:, None]
    opt = torch.optim.Adam(inp.parameters(), lr=cfg.lr_inpaint)
    hist = []
    for _ in tqdm(range(cfg.steps_inpaint), desc="adapt inpainter", disable=not progress):
        idx = torch.randint(len(tv), (min(cfg.batch, len(tv)),), generator=generator).tolist()
        b = tv.take(idx)
        with torch.no_grad():
            r = render_head(head, uvmap, b.params, b.K, b.w2c, w, h, mlp)
        out = inp(r.rgb.permute(0, 3, 1, 2), r.alpha.permute(0, 3, 1, 2), context.expand(len(idx), -1, -1, -1),
                  context_head.expand(len(idx), -1, -1, -1))
        loss = photometric(out.permute(0, 2, 3, 1), b.images)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hist.append(float(loss.detach()))
    return hist


def _ends(hist: list[float], k: int = 5) -> list[float]:
    """Mean loss over the first and the last ``k`` steps (the adaptation log)."""
    if not hist:
        return []
    return [float(np.mean(hist[:k])), float(np.mean(hist[-k:]))]


def build_runtime(head: AdaptedHead, template=None) -> tuple[E2VPrior, ColorMLP | None, BodyInpainter | None]:
    """Head (via a prior shell), color MLP and inpainter rebuilt from an :class:`AdaptedHead`."""
    shell = E2VPrior(E2VConfig(**head.e2v_config), template)
    mlp = None
    if head.color_mlp is not None:
        mlp = shell.color_mlp
        mlp.load_state_dict(head.color_mlp)
    inp = None
    if head.inpainter is not None:
        inp = BodyInpainter()
        inp.load_state_dict(head.inpainter)
    return shell, mlp, inp
