"""Suites: named lists of cases plus the metrics and protocol that score them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ggtalker.bench.protocol import Protocol
from ggtalker.core.case import Case
from ggtalker.core.registry import import_target

SCALES = ("smoke", "full")


@dataclass
class Suite:
    """A suite, built from ``eval/conf/suite/<name>.yaml``.

    Args:
        source: ``{"target": "module:function", "params": {...}}``; the function is called as
            ``function(scale=..., seed=..., **params)`` and returns a list of :class:`Case`. Suites do not
            know where clips come from: the toy generator, SynthTalk, or a folder of real videos.
        metrics: registered metric names.
        protocol: fields of :class:`Protocol`.
        group_by: tag names whose groups get their own leaderboard columns (``psnr[family=noise]``).
        regression: whether ``eval/regress.py`` re-runs this suite.
    """

    source: dict[str, Any]
    metrics: list[str]
    protocol: dict[str, Any] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)
    regression: bool = False
    regression_methods: list[str] = field(default_factory=list)
    name: str = "suite"

    def get_protocol(self) -> Protocol:
        return Protocol(**self.protocol)

    def cases(self, scale: str = "smoke", seed: int = 0) -> list[Case]:
        """Materialise (generating and caching clips as needed) and return the cases."""
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        fn: Callable[..., list[Case]] = import_target(self.source["target"])
        cases = fn(scale=scale, seed=seed, **(self.source.get("params") or {}))
        ids = [c.id for c in cases]
        if len(set(ids)) != len(ids):
            raise ValueError(f"suite {self.name}: duplicate case ids")
        return cases
