"""The adaptation's anchor to the prior's map (``HeadAdaptConfig.w_prior``), tiny and on CPU."""

from __future__ import annotations

import torch

from ggtalker.gaussians.adapt import HeadAdaptConfig, adapt_identity
from ggtalker.gaussians.data import FrameSet
from ggtalker.gaussians.render import render_head
from tiny_head import cameras, tiny_params, tiny_prior

torch.set_num_threads(2)


def _frames(n: int = 6, size: int = 32) -> FrameSet:
    """Frontal frames of another head than the prior's, so adaptation has something to learn."""
    other = tiny_prior(seed=3)
    uv = torch.randn(other.generator.out_channels, 16, 16, generator=torch.Generator().manual_seed(3)) * 0.3
    K, w2c = (torch.from_numpy(a) for a in cameras(n, size))
    p = {k: torch.from_numpy(v) for k, v in tiny_params(n, 0).items()}
    with torch.no_grad():
        r = render_head(other.head, uv, p, K, w2c, size, size, other.color_mlp)
    return FrameSet(r.rgb, (r.alpha[..., 0] > 0.5).float(), p, K, w2c, torch.zeros(n, dtype=torch.long))


def test_the_anchor_holds_the_map_near_the_prior_and_it_still_adapts() -> None:
    prior, fs = tiny_prior(0), _frames()
    kw = dict(steps_joint=0, steps_inpaint=0, batch=2, max_side=32, lr_uv=5e-2)
    start = adapt_identity(prior, fs, HeadAdaptConfig(steps_uv=0, **kw), progress=False).uvmap
    free = adapt_identity(prior, fs, HeadAdaptConfig(steps_uv=40, **kw), progress=False).uvmap
    held = adapt_identity(prior, fs, HeadAdaptConfig(steps_uv=40, w_prior=10.0, **kw), progress=False).uvmap

    def moved(uv: torch.Tensor) -> float:
        return float((uv - start).pow(2).mean())

    assert 0 < moved(held) < 0.5 * moved(free), (moved(held), moved(free))
