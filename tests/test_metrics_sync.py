"""LSE plumbing/equivalence: our SyncNet path vs syncnet-python's own ``SyncNetInstance.evaluate``.

The weights file is written by the test with RANDOM weights in the official format (a state dict of
``SyncNetModel.S``): this checks that both code paths compute the same thing; it is never a reported value.
"""

import numpy as np
import pytest
import torch

pytest.importorskip("syncnet_python")

from ggtalker.bench.method import Generation  # noqa: E402
from ggtalker.core.clip import Cameras, Clip  # noqa: E402
from ggtalker.metrics.sync import LSE, face_boxes, face_crops, load_syncnet, mfcc, official_scores, offset_distances  # noqa: E402


def _clip(n=12, size=96, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    ang = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    lms = np.stack([48 + 20 * np.cos(ang), 50 + 24 * np.sin(ang)], 1)[None].repeat(n, 0).astype(np.float32)
    lms += rng.normal(0, 0.5, lms.shape).astype(np.float32)
    audio = (0.3 * rng.standard_normal(int(n / 25 * 16000))).clip(-0.9, 0.9).astype(np.float32)
    cams = Cameras(np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)), np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)))
    return Clip(fps=25.0, cameras=cams, width=size, height=size, frames=frames, audio=audio, landmarks=lms)


def test_offset_distances_match_official_calc_pdist():
    from syncnet_python.SyncNetInstance import calc_pdist

    torch.manual_seed(0)
    a, b = torch.randn(9, 16), torch.randn(9, 16)
    ref = torch.stack(calc_pdist(a, b, vshift=4), 0)
    torch.testing.assert_close(offset_distances(a, b, vshift=4), ref)


def test_lse_equals_syncnet_instance_evaluate(tmp_path, monkeypatch):
    import cv2
    from scipy.io import wavfile
    from syncnet_python.SyncNetInstance import SyncNetInstance
    from syncnet_python.SyncNetModel import S

    torch.manual_seed(0)
    weights = tmp_path / "syncnet_v2.model"
    torch.save(S(num_layers_in_fc_layers=1024).state_dict(), weights)  # the official file's format
    clip = _clip()

    # The official entry point reads 224x224 JPEG crops and a pcm_s16le wav from a folder.
    crops = face_crops(clip.frames, face_boxes(clip))
    work = tmp_path / "crop"
    work.mkdir()
    for i, c in enumerate(crops):
        cv2.imwrite(str(work / f"{i + 1:06d}.jpg"), c)
    pcm = np.round(clip.audio.astype(np.float64) * 32768).astype(np.int16)
    wavfile.write(work / "audio.wav", 16000, pcm)

    class Opt:
        tmp_dir, batch_size, vshift = str(work), 20, 15

    model = load_syncnet(str(weights))
    off, conf, dist = SyncNetInstance(net=model, device="cpu").evaluate(Opt())
    decoded = np.stack([cv2.imread(str(work / f"{i + 1:06d}.jpg")) for i in range(len(crops))])
    ours = official_scores(model, decoded, mfcc(clip.audio), len(clip.audio), vshift=15)
    assert ours.offset == off
    np.testing.assert_allclose([ours.conf, ours.min_dist], [conf, dist], rtol=1e-4, atol=1e-4)

    # The registered metric runs the same path end to end (from the frames, not the JPEGs).
    monkeypatch.setenv("GGTALKER_SYNCNET", str(weights))
    m = LSE()
    assert m.unavailable() is None
    m.update(Generation(frames=clip.frames), clip)
    vals = m.compute()
    assert set(vals) == {"c", "d"} and np.isfinite(list(vals.values())).all()


def test_lse_unavailable_without_weights(monkeypatch):
    monkeypatch.delenv("GGTALKER_SYNCNET", raising=False)
    reason = LSE().unavailable()
    assert "syncnet_v2.model" in reason and "GGTALKER_SYNCNET" in reason
