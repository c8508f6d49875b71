"""GGTalker as one object: adapt to a person, then drive their head with speech.

``adapt`` runs the Customized Adaptation (:mod:`ggtalker.gaussians.adapt` on the visual side,
:mod:`ggtalker.a2e.adapt` on the audio prior) and returns an :class:`~ggtalker.talker.identity.Identity`.
``drive`` turns audio into head parameters (the A2E prior, with pose/blink controls imposed), poses the
identity's Gaussians, rasterizes them from the cameras and inpaints them into the identity's frame;
``drive_chunks`` yields the frames a chunk at a time, so memory stays bounded whatever the audio's length.
This is the only place the model is assembled: the benchmark method and the scripts call it.
"""

from __future__ import annotations

import copy
import logging
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ggtalker.a2e.adapt import A2EAdaptConfig, finetune_a2e
from ggtalker.a2e.prior import A2EPrior
from ggtalker.a2e.stream import MotionStream
from ggtalker.core.cameras import camera_path
from ggtalker.core.clip import Cameras, Clip
from ggtalker.core.params import PARAM_DIMS
from ggtalker.gaussians.adapt import HeadAdaptConfig, adapt_identity, build_runtime
from ggtalker.gaussians.color_mlp import ColorMLP
from ggtalker.gaussians.data import FrameSet, frameset, sample_indices
from ggtalker.gaussians.head import GaussianHead
from ggtalker.gaussians.inpainter import FILLS, BodyInpainter, naive_composite
from ggtalker.gaussians.prior import E2VConfig, E2VPrior
from ggtalker.gaussians.render import pose_head, splat_head
from ggtalker.talker.identity import Identity

log = logging.getLogger("ggtalker.talker")

#: The shipped priors (``ggtalker/zoo/``).
ZOO = {"e2v": "e2v_synthtalk", "inpainter": "inpainter_synthtalk", "a2e": "a2e_synthtalk"}


@dataclass
class AdaptConfig:
    """How GGTalker adapts to a person.

    Attributes:
        head: the visual adaptation's budget (UV map, color MLP, joint parameter corrections, inpainter).
        a2e: the audio prior's adaptation, or None to keep the prior's weights and its null style.
        max_frames: training frames used for the visual adaptation (evenly spaced over the clips).
        seed: of every random draw of the adaptation.
    """

    head: HeadAdaptConfig = field(default_factory=HeadAdaptConfig)
    a2e: A2EAdaptConfig | None = field(default_factory=A2EAdaptConfig)
    max_frames: int = 64
    seed: int = 0


@dataclass
class TalkChunk:
    """Frames ``start … start + n - 1`` of a drive: ``frames (n, H, W, 3)`` uint8, ``depth (n, H, W)`` float32
    camera-space depth where the head's alpha > 0.5 and NaN elsewhere (None when not asked for)."""

    start: int
    frames: np.ndarray
    depth: np.ndarray | None


@dataclass
class Talk:
    """A drive's output: ``frames (N, H, W, 3)`` uint8, ``params {expr, jaw, blink, pose}`` each ``(N, D)``,
    ``depth (N, H, W)`` float32 (NaN off the head)."""

    frames: np.ndarray
    params: dict[str, np.ndarray]
    depth: np.ndarray | None


