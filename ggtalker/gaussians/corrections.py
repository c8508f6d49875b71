"""Corrections of the tracked parameters of the training frames, learnt in the adaptation's joint stage.

A monocular tracker's head pose is off by a slow bias plus frame-to-frame jitter. At 512² that error
alone caps what a head learnt under it can reach: SynthTalk identity 0's target frames rendered by the world
itself with a 0.008 rad rotation error score 32.7 dB face PSNR against their truth, with 1 mm of translation
error 28.5 dB, while an expression error of 0.02 costs almost nothing (48.7 dB)
(``python scripts/tracker_ceiling.py --sensitivity``). So the pose must be recovered to a fraction of that,
and a free correction per frame with one learning rate for every unit, on the tail of the UV map's schedule,
sees each frame a few dozen times at a learning rate already decayed.

A real head's pose is smooth at 25 fps (SynthTalk's: second differences ~1e-4 rad a frame, the tracker's
jitter ~2e-2), its jaw and expressions are not (speech). :class:`Corrections` with ``mode="smooth"``:

* corrects every frame's parameters (expression, jaw, head rotation and translation);
* penalises the second differences of the corrected head pose in time (per clip), so a frame's pose
  also learns from its neighbours' photometric evidence and the tracker's jitter is cheap to remove;
* anchors every correction by :data:`TRACKER_SCALE`, the size of a monocular tracker's error, so the head
  and the corrections cannot drift together;
* (in :func:`~ggtalker.gaussians.adapt.adapt_identity`) gets its own learning-rate schedule over the joint
  stage, from ``lr_params`` down to ``lr_final`` of it, rather than the tail of the UV map's.

Measured on a known head (tests/test_ggtalker_corrections.py: 24 frames at 48², SynthTalk's tracker error,
100 steps of 4 frames, so 17 looks at each frame): head rotation error 0.0138 → 0.0033 rad and translation
3.2 → 0.41 mm, against 0.0058 rad / 0.57 mm without the smoothness term.

``mode="frame"`` is the first zoo prior's schedule: a free correction per frame and key, one learning rate,
anchored by the batch's mean square correction.

**Units** (``units``). With ``"raw"`` (the first prior's) the learnt numbers are radians and metres, so one
Adam learning rate moves a rotation and a translation by the same *number*: 2e-3 is 2 mm of translation, far
coarser than the 0.1 mm a 512² fit needs, yet a rotation step of 2e-3 rad is too slow to remove a 0.013 rad
error in a few dozen looks at a frame. No single rate does both. With ``"tracker"`` the learnt numbers are
corrections in :data:`TRACKER_SCALE` units (1 = 0.02 rad, 3 mm, 0.05), so one rate suits every quantity.
Measured on a frozen, correct head (40 frames at 96², 400 steps of 4, SynthTalk's tracker error 0.0127 rad /
2.69 mm; ``lr`` decaying to 1 % of itself): raw units at lr 2e-3 leave 0.0025 rad / 0.16 mm, at 6e-3
0.0022 rad / 0.69 mm; tracker units at lr 0.3 leave 0.00023 rad / 0.026 mm.
"""

from __future__ import annotations

import numpy as np
import torch

#: The error scale of a monocular face tracker, per corrected quantity: about 1° of head rotation, 3 mm of
#: translation, 5 % of a blendshape's range. The corrections' anchor is (correction / scale)².
TRACKER_SCALE = {"rot": 0.02, "trans": 0.003, "expr": 0.05, "jaw": 0.05}
MODES = ("frame", "smooth")
UNITS = ("raw", "tracker")


def second_differences(x: torch.Tensor, clip_index: torch.Tensor) -> torch.Tensor:
    """``(M, D)`` second differences ``x[i-1] - 2 x[i] + x[i+1]`` of ``x`` ``(N, D)`` over triples of
    consecutive frames of one clip (none across a clip border)."""
    if len(x) < 3:
        return x[:0]
    same = (clip_index[2:] == clip_index[1:-1]) & (clip_index[1:-1] == clip_index[:-2])
    return (x[:-2] - 2 * x[1:-1] + x[2:])[same]


