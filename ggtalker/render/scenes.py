"""Synthetic Gaussian scenes for rasterizer benchmarks and parity checks (not for training).

Both return a dict with the positional arguments of :func:`ggtalker.render.gaussians.rasterization`
in order: ``means, quats, scales, opacities, colors, viewmats, Ks``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _cameras(n_cams: int, size: int, dist: float, focal: float, max_yaw: float) -> tuple[Tensor, Tensor]:
    """``n_cams`` OpenCV cameras on a yaw arc, ``dist`` metres from the origin, looking at it."""
    yaw = torch.linspace(-max_yaw, max_yaw, n_cams) if n_cams > 1 else torch.zeros(1)
    vm = torch.eye(4).repeat(n_cams, 1, 1)
    c, s = torch.cos(yaw), torch.sin(yaw)
    vm[:, 0, 0], vm[:, 0, 2], vm[:, 2, 0], vm[:, 2, 2] = c, s, -s, c
    vm[:, 2, 3] = dist
    K = torch.tensor([[focal, 0, size / 2], [0, focal, size / 2], [0, 0, 1]]).repeat(n_cams, 1, 1)
    return vm, K


def _colors(n: int, sh_degree: int | None, g: torch.Generator) -> Tensor:
    if sh_degree is None:
        return torch.rand(n, 3, generator=g)
    sh = 0.15 * torch.randn(n, (sh_degree + 1) ** 2, 3, generator=g)
    sh[:, 0] = (torch.rand(n, 3, generator=g) - 0.5) / 0.28209479177387814  # DC gives colours in [0, 1]
    return sh


def head_scene(
    n: int, size: int, n_cams: int = 1, sh_degree: int | None = None, seed: int = 0, device: str | torch.device = "cpu"
) -> dict[str, Tensor]:
    """``n`` Gaussians on a 16×20×18 cm ellipsoid shell (a head) seen from 0.5 m, filling ~45 % of the width.

    Scales make neighbours overlap (an opaque surface, as in a trained head); opacities in [0.3, 1].
    """
    g = torch.Generator().manual_seed(seed)
    d = torch.nn.functional.normalize(torch.randn(n, 3, generator=g), dim=-1)
    means = d * torch.tensor([0.08, 0.10, 0.09]) * (1 + 0.02 * torch.randn(n, 1, generator=g))
    spacing = math.sqrt(4 * math.pi * 0.09**2 / n)
    scene = dict(
        means=means,
        quats=torch.randn(n, 4, generator=g),
        scales=spacing * (0.4 + 0.6 * torch.rand(n, 3, generator=g)),
        opacities=0.3 + 0.7 * torch.rand(n, generator=g),
        colors=_colors(n, sh_degree, g),
    )
    scene["viewmats"], scene["Ks"] = _cameras(n_cams, size, 0.5, 1.2 * size, 0.4)
    return {k: v.to(device) for k, v in scene.items()}


def random_scene(
    n: int, size: int, n_cams: int = 1, sh_degree: int | None = None, seed: int = 0, device: str | torch.device = "cpu"
) -> dict[str, Tensor]:
    """``n`` Gaussians uniformly in a 2 m cube 4 m in front of the camera, log-uniform sizes over a decade,
    anisotropic, opacities in [0.05, 1]: overlapping translucent blobs of every size, the hard case for parity."""
    g = torch.Generator().manual_seed(seed)
    scene = dict(
        means=(torch.rand(n, 3, generator=g) - 0.5) * 2.0,
        quats=torch.randn(n, 4, generator=g),
        scales=0.2 * (20.0 / n) ** (1 / 3) * torch.exp(torch.rand(n, 3, generator=g) * math.log(10.0) - 1.0),
        opacities=0.05 + 0.95 * torch.rand(n, generator=g),
        colors=_colors(n, sh_degree, g),
    )
    scene["viewmats"], scene["Ks"] = _cameras(n_cams, size, 4.0, 2.2 * size, 0.3)
    return {k: v.to(device) for k, v in scene.items()}
