"""Generator, adaptation, inpainter and the A2E adaptation of GGTalker, tiny and on CPU (the assembled model:
tests/test_talker.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ggtalker.core.params import PARAM_DIMS
from ggtalker.gaussians.adapt import HeadAdaptConfig, adaptation_loss
from ggtalker.gaussians.data import frameset
from ggtalker.gaussians.generator import lift_to_uv
from ggtalker.gaussians.head import N_GEOM
from ggtalker.gaussians.inpainter import BodyInpainter, cut_region
from ggtalker.gaussians.prior import E2VPrior
from ggtalker.gaussians.render import render_head
from tiny_head import SIZE, tiny_clip as _clip, tiny_prior

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def prior() -> E2VPrior:
    return tiny_prior()


def test_generator_output_shapes(prior: E2VPrior) -> None:
    clip = _clip(prior, 2)
    fs = frameset([clip])
    img = fs.images.permute(0, 3, 1, 2)
    rgb, vis = lift_to_uv(prior.head, img, fs.params, fs.K, fs.w2c)
    assert rgb.shape == (2, 3, 16, 16) and vis.shape == (2, 1, 16, 16)
    assert 0.2 < (vis > 0).float().mean() < 0.8  # the front is seen, the back is not
    uv = prior.generator(rgb, vis, img)
    assert uv.shape == (2, N_GEOM + 4, 16, 16)
    r = render_head(prior.head, uv[0], {k: v[:1] for k, v in fs.params.items()}, fs.K[:1], fs.w2c[:1], SIZE, SIZE,
                    prior.color_mlp)
    assert r.rgb.shape == (1, SIZE, SIZE, 3) and r.alpha.shape == (1, SIZE, SIZE, 1) and r.depth.shape == (1, SIZE, SIZE)
    # Untrained, the generator already paints what the camera saw onto the head.
    head = fs.head[0] > 0
    assert (r.rgb[0][head] - fs.images[0][head]).abs().mean() < 0.25


def test_one_adaptation_step_reduces_the_loss(prior: E2VPrior) -> None:
    fs = frameset([_clip(prior, 3, seed=1)])
    cfg = HeadAdaptConfig()
    uv = torch.nn.Parameter(torch.zeros(prior.generator.out_channels, 16, 16))
    opt = torch.optim.Adam([uv], lr=cfg.lr_uv)
    batch = fs.take([0, 1])
    before = adaptation_loss(prior.head, uv, None, batch, cfg)
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = adaptation_loss(prior.head, uv, None, batch, cfg)
    assert after < before


def test_the_refine_stage_moves_only_the_corrections(prior: E2VPrior) -> None:
    from ggtalker.gaussians.adapt import adapt_identity

    fs = frameset([_clip(prior, 4, seed=2)])
    base = dict(steps_uv=2, steps_joint=2, batch=2, max_side=SIZE)
    plain = adapt_identity(prior, fs, HeadAdaptConfig(**base), progress=False)
    refined = adapt_identity(prior, fs, HeadAdaptConfig(**base, steps_refine=3), progress=False)
    # The same head (the refine stage comes after the head's last step), other training-frame parameters.
    assert torch.equal(plain.uvmap, refined.uvmap)
    assert {k: torch.equal(v, refined.color_mlp[k]) for k, v in plain.color_mlp.items()} == {k: True for k in plain.color_mlp}
    moved = [k for k in plain.train_params if not np.array_equal(plain.train_params[k], refined.train_params[k])]
    assert "pose" in moved and len(refined.report["loss_refine"]) > 0 and "loss_refine" not in plain.report


def test_inpainter_keeps_pixels_outside_its_region() -> None:
    torch.manual_seed(0)
    inp = BodyInpainter(width=4)
    n, h, w = 2, 24, 20
    head_rgb, context = torch.rand(n, 3, h, w), torch.rand(n, 3, h, w)
    alpha = torch.zeros(n, 1, h, w)
    alpha[..., 8:14, 6:12] = 1
    ctx_head = torch.zeros(n, 1, h, w)
    ctx_head[..., 5:10, 5:10] = 1
    out = inp(head_rgb * alpha, alpha, context, ctx_head)
    region = cut_region(ctx_head, alpha, inp.radius(h))
    outside = region.expand_as(out) == 0
    assert outside.any()
    assert torch.equal(out[outside], context[outside])
    assert (out[~outside] != context[~outside]).any()


def test_inpainter_fill_exposed_keeps_the_context_behind_the_head_and_the_head_itself() -> None:
    """``fill="exposed"``: only the context's own head left uncovered is filled from the surroundings; the
    torso under the cut region stays the context frame, and an opaque rendered head is returned as rendered.
    ``region`` (the first prior's, and any checkpoint from before the option) fills the whole cut."""
    torch.manual_seed(0)
    n, h, w = 1, 40, 40
    head_rgb, context = torch.rand(n, 3, h, w), torch.rand(n, 3, h, w)
    alpha = torch.zeros(n, 1, h, w)
    alpha[..., 10:22, 12:28] = 1
    ctx_head = torch.zeros(n, 1, h, w)
    ctx_head[..., 8:20, 10:26] = 1          # the reference head sits a little higher: its top is left exposed
    out = {}
    for fill in ("region", "exposed"):
        inp = BodyInpainter(width=4, dilation=0.1, fill=fill)
        with torch.no_grad():
            inp.out.weight.zero_()
            inp.out.bias.fill_(0.05)        # a constant residual, so gating shows
        out[fill] = inp(head_rgb * alpha, alpha, context, ctx_head)
    torso = (slice(None), slice(None), 25, 20)  # below the head: in the cut region, not the reference head
    assert torch.allclose(out["exposed"][torso], (context[torso] + 0.05).clamp(0, 1))
    assert not torch.allclose(out["region"][torso], (context[torso] + 0.05).clamp(0, 1))
    opaque = (slice(None), slice(None), 15, 20)
    assert torch.allclose(out["exposed"][opaque], head_rgb[opaque])
    assert torch.allclose(out["region"][opaque], (head_rgb[opaque] + 0.05).clamp(0, 1))

    zoo = BodyInpainter.from_zoo()
    assert zoo.fill == "region"
    again = BodyInpainter.from_state(BodyInpainter(width=16, fill="exposed").state())
    assert again.fill == "exposed"
    with pytest.raises(ValueError, match="fill"):
        BodyInpainter(fill="all")


def test_the_talker_sets_the_inpainters_fill() -> None:
    from ggtalker.talker import Talker

    t = Talker(None, "inpainter_synthtalk", None, inpainter_fill="exposed")
    assert t._fresh_inpainter(0).fill == "exposed" and t.describe()["inpainter_fill"] == "exposed"
    assert Talker(None, None, None)._fresh_inpainter(0).fill == "region"
    assert "inpainter_fill" not in Talker(None, None, None).describe()
    with pytest.raises(ValueError, match="inpainter_fill"):
        Talker(None, None, None, inpainter_fill="head")


def test_a2e_adaptation_keeps_the_best_held_out_state() -> None:
    from ggtalker.a2e.diffusion import Diffusion
    from ggtalker.a2e.model import A2EConfig, A2ENet
    from ggtalker.a2e.prior import A2EPrior
    from ggtalker.a2e.adapt import A2EAdaptConfig, finetune_a2e

    torch.manual_seed(0)
    cfg = A2EConfig(audio_dim=800, d_model=32, n_heads=2, n_layers=1, audio_layers=1, window=20, prev=4)
    prior = A2EPrior(A2ENet(cfg), Diffusion(50), {"kind": "logmel"}, np.zeros(19), np.ones(19), [], mode="regress")
    audio_before = {k: v.clone() for k, v in prior.net.audio_in.state_dict().items()}
    n = 40
    rng = np.random.default_rng(0)
    params = {k: rng.uniform(0, 1, (n, d)).astype(np.float32) for k, d in PARAM_DIMS.items()}
    audio = rng.normal(0, 0.1, int(n / 25 * 16000)).astype(np.float32)
    rep = finetune_a2e(prior, audio, params, 25.0, A2EAdaptConfig(steps=6, eval_every=2), progress=False)
    assert rep["style"].shape == (64,)
    assert rep["best_val"] <= rep["val0"]
    changed = any(not torch.equal(v, prior.net.audio_in.state_dict()[k]) for k, v in audio_before.items())
    assert changed == (rep["best_val"] < rep["val0"])  # weights move only if held-out loss improved
    out = prior.predict(audio, 25.0, n, style=rep["style"])
    assert out["jaw"].shape == (n, 1)
