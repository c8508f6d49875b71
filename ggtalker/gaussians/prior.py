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
from ggtalker.gaussians.template import HeadTemplate

CKPT_FORMAT = "ggtalker-e2v/1"


@dataclass
class E2VConfig:
    """Sizes of the prior. ``uv_res²`` bounds the number of Gaussians."""

    uv_res: int = 32
    n_feat: int = 8
    gen_width: int = 32
    mlp_hidden: int = 64


class E2VPrior(nn.Module):
    """Generator + color MLP over a :class:`GaussianHead`."""

    def __init__(self, cfg: E2VConfig | None = None, template: HeadTemplate | None = None) -> None:
        super().__init__()
        self.cfg = cfg or E2VConfig()
        self.head = GaussianHead(template or HeadTemplate.load(), self.cfg.uv_res)
        self.generator = IdentityGaussianGenerator(self.cfg.uv_res, self.cfg.n_feat, self.cfg.gen_width)
        self.color_mlp = ColorMLP(self.cfg.n_feat, self.cfg.mlp_hidden)

    def state(self, half: bool = True) -> dict[str, Any]:
        sd = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.state_dict().items()}
        return {"format": CKPT_FORMAT, "config": asdict(self.cfg), "state_dict": sd}

    def save(self, path: str | Path, half: bool = True) -> Path:
        return save_atomic(self.state(half), path)

    @classmethod
    def from_state(cls, ckpt: dict[str, Any], device: str = "cpu", where: str = "checkpoint") -> "E2VPrior":
        """A prior built from a checkpoint dict of :meth:`state` (fp32 weights)."""
        if not isinstance(ckpt, dict) or ckpt.get("format") != CKPT_FORMAT:
            raise ValueError(f"{where}: not a {CKPT_FORMAT} checkpoint")
        model = cls(E2VConfig(**ckpt["config"]))
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()})
        return model.to(device)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "E2VPrior":
        return cls.from_state(torch.load(path, map_location="cpu", weights_only=True), device, where=str(path))

    @classmethod
    def from_zoo(cls, name: str = "e2v_synthtalk", device: str = "cpu") -> "E2VPrior":
        from ggtalker.zoo import load_path

        return cls.load(load_path(name), device)

    def to(self, *args: Any, **kwargs: Any) -> "E2VPrior":
        super().to(*args, **kwargs)
        dev = next(self.parameters()).device
        self.head.template = self.head.template.to(dev)
        lay = self.head.layout
        for k in ("texel", "face", "bary", "base_xyz", "texel_scale"):
            setattr(lay, k, getattr(lay, k).to(dev))
        return self
