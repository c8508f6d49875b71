"""Parameter metrics and the energy baseline on small, hand-checkable inputs."""

from __future__ import annotations

import numpy as np

from baselines.a2e_energy import EnergyBaseline, frame_energy
from ggtalker.synth.audio_prior import _camera
from ggtalker.bench.method import Generation
from ggtalker.core.clip import Clip
from ggtalker.metrics.params import ExpressionMSE, LipVertexError, MouthOpennessCorrelation


def _params(n: int, jaw: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"expr": rng.uniform(0, 0.3, (n, 10)).astype(np.float32), "jaw": jaw[:, None].astype(np.float32),
            "blink": np.zeros((n, 2), np.float32), "pose": rng.normal(0, 0.05, (n, 6)).astype(np.float32)}


def _clip(params: dict) -> Clip:
    n = len(params["jaw"])
    return Clip(fps=25.0, cameras=_camera(n), width=64, height=64, params=params, meta={"identity_seed": 3})


def _score(metric, pred: dict, gt: dict) -> float:
    metric.reset()
    metric.update(Generation(params=pred), _clip(gt))
    return next(iter(metric.compute().values()))


def test_lve_is_zero_for_the_truth_ignores_pose_and_grows_with_jaw_error():
    n = 6
    gt = _params(n, np.linspace(0, 0.8, n))
    moved = {**gt, "pose": gt["pose"] + 0.1}
    more_open = {**gt, "jaw": gt["jaw"] + 0.2}
    much_more = {**gt, "jaw": gt["jaw"] + 0.4}
    lve = LipVertexError()
    assert _score(lve, gt, gt) == 0.0 and _score(lve, moved, gt) == 0.0
    small, big = _score(lve, more_open, gt), _score(lve, much_more, gt)
    assert 0.5 < small < big  # millimetres: a fifth of the jaw range moves the lips by more than half a millimetre


def test_mouth_correlation_and_expression_mse():
    n = 50
    jaw = 0.5 + 0.4 * np.sin(np.linspace(0, 6, n))
    gt = _params(n, jaw)
    gt["expr"][:, 2] = 0.0  # no lip pressing: openness is the jaw
    scaled = {**gt, "jaw": (0.5 * jaw)[:, None].astype(np.float32)}
    flat = {**gt, "jaw": np.full((n, 1), 0.5, np.float32)}
    corr = MouthOpennessCorrelation()
    assert abs(_score(corr, scaled, gt) - 1.0) < 1e-5 and _score(corr, flat, gt) == 0.0
    off = {**gt, "expr": gt["expr"] + 0.1}
    np.testing.assert_allclose(_score(ExpressionMSE(), off, gt), 0.01, rtol=1e-4)


def test_energy_baseline_learns_loudness_to_jaw():
    rng = np.random.default_rng(0)
    audios, params = [], []
    for k in range(4):
        env = np.repeat(rng.uniform(0, 1, 50) > 0.5, 640).astype(np.float32)
        audios.append(0.3 * env * rng.normal(size=len(env)).astype(np.float32))
        p = np.zeros((50, 19), np.float32)
        p[:, 10] = 0.7 * env[::640]
        params.append(p)
    model = EnergyBaseline.fit(audios, params)
    pred = model.predict(audios[0], 25.0, 50)["jaw"][:, 0]
    assert np.corrcoef(pred, params[0][:, 10])[0, 1] > 0.9
    assert frame_energy(audios[0], 50).max() == 0.0
