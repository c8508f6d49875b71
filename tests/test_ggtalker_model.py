"""Generator, adaptation, inpainter and an end-to-end generate() of GGTalker, tiny and on CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ggtalker.bench.method import DriveRequest
from ggtalker.core.clip import Cameras, Clip
from ggtalker.gaussians.adapt import AdaptConfig, IdentityState, adaptation_loss, adapt_identity
from ggtalker.gaussians.data import FrameSet, frameset
from ggtalker.gaussians.generator import lift_to_uv
from ggtalker.gaussians.head import N_GEOM
from ggtalker.gaussians.inpainter import BodyInpainter, cut_region
from ggtalker.gaussians.prior import E2VConfig, E2VPrior
from ggtalker.gaussians.render import render_head
from ggtalker.core.params import PARAM_DIMS

torch.set_num_threads(2)
SIZE = 32


def _cameras(n: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Cameras 0.55 m in front of the head (OpenCV: x right, y down, z into the scene)."""
    K = np.tile(np.array([[size * 1.6, 0, size / 2], [0, size * 1.6, size / 2], [0, 0, 1]], np.float32), (n, 1, 1))
    # Camera at +z looking at the origin: OpenCV x = world -x, y = world -y (down), z = world -z.
    w2c = np.tile(np.diag([-1.0, -1.0, -1.0, 1.0]).astype(np.float32), (n, 1, 1))
    w2c[:, 2, 3] = 0.55
    return K, w2c


@pytest.fixture(scope="module")
def prior() -> E2VPrior:
    torch.manual_seed(0)
    return E2VPrior(E2VConfig(uv_res=16, n_feat=4, gen_width=8, mlp_hidden=16))


def _params(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = {k: np.zeros((n, d), np.float32) for k, d in PARAM_DIMS.items()}
    p["jaw"][:] = rng.uniform(0, 0.6, (n, 1))
    p["expr"][:] = rng.uniform(0, 0.5, (n, 10))
    return p


def _clip(prior: E2VPrior, n: int = 4, seed: int = 0) -> Clip:
    """A clip rendered from a random UV map on a flat background, with head masks from the alpha."""
    g = torch.Generator().manual_seed(seed)
    uv = torch.randn(prior.generator.out_channels, 16, 16, generator=g) * 0.3
    K, w2c = _cameras(n)
    p = _params(n, seed)
    with torch.no_grad():
        r = render_head(prior.head, uv, {k: torch.from_numpy(v) for k, v in p.items()}, torch.from_numpy(K),
                        torch.from_numpy(w2c), SIZE, SIZE)
    bg = torch.tensor([0.2, 0.5, 0.3])
    img = r.rgb + (1 - r.alpha) * bg
    frames = (img * 255).round().byte().numpy()
    masks = (r.alpha[..., 0] > 0.5).byte().numpy()
    audio = np.zeros(int(n / 25 * 16000), np.float32)
    return Clip(fps=25.0, cameras=Cameras(K, w2c), width=SIZE, height=SIZE, frames=frames, audio=audio, params=p,
                masks=masks, id=f"tiny{seed}").validate()


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
    cfg = AdaptConfig()
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


class _StubA2E:
    """Stands in for the audio prior: opens the jaw with the audio's loudness (a test double)."""

    def predict(self, audio16k, fps=25.0, n_frames=None, pose=None, style=None, seed=0, **kw):
        n = n_frames
        p = {k: np.zeros((n, d), np.float32) for k, d in PARAM_DIMS.items()}
        env = np.abs(audio16k[: n * 640].reshape(n, -1)).mean(1) if len(audio16k) >= n * 640 else np.zeros(n)
        p["jaw"][:, 0] = np.clip(env * 5, 0, 1)
        if pose is not None:
            p["pose"] = pose
        return p


def test_end_to_end_generate_on_cpu(prior: E2VPrior, tmp_path) -> None:
    from ggtalker.methods.ggtalker import GGTalker

    m = GGTalker(prior=False, adapt={"steps_uv": 2, "steps_joint": 1, "steps_inpaint": 1, "max_side": SIZE},
                 adapt_a2e=None, e2v_config={"uv_res": 16, "n_feat": 4, "gen_width": 8, "mlp_hidden": 16},
                 progress=False)
    m.a2e_model = _StubA2E()
    clip = _clip(prior, 4, seed=2)
    prep = m.prepare("tiny", [clip])
    state: IdentityState = prep["state"]
    assert state.report["loss_uv"] and state.inpainter is not None
    state.save(tmp_path / "id.pt")
    assert IdentityState.load(tmp_path / "id.pt").uvmap.shape == state.uvmap.shape
    n = 3
    K, w2c = _cameras(n)
    t = np.arange(int(n / 25 * 16000)) / 16000
    req = DriveRequest(case_id="c", audio=(0.2 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), fps=25.0,
                       cameras=Cameras(K, w2c), width=SIZE, height=SIZE,
                       controls={"pose": np.zeros((n, 6), np.float32)})
    gen = m.generate(prep, req)
    assert gen.frames.shape == (n, SIZE, SIZE, 3) and gen.frames.dtype == np.uint8
    assert gen.depth.shape == (n, SIZE, SIZE)
    d = gen.depth[np.isfinite(gen.depth)]
    assert d.size > 0 and np.all((d > 0.4) & (d < 0.7))  # the head's surface, 0.55 m away ± its size
    assert gen.params["jaw"].shape == (n, 1)


def test_a2e_adaptation_keeps_the_best_held_out_state() -> None:
    from ggtalker.a2e.diffusion import Diffusion
    from ggtalker.a2e.model import A2EConfig, A2ENet
    from ggtalker.a2e.prior import A2EPrior
    from ggtalker.a2e.adapt import finetune_a2e

    torch.manual_seed(0)
    cfg = A2EConfig(audio_dim=800, d_model=32, n_heads=2, n_layers=1, audio_layers=1, window=20, prev=4)
    prior = A2EPrior(A2ENet(cfg), Diffusion(50), {"kind": "logmel"}, np.zeros(19), np.ones(19), [], mode="regress")
    audio_before = {k: v.clone() for k, v in prior.net.audio_in.state_dict().items()}
    n = 40
    rng = np.random.default_rng(0)
    params = {k: rng.uniform(0, 1, (n, d)).astype(np.float32) for k, d in PARAM_DIMS.items()}
    audio = rng.normal(0, 0.1, int(n / 25 * 16000)).astype(np.float32)
    rep = finetune_a2e(prior, audio, params, 25.0, steps=6, eval_every=2, progress=False)
    assert rep["style"].shape == (64,)
    assert rep["best_val"] <= rep["val0"]
    changed = any(not torch.equal(v, prior.net.audio_in.state_dict()[k]) for k, v in audio_before.items())
    assert changed == (rep["best_val"] < rep["val0"])  # weights move only if held-out loss improved
    out = prior.predict(audio, 25.0, n, style=rep["style"])
    assert out["jaw"].shape == (n, 1)