class Corrections(torch.nn.Module):
    """Learnt corrections of ``N`` training frames' tracked parameters.

    Args:
        params: the tracked ``{expr (N, E), jaw (N, 1), blink, pose (N, 6)}`` (pose: axis-angle, then metres).
        clip_index: ``(N,)`` which clip each frame is from (frames of a clip contiguous, in time order).
        mode: ``frame`` or ``smooth`` (module docstring).
        center_pose: give the head-pose corrections zero mean over the frames (:meth:`deltas`).
        units: ``raw`` (radians, metres, blendshape units) or ``tracker`` (:data:`TRACKER_SCALE` units) for
            the learnt numbers (module docstring, "Units").
    """

    def __init__(self, params: dict[str, torch.Tensor], clip_index: torch.Tensor, mode: str = "frame",
                 center_pose: bool = False, units: str = "raw") -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"corrections={mode!r}: expected one of {MODES}")
        if units not in UNITS:
            raise ValueError(f"correction_units={units!r}: expected one of {UNITS}")
        self.mode = mode
        self.units = units
        self.center_pose = center_pose
        dev = params["pose"].device
        n = int(params["pose"].shape[0])
        self.tracked = {k: v.detach() for k, v in params.items()}
        self.register_buffer("clip_index", clip_index.to(dev))
        self.delta = torch.nn.ParameterDict({k: torch.nn.Parameter(torch.zeros(n, params[k].shape[1], device=dev))
                                             for k in ("expr", "jaw", "pose")})
        scale = [TRACKER_SCALE["rot"]] * 3 + [TRACKER_SCALE["trans"]] * 3
        self.register_buffer("pose_scale", torch.tensor(scale, device=dev))

    def _unit(self) -> dict[str, torch.Tensor | float]:
        """One :data:`TRACKER_SCALE` of correction per key (the pose's from its buffer, which moves with the module)."""
        return {"expr": TRACKER_SCALE["expr"], "jaw": TRACKER_SCALE["jaw"], "pose": self.pose_scale}

    def _physical(self) -> dict[str, torch.Tensor]:
        """The learnt corrections ``{key: (N, D)}`` in the parameters' own units."""
        if self.units == "raw":
            return dict(self.delta.items())
        unit = self._unit()
        return {k: v * unit[k] for k, v in self.delta.items()}

    def _scaled(self) -> dict[str, torch.Tensor]:
        """The learnt corrections ``{key: (N, D)}`` in :data:`TRACKER_SCALE` units."""
        if self.units == "tracker":
            return dict(self.delta.items())
        unit = self._unit()
        return {k: v / unit[k] for k, v in self.delta.items()}

    def deltas(self) -> dict[str, torch.Tensor]:
        """Every frame's correction ``{key: (N, D)}``; with ``center_pose`` the head pose's has zero mean over
        the frames.

        A head learnt from a monocular clip lives in its tracker's frame: moving every pose by the same
        amount and the head the other way explains the frames equally well, so free corrections let the
        head drift out of that frame (0.6-0.9 mm on the H200 fits, which the parameters that later drive it,
        from the same tracker or the truth, do not share). Centring fixes that gauge; a correction's mean
        is exactly what a monocular fit cannot observe."""
        d = self._physical()
        if self.center_pose:
            d["pose"] = d["pose"] - d["pose"].mean(0, keepdim=True)
        return d

    def params(self, idx: torch.Tensor | list[int] | None = None) -> dict[str, torch.Tensor]:
        """Corrected ``{key: (B, D)}`` of frames ``idx`` (all when None); keys not corrected pass through."""
        d = self.deltas()
        if idx is None:
            return {k: v + d[k] if k in d else v for k, v in self.tracked.items()}
        idx = torch.as_tensor(idx, dtype=torch.long, device=self.clip_index.device)
        return {k: v[idx] + d[k][idx] if k in d else v[idx] for k, v in self.tracked.items()}

    def penalty(self, idx: torch.Tensor | list[int]) -> torch.Tensor:
        """The corrections' anchor, the sum over keys of a mean square. ``frame``: of the batch's frames'
        learnt numbers (the first prior's in raw units; (correction / :data:`TRACKER_SCALE`)² in tracker
        units). ``smooth``: of (correction / :data:`TRACKER_SCALE`)² over every frame."""
        if self.mode == "frame":
            idx = torch.as_tensor(idx, dtype=torch.long, device=self.clip_index.device)
            return sum(d[idx].pow(2).mean() for d in self.delta.values())
        return sum(d.pow(2).mean() for d in self._scaled().values())

    def roughness(self) -> torch.Tensor:
        """``smooth``: the mean square second difference of every frame's corrected pose, in
        :data:`TRACKER_SCALE` units (0 in ``frame`` mode, or with fewer than 3 frames a clip)."""
        if self.mode == "frame":
            return torch.zeros((), device=self.clip_index.device)
        d2 = second_differences((self.tracked["pose"] + self.deltas()["pose"]) / self.pose_scale, self.clip_index)
        return d2.pow(2).mean() if len(d2) else torch.zeros((), device=self.clip_index.device)

    @torch.no_grad()
    def corrected(self) -> dict[str, np.ndarray]:
        """Every frame's corrected parameters, ``{key: (N, D)}`` on the CPU."""
        return {k: v.detach().cpu().numpy() for k, v in self.params().items()}
