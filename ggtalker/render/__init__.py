"""Gaussian splatting: gsplat-compatible ``rasterization`` with a CUDA (gsplat) and a pure-PyTorch backend."""

from ggtalker.render.gaussians import rasterization

__all__ = ["rasterization"]
