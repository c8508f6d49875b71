"""The Audio-Expression prior as parameter-only methods of the ``audio_prior`` suite: ``a2e``, ``a2e_regressor``.

They need no identity (``prepare`` only loads the model once); ``generate`` returns ``Generation(params=...)``.
A ``pose`` control, when the suite grants one, is followed by the prior (replacement guidance). The
phoneme-free baseline ``a2e_energy`` is :mod:`baselines.a2e_energy`.
"""

from __future__ import annotations

from typing import Any

from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.clip import Clip


class A2EMethod(Method):
    """The Audio-Expression prior (diffusion) or its regressor twin, from the zoo or a checkpoint file.

    Args:
        zoo: zoo entry name (used when ``checkpoint`` is None).
        checkpoint: path of a checkpoint written by ``ggtalker.train.a2e``.
        style: training-voice style (None: the null style; the suite's voices are unknown to the method).
        steps, guidance, lip_samples: DDIM steps, classifier-free guidance scale and the number of samples
            whose lips are averaged (None: the checkpoint's own).
    """

    name = "a2e"

    def __init__(self, zoo: str = "a2e_synthtalk", checkpoint: str | None = None, style: Any = None,
                 steps: int | None = None, guidance: float | None = None, lip_samples: int | None = None,
                 **kw) -> None:
        super().__init__(**kw)
        self.zoo, self.checkpoint, self.style = zoo, checkpoint, style
        self.sampler = {k: v for k, v in (("steps", steps), ("guidance", guidance), ("lip_samples", lip_samples))
                        if v is not None}
        self._prior = None

    @property
    def prior(self):
        if self._prior is None:
            from ggtalker.a2e.prior import A2EPrior

            self._prior = (A2EPrior.load(self.checkpoint, self.device) if self.checkpoint
                           else A2EPrior.from_zoo(self.zoo, self.device))
            for key, value in self.sampler.items():
                setattr(self._prior, key, type(getattr(self._prior, key))(value))
        return self._prior

    def prepare(self, identity: str, train: list[Clip]) -> None:
        self.prior  # loading counts as preparation
        return None

    def generate(self, state: None, request: DriveRequest) -> Generation:
        params = self.prior.predict(request.audio, request.fps, request.n_frames, pose=request.controls.get("pose"),
                                    style=self.style, seed=self.seed)
        return Generation(params=params)

    def describe(self) -> dict:
        return {"source": self.checkpoint or f"zoo:{self.zoo}", **self.prior.describe()}
