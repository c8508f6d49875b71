"""Pixel metrics against scikit-image on fixed inputs."""

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ggtalker.bench.method import Generation
from ggtalker.core.clip import MASK_HEAD, Cameras, Clip
from ggtalker.metrics.image import MSSSIM, PSNR, SSIM, head_box


def _pair(n=3, size=64, seed=0):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    noise = rng.normal(0, 12, gt.shape)
    pred = np.clip(gt + noise, 0, 255).astype(np.uint8)
    masks = np.zeros((n, size, size), np.uint8)
    masks[:, 10:40, 20:50] = MASK_HEAD
    cams = Cameras(np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)), np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)))
    clip = Clip(fps=25.0, cameras=cams, width=size, height=size, frames=gt, masks=masks)
    return Generation(frames=pred), clip


def test_psnr_matches_skimage():
    pred, gt = _pair()
    m = PSNR()
    m.update(pred, gt)
    ref = [peak_signal_noise_ratio(g, p, data_range=255) for g, p in zip(gt.frames, pred.frames)]
    np.testing.assert_allclose(m.per_frame()["psnr"], ref, rtol=1e-5)


def test_psnr_face_is_masked_mse():
    pred, gt = _pair()
    m = PSNR(region="face")
    m.update(pred, gt)
    sl = (slice(None), slice(10, 40), slice(20, 50))
    ref = [peak_signal_noise_ratio(g, p, data_range=255) for g, p in zip(gt.frames[sl], pred.frames[sl])]
    np.testing.assert_allclose(m.per_frame()["psnr"], ref, rtol=1e-4)


def test_ssim_matches_skimage_gaussian():
    pred, gt = _pair()
    m = SSIM()
    m.update(pred, gt)
    # torchmetrics' SSIM = Wang et al.'s Gaussian-window SSIM; skimage's matching options below. Borders
    # differ (torchmetrics crops the valid region), so agreement is close, not exact.
    ref = [structural_similarity(g / 255.0, p / 255.0, channel_axis=2, data_range=1.0, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False) for g, p in zip(gt.frames, pred.frames)]
    np.testing.assert_allclose(m.per_frame()["ssim"], ref, atol=0.01)


def test_ms_ssim_small_frames_unavailable_and_large_in_range():
    pred, gt = _pair(size=64)
    assert "lacks" in MSSSIM().missing(pred, gt)
    pred, gt = _pair(n=2, size=176)
    m = MSSSIM()
    assert m.missing(pred, gt) is None
    m.update(pred, gt)
    v = m.per_frame()["ms_ssim"]
    assert v.shape == (2,) and np.all((v > 0.3) & (v < 1.0))
    m.reset()
    m.update(Generation(frames=gt.frames), gt)
    np.testing.assert_allclose(m.per_frame()["ms_ssim"], 1.0, atol=1e-5)


@pytest.mark.parametrize("min_size", [0, 40, 100])
def test_head_box_grows_to_min_size(min_size):
    masks = np.zeros((2, 64, 64), np.uint8)
    masks[0, 10:20, 30:35] = MASK_HEAD
    masks[1, 12:25, 28:33] = MASK_HEAD
    y0, y1, x0, x1 = head_box(masks, min_size)
    assert y0 <= 10 and y1 >= 25 and x0 <= 28 and x1 >= 35
    assert y1 - y0 >= min(min_size, 64) and x1 - x0 >= min(min_size, 64)
    assert 0 <= y0 < y1 <= 64 and 0 <= x0 < x1 <= 64
