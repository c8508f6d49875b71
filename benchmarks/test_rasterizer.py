"""The pure-PyTorch rasterizer on CPU (scripts/bench_rasterizer.py's render), tiny head scene."""

from __future__ import annotations

import pytest
import torch

N, SIZE = 2000, 64


@pytest.mark.parametrize("backward", [False, True], ids=["fwd", "fwd+bwd"])
def test_rasterize_head_scene(benchmark, rasterizer_script, backward: bool) -> None:
    params = rasterizer_script.scene_params(N, SIZE, backward)
    img, alpha, meta = benchmark(rasterizer_script.render, params, SIZE, backward)
    assert img.shape == (1, SIZE, SIZE, 3) and alpha.shape == (1, SIZE, SIZE, 1)
    assert torch.isfinite(img).all() and 0.1 < float(alpha.detach().mean()) < 1.0  # the head covers part of the frame
    if backward:
        assert torch.isfinite(params["means"].grad).all() and params["means"].grad.abs().sum() > 0
