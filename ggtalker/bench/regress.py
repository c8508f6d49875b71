"""The regression gate: re-run the regression suites and compare with the committed leaderboards."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from ggtalker.bench import leaderboard as lb
from ggtalker.bench.runner import output_key, run
from ggtalker.core.registry import CONF_DIR, METRICS, SUITES

REGRESSION_SCALE = "smoke"


@dataclass
class Finding:
    """One metric compared between the committed reference and the fresh run."""

    suite: str
    method: str
    metric: str
    old: float
    new: float
    tolerance: float
    kind: str  # regression | improvement | missing

    def __str__(self) -> str:
        return (f"{self.kind.upper()}: suite={self.suite} method={self.method} metric={self.metric} "
                f"committed={self.old:.6g} now={self.new:.6g} (tolerance {self.tolerance:g})")


def compose_cfg(method: str, suite: str, overrides: list[str] = ()) -> DictConfig:
    """The config ``eval/run.py`` would build for these choices (hydra compose API).

    An unknown ``scale=`` is refused as the runner refuses it (a :class:`PreflightError` naming the scales),
    not with hydra's missing-config error: the scale is a config group.
    """
    from ggtalker.bench.config_check import check_overrides
    from ggtalker.bench.preflight import PreflightError

    problems = [p for p in check_overrides([o for o in overrides if o.startswith("scale=")]) if p.startswith("scale=")]
    if problems:
        raise PreflightError.of(problems)
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=[f"method={method}", f"suite={suite}", *overrides],
                       return_hydra_config=True)


def tolerances(suite_name: str) -> dict[str, float]:
    """Absolute tolerance of every output column of a suite's metrics (the metric's ``tolerance``)."""
    spec = SUITES.spec(suite_name)
    out = {}
    for m in spec["params"]["metrics"]:
        metric = METRICS.build(m)
        for o in metric.outputs:
            out[output_key(m, metric, o)] = float(metric.tolerance)
    return out


def compare(suite: str, reference: Path, fresh: Path, tol: dict[str, float]) -> list[Finding]:
    """Compare every row of ``fresh`` with the row of the same key (method, scale, config hash) in ``reference``
    (a reference row without a hash counts as its method's registered default)."""
    ref, direction = lb.read_leaderboard(reference)
    new, new_dir = lb.read_leaderboard(fresh)
    direction = {**new_dir, **direction}
    findings: list[Finding] = []
    for _, row in new.iterrows():
        match = ref[lb.same_row(ref, row)] if len(ref) else ref
        if not len(match):
            findings.append(Finding(suite, row["method"], "*", math.nan, math.nan, 0.0, "missing"))
            continue
        old_row = match.iloc[0]
        for col in lb.metric_columns(new):
            t = tol.get(lb.Column.parse(col).metric, 1e-3)
            old, cur = float(old_row.get(col, math.nan)), float(row[col])
            if math.isnan(old) and math.isnan(cur):
                continue
            if math.isnan(cur) != math.isnan(old):
                findings.append(Finding(suite, row["method"], col, old, cur, t, "regression"))
                continue
            if old == cur:  # also covers inf == inf
                continue
            delta = (cur - old) if direction.get(col, True) else (old - cur)
            if delta < -t or math.isnan(delta):
                findings.append(Finding(suite, row["method"], col, old, cur, t, "regression"))
            elif delta > t:
                findings.append(Finding(suite, row["method"], col, old, cur, t, "improvement"))
    return findings


def regression_suites() -> list[tuple[str, list[str]]]:
    """(suite, methods) pairs marked ``regression: true`` in their configs."""
    out = []
    for name in SUITES.names():
        params = SUITES.spec(name).get("params", {})
        if params.get("regression"):
            out.append((name, list(params.get("regression_methods") or ["ground_truth", "static"])))
    return out


def regress(leaderboard_dir: Path, suites: list[str] | None = None, work_dir: Path | None = None) -> list[Finding]:
    """Re-run every regression suite × method at smoke scale and compare with ``leaderboard_dir``."""
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        for suite, methods in regression_suites():
            if suites and suite not in suites:
                continue
            for method in methods:
                cfg = compose_cfg(method, suite, [f"scale={REGRESSION_SCALE}", f"out_dir={tmp}/out",
                                                  f"leaderboard_dir={tmp}/lb", "overwrite=true"])
                run(cfg)
            findings += compare(suite, Path(leaderboard_dir) / f"{suite}.csv", Path(tmp) / "lb" / f"{suite}.csv",
                                tolerances(suite))
    return findings
