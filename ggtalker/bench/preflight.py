"""Preflight: check every case and metric before a long run, and report all problems at once.

Errors (a case that cannot be read, frames and audio of different lengths, a training clip without what the
method declares it needs in ``Method.train_needs``) stop the run before any work;
warnings (a metric's weights missing, no face where a face metric needs one) are logged and land in
summary.json, and the affected records say ``unavailable``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ggtalker.bench.metric import Metric
from ggtalker.core.case import Case
from ggtalker.core.clip import MASK_HEAD, ClipError, clip_fields, read_clip

#: Metrics that need a face in the target (placed by landmarks/masks or found by a detector).
FACE_NEEDS = ("lmd", "csim", "lse", "sync")


class PreflightError(RuntimeError):
    """A run refused before any work: every blocking problem, one per line. ``eval/run.py`` prints the message
    alone (no traceback), so each line must name the setting or file, the problem and the fix."""

    @classmethod
    def of(cls, problems: list[str]) -> "PreflightError":
        """One problem as one line; several under a header line."""
        if len(problems) == 1:
            return cls(problems[0])
        return cls(f"preflight found {len(problems)} problems:\n  " + "\n  ".join(problems))


@dataclass
class PreflightReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def raise_or_log(self, log: logging.Logger) -> None:
        for w in self.warnings:
            log.warning("preflight: %s", w)
        if self.errors:
            raise PreflightError.of(self.errors)


def _face_metric(name: str, metric: Metric) -> bool:
    return any(name.startswith(p) for p in FACE_NEEDS) or getattr(metric, "needs_face", False)


def preflight(cases: list[Case], metrics: Mapping[str, Metric], unavailable: Mapping[str, str] | None = None,
              detect: bool = True, train_needs: tuple[str, ...] = (), method: str = "the method") -> PreflightReport:
    """Check cases (readable, frame/audio lengths agree, a face present, training clips fit the method) and
    metric weights.

    Args:
        cases: the suite's cases (clips already generated).
        metrics: ``{registered name: metric}``.
        unavailable: ``{name: reason}`` already known (from ``Metric.unavailable``); computed when None.
        detect: when a target has neither landmarks nor a head mask, look for a face with dlib on its
            middle frame (otherwise only the stored annotations are checked).
        train_needs: what every training clip must carry (``Method.train_needs``).
        method: the method's name, for messages.
    """
    rep = PreflightReport()
    if unavailable is None:
        unavailable = {n: r for n, m in metrics.items() if (r := m.unavailable())}
    rep.warnings += [f"metric {n} unavailable: {r}" for n, r in unavailable.items()]
    face = any(_face_metric(n, m) for n, m in metrics.items() if n not in unavailable)
    checked: set = set()
    for case in cases:
        for path in [*case.train, case.target]:
            if not (path / "clip.json").is_file():
                rep.errors.append(f"case {case.id}: {path}/clip.json missing")
        for path in case.train:
            if train_needs and path not in checked and (path / "clip.json").is_file():
                checked.add(path)
                have = clip_fields(path)
                lacking = [f for f in train_needs if f not in have]
                if lacking:
                    rep.errors.append(f"case {case.id}: {method} needs {', '.join(lacking)} in its training clips; "
                                      f"{path} has only {', '.join(sorted(have)) or 'nothing'}")
        try:
            clip = read_clip(case.target, load_frames=False)  # validates frame/audio length agreement
        except (ClipError, OSError, ValueError) as e:
            rep.errors.append(f"case {case.id}: {e}")
            continue
        if clip.audio is None:
            rep.errors.append(f"case {case.id}: {case.target} has no driving audio")
        if not face:
            continue
        has_face = clip.landmarks is not None and np.isfinite(clip.landmarks).all()
        if not has_face and clip.masks is not None:
            has_face = bool((clip.masks == MASK_HEAD).any(axis=(1, 2)).all())
        if not has_face and detect:
            has_face = _detect_middle(case.target)
        if not has_face:
            rep.warnings.append(f"case {case.id}: no face found in {case.target} (face metrics will be unavailable)")
    return rep


def _detect_middle(path) -> bool:
    try:
        from ggtalker.track.landmarks import Dlib68

        clip = read_clip(path)
        if clip.frames is None:
            return False
        return bool(np.isfinite(Dlib68().detect(clip.frames[len(clip.frames) // 2])).all())
    except (ImportError, FileNotFoundError):
        return False
