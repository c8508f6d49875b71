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
    """Repeats the identity's first training frame (and its parameters): the lower bound."""

    name = "static"

    def prepare(self, identity: str, train: list[Clip]) -> dict:
        first = train[0]
        if first.frames is None:
            raise ValueError(f"{first.id}: static needs training frames")
        return {"frame": first.frames[0], "params": {k: v[0] for k, v in first.params.items()}}

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
