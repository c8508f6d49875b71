"""The metric interface, modelled on torchmetrics' ``Metric`` (reset / update / compute).

A metric declares what it needs (``needs``), which values it outputs and their direction
(``outputs``), and whether its weights are present (:meth:`Metric.unavailable`). It keeps
per-frame values so that tables can regroup them later (by yaw, by audio family).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ggtalker.bench.method import Generation
from ggtalker.bench.protocol import Protocol
from ggtalker.core.clip import Clip

#: Things a metric can need; the runner checks each before calling update().
NEEDS = {
    "pred_frames": lambda pred, gt: pred.frames is not None,
    "pred_params": lambda pred, gt: bool(pred.params),
    "pred_depth": lambda pred, gt: pred.depth is not None,
    "gt_frames": lambda pred, gt: gt.frames is not None,
    "gt_params": lambda pred, gt: bool(gt.params),
    "gt_masks": lambda pred, gt: gt.masks is not None,
    "gt_landmarks": lambda pred, gt: gt.landmarks is not None,
    "audio": lambda pred, gt: gt.audio is not None,
}


class MetricUnavailable(RuntimeError):
    """Raised by a metric that cannot produce a value; the message says why and how to fix it."""


class Metric:
    """Base class. Subclasses set ``outputs`` and ``needs``, implement :meth:`update`.

    Attributes:
        outputs: ``{value_name: higher_is_better}`` — one metric may give several values (LSE-C and LSE-D).
        needs: keys of :data:`NEEDS`.
        tolerance: absolute change allowed by the regression gate.
    """

    name: str = "metric"
    outputs: dict[str, bool] = {}
    needs: tuple[str, ...] = ()
    tolerance: float = 1e-3

    def __init__(self, device: str = "cpu", protocol: Protocol | None = None, **kwargs: Any) -> None:
        self.device = device
        self.protocol = protocol or Protocol()
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unknown options {sorted(kwargs)}")
        self._frames: dict[str, list[np.ndarray]] = {}

    # -- availability ------------------------------------------------------------------
    def unavailable(self) -> str | None:
        """None when the metric can run; else the reason and how to supply what is missing."""
        return None

    def missing(self, pred: Generation, gt: Clip) -> str | None:
        """Why this case cannot be scored (a need unmet), or None."""
        lacking = [n for n in self.needs if not NEEDS[n](pred, gt)]
        return f"case lacks {', '.join(lacking)}" if lacking else None

    def variant(self) -> dict[str, Any]:
        """What exactly is computed (library, backbone, region); stored with each record."""
        return {}

    # -- torchmetrics-like state ---------------------------------------------------------
    def reset(self) -> None:
        self._frames = {}

    def add(self, output: str, values: np.ndarray | float) -> None:
        """Accumulate per-frame (or per-window) values for ``output``."""
        if output not in self.outputs:
            raise KeyError(f"{self.name}: {output!r} is not one of its outputs {list(self.outputs)}")
        self._frames.setdefault(output, []).append(np.atleast_1d(np.asarray(values, dtype=np.float64)))

    def update(self, pred: Generation, gt: Clip) -> None:
        """Score one case (or a chunk of it)."""
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        """Case values: the mean over accumulated per-frame values (override for other aggregations)."""
        return {k: float(np.mean(np.concatenate(v))) for k, v in self._frames.items() if v}

    def per_frame(self) -> dict[str, np.ndarray]:
        """Accumulated per-frame values ``{output: (N,)}``."""
        return {k: np.concatenate(v) for k, v in self._frames.items() if v}
