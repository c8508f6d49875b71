"""The method interface: prepare on an identity's clips, then generate frames for driving audio."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ggtalker.core.clip import Cameras, Clip


@dataclass
class DriveRequest:
    """Everything a method may use to generate one case.

    Attributes:
        case_id: the case's name (for logs).
        audio: ``(S,)`` float32 mono at 16 kHz.
        fps: output frame rate.
        cameras: the N target cameras; N is the number of frames to produce.
        width, height: output size in pixels.
        controls: explicit per-frame controls the suite gives, e.g. ``{"pose": (N, 6), "blink": (N, 2)}``.
        oracle: the full target clip, handed only to methods with ``oracle = True`` (reference bounds).
    """

    case_id: str
    audio: np.ndarray
    fps: float
    cameras: Cameras
    width: int
    height: int
    controls: dict[str, np.ndarray] = field(default_factory=dict)
    oracle: Clip | None = None

    @property
    def n_frames(self) -> int:
        return len(self.cameras)


@dataclass
class Generation:
    """A method's output for one case.

    Attributes:
        frames: ``(N, H, W, 3)`` uint8 RGB, or None for a parameter-only method.
        params: predicted per-frame head parameters ``{name: (N, D)}`` where the method has them.
        depth: ``(N, H, W)`` float32 camera-space depth where the method renders one (NaN = empty).
        warnings: what was done to the output to fit the case beyond a small tolerance (a video trimmed or
            resized); the runner records them with the case and in summary.json.
    """

    frames: np.ndarray | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)
    depth: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)


class Method(ABC):
    """Base class of every method. Subclasses take their config ``params`` as keyword arguments.

    Registered by one YAML file in ``eval/conf/method/<name>.yaml``::

        target: package.module:Class
        params: {...}
    """

    name: str = "method"
    #: Reference methods that read the ground truth (``ground_truth``) set this.
    oracle: bool = False
    #: What every training clip must carry, checked by preflight before any work: names from
    #: :func:`ggtalker.core.clip.clip_fields` (``frames``, ``audio``, ``masks``, ``landmarks``, ``params.<name>``).
    train_needs: tuple[str, ...] = ()
    #: Parameter keys the method follows when a request gives them as controls. A method driven by an
    #: explicit head model (GGTalker) can follow all of them, so it can be driven by known parameters
    #: (the fit diagnostic's oracle split); most follow at most ``pose`` and ``blink``.
    follows_controls: tuple[str, ...] = ("pose", "blink")

    def __init__(self, device: str = "cpu", seed: int = 0) -> None:
        self.device = device
        self.seed = seed

    @abstractmethod
    def prepare(self, identity: str, train: list[Clip]) -> Any:
        """Train or adapt on an identity's clips; return the per-identity state (timed by the runner)."""

    @abstractmethod
    def generate(self, state: Any, request: DriveRequest) -> Generation:
        """Produce the case's frames (timed by the runner)."""

    def describe(self) -> dict[str, Any]:
        """Provenance for summary.json (checkpoints, settings)."""
        return {}

    def fitted_views(self, state: Any) -> FittedViews | None:
        """The training frames the method was fitted on and the parameters it fitted them with, or None
        where it has no such notion (the fit diagnostic's ``train`` split then uses the clips' tracked
        parameters on every training frame)."""
        return None


@dataclass
class FittedViews:
    """Training frames a method fitted, for the fit diagnostic.

    Attributes:
        index: ``(M,)`` indices into the identity's training frames, clips concatenated in order.
        params: ``{key: (M, D)}`` the parameters the method rendered those frames with after fitting
            (the tracked ones plus any per-frame corrections it learnt).
        n_gaussians: primitives of the fitted model, where it has a count (Gaussians, samples).
    """

    index: np.ndarray
    params: dict[str, np.ndarray]
    n_gaussians: int | None = None
