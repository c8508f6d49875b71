"""GGTalker as a benchmark method, and its ablations (``ggtalker_noprior``, ``ggtalker_nocolor``, ``ggtalker_noinpaint``).

prepare(): Customized Adaptation from the zoo priors (E2V generator + color MLP, Body Inpainter, A2E) on
the identity's training clips. generate(): audio → A2E parameters (the case's pose/blink controls
imposed when given) → rigged Gaussians → rasterised from the request's cameras → inpainted into the
identity's frame, plus depth.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ggtalker.bench.method import DriveRequest, FittedViews, Generation, Method
from ggtalker.core.clip import Clip
from ggtalker.gaussians.adapt import AdaptConfig, IdentityState, adapt_identity, build_runtime
from ggtalker.gaussians.data import frameset, sample_indices
from ggtalker.gaussians.inpainter import BodyInpainter, naive_composite
from ggtalker.gaussians.prior import E2VConfig, E2VPrior
from ggtalker.gaussians.render import render_head

log = logging.getLogger("ggtalker.methods.ggtalker")


class GGTalker(Method):
    """GGTalker (see docs/ggtalker.md).

    Args:
        e2v, inpainter, a2e: the priors: zoo entry names, or paths of checkpoint files.
        prior: start from the E2V prior and the inpainter prior (False: both freshly initialised, the
            ``ggtalker_noprior`` ablation; the A2E prior is kept, audio → motion needs it).
        color: use and adapt the color MLP. inpaint: use the Body Inpainter (False: alpha paste).
        adapt: :class:`AdaptConfig` fields. adapt_a2e: :func:`finetune_a2e` keyword arguments, or None to skip.
        max_train_frames: frames of the training clips used for visual adaptation (evenly spaced).
        chunk: frames rendered per rasterizer call.
        e2v_config: sizes of a freshly initialised prior (``prior=False`` only).
    """

    name = "ggtalker"
    follows_controls = ("expr", "jaw", "blink", "pose")

    def __init__(self, device: str = "cpu", seed: int = 0, e2v: str = "e2v_synthtalk",
                 inpainter: str = "inpainter_synthtalk", a2e: str = "a2e_synthtalk", prior: bool = True,
                 color: bool = True, inpaint: bool = True, adapt: dict | None = None,
                 adapt_a2e: dict | None = None, max_train_frames: int = 64, chunk: int = 8,
                 e2v_config: dict | None = None, progress: bool = True) -> None:
        super().__init__(device, seed)
        self.e2v_name, self.inpainter_name, self.a2e_name = e2v, inpainter, a2e
        self.use_prior, self.use_color, self.use_inpaint = prior, color, inpaint
        self.adapt_cfg = AdaptConfig(**(adapt or {}), seed=seed)
        self.adapt_a2e = adapt_a2e
        self.max_train_frames, self.chunk = max_train_frames, chunk
        self.e2v_config = E2VConfig(**(e2v_config or {}))
        self.progress = progress
        self.a2e_model: Any = None  # set to inject an audio prior (tests); else loaded from the zoo

    # -- priors ----------------------------------------------------------------------------------
    def _e2v(self) -> E2VPrior:
        if self.use_prior:
            return E2VPrior.load(_checkpoint(self.e2v_name), self.device)
        torch.manual_seed(self.seed)
        return E2VPrior(self.e2v_config).to(self.device)

    def _inpainter(self) -> BodyInpainter | None:
        if not self.use_inpaint:
            return None
        if self.use_prior:
            inp = BodyInpainter()
            ckpt = torch.load(_checkpoint(self.inpainter_name), map_location="cpu", weights_only=True)
            inp.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
            return inp.to(self.device)
        torch.manual_seed(self.seed + 1)
        return BodyInpainter().to(self.device)

    def _a2e(self) -> Any:
        if self.a2e_model is None:
            from ggtalker.a2e.prior import A2EPrior

            self.a2e_model = A2EPrior.load(_checkpoint(self.a2e_name), self.device)
        return self.a2e_model

    # -- interface -------------------------------------------------------------------------------
    def prepare(self, identity: str, train: list[Clip]) -> dict[str, Any]:
        torch.manual_seed(self.seed)
        fs = frameset(train, self.max_train_frames).to(self.device)
        state = adapt_identity(self._e2v(), fs, self.adapt_cfg, self._inpainter(), use_color=self.use_color,
                               progress=self.progress)
        a2e = self._a2e()
        if self.adapt_a2e is not None and self.adapt_a2e.get("steps", 0) > 0:
            clip = next((c for c in train if c.audio is not None), None)
            if clip is None:
                log.warning("%s: no training clip has audio; the A2E prior is not adapted", identity)
            else:
                a2e = copy.deepcopy(a2e)
                from ggtalker.gaussians.a2e_adapt import finetune_a2e

                rep = finetune_a2e(a2e, clip.audio, clip.params, clip.fps, seed=self.seed, progress=self.progress,
                                   **self.adapt_a2e)
                state.a2e_style = rep.pop("style")
                state.a2e_state = a2e.state(half=True)  # so scripts/talk.py speaks with the adapted prior
                state.report["a2e"] = rep
        shell, mlp, inp = build_runtime(state)
        shell = shell.to(self.device)
        inp = inp.to(self.device) if inp is not None else None
        return {"state": state, "head": shell.head, "mlp": mlp, "inpainter": inp, "a2e": a2e,
                "n_train_frames": sum(c.n_frames for c in train)}

    def generate(self, prep: dict[str, Any], request: DriveRequest) -> Generation:
        state: IdentityState = prep["state"]
        n, w, h = request.n_frames, request.width, request.height
        given = {k: np.asarray(v, np.float32) for k, v in request.controls.items() if k in self.follows_controls}
        if {"expr", "jaw"} <= set(given):
            # Driven by known parameters (the fit diagnostic's oracle split): no audio → motion.
            params = {k: given[k] for k in given}
        else:
            params = prep["a2e"].predict(request.audio, request.fps, n, pose=given.get("pose"),
                                         style=state.a2e_style, seed=self.seed)
            params.update(given)
        frames, depth = render_frames(prep["head"], state, prep["mlp"], prep["inpainter"], params,
                                      request.cameras.K, request.cameras.w2c, w, h, self.chunk, self.device)
        return Generation(frames=frames, params=params, depth=depth)

    def fitted_views(self, prep: dict[str, Any]) -> FittedViews | None:
        state: IdentityState = prep["state"]
        if state.train_params is None:
            return None
        n = len(next(iter(state.train_params.values())))
        return FittedViews(index=sample_indices(prep["n_train_frames"], self.max_train_frames)[:n],
                           params=state.train_params, n_gaussians=state.report.get("n_gaussians"))

    def describe(self) -> dict[str, Any]:
        return {"e2v": self.e2v_name if self.use_prior else "scratch", "a2e": self.a2e_name,
                "inpainter": (self.inpainter_name if self.use_prior else "scratch") if self.use_inpaint else None,
                "color_mlp": self.use_color, "adapt": asdict(self.adapt_cfg), "adapt_a2e": self.adapt_a2e}


def _checkpoint(name_or_path: str) -> Path:
    """A zoo entry's checkpoint (sha256-checked) or, for a name ending in .pt, that file."""
    if name_or_path.endswith(".pt"):
        path = Path(name_or_path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: checkpoint not found")
        return path
    from ggtalker.zoo import load_path

    return load_path(name_or_path)


@torch.no_grad()
def render_frames(head: Any, state: IdentityState, mlp: Any, inpainter: BodyInpainter | None,
                  params: dict[str, np.ndarray], K: np.ndarray, w2c: np.ndarray, width: int, height: int,
                  chunk: int = 8, device: str = "cpu", progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Final frames ``(N, H, W, 3)`` uint8 and depth ``(N, H, W)`` float32 (NaN off the head).

    The head is rendered at the output size; the identity's context frame is resized to it.
    """
    from tqdm.auto import tqdm

    n = len(K)
    ctx = torch.from_numpy(state.context).float().permute(2, 0, 1)[None] / 255.0
    ctx_head = torch.from_numpy(state.context_head).float()[None, None]
    if ctx.shape[-2:] != (height, width):
        ctx = F.interpolate(ctx, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        ctx_head = (F.interpolate(ctx_head, size=(height, width), mode="area") > 0.5).float()
    ctx, ctx_head = ctx.to(device), ctx_head.to(device)
    uv = state.uvmap.to(device)
    frames = np.empty((n, height, width, 3), np.uint8)
    depth = np.empty((n, height, width), np.float32)
    for s in tqdm(range(0, n, chunk), desc="render", disable=not progress):
        e = min(n, s + chunk)
        p = {k: torch.as_tensor(v[s:e], dtype=torch.float32, device=device) for k, v in params.items()}
        Kt = torch.as_tensor(K[s:e], dtype=torch.float32, device=device)
        Wt = torch.as_tensor(w2c[s:e], dtype=torch.float32, device=device)
        r = render_head(head, uv, p, Kt, Wt, width, height, mlp)
        rgb, alpha = r.rgb.permute(0, 3, 1, 2), r.alpha.permute(0, 3, 1, 2)
        c = ctx.expand(e - s, -1, -1, -1)
        if inpainter is not None:
            out = inpainter(rgb, alpha, c, ctx_head.expand(e - s, -1, -1, -1))
        else:
            out = naive_composite(rgb, alpha, c)
        frames[s:e] = (out.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        d = r.depth.cpu().numpy()
        depth[s:e] = np.where(r.alpha[..., 0].cpu().numpy() > 0.5, d, np.nan)
    return frames, depth

