"""One evaluation case: whose clips adapt a method, which clip drives it and is the ground truth.

Data sources (SynthTalk, real videos, the toy generator) build cases; the harness runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Case:
    """One evaluation case.

    Attributes:
        id: unique within the suite (a file-name-safe string).
        identity: whose training clips prepare the method; cases of one identity share one preparation.
        train: clip folders the method trains or adapts on.
        target: clip folder with the driving audio and target cameras, plus ground truth where known.
        tags: grouping labels stored with every record (``family=noise_10db``, ``view=ring``, ...).
        controls: ground-truth parameters handed to the method as explicit controls (``pose``, ``blink``).
    """

    id: str
    identity: str
    train: list[Path]
    target: Path
    tags: dict[str, str] = field(default_factory=dict)
    controls: tuple[str, ...] = ()
