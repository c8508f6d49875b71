"""The pure-PyTorch Gaussian rasterizer against the dense reference: images, gradients, API surface."""

from __future__ import annotations

import pytest
import torch

from ggtalker.render.gaussians import rasterization
from ggtalker.render.reference import render_dense

W, H = 32, 24
F64 = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny renders are op-overhead bound; a second thread only adds sync cost (10× on a busy box)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_scene(n: int, seed: int, opaque: bool = False, n_cams: int = 1, dtype=F64) -> dict:
    """Random Gaussians in front of ``n_cams`` cameras looking down +z from slightly different spots."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(n, 3, generator=g, dtype=dtype) * 0.3
    means[:, 2] += 3.0
    quats = torch.randn(n, 4, generator=g, dtype=dtype)
    scales = torch.rand(n, 3, generator=g, dtype=dtype) * 0.1 + 0.02
    lo = 0.9 if opaque else 0.05
    opac = torch.rand(n, generator=g, dtype=dtype) * (0.999 - lo) + lo
    cols = torch.rand(n, 3, generator=g, dtype=dtype)
    vm = torch.eye(4, dtype=dtype).repeat(n_cams, 1, 1)
    vm[:, 0, 3] = torch.linspace(-0.1, 0.1, n_cams, dtype=dtype)
    K = torch.tensor([[40.0, 0, W / 2 + 0.3], [0, 42.0, H / 2 - 0.2], [0, 0, 1]], dtype=dtype).repeat(n_cams, 1, 1)
    return dict(means=means, quats=quats, scales=scales, opacities=opac, colors=cols, viewmats=vm, Ks=K)


def _args(s: dict) -> tuple:
    return s["means"], s["quats"], s["scales"], s["opacities"], s["colors"], s["viewmats"], s["Ks"]


def _ref(s: dict, cam: int = 0, colors=None, **kw):
    return render_dense(
        s["means"], s["quats"], s["scales"], s["opacities"], s["colors"] if colors is None else colors,
        s["viewmats"][cam], s["Ks"][cam], W, H, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["classic", "antialiased"])
@pytest.mark.parametrize("n,opaque", [(40, False), (300, True)])
def test_images_match_dense_reference(n, opaque, mode):
    s = make_scene(n, seed=n, opaque=opaque)
    bg = torch.tensor([[0.2, 0.5, 0.7]], dtype=F64)
    img, alpha, meta = rasterization(*_args(s), W, H, backgrounds=bg, rasterize_mode=mode, backend="torch")
    ref, ref_a = _ref(s, background=bg[0], antialiased=mode == "antialiased")
    assert img.shape == (1, H, W, 3) and alpha.shape == (1, H, W, 1)
    torch.testing.assert_close(img[0], ref, atol=1e-10, rtol=0)
    torch.testing.assert_close(alpha[0], ref_a, atol=1e-10, rtol=0)
    if opaque:  # the scene must exercise gsplat's transmittance early stop
        assert (ref_a > 1 - 2e-4).any()
    assert meta["radii"].shape == (1, n, 2) and meta["backend"] == "torch"


@pytest.mark.parametrize("tile_size", [4, 16])
def test_tile_size_and_block_budget_do_not_change_the_image(tile_size):
    s = make_scene(200, seed=3, opaque=True)
    base, base_a, _ = rasterization(*_args(s), W, H, backend="torch")
    img, a, _ = rasterization(*_args(s), W, H, backend="torch", tile_size=tile_size, block_budget=2000)
    torch.testing.assert_close(img, base, atol=1e-12, rtol=0)
    torch.testing.assert_close(a, base_a, atol=1e-12, rtol=0)


def test_depth_modes():
    s = make_scene(120, seed=5)
    bg = torch.tensor([[0.3, 0.3, 0.3]], dtype=F64)
    rgb, _, meta = rasterization(*_args(s), W, H, backend="torch", backgrounds=bg)
    depth_cols = meta["depths"][0][:, None]
    ref_d, ref_a = _ref(s, colors=depth_cols)
    d, a, _ = rasterization(*_args(s), W, H, backend="torch", render_mode="D", backgrounds=bg)
    torch.testing.assert_close(d[0], ref_d, atol=1e-10, rtol=0)
    ed, _, _ = rasterization(*_args(s), W, H, backend="torch", render_mode="ED")
    torch.testing.assert_close(ed[0], ref_d / ref_a.clamp(min=1e-10), atol=1e-8, rtol=0)
    rgbd, _, _ = rasterization(*_args(s), W, H, backend="torch", render_mode="RGB+D", backgrounds=bg)
    assert rgbd.shape == (1, H, W, 4)
    torch.testing.assert_close(rgbd[..., :3], rgb)
    torch.testing.assert_close(rgbd[0, ..., 3:], ref_d, atol=1e-10, rtol=0)


def test_batch_dims_cameras_and_per_camera_colors_match_single_renders():
    scenes = [make_scene(60, seed=10 + i, n_cams=2) for i in range(3)]
    stacked = {k: torch.stack([s[k] for s in scenes]) for k in scenes[0]}
    per_cam = stacked["colors"][:, None].repeat(1, 2, 1, 1)
    per_cam[:, 1] = 1 - per_cam[:, 1]
    stacked_pc = dict(stacked, colors=per_cam)
    img, alpha, meta = rasterization(*_args(stacked_pc), W, H, backend="torch")
    assert img.shape == (3, 2, H, W, 3) and meta["radii"].shape == (3, 2, 60, 2)
    for b, s in enumerate(scenes):
        for c in range(2):
            cols = s["colors"] if c == 0 else 1 - s["colors"]
            ref, ref_a = _ref(s, cam=c, colors=cols)
            torch.testing.assert_close(img[b, c], ref, atol=1e-10, rtol=0)
            torch.testing.assert_close(alpha[b, c], ref_a, atol=1e-10, rtol=0)


def test_sh_degree_1_matches_hand_evaluated_basis():
    s = make_scene(80, seed=7)
    g = torch.Generator().manual_seed(1)
    sh = torch.randn(80, 4, 3, generator=g, dtype=F64) * 0.3
    img, _, _ = rasterization(*_args(dict(s, colors=sh)), W, H, sh_degree=1, backend="torch")
    campos = torch.linalg.inv(s["viewmats"][0])[:3, 3]
    d = torch.nn.functional.normalize(s["means"] - campos, dim=-1)
    x, y, z = d.unbind(-1)
    c1 = 0.4886025119029199
    basis = torch.stack([torch.full_like(x, 0.28209479177387814), -c1 * y, c1 * z, -c1 * x], -1)
    cols = ((basis[:, :, None] * sh).sum(1) + 0.5).clamp(min=0)
    ref, _ = _ref(s, colors=cols)
    torch.testing.assert_close(img[0], ref, atol=1e-10, rtol=0)
    # Degree 0 ignores the higher bands even when they are present.
    img0, _, _ = rasterization(*_args(dict(s, colors=sh)), W, H, sh_degree=0, backend="torch")
    ref0, _ = _ref(s, colors=(0.28209479177387814 * sh[:, 0] + 0.5).clamp(min=0))
    torch.testing.assert_close(img0[0], ref0, atol=1e-10, rtol=0)


PARAMS = ("means", "quats", "scales", "opacities", "colors", "viewmats")


def test_gradients_match_dense_reference():
    s = make_scene(60, seed=11, opaque=True)
    w = torch.randn(H, W, 3, generator=torch.Generator().manual_seed(2), dtype=F64)

    def grads(render) -> dict:
        leaves = {k: s[k].clone().requires_grad_(k in PARAMS) for k in s}
        img, alpha = render(leaves)
        ((img * w).sum() + alpha.sum()).backward()
        return {k: leaves[k].grad for k in PARAMS}

    ours = grads(lambda p: [t[0] for t in rasterization(*_args(p), W, H, backend="torch")[:2]])
    ref = grads(lambda p: _ref(p))
    for k in PARAMS:
        assert ours[k].abs().sum() > 0, k
        torch.testing.assert_close(ours[k], ref[k], atol=1e-9, rtol=1e-7, msg=k)


def test_gradcheck_float64_tiny_scene():
    s = make_scene(4, seed=4)
    s["scales"] = s["scales"] * 3  # a few pixels wide so every parameter moves the image
    names = ("means", "quats", "scales", "opacities", "colors")

    def f(*xs):
        p = dict(s, **dict(zip(names, xs)))
        img, alpha, _ = rasterization(*_args(p), 12, 10, backend="torch", tile_size=4)
        return img, alpha

    s["Ks"] = torch.tensor([[[15.0, 0, 6.1], [0, 15.0, 4.9], [0, 0, 1]]], dtype=F64)
    inputs = tuple(s[k].clone().requires_grad_(True) for k in names)
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_float32_close_to_float64():
    s64 = make_scene(300, seed=8, opaque=True)
    s32 = {k: v.float() for k, v in s64.items()}
    a, _, _ = rasterization(*_args(s64), W, H, backend="torch")
    b, _, _ = rasterization(*_args(s32), W, H, backend="torch")
    assert (a.float() - b).abs().max() < 1e-4


def test_culling_near_plane_and_offscreen():
    s = make_scene(30, seed=9)
    s["means"][:10, 2] = -1.0  # behind the camera
    s["means"][10:20, 0] = 50.0  # far off to the side
    _, _, meta = rasterization(*_args(s), W, H, backend="torch")
    radii = meta["radii"][0]
    assert (radii[:20] == 0).all() and (radii[20:] > 0).all(-1).any()


def test_bad_input_errors():
    s = make_scene(10, seed=1)
    with pytest.raises(ValueError, match="quats"):
        rasterization(*_args(dict(s, quats=s["quats"][:, :3])), W, H, backend="torch")
    with pytest.raises(ValueError, match="render_mode"):
        rasterization(*_args(s), W, H, render_mode="RGBD")
    with pytest.raises(ValueError, match="CUDA"):
        rasterization(*_args(s), W, H, backend="gsplat")
    with pytest.raises(ValueError, match="SH colors"):
        rasterization(*_args(s), W, H, sh_degree=1, backend="torch")


def test_empty_view_renders_background():
    s = make_scene(10, seed=2)
    s["means"][:, 2] = -5.0
    bg = torch.tensor([[0.1, 0.2, 0.3]], dtype=F64)
    img, alpha, _ = rasterization(*_args(s), W, H, backgrounds=bg, backend="torch")
    assert (alpha == 0).all()
    torch.testing.assert_close(img[0], bg[0].expand(H, W, 3))


def test_auto_backend_on_cpu_and_means2d_gradient_for_densification():
    s = make_scene(50, seed=12)
    s["means"].requires_grad_(True)
    img, _, meta = rasterization(*_args(s), W, H)  # backend="auto" on CPU tensors
    assert meta["backend"] == "torch"
    meta["means2d"].retain_grad()  # how gsplat's densification strategies read screen-space gradients
    img.sum().backward()
    assert meta["means2d"].grad.shape == (1, 50, 2)
    visible = (meta["radii"][0] > 0).all(-1)
    assert meta["means2d"].grad[0, visible].abs().sum() > 0
    assert (meta["means2d"].grad[0, ~visible] == 0).all()


def test_gradient_descent_fits_a_target_image():
    """End to end: Adam on raw parameters through the rasterizer fits another scene's render."""
    torch.manual_seed(0)
    target, _, _ = rasterization(*_args(make_scene(150, seed=20, dtype=torch.float32)), W, H, backend="torch")
    s = make_scene(150, seed=21, dtype=torch.float32)
    raw = {
        "means": s["means"].clone(),
        "quats": s["quats"].clone(),
        "log_scales": s["scales"].log(),
        "logit_opac": torch.logit(s["opacities"]),
        "logit_col": torch.logit(s["colors"].clamp(0.02, 0.98)),
    }
    for v in raw.values():
        v.requires_grad_(True)
    opt = torch.optim.Adam(raw.values(), lr=0.02)
    losses = []
    for _ in range(40):
        img, _, _ = rasterization(
            raw["means"], raw["quats"], raw["log_scales"].exp(), torch.sigmoid(raw["logit_opac"]),
            torch.sigmoid(raw["logit_col"]), s["viewmats"], s["Ks"], W, H, backend="torch",
        )  # fmt: skip
        loss = (img - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses[::8]


def test_gsplat_default_strategy_densifies_with_torch_backend_meta():
    from gsplat.strategy import DefaultStrategy

    s = make_scene(200, seed=30, dtype=torch.float32)
    params = torch.nn.ParameterDict({
        "means": s["means"], "quats": s["quats"], "scales": s["scales"].log(),
        "opacities": torch.logit(s["opacities"]), "colors": s["colors"],
    })  # fmt: skip
    opts = {k: torch.optim.Adam([p], lr=1e-3) for k, p in params.items()}
    strategy = DefaultStrategy(refine_start_iter=2, refine_every=3, reset_every=10_000, grow_grad2d=1e-7)
    strategy.check_sanity(params, opts)
    state = strategy.initialize_state()
    for step in range(4):
        img, _, info = rasterization(
            params["means"], params["quats"], params["scales"].exp(), torch.sigmoid(params["opacities"]),
            params["colors"], s["viewmats"], s["Ks"], W, H, packed=False,
        )  # fmt: skip
        strategy.step_pre_backward(params, opts, state, step, info)
        img.mean().backward()
        strategy.step_post_backward(params, opts, state, step, info, packed=False)
        for o in opts.values():
            o.step()
            o.zero_grad()
    assert params["means"].shape[0] > 200  # a 1e-7 gradient threshold makes every seen Gaussian grow


def test_gradcheck_float64_sh_and_viewmats():
    s = make_scene(3, seed=6)
    s["scales"] = s["scales"] * 3
    s["Ks"] = torch.tensor([[[15.0, 0, 6.1], [0, 15.0, 4.9], [0, 0, 1]]], dtype=F64)
    sh = torch.randn(3, 4, 3, generator=torch.Generator().manual_seed(3), dtype=F64) * 0.3

    def f(means, colors, viewmats):
        p = dict(s, means=means, colors=colors, viewmats=viewmats)
        return rasterization(*_args(p), 12, 10, sh_degree=1, backend="torch", tile_size=4)[0]

    inputs = (s["means"].clone(), sh, s["viewmats"].clone())
    assert torch.autograd.gradcheck(f, tuple(t.requires_grad_(True) for t in inputs), eps=1e-6, atol=1e-5, rtol=1e-4)
