"""The generator's parts for the unseen head: circular padding along the UV map's longitude and a spatial image code
(E2VConfig.gen_wrap / gen_scene_code), and extending a trained prior by them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ggtalker.gaussians.generator import IdentityGaussianGenerator, WrapConv2d
from ggtalker.gaussians.prior import E2VConfig, E2VPrior


def test_wrap_conv_is_a_conv_on_the_map_repeated_along_its_columns() -> None:
    torch.manual_seed(0)
    conv = WrapConv2d(2, 3)
    x = torch.randn(1, 2, 5, 8)
    tiled = F.conv2d(F.pad(torch.cat([x, x, x], -1), (0, 0, 1, 1)), conv.weight, conv.bias)  # (1, 3, 5, 22)
    assert torch.allclose(conv(x), tiled[..., 7:15], atol=1e-6)
    # a feature at the seam's one side reaches the other (a zero-padded convolution cannot)
    x = torch.zeros(1, 2, 5, 8)
    x[..., 0] = 1.0
    assert (conv(x) - conv(torch.zeros_like(x)))[..., -1].abs().sum() > 0


def _maps(gen: IdentityGaussianGenerator, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    r = gen.uv_res
    return gen(torch.rand(2, 3, r, r, generator=g), torch.rand(2, 1, r, r, generator=g), torch.rand(2, 3, 64, 64, generator=g))


def test_scene_code_starts_as_the_generator_without_it_and_learns() -> None:
    torch.manual_seed(0)
    plain = IdentityGaussianGenerator(16, 4, 8, levels=3)
    torch.nn.init.normal_(plain.head.weight, std=0.1)   # as trained: a fresh output layer is zero, passing no gradient
    coded = IdentityGaussianGenerator(16, 4, 8, levels=3, scene_code=8)
    missing, unexpected = coded.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("scene.") for k in missing)
    with torch.no_grad():
        assert torch.equal(_maps(plain), _maps(coded))
    _maps(coded).pow(2).mean().backward()
    assert coded.scene[-1].weight.grad.abs().sum() > 0   # the zero projection is trained from the first step


def test_a_trained_prior_extends_and_checks_what_it_may_extend(tmp_path) -> None:
    cfg = E2VConfig(uv_res=16, gen_width=8, template="head_template_v2", offset_unit=0.01, gen_levels=2)
    torch.manual_seed(0)
    path = E2VPrior(cfg).save(tmp_path / "p.pt")
    base = E2VPrior.load(path)
    ext = E2VPrior.load(path, extend={"gen_scene_code": 8, "gen_wrap": True})
    assert ext.cfg.gen_scene_code == 8 and ext.cfg.gen_wrap and not base.cfg.gen_wrap
    for k, v in base.state_dict().items():
        assert torch.equal(v, ext.state_dict()[k])
    # a prior saved with its extensions loads as is
    assert E2VPrior.load(ext.save(tmp_path / "e.pt")).cfg.gen_scene_code == 8
    with pytest.raises(ValueError, match="only"):
        E2VPrior.load(path, extend={"uv_res": 32})
