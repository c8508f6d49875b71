"""Evaluation protocols: how predictions are compared, named and recorded with every value."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ggtalker.core.clip import MASK_HEAD, Clip


@dataclass(frozen=True)
class Protocol:
    """A named evaluation protocol (as nerfbaselines' evaluation protocols).

    Attributes:
        name: short id stored in every record.
        region: ``full`` frame, or ``face`` (metrics that support it restrict to the head mask).
        paste: ``none`` (score the frame as rendered) or ``head_only`` (paste ground truth outside the
            head mask before scoring, as ER-NeRF's head-only numbers do).
        lpips_net: LPIPS backbone, ``alex`` (papers) or ``vgg``.
        landmarks: landmark detector for LMD, ``dlib68``, ``dlib68_cnn`` or ``mediapipe``.
        fps: the frame rate metrics assume.
    """

    name: str = "default"
    region: str = "full"
    paste: str = "none"
    lpips_net: str = "alex"
    landmarks: str = "dlib68"
    fps: float = 25.0

    def to_dict(self) -> dict:
        return asdict(self)

    def apply(self, pred: np.ndarray, gt: Clip) -> np.ndarray:
        """Transform predicted frames ``(N, H, W, 3)`` as the protocol says before scoring."""
        if self.paste == "none":
            return pred
        if self.paste == "head_only":
            if gt.masks is None or gt.frames is None:
                raise ValueError(f"{gt.id}: protocol {self.name!r} pastes ground truth but the case has no masks")
            head = (gt.masks == MASK_HEAD)[..., None]
            return np.where(head, pred, gt.frames)
        raise ValueError(f"unknown paste mode {self.paste!r}")
