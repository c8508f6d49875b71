"""Reference bounds: ``ground_truth`` (upper) and ``static`` (lower)."""

from __future__ import annotations

import numpy as np

from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.clip import Clip


class GroundTruth(Method):
    """Returns the case's ground-truth frames and parameters: the upper bound of every metric."""

    name = "ground_truth"
    oracle = True

    def prepare(self, identity: str, train: list[Clip]) -> None:
        return None

    def generate(self, state: None, request: DriveRequest) -> Generation:
        gt = request.oracle
        if gt is None or gt.frames is None:
            raise ValueError(f"{request.case_id}: ground_truth needs a case with ground-truth frames")
        return Generation(frames=gt.frames.copy(), params={k: v.copy() for k, v in gt.params.items()})


class Static(Method):
    """Repeats one frame of the identity's first training clip (and its parameters): the lower bound.

    Args:
        frame: which frame of that clip (0, the first, by default); a parameter whose values give distinct,
            instant configurations, as a harness test of parameter sweeps needs.
    """

    name = "static"

    def __init__(self, frame: int = 0, **kw) -> None:
        super().__init__(**kw)
        self.frame = int(frame)

    def prepare(self, identity: str, train: list[Clip]) -> dict:
        first = train[0]
        if first.frames is None:
            raise ValueError(f"{first.id}: static needs training frames")
        if not 0 <= self.frame < first.n_frames:
            raise ValueError(f"method.params.frame={self.frame}: {first.id} has frames 0 to {first.n_frames - 1}")
        i = self.frame
        return {"frame": first.frames[i], "params": {k: v[i] for k, v in first.params.items()}}

    def generate(self, state: dict, request: DriveRequest) -> Generation:
        frame = state["frame"]
        if frame.shape[:2] != (request.height, request.width):
            raise ValueError(
                f"{request.case_id}: target size {request.height}x{request.width} differs from training "
                f"size {frame.shape[0]}x{frame.shape[1]}"
            )
        n = request.n_frames
        return Generation(
            frames=np.repeat(frame[None], n, axis=0),
            params={k: np.repeat(v[None], n, axis=0) for k, v in state["params"].items()},
        )
