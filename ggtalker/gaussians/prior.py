"""The Expression-Visual prior as one object: template + UV layout, Identity-Gaussian Generator, color MLP.

Checkpoints are fp16 state dicts plus the config (``format: ggtalker-e2v/1``); the zoo entry is
``e2v_synthtalk``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ggtalker.core.checkpoint import save_atomic
from ggtalker.gaussians.color_mlp import ColorMLP
from ggtalker.gaussians.generator import IdentityGaussianGenerator
from ggtalker.gaussians.head import GaussianHead
from ggtalker.gaussians.template import HeadTemplate, asset_path

CKPT_FORMAT = "ggtalker-e2v/1"


@dataclass
class E2VConfig:
    """Sizes and parametrisation of the prior. ``uv_res²`` bounds the number of Gaussians.

    The defaults are the first zoo prior's design (kept so its checkpoints load unchanged); the head
    that can fit its frames is :data:`HEAD_V2` (docs/ggtalker.md).

    Attributes:
        template: head template asset name (``ggtalker/gaussians/assets/<name>.npz``).
        offset_unit: metres per unit of the offset channels, or None for texel-bounded offsets
            (:mod:`ggtalker.gaussians.head`).
        dynamic_opacity: the color MLP also changes each Gaussian's opacity with the motion (lips that
            part when the jaw opens, lids that close).
        gen_levels: resolution levels of the generator's UV U-Net.
        specular: the UV map carries a specular lobe per Gaussian after its features
            (:class:`~ggtalker.gaussians.color_mlp.ColorMLP`); set by adaptation (``HeadAdaptConfig.specular``),
            which appends those channels to the generated map.
        gen_wrap: the generator's U-Net pads the UV map's columns circularly (the back of the head is one
            region; :class:`~ggtalker.gaussians.generator.WrapConv2d`).
        gen_scene_code: size of the generator's spatial image code (0: none;
            :class:`~ggtalker.gaussians.generator.IdentityGaussianGenerator`). Both are for the unseen head:
            from a frontal reference the prior paints the back and sides behind the ears as skin where the hair
            is (docs/ggtalker-fidelity.md, "At 512²: the prior is the ceiling at 60°").
    """

    uv_res: int = 32
    n_feat: int = 8
    gen_width: int = 32
    mlp_hidden: int = 64
    template: str = "head_template"
    offset_unit: float | None = None
    dynamic_opacity: bool = False
    gen_levels: int = 2
    specular: bool = False
    gen_wrap: bool = False
    gen_scene_code: int = 0


#: The head that can fit its frames: a denser template with face-bunched columns, offsets in metres,
#: motion-dependent opacity, a deeper generator. ``uv_res`` is set per scale.
HEAD_V2 = {"template": "head_template_v2", "offset_unit": 0.01, "dynamic_opacity": True, "gen_levels": 4}

#: Config fields a trained prior can be extended by (:meth:`E2VPrior.from_state`'s ``extend``): the same
#: weights fit, or the new ones start as a no-op.
EXTENSIONS = ("gen_wrap", "gen_scene_code")

#: State-dict keys of checkpoints written before the generator's U-Net took a number of levels.
_LEGACY_KEYS = {"generator.down1.": "generator.downs.0.", "generator.down2.": "generator.downs.1.",
                "generator.up.": "generator.ups.0."}


class E2VPrior(nn.Module):
    """Generator + color MLP over a :class:`GaussianHead`."""

    def __init__(self, cfg: E2VConfig | None = None, template: HeadTemplate | None = None) -> None:
        super().__init__()
        self.cfg = cfg or E2VConfig()
        c = self.cfg
        self.head = GaussianHead(template or HeadTemplate.load(asset_path(c.template)), c.uv_res, c.offset_unit)
        self.generator = IdentityGaussianGenerator(c.uv_res, c.n_feat, c.gen_width, levels=c.gen_levels,
                                                   wrap=c.gen_wrap, scene_code=c.gen_scene_code)
        self.color_mlp = ColorMLP(c.n_feat, c.mlp_hidden, dynamic_opacity=c.dynamic_opacity, specular=c.specular)

    def state(self, half: bool = True) -> dict[str, Any]:
        sd = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.state_dict().items()}
        return {"format": CKPT_FORMAT, "config": asdict(self.cfg), "state_dict": sd}

    def save(self, path: str | Path, half: bool = True) -> Path:
        return save_atomic(self.state(half), path)

    @classmethod
    def from_state(cls, ckpt: dict[str, Any], device: str = "cpu", where: str = "checkpoint",
                   extend: dict[str, Any] | None = None) -> "E2VPrior":
        """A prior built from a checkpoint dict of :meth:`state` (fp32 weights).

        ``extend``: config fields to change (:data:`EXTENSIONS` only), for fine-tuning a prior into one with
        those parts: the checkpoint's weights load, and the parts it lacks start as they are built (the
        scene code's zero projection: the same prior at first).
        """
        if not isinstance(ckpt, dict) or ckpt.get("format") != CKPT_FORMAT:
            raise ValueError(f"{where}: not a {CKPT_FORMAT} checkpoint")
        bad = set(extend or {}) - set(EXTENSIONS)
        if bad:
            raise ValueError(f"{where}: only {sorted(EXTENSIONS)} can be extended, not {sorted(bad)}")
        model = cls(E2VConfig(**{**ckpt["config"], **(extend or {})}))
        sd = {_legacy_key(k): v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()}
        missing, unexpected = model.load_state_dict(sd, strict=not extend)
        lacking = [k for k in missing if not k.startswith("generator.scene.")]
        if unexpected or lacking:
            raise ValueError(f"{where}: does not fit the extended prior (missing {lacking}, unexpected {unexpected})")
        return model.to(device)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu", extend: dict[str, Any] | None = None) -> "E2VPrior":
        return cls.from_state(torch.load(path, map_location="cpu", weights_only=True), device, where=str(path),
                              extend=extend)

    @classmethod
    def from_zoo(cls, name: str = "e2v_synthtalk", device: str = "cpu", extend: dict[str, Any] | None = None) -> "E2VPrior":
        from ggtalker.zoo import load_path

        return cls.load(load_path(name), device, extend)

    def to(self, *args: Any, **kwargs: Any) -> "E2VPrior":
        super().to(*args, **kwargs)
        dev = next(self.parameters()).device
        self.head.template = self.head.template.to(dev)
        self.head.layout = self.head.layout.to(dev)
        return self


def _legacy_key(key: str) -> str:
    for old, new in _LEGACY_KEYS.items():
        if key.startswith(old):
            return new + key[len(old):]
    return key
