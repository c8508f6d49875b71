"""The head-parameter space shared by the audio prior, the Gaussian head and every data source (SynthTalk, real clips).

Every clip's ``params`` use these keys (each ``(N, D)`` float32, one row per video frame):

* ``expr``  ``(N, 10)``: the speech expression components below, each in about [0, 1].
* ``jaw``   ``(N, 1)``: jaw opening, 0 closed … 1 wide open (≈ 25° of rotation).
* ``blink`` ``(N, 2)``: eyelid closure, left and right eye (subject's), 0 open … 1 shut.
* ``pose``  ``(N, 6)``: head rotation (axis-angle, radians) then translation (metres), world frame.

World frame: metres, origin at the head's centre, +y up, +z out of the face, +x toward the
subject's left. Cameras are OpenCV-style (x right, y down, z forward), so a frontal camera sits at +z.
"""

from __future__ import annotations

import numpy as np

EXPR_NAMES = (
    "lip_round", "lip_spread", "lip_press", "upper_lip_raise", "lower_lip_depress",
    "smile", "cheek_puff", "brow_raise", "brow_frown", "tongue_up",
)
PARAM_DIMS = {"expr": len(EXPR_NAMES), "jaw": 1, "blink": 2, "pose": 6}
#: The parameters speech moves: ``jaw`` and the lip, cheek and tongue columns of ``expr``. SynthTalk's viseme
#: model drives exactly these; the audio prior averages them over samples (``lip_samples``).
SPEECH_KEYS = ("jaw", "lip_round", "lip_spread", "lip_press", "upper_lip_raise", "lower_lip_depress",
               "cheek_puff", "tongue_up")
#: The order in which models concatenate parameters into one vector.
PARAM_ORDER = ("expr", "jaw", "blink", "pose")
N_MOTION = sum(PARAM_DIMS.values())


def pack(params: dict[str, np.ndarray], keys: tuple[str, ...] = PARAM_ORDER) -> np.ndarray:
    """Concatenate ``{key: (N, D_key)}`` into ``(N, sum D)`` in ``keys`` order."""
    missing = [k for k in keys if k not in params]
    if missing:
        raise KeyError(f"params lack {missing}; have {sorted(params)}")
    return np.concatenate([np.asarray(params[k], np.float32) for k in keys], axis=1)


def unpack(vec: np.ndarray, keys: tuple[str, ...] = PARAM_ORDER) -> dict[str, np.ndarray]:
    """Inverse of :func:`pack` for ``(N, sum D)``."""
    out, i = {}, 0
    for k in keys:
        out[k] = vec[:, i : i + PARAM_DIMS[k]]
        i += PARAM_DIMS[k]
    if i != vec.shape[1]:
        raise ValueError(f"vector width {vec.shape[1]} != {i} for keys {keys}")
    return out