@dataclass
class _Runtime:
    """An identity's modules on the Talker's device (built once per identity)."""

    head: GaussianHead
    uvmap: torch.Tensor
    mlp: ColorMLP | None
    inpainter: BodyInpainter | None
    context: torch.Tensor  # (1, 3, H, W) in [0, 1], at the identity frame's size
    context_head: torch.Tensor  # (1, 1, H, W)

    def context_at(self, width: int, height: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The identity frame and its head mask resized to the output size."""
        ctx, ctx_head = self.context, self.context_head
        if ctx.shape[-2:] != (height, width):
            ctx = F.interpolate(ctx, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
            ctx_head = (F.interpolate(ctx_head, size=(height, width), mode="area") > 0.5).float()
        return ctx, ctx_head


def _source(prior: str | Path | None) -> Path | None:
    """A zoo entry's checkpoint (sha256-checked), or, for a path (a ``.pt`` name or an existing file), that file."""
    if prior is None:
        return None
    if str(prior).endswith(".pt") or Path(prior).is_file():
        path = Path(prior)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: checkpoint not found")
        return path
    from ggtalker.zoo import load_path

    return load_path(str(prior))


class Talker:
    """GGTalker: an Expression-Visual prior, a Body Inpainter and an Audio-Expression prior, adapted per person.

    Args:
        e2v: the Expression-Visual prior: a zoo entry name, a checkpoint file, or None to start every
            adaptation from a freshly initialised one (``e2v_config`` sized; the no-visual-prior ablation).
        inpainter: the Body Inpainter prior, likewise (None: fresh per adaptation).
        a2e: the audio prior: a zoo entry name, a checkpoint file, or a model with
            ``predict(audio16k, fps, n_frames, pose=, style=, seed=)`` (an :class:`A2EPrior`).
        use_color_mlp: adapt and use the color MLP (False: each Gaussian keeps its base colour).
        use_inpainter: blend the head in with the Body Inpainter (False: alpha-paste it over the identity frame).
        inpainter_fill: what the Body Inpainter fills from the surroundings behind the head
            (:attr:`BodyInpainter.fill`: ``region`` or ``exposed``); None keeps the prior's. Adaptation fine-tunes
            the inpainter under it and the identity keeps it.
        e2v_config: :class:`E2VConfig` (or its fields) of a freshly initialised prior (``e2v=None`` only).
        chunk: frames rendered per rasterizer call.

    Priors are read when first needed (the A2E on its first use) and never changed: each adaptation starts
    from fresh copies.
    """

    #: Parameter keys a drive request may impose (:meth:`motion`).
    FOLLOWS = ("expr", "jaw", "blink", "pose")

    def __init__(self, e2v: str | Path | None, inpainter: str | Path | None, a2e: str | Path | Any,
                 device: str = "cpu", *, use_color_mlp: bool = True, use_inpainter: bool = True,
                 inpainter_fill: str | None = None, e2v_config: E2VConfig | dict | None = None, chunk: int = 8,
                 progress: bool = False) -> None:
        self.device, self.chunk, self.progress = device, int(chunk), progress
        self.use_color_mlp, self.use_inpainter = use_color_mlp, use_inpainter
        if inpainter_fill is not None and inpainter_fill not in FILLS:
            raise ValueError(f"inpainter_fill={inpainter_fill!r}: expected one of {FILLS} or None")
        self.inpainter_fill = inpainter_fill
        self.e2v_config = e2v_config if isinstance(e2v_config, E2VConfig) else E2VConfig(**(e2v_config or {}))
        self.names = {"e2v": str(e2v) if e2v is not None else "scratch",
                      "inpainter": (str(inpainter) if inpainter is not None else "scratch") if use_inpainter else None,
                      "a2e": str(a2e) if isinstance(a2e, (str, Path)) else type(a2e).__name__}
        self._e2v_path = _source(e2v)
        self._inpainter_path = _source(inpainter) if use_inpainter else None
        self._a2e = _source(a2e) if isinstance(a2e, (str, Path)) else a2e
        self._runtimes: weakref.WeakKeyDictionary[Identity, _Runtime] = weakref.WeakKeyDictionary()

    @classmethod
    def from_zoo(cls, device: str = "cpu", **options: Any) -> "Talker":
        """The shipped priors (:data:`ZOO`); ``options`` as the constructor's, a prior name among them overrides its entry."""
        return cls(**{**ZOO, **options}, device=device)

    # -- priors -------------------------------------------------------------------------------------
    @cached_property
    def a2e(self) -> Any:
        """The audio prior (loaded on first use)."""
        return A2EPrior.load(self._a2e, self.device) if isinstance(self._a2e, Path) else self._a2e

    @cached_property
    def _e2v_state(self) -> dict:
        return torch.load(self._e2v_path, map_location="cpu", weights_only=True)

    @cached_property
    def _inpainter_state(self) -> dict:
        return torch.load(self._inpainter_path, map_location="cpu", weights_only=True)

    def _fresh_e2v(self, seed: int) -> E2VPrior:
        if self._e2v_path is None:
            torch.manual_seed(seed)
            return E2VPrior(self.e2v_config).to(self.device)
        return E2VPrior.from_state(self._e2v_state, self.device, where=str(self._e2v_path))

    def _fresh_inpainter(self, seed: int) -> BodyInpainter | None:
        if not self.use_inpainter:
            return None
        if self._inpainter_path is None:
            torch.manual_seed(seed + 1)
            inp = BodyInpainter().to(self.device)
        else:
            inp = BodyInpainter.from_state(self._inpainter_state, self.device, where=str(self._inpainter_path))
        if self.inpainter_fill is not None:
            inp.fill = self.inpainter_fill
        return inp

    # -- adaptation ---------------------------------------------------------------------------------
    def adapt(self, clips: Sequence[Clip] | FrameSet, config: AdaptConfig | None = None, name: str = "") -> Identity:
        """Adapt to one person from their clips (frames, masks, tracked params, cameras; audio for the A2E).

        Args:
            clips: the person's clips, or their frames as a :class:`FrameSet` (then the A2E is not adapted:
                it needs audio).
            config: budgets and seed (default :class:`AdaptConfig`).
        """
        cfg = config or AdaptConfig()
        t0 = time.perf_counter()
        torch.manual_seed(cfg.seed)
        if isinstance(clips, FrameSet):
            fs, speech = clips, None
        else:
            clips = list(clips)
            fs = frameset(clips, cfg.max_frames)
            speech = next((c for c in clips if c.audio is not None), None)
        # Evaluated in this order (E2V, inpainter, then the audio prior) so the global RNG stream that the
        # A2E adaptation's dropout draws from is the one the benchmark rows were made with.
        head = adapt_identity(self._fresh_e2v(cfg.seed), fs.to(self.device), cfg.head, self._fresh_inpainter(cfg.seed),
                              use_color=self.use_color_mlp, progress=self.progress, seed=cfg.seed)
        if not isinstance(clips, FrameSet):
            head.train_index = sample_indices(sum(c.n_frames for c in clips), cfg.max_frames)
        identity = Identity(head, name=name)
        if cfg.a2e is not None and cfg.a2e.steps > 0:
            if speech is None:
                log.warning("%s: no training clip has audio; the A2E prior is not adapted", name or "identity")
            else:
                a2e = copy.deepcopy(self.a2e)
                rep = finetune_a2e(a2e, speech.audio, speech.params, speech.fps, cfg.a2e, seed=cfg.seed,
                                   progress=self.progress)
                identity.a2e, identity.a2e_style = a2e, rep.pop("style")
                identity.report["a2e"] = rep
        self._runtime(identity)
        identity.report["seconds"] = time.perf_counter() - t0
        return identity

    def _runtime(self, identity: Identity) -> _Runtime:
        rt = self._runtimes.get(identity)
        if rt is None:
            shell, mlp, inp = build_runtime(identity.head)
            shell = shell.to(self.device)
            h = identity.head
            ctx = torch.from_numpy(h.context).float().permute(2, 0, 1)[None] / 255.0
            ctx_head = torch.from_numpy(h.context_head).float()[None, None]
            rt = _Runtime(shell.head, h.uvmap.to(self.device), mlp, inp.to(self.device) if inp is not None else None,
                          ctx.to(self.device), ctx_head.to(self.device))
            self._runtimes[identity] = rt
        return rt

    # -- driving ------------------------------------------------------------------------------------
    def motion(self, identity: Identity, audio16k: np.ndarray, n_frames: int, fps: float = 25.0,
               controls: dict[str, np.ndarray] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
        """Head parameters ``{expr (N,10), jaw (N,1), blink (N,2), pose (N,6)}`` for ``audio16k`` ``(S,)`` at 16 kHz.

        ``controls`` (any of :data:`FOLLOWS`, each ``(N, D)``) are imposed; the pose also guides the prior.
        When ``expr`` and ``jaw`` are both given the head is driven by the given parameters alone and the
        audio prior is not run (driving by known parameters: the fit diagnostic's oracle split).
        """
        controls = {k: v for k, v in (controls or {}).items() if k in self.FOLLOWS}
        for key in controls:
            if np.shape(controls[key]) != (n_frames, PARAM_DIMS[key]):
                raise ValueError(f"{key} control must have shape ({n_frames}, {PARAM_DIMS[key]}), "
                                 f"got {np.shape(controls[key])}")
        if {"expr", "jaw"} <= set(controls):
            params = {k: np.zeros((n_frames, d), np.float32) for k, d in PARAM_DIMS.items()}
            params.update({k: np.asarray(v, np.float32) for k, v in controls.items()})
            return params
        a2e = identity.a2e if identity.a2e is not None else self.a2e
        params = a2e.predict(audio16k, fps, n_frames, pose=controls.get("pose"), style=identity.a2e_style, seed=seed)
        for key in ("blink", "pose"):
            if key in controls:
                params[key] = np.asarray(controls[key], np.float32)
        return params

    @torch.no_grad()
    def render(self, identity: Identity, params: dict[str, np.ndarray], cameras: Cameras, width: int, height: int,
               depth: bool = True, timings: dict[str, float] | None = None) -> Iterator[TalkChunk]:
        """Frames of ``params`` from ``cameras`` (intrinsics for ``width`` × ``height``), ``chunk`` at a time.

        ``timings``, when given, accumulates seconds per stage (``pose``, ``rasterize``, ``composite``).
        """
        rt = self._runtime(identity)
        ctx, ctx_head = rt.context_at(width, height)
        n = len(cameras)
        for s in tqdm(range(0, n, self.chunk), desc="render", disable=not self.progress):
            e = min(n, s + self.chunk)
            with self._stage(timings, "pose"):
                p = {k: torch.as_tensor(v[s:e], dtype=torch.float32, device=self.device) for k, v in params.items()}
                K = torch.as_tensor(cameras.K[s:e], dtype=torch.float32, device=self.device)
                w2c = torch.as_tensor(cameras.w2c[s:e], dtype=torch.float32, device=self.device)
                posed = pose_head(rt.head, rt.uvmap, p, w2c, rt.mlp)
            with self._stage(timings, "rasterize"):
                r = splat_head(posed, K, w2c, width, height)
            with self._stage(timings, "composite"):
                rgb, alpha = r.rgb.permute(0, 3, 1, 2), r.alpha.permute(0, 3, 1, 2)
                c = ctx.expand(e - s, -1, -1, -1)
                if rt.inpainter is not None:
                    out = rt.inpainter(rgb, alpha, c, ctx_head.expand(e - s, -1, -1, -1))
                else:
                    out = naive_composite(rgb, alpha, c)
                frames = (out.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
                d = None
                if depth:
                    d = np.where(r.alpha[..., 0].cpu().numpy() > 0.5, r.depth.cpu().numpy(), np.nan).astype(np.float32)
            yield TalkChunk(s, frames, d)

    def drive_chunks(self, identity: Identity, audio16k: np.ndarray, cameras: Cameras | str = "frontal",
                     size: int | tuple[int, int] = 256, fps: float = 25.0, controls: dict[str, np.ndarray] | None = None,
                     seed: int = 0, depth: bool = True,
                     timings: dict[str, float] | None = None) -> tuple[dict[str, np.ndarray], Iterator[TalkChunk]]:
        """:meth:`drive`, streamed: the head parameters (computed first, small) and an iterator of frame chunks.

        Args:
            cameras: one camera per output frame (intrinsics for ``size``), or a camera path name
                (:func:`ggtalker.core.cameras.camera_path`: ``frontal``, ``orbit``) as long as the audio.
            size: output side, or ``(width, height)``.
            controls: ``{"pose": (N, 6), "blink": (N, 2)}`` imposed on the motion.
            seed: of the audio prior's sampler (head pose and blinks vary with it; lips follow the audio).
            depth: also return depth (off saves a copy per frame).
        """
        width, height = (size, size) if np.isscalar(size) else size
        if isinstance(cameras, str):
            cameras = camera_path(cameras, int(round(len(audio16k) / 16_000 * fps)), (width, height), fps)
        if len(cameras) < 1:
            raise ValueError("nothing to drive: the audio is shorter than one frame")
        with self._stage(timings, "motion"):
            params = self.motion(identity, audio16k, len(cameras), fps, controls, seed)
        return params, self.render(identity, params, cameras, width, height, depth, timings)

    def stream(self, identity: Identity, audio_chunks: Iterable[np.ndarray], camera: str = "frontal",
               size: int | tuple[int, int] = 256, fps: float = 25.0, lookahead: int = 2,
               pose: np.ndarray | None = None, seed: int = 0,
               timings: dict[str, float] | None = None) -> Iterator[TalkChunk]:
        """Live driving: frames as the audio arrives, in chunks of any length (e.g. 40-200 ms of 16 kHz audio).

        Each chunk is pushed to the audio prior's :class:`~ggtalker.a2e.stream.MotionStream`, and the frames it
        makes final (those with ``lookahead`` frames of audio after them) are rendered and yielded before the
        next chunk is read; the rest follow when the chunks end. The identity's adapted A2E is used where it has
        one (its voice style too); ``expr``/``jaw`` controls are not streamed (the offline :meth:`drive` takes them).

        Args:
            camera: a camera path name (:func:`ggtalker.core.cameras.camera_path`), frame ``i`` seen by its
                ``i``-th camera.
            pose: ``(N, 6)`` head pose imposed on the first ``N`` frames (None: the prior moves the head).
            timings: when given, accumulates seconds per stage (``motion`` for the audio prior's pushes, then
                :meth:`render`'s), synchronised with the device.
        Yields:
            :class:`TalkChunk` without depth, ``start`` counting from the stream's first frame.
        """
        width, height = (size, size) if np.isscalar(size) else size
        a2e = identity.a2e if identity.a2e is not None else self.a2e
        motion = MotionStream(a2e, fps, lookahead, pose=pose, style=identity.a2e_style, seed=seed)
        done = 0

        def frames_of(params: dict[str, np.ndarray]) -> Iterator[TalkChunk]:
            nonlocal done
            n = len(params["jaw"])
            if n == 0:
                return
            cams = camera_path(camera, n, (width, height), fps, start=done)
            for c in self.render(identity, params, cams, width, height, depth=False, timings=timings):
                yield TalkChunk(done + c.start, c.frames, None)
            done += n

        for chunk in audio_chunks:
            with self._stage(timings, "motion"):
                params = motion.push(chunk)
            yield from frames_of(params)
        with self._stage(timings, "motion"):
            params = motion.flush()
        yield from frames_of(params)

    def drive(self, identity: Identity, audio16k: np.ndarray, cameras: Cameras | str = "frontal",
              size: int | tuple[int, int] = 256, fps: float = 25.0, controls: dict[str, np.ndarray] | None = None,
              seed: int = 0, depth: bool = True) -> Talk:
        """Frames, parameters and depth for ``audio16k`` ``(S,)`` at 16 kHz (arguments as :meth:`drive_chunks`).

        Holds every frame in memory: for long audio at large sizes stream with :meth:`drive_chunks`.
        """
        params, chunks = self.drive_chunks(identity, audio16k, cameras, size, fps, controls, seed, depth)
        width, height = (size, size) if np.isscalar(size) else size
        n = len(next(iter(params.values())))
        frames = np.empty((n, height, width, 3), np.uint8)
        out_depth = np.empty((n, height, width), np.float32) if depth else None
        for c in chunks:
            frames[c.start : c.start + len(c.frames)] = c.frames
            if depth:
                out_depth[c.start : c.start + len(c.frames)] = c.depth
        return Talk(frames, params, out_depth)

    def describe(self) -> dict[str, Any]:
        """Provenance: the priors and options."""
        fill = {} if self.inpainter_fill is None else {"inpainter_fill": self.inpainter_fill}
        return {**self.names, "use_color_mlp": self.use_color_mlp, "use_inpainter": self.use_inpainter, **fill,
                "chunk": self.chunk}

    @contextmanager
    def _stage(self, timings: dict[str, float] | None, name: str):
        """Add the block's seconds to ``timings[name]`` (after the device finished its work)."""
        if timings is None:
            yield
            return
        sync = torch.cuda.synchronize if str(self.device).startswith("cuda") else (lambda: None)
        sync()
        t0 = time.perf_counter()
        yield
        sync()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0
