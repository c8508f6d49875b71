"""``precomputed``: score a folder of finished videos, so any method can be evaluated without running it here.

``<dir>/<case_id>.mp4`` holds the method's output for each case (audio in the file is ignored; the case's
audio is the driving signal). The leaderboard row and run folder are named after ``label``:

    python eval/run.py method=precomputed method.params.dir=/results/my_method method.params.label=my_method suite=...

The method YAML sets ``name: ${.params.label}``; the runner names rows after ``cfg.method.name`` when present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.clip import Clip
from ggtalker.core.video import read_video
from ggtalker.data.real.frames import fit_frames


class Precomputed(Method):
    """Reads ``<dir>/<case_id><ext>`` for each case.

    Args:
        dir: the folder of videos.
        label: the name the results are recorded under.
        ext: file extension of the videos.
        fit: ``resize`` fits each video to the case by :func:`~ggtalker.data.real.frames.fit_frames` (a few
            frames padded or dropped, a larger surplus dropped with a warning, a resize warned about, a
            different aspect ratio or a far too long or short video refused); ``strict`` demands the exact
            frame count and size. Warnings land in the run's summary.json.
        max_pad: frames that may be missing or extra at the end without a warning (encoders drop one or two).
    """

    def __init__(self, dir: str | None = None, label: str = "precomputed", ext: str = ".mp4", fit: str = "resize",
                 max_pad: int = 2, device: str = "cpu", seed: int = 0) -> None:
        super().__init__(device=device, seed=seed)
        if not dir:
            raise ValueError("precomputed needs method.params.dir=<folder holding <case_id>.mp4 per case> "
                             "(and method.params.label=<name for the leaderboard>)")
        self.dir = Path(dir).expanduser().resolve()
        if not self.dir.is_dir():
            raise FileNotFoundError(f"{self.dir}: precomputed video folder not found (method.params.dir)")
        if fit not in ("resize", "strict"):
            raise ValueError(f"precomputed: fit must be 'resize' or 'strict', got {fit!r}")
        self.name, self.label, self.ext, self.fit, self.max_pad = label, label, ext, fit, max_pad
        self._used: list[str] = []

    def prepare(self, identity: str, train: list[Clip]) -> None:
        return None

    def generate(self, state: None, request: DriveRequest) -> Generation:
        path = self.dir / f"{request.case_id}{self.ext}"
        if not path.is_file():
            have = sorted(p.name for p in self.dir.glob(f"*{self.ext}"))[:5]
            raise FileNotFoundError(f"{path}: no video for case {request.case_id!r} (the folder has e.g. {have})")
        frames, _ = read_video(path)
        want = (request.n_frames, request.height, request.width, 3)
        if self.fit == "strict" and frames.shape != want:
            raise ValueError(f"{path}: frames {frames.shape}, the case needs {want} (fit=strict)")
        self._used.append(path.name)
        frames, warnings = fit_frames(frames, request.n_frames, request.height, request.width, max_pad=self.max_pad,
                                      where=str(path))
        return Generation(frames=frames, warnings=warnings)

    def describe(self) -> dict[str, Any]:
        return {"dir": str(self.dir), "label": self.label, "fit": self.fit, "videos": self._used}
