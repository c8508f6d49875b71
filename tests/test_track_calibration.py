"""A detector's own lip displacements (``expr_<detector>`` in the landmark-head asset) are used by the fit, and they
matter: where a lip component moves the detector's points partly the way the jaw does, a head with SynthTalk's lip
basis lets that component take the jaw's opening; the calibrated head does not. And the default detector,
``mediapipe_refined``, is the attention mesh with the plain mesh's eyes."""

import numpy as np
import torch

import track_helpers  # noqa: F401  (loads torch._dynamo first, as the tracker does)

from ggtalker.core.cameras import intrinsics
from ggtalker.track.fit import FitConfig, fit_landmarks, frontal_w2c
from ggtalker.track.heads import LANDMARK_HEAD_ASSET, SynthTalkLandmarkHead

FAST = FitConfig(steps_rigid=100, steps=200)


def _asset_with_detector(path) -> np.ndarray:
    """The shipped asset plus a made-up detector ``fake`` whose lip_round also closes the mouth (half the jaw's
    displacement per unit); returns its ``expr_fake`` (10, 68, 3)."""
    with np.load(LANDMARK_HEAD_ASSET) as z:
        d = {k: z[k] for k in z.files}
    expr = d["basis"][:10].copy()
    expr[0] -= 0.5 * d["basis"][10]
    d.update(points_fake=d["points"], jaw_fake=d["basis"][10], jaw_quad_fake=d["jaw_quad"], expr_fake=expr)
    np.savez(path, **d)
    return expr


def test_calibrated_lip_components_are_loaded_and_keep_the_jaw(tmp_path):
    path = tmp_path / "head.npz"
    expr = _asset_with_detector(path)
    calibrated = SynthTalkLandmarkHead.load("fake", path, calibrated_expr=True)
    plain = SynthTalkLandmarkHead.load("fake", path)
    assert np.allclose(calibrated.basis[:10].numpy(), expr) and not np.allclose(plain.basis[0].numpy(), expr[0])

    # Frontal landmarks of the calibrated head: jaw and lip rounding moving independently.
    n, size = 40, 128
    t = np.arange(n) / 25.0
    frame = {"expr": np.zeros((n, 10), np.float32), "blink": np.zeros((n, 2), np.float32),
             "jaw": np.clip(0.3 + 0.3 * np.sin(t * 7), 0, 1)[:, None].astype(np.float32)}
    frame["expr"][:, 0] = np.clip(0.3 + 0.3 * np.sin(t * 4 + 1), 0, 1)

    canon = calibrated.canonical({k: torch.from_numpy(v) for k, v in frame.items()}, {}).numpy()
    w2c, K = frontal_w2c(), intrinsics(size)
    Xc = canon @ w2c[:3, :3].T + w2c[:3, 3]
    uv = (Xc @ K.T)[..., :2] / Xc[..., 2:]
    jaw = frame["jaw"][:, 0]
    mae, corr = {}, {}
    for name, head in (("calibrated", calibrated), ("plain", plain)):
        r = fit_landmarks(uv, size, size, head, FAST)
        mae[name] = np.abs(r.params["jaw"][:, 0] - jaw).mean()
        corr[name] = np.corrcoef(r.params["jaw"][:, 0], jaw)[0, 1]
    # Measured: jaw MAE 0.043 / correlation 0.986 calibrated; 0.132 / 0.827 with SynthTalk's lip basis.
    assert mae["calibrated"] < 0.07 and corr["calibrated"] > 0.97, (mae, corr)
    assert mae["plain"] > 2 * mae["calibrated"] and corr["plain"] < 0.9, (mae, corr)



def test_refined_mediapipe_takes_the_plain_mesh_eyes_and_its_own_lips():
    from track_helpers import moving_performance

    from ggtalker.synth.cameras import static_cameras
    from ggtalker.synth.world import render_clip
    from ggtalker.track.landmarks import MediaPipe68, MediaPipe68Refined

    frame = render_clip(7, moving_performance(1), static_cameras(1, 256, 20.0), 256).frames[0]
    refined, plain = MediaPipe68Refined().detect(frame), MediaPipe68().detect(frame)
    assert np.isfinite(refined).all() and np.isfinite(plain).all()
    eyes, lips = list(MediaPipe68Refined.PLAIN), list(range(48, 68))
    assert np.array_equal(refined[eyes], plain[eyes])
    assert np.abs(refined[lips] - plain[lips]).max() > 0.5  # the attention model's own lip points
    assert np.linalg.norm(refined - plain, axis=1).mean() < 10  # the same face
