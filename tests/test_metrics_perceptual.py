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


def test_fid_runs_offline_from_a_weights_file(empty_torch_home, monkeypatch):
    """FID end to end from a file in torch-fidelity's format (random weights: plumbing only, never a value)."""
    import torch_fidelity.feature_extractor_inceptionv3 as fe
    from torchmetrics.image.fid import FrechetInceptionDistance

    # Build the extractor once without loading anything, to obtain a state dict in its exact format.
    monkeypatch.setattr(torch.nn.Module, "load_state_dict", lambda self, sd, *a, **k: None)
    monkeypatch.setattr(fe, "load_state_dict_from_url", lambda *a, **k: None)
    torch.manual_seed(0)
    sd = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"]).state_dict()
    monkeypatch.undo()
    monkeypatch.setenv("TORCH_HOME", str(empty_torch_home))
    path = empty_torch_home / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    path.parent.mkdir(parents=True)
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in sd.items()}, path)

    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    pred = np.clip(gt.astype(int) + 40, 0, 255).astype(np.uint8)
    m = FID(feature=64)  # the 64-d pool keeps the test fast; the registered metric uses 2048
    assert m.unavailable() is None
    m.update(Generation(frames=pred), _clip(gt))
    ours = m.compute()["fid"]
    ref = FrechetInceptionDistance(feature=64, feature_extractor_weights_path=str(path))
    to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()
    ref.update(to_t(pred), real=False)
    ref.update(to_t(gt), real=True)
    np.testing.assert_allclose(ours, float(ref.compute()), rtol=1e-4)
