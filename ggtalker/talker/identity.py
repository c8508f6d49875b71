"""An adapted person: the adapted Gaussian head and the speaker-adapted audio prior, saved as one file."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ggtalker.a2e.prior import A2EPrior
from ggtalker.core.checkpoint import save_atomic
from ggtalker.gaussians.adapt import AdaptedHead

FORMAT = "ggtalker-identity/2"
#: Identity files written before the Talker (one flat dict: the head's fields, ``a2e_state``, ``a2e_style``).
FORMAT_V1 = "ggtalker-identity/1"


@dataclass(eq=False)  # compared and hashed by object: the Talker keeps each identity's built modules beside it
class Identity:
    """One person GGTalker was adapted to: everything :meth:`ggtalker.talker.Talker.drive` needs.

    Attributes:
        head: the adapted UV Gaussian map, color MLP and Body Inpainter, and the frame the head is inpainted into.
        a2e: the audio prior adapted to this speaker, or None (the Talker's own prior drives the head).
        a2e_style: ``(64,)`` the speaker's adapted style code, or None (the prior's null style).
        report: losses and timings of the adaptation.
        name: who this is.
    """

    head: AdaptedHead
    a2e: A2EPrior | None = None
    a2e_style: np.ndarray | None = None
    report: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    def save(self, path: str | Path) -> Path:
        """Write the identity (atomically); the adapted A2E weights are stored in fp16, as the zoo's."""
        d = {"format": FORMAT, "name": self.name, "head": {f.name: getattr(self.head, f.name) for f in fields(self.head)},
             "a2e": None if self.a2e is None else self.a2e.state(half=True), "a2e_style": self.a2e_style,
             "report": self.report}
        return save_atomic(d, path)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "Identity":
        """Read a file written by :meth:`save` (or by the adaptation before the Talker); errors name the file."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: identity checkpoint not found (write one with scripts/adapt_identity.py)")
        try:
            d = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:  # noqa: BLE001 - truncated, not a torch file, a pickle from elsewhere: all unreadable
            raise ValueError(f"{path}: not a readable identity checkpoint ({type(e).__name__}: {e})") from e
        fmt = d.get("format") if isinstance(d, dict) else type(d).__name__
        if fmt == FORMAT_V1:
            d = _from_v1(d)
        elif fmt != FORMAT:
            raise ValueError(f"{path}: not an identity checkpoint (format {fmt!r}, expected {FORMAT!r})")
        a2e = None if d["a2e"] is None else A2EPrior.from_state(d["a2e"], device, where=str(path))
        return cls(AdaptedHead(**d["head"]), a2e, d["a2e_style"], d.get("report", {}), d.get("name", ""))


def _from_v1(d: dict) -> dict:
    """A ``ggtalker-identity/1`` dict in the layout of :data:`FORMAT`."""
    report = dict(d.get("report") or {})
    talker_keys = ("a2e", "prepare_s")
    # Fields added to the head since (the fitted training views) are absent from v1 files: left at their defaults.
    head = {f.name: d[f.name] for f in fields(AdaptedHead) if f.name != "report" and f.name in d}
    head["report"] = {k: v for k, v in report.items() if k not in talker_keys}
    return {"head": head, "a2e": d.get("a2e_state"), "a2e_style": d.get("a2e_style"),
            "report": {k: report[k] for k in talker_keys if k in report}}
