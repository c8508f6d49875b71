"""LPIPS / FID plumbing: offline weight resolution, and equivalence with calling lpips directly.

The trunk the test writes has random weights in torchvision's checkpoint format: this checks plumbing
(our loader reproduces lpips' own construction from the torch hub cache), not a reported value.
"""

import numpy as np
import pytest
import torch

from ggtalker.bench.method import Generation
from ggtalker.core.clip import Cameras, Clip
from ggtalker.metrics.perceptual import FID, LPIPS, LPIPS_TRUNKS


def _clip(frames):
    n = len(frames)
    cams = Cameras(np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)), np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)))
    return Clip(fps=25.0, cameras=cams, width=frames.shape[2], height=frames.shape[1], frames=frames)


@pytest.fixture
def empty_torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for spec in LPIPS_TRUNKS.values():
        monkeypatch.delenv(spec.env, raising=False)
    monkeypatch.delenv("GGTALKER_FID_INCEPTION", raising=False)
    return tmp_path / "torch"


def test_missing_weights_are_unavailable_with_instructions(empty_torch_home):
    for metric in (LPIPS(), LPIPS(net="vgg"), FID()):
        reason = metric.unavailable()
        assert reason and "not found" in reason and str(empty_torch_home) in reason
    assert "nope.pth" in LPIPS(weights="/nope.pth").unavailable()


def test_lpips_equals_lpips_package_on_cached_trunk(empty_torch_home):
    import lpips
    import torchvision

    torch.manual_seed(0)
    ckpt = empty_torch_home / "hub" / "checkpoints" / LPIPS_TRUNKS["alex"].filename
    ckpt.parent.mkdir(parents=True)
    # fp16 halves the file; load_state_dict copies into float32 parameters either way.
    torch.save({k: v.half() for k, v in torchvision.models.alexnet().state_dict().items()}, ckpt)

    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    pred = np.clip(gt + rng.normal(0, 20, gt.shape), 0, 255).astype(np.uint8)
    m = LPIPS()
    assert m.unavailable() is None and m.variant()["net"] == "alex"
    m.update(Generation(frames=pred), _clip(gt))
    ours = m.per_frame()["lpips"]

    ref_model = lpips.LPIPS(net="alex", verbose=False).eval()  # reads the same file from $TORCH_HOME
    to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        ref = ref_model(to_t(pred), to_t(gt), normalize=True).flatten().numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)
    assert np.all(ours > 0)
