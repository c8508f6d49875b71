"""Suites: named lists of cases plus the metrics and protocol that score them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from ggtalker.bench.protocol import Protocol
from ggtalker.core.case import Case
from ggtalker.core.registry import CONF_DIR, import_target

#: The sizes a source function itself knows (its ``scale`` argument); a named suite scale starts from one.
SOURCE_SCALES = ("smoke", "full")
#: Every scale ``scale=`` accepts: one ``eval/conf/scale/<name>.yaml`` each, the source scales first.
SCALES = SOURCE_SCALES + tuple(sorted(p.stem for p in (CONF_DIR / "scale").glob("*.yaml")
                                      if p.stem not in SOURCE_SCALES))


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
        scales: named scales, ``{name: {base, source, metrics}}``: at scale ``name`` the source is called at
            ``base`` (one of :data:`SOURCE_SCALES`; default ``name``) with ``source`` over its params, and
            ``metrics`` (when given) replace the suite's. ``smoke`` and ``full`` need no entry; another scale
            a suite does not name is refused.
    """

    source: dict[str, Any]
    metrics: list[str]
    protocol: dict[str, Any] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)
    regression: bool = False
    regression_methods: list[str] = field(default_factory=list)
    scales: dict[str, dict[str, Any]] = field(default_factory=dict)
    name: str = "suite"

    def get_protocol(self) -> Protocol:
        return Protocol(**self.protocol)

    def base_scale(self, scale: str) -> str:
        """The source scale that ``scale`` starts from; a ValueError for a scale this suite has no sizes for."""
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        base = str((self.scales.get(scale) or {}).get("base", scale))
        if base not in SOURCE_SCALES:
            named = sorted(set(SOURCE_SCALES) | set(self.scales))
            raise ValueError(f"suite {self.name} has no sizes for scale={scale}; its scales: {', '.join(named)} "
                             f"(add scales.{scale} to its YAML)")
        return base

    def at_scale(self, scale: str) -> "Suite":
        """This suite as ``scale`` sizes it: its source params and metrics with ``scales[scale]`` applied
        (idempotent: the named scale's values are the same however often they are applied)."""
        self.base_scale(scale)
        spec = self.scales.get(scale) or {}
        params = {**(self.source.get("params") or {}), **(spec.get("source") or {})}
        return replace(self, source={**self.source, "params": params},
                       metrics=list(spec.get("metrics") or self.metrics))

    def cases(self, scale: str = "smoke", seed: int = 0) -> list[Case]:
        """Materialise (generating and caching clips as needed) and return the cases at ``scale``."""
        sized = self.at_scale(scale)
        fn: Callable[..., list[Case]] = import_target(sized.source["target"])
        cases = fn(scale=self.base_scale(scale), seed=seed, **(sized.source.get("params") or {}))
        ids = [c.id for c in cases]
        if len(set(ids)) != len(ids):
            raise ValueError(f"suite {self.name}: duplicate case ids")
        return cases
