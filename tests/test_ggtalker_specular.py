"""Per-Gaussian specular lobes (``ColorMLP(specular=True)``, ``HeadAdaptConfig.specular``): a catchlight that
moves with the head's pose, tiny and on CPU."""

from __future__ import annotations

import pytest
import torch

from ggtalker.gaussians.adapt import HeadAdaptConfig, adapt_identity, build_runtime
from ggtalker.gaussians.color_mlp import SPEC_CHANNELS, SPEC_INIT, ColorMLP, with_specular_channels
from ggtalker.gaussians.data import FrameSet
from ggtalker.gaussians.prior import E2VConfig, E2VPrior
from ggtalker.gaussians.render import render_head
from tiny_head import TINY_E2V, cameras, tiny_params

torch.set_num_threads(2)


def _params(n: int, yaw: torch.Tensor) -> dict[str, torch.Tensor]:
    p = {k: torch.zeros(n, d) for k, d in {"expr": 10, "jaw": 1, "blink": 2, "pose": 6}.items()}
    p["pose"][:, 1] = yaw
    return p


def test_a_fresh_lobe_barely_changes_the_colour_and_a_strong_one_peaks_on_its_axis() -> None:
    torch.manual_seed(0)
    mlp = ColorMLP(n_feat=4, hidden=8, specular=True)
    g, n = 3, 1
    base = torch.full((g, 3), 0.3)
    feat = torch.cat([torch.randn(g, 4), torch.tensor(SPEC_INIT).expand(g, SPEC_CHANNELS)], 1)
    means = torch.zeros(n, g, 3)
    cam = torch.tensor([[0.0, 0.0, 1.0]])                      # straight in front: the head-frame view is +z
    rgb, _ = mlp(feat, base, _params(n, torch.zeros(n)), means, cam)
    assert float((rgb - base).detach().abs().max()) < 0.01
    feat[:, -SPEC_CHANNELS] = 8.0                               # amplitude ~1
    feat[1, -4:-1] = torch.tensor([1.0, 0.0, 0.0])              # Gaussian 1's lobe points sideways
    rgb, _ = mlp(feat, base, _params(n, torch.zeros(n)), means, cam)
    rgb = rgb.detach()
    assert float(rgb[0, 0].min()) > 0.99 and float((rgb[0, 1] - base[1]).abs().max()) < 1e-3
    # Turning the head turns the view in its frame: the frontal lobe dims.
    rgb_turned, _ = mlp(feat, base, _params(n, torch.full((n,), 0.4)), means, cam)
    assert float(rgb_turned[0, 0, 0]) < float(rgb[0, 0, 0]) - 0.3


def _scene(n: int = 16, size: int = 32):
    """A known head whose Gaussians carry bright, sharp lobes, seen as it turns (yaw -0.3..0.3 rad)."""
    torch.manual_seed(0)
    truth = E2VPrior(E2VConfig(**TINY_E2V, specular=True))
    g = torch.Generator().manual_seed(0)
    uv = with_specular_channels(torch.randn(truth.generator.out_channels, 16, 16, generator=g) * 0.3)
    uv[-SPEC_CHANNELS] = 3.0                                     # amplitude 0.95
    uv[-1] = 4.0                                                 # sharpness e^4 = 55
    K, w2c = (torch.from_numpy(a) for a in cameras(n, size))
    p = {k: torch.from_numpy(v) for k, v in tiny_params(n, 0).items()}
    p["pose"][:, 1] = torch.linspace(-0.3, 0.3, n)
    with torch.no_grad():
        r = render_head(truth.head, uv, p, K, w2c, size, size, truth.color_mlp)
    return truth.head, uv, p, K, w2c, r


def test_lobes_fit_a_moving_highlight_the_shared_mlp_cannot() -> None:
    """The head's geometry and base colours known, its highlight not: the colour MLP alone cannot place a
    highlight that moves over the head as it turns, per-Gaussian lobes can."""
    head, uv_true, p, K, w2c, r = _scene()
    losses = {}
    for spec in (False, True):
        torch.manual_seed(1)
        uv = uv_true[:-SPEC_CHANNELS].clone()
        uv = torch.nn.Parameter(with_specular_channels(uv) if spec else uv)
        mlp = ColorMLP(TINY_E2V["n_feat"], TINY_E2V["mlp_hidden"], specular=spec)
        opt = torch.optim.Adam([{"params": [uv], "lr": 5e-2}, {"params": mlp.parameters(), "lr": 3e-3}])
        for _ in range(150):
            out = render_head(head, uv, p, K, w2c, 32, 32, mlp)
            loss = (out.rgb - r.rgb).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses[spec] = float(loss.detach())
    # Measured: L1 0.0058 with lobes against 0.0162 with the MLP alone.
    assert losses[True] < 0.5 * losses[False], losses


def test_adaptation_appends_lobes_and_the_adapted_head_renders_the_same_when_rebuilt() -> None:
    head, uv_true, p, K, w2c, r = _scene(n=4)
    prior = E2VPrior(E2VConfig(**TINY_E2V))
    fs = FrameSet(r.rgb, (r.alpha[..., 0] > 0.5).float(), p, K, w2c, torch.zeros(4, dtype=torch.long))
    cfg = HeadAdaptConfig(steps_uv=3, steps_joint=1, steps_inpaint=0, batch=2, max_side=32, specular=True)
    ad = adapt_identity(prior, fs, cfg, progress=False)
    assert ad.e2v_config["specular"] and ad.uvmap.shape[0] == prior.generator.out_channels + SPEC_CHANNELS
    shell, mlp, _ = build_runtime(ad)
    assert mlp.specular
    direct = ColorMLP(TINY_E2V["n_feat"], TINY_E2V["mlp_hidden"], specular=True)
    direct.load_state_dict(ad.color_mlp)
    with torch.no_grad():
        torch.testing.assert_close(render_head(shell.head, ad.uvmap, p, K, w2c, 32, 32, mlp).rgb,
                                   render_head(prior.head, ad.uvmap, p, K, w2c, 32, 32, direct).rgb)
    plain = adapt_identity(prior, fs, HeadAdaptConfig(steps_uv=1, steps_joint=0, max_side=32), progress=False)
    assert not plain.e2v_config["specular"] and plain.uvmap.shape[0] == prior.generator.out_channels


def test_lobes_need_the_colour_mlp() -> None:
    prior = E2VPrior(E2VConfig(**TINY_E2V))
    n, size = 2, 32
    K, w2c = (torch.from_numpy(a) for a in cameras(n, size))
    p = {k: torch.from_numpy(v) for k, v in tiny_params(n, 0).items()}
    fs = FrameSet(torch.zeros(n, size, size, 3), torch.zeros(n, size, size), p, K, w2c, torch.zeros(n, dtype=torch.long))
    with pytest.raises(ValueError, match="colour MLP"):
        adapt_identity(prior, fs, HeadAdaptConfig(specular=True, steps_uv=1, steps_joint=0), use_color=False,
                       progress=False)
