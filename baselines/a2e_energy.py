"""``a2e_energy``: the phoneme-free baseline — loudness drives the mouth, everything else sits at its mean.

Per video frame it measures the log RMS energy of the frame's audio (relative to the utterance's loudest
frame, so gain does not matter), stacks it with its neighbours (±``taps`` frames) and fits a ridge
regression from those to the mouth parameters (lip components, tongue, jaw) on the same corpus as the
prior. Non-mouth parameters are the corpus mean. Fit it with::

    python -m ggtalker.train.energy scale=smoke out=/tmp/energy.npz [zoo=a2e_energy_synthtalk]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.clip import Clip
from ggtalker.core.params import N_MOTION, unpack

#: Packed columns the regression predicts: lip_round … lower_lip_depress, tongue_up, jaw.
MOUTH_COLUMNS = np.array([0, 1, 2, 3, 4, 9, 10])


def frame_energy(audio16k: np.ndarray, n_frames: int, fps: float = 25.0) -> np.ndarray:
    """Log RMS energy per video frame in dB below the utterance's loudest frame, floored at -60, ``(n_frames,)``."""
    spf = SAMPLE_RATE / fps
    edges = np.round(np.arange(n_frames + 1) * spf).astype(int)
    a = np.pad(np.asarray(audio16k, np.float32), (0, max(0, edges[-1] - len(audio16k))))
    rms = np.sqrt(np.add.reduceat(a[: edges[-1]] ** 2, edges[:-1]) / np.diff(edges) + 1e-12)
    db = 20 * np.log10(rms + 1e-8)
    return np.maximum(db - db.max(), -60.0).astype(np.float32)


def design(energy: np.ndarray, taps: int = 3) -> np.ndarray:
    """Regression inputs ``(N, 2 * (2 * taps + 1) + 1)``: energy and its square at lags ±taps, and a bias."""
    e = energy / 60.0 + 1.0  # 0 silent … 1 loudest
    pad = np.pad(e, taps, mode="edge")
    lags = np.stack([pad[i : i + len(e)] for i in range(2 * taps + 1)], 1)
    return np.concatenate([lags, lags**2, np.ones((len(e), 1), np.float32)], 1)


class EnergyBaseline:
    """A fitted energy → mouth regressor. ``W`` ``(F, len(MOUTH_COLUMNS))``, ``mean`` ``(19,)``."""

    def __init__(self, W: np.ndarray, mean: np.ndarray, taps: int = 3) -> None:
        self.W, self.mean, self.taps = W, mean, taps

    @classmethod
    def fit(cls, audios: list[np.ndarray], params: list[np.ndarray], fps: float = 25.0, taps: int = 3,
            ridge: float = 1e-2) -> "EnergyBaseline":
        """Least squares over utterances: ``audios[k]`` ``(S_k,)``, ``params[k]`` packed ``(N_k, 19)``."""
        X = np.concatenate([design(frame_energy(a, len(p), fps), taps) for a, p in zip(audios, params)])
        Y = np.concatenate(params)
        W = np.linalg.solve(X.T @ X + ridge * np.eye(X.shape[1]), X.T @ Y[:, MOUTH_COLUMNS])
        return cls(W.astype(np.float32), Y.mean(0).astype(np.float32), taps)

    def predict(self, audio16k: np.ndarray, fps: float, n_frames: int) -> dict[str, np.ndarray]:
        """``{"expr", "jaw", "blink", "pose"}`` for ``(S,)`` audio."""
        out = np.tile(self.mean, (n_frames, 1))
        out[:, MOUTH_COLUMNS] = design(frame_energy(audio16k, n_frames, fps), self.taps) @ self.W
        return unpack(out.astype(np.float32))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:  # np.savez on a handle: no ".npz" appended to the name
            np.savez(f, W=self.W, mean=self.mean, taps=self.taps)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "EnergyBaseline":
        with np.load(path) as z:
            if z["mean"].shape != (N_MOTION,):
                raise ValueError(f"{path}: mean has shape {z['mean'].shape}, expected ({N_MOTION},)")
            return cls(z["W"], z["mean"], int(z["taps"]))


class EnergyMethod(Method):
    """The phoneme-free energy → mouth baseline as a parameter-only method of the ``audio_prior`` suite."""

    name = "a2e_energy"

    def __init__(self, zoo: str = "a2e_energy_synthtalk", checkpoint: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.zoo, self.checkpoint = zoo, checkpoint
        self._model = None

    def prepare(self, identity: str, train: list[Clip]) -> None:
        if self._model is None:
            from ggtalker.zoo import load_path

            self._model = EnergyBaseline.load(self.checkpoint or load_path(self.zoo))

    def generate(self, state: None, request: DriveRequest) -> Generation:
        params = self._model.predict(request.audio, request.fps, request.n_frames)
        if "pose" in request.controls:
            params["pose"] = request.controls["pose"].copy()
        return Generation(params=params)

    def describe(self) -> dict:
        return {"source": self.checkpoint or f"zoo:{self.zoo}"}
