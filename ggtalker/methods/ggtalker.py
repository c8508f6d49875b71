"""GGTalker as a benchmark method, and its ablations (``ggtalker_noprior``, ``ggtalker_nocolor``, ``ggtalker_noinpaint``).

A thin caller of :class:`ggtalker.talker.Talker`: ``prepare`` is ``Talker.adapt`` on the identity's training
clips, ``generate`` is ``Talker.drive`` on the request's audio, cameras and controls.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ggtalker.bench.method import DriveRequest, FittedViews, Generation, Method
from ggtalker.core.clip import Clip
from ggtalker.talker import A2EAdaptConfig, AdaptConfig, HeadAdaptConfig, Identity, Talker


class GGTalker(Method):
    """GGTalker (see docs/ggtalker.md).

    Args:
        e2v, inpainter, a2e: the priors: zoo entry names, or paths of checkpoint files.
        use_visual_prior: start from the E2V prior and the inpainter prior (False: both freshly initialised,
            the ``ggtalker_noprior`` ablation; the A2E prior is kept, audio → motion needs it).
        use_color_mlp: use and adapt the color MLP. use_inpainter: use the Body Inpainter (False: alpha paste).
        inpainter_fill: what the inpainter fills behind the head (``region``, ``exposed``; None: the prior's).
        adapt: :class:`HeadAdaptConfig` fields. adapt_a2e: :class:`A2EAdaptConfig` fields, or None (or 0 steps)
            to keep the A2E prior as it is.
        max_train_frames: frames of the training clips used for visual adaptation (evenly spaced).
        chunk: frames rendered per rasterizer call.
        e2v_config: sizes of a freshly initialised prior (``use_visual_prior=False`` only).
    """

    name = "ggtalker"
    train_needs = ("frames", "masks", "params.expr", "params.jaw", "params.pose")
    follows_controls = Talker.FOLLOWS

    def __init__(self, device: str = "cpu", seed: int = 0, e2v: str = "e2v_synthtalk",
                 inpainter: str = "inpainter_synthtalk", a2e: str = "a2e_synthtalk", use_visual_prior: bool = True,
                 use_color_mlp: bool = True, use_inpainter: bool = True, adapt: dict | None = None,
                 adapt_a2e: dict | None = None, max_train_frames: int = 64, chunk: int = 8,
                 e2v_config: dict | None = None, progress: bool = True, inpainter_fill: str | None = None) -> None:
        super().__init__(device, seed)
        self.talker = Talker(e2v if use_visual_prior else None, inpainter if use_visual_prior else None, a2e, device,
                             use_color_mlp=use_color_mlp, use_inpainter=use_inpainter, inpainter_fill=inpainter_fill,
                             e2v_config=e2v_config, chunk=chunk, progress=progress)
        a2e_steps = (adapt_a2e or {}).get("steps", A2EAdaptConfig.steps)
        self.adapt_config = AdaptConfig(head=HeadAdaptConfig(**(adapt or {})),
                                        a2e=A2EAdaptConfig(**adapt_a2e) if adapt_a2e and a2e_steps > 0 else None,
                                        max_frames=max_train_frames, seed=seed)

    def prepare(self, identity: str, train: list[Clip]) -> Identity:
        return self.talker.adapt(train, self.adapt_config, name=identity)

    def generate(self, identity: Identity, request: DriveRequest) -> Generation:
        talk = self.talker.drive(identity, request.audio, request.cameras, (request.width, request.height),
                                 fps=request.fps, controls=request.controls, seed=self.seed)
        return Generation(frames=talk.frames, params=talk.params, depth=talk.depth)

    def fitted_views(self, identity: Identity) -> FittedViews | None:
        h = identity.head
        if h.train_params is None or h.train_index is None:
            return None
        return FittedViews(index=h.train_index, params=h.train_params, n_gaussians=h.report.get("n_gaussians"))

    def describe(self) -> dict[str, Any]:
        return {**self.talker.describe(), "adapt": asdict(self.adapt_config)}
