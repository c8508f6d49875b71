"""Where a run's records live, and which recorded cases a run may reuse.

A run folder is ``<out_dir>/<suite>/<method>-<config hash>``. The hash covers the resolved method config,
the suite config, scale, seed and device, so two configurations (``steps=5`` and ``steps=10``, two
``precomputed`` folders under one label) never share ``cases/``, ``fingerprint.json`` or ``summary.json``,
even when they run at the same time.

The code can still change under one configuration (a new commit, a new world). Then:

* ``fingerprint.json`` records what the folder's cases are computed under (code commit + configuration);
* every ``cases/<case>.json`` carries the hash of the fingerprint it was computed under, and a resume reuses
  only case files carrying the current one, whatever ``fingerprint.json`` says;
* a run under a new fingerprint (or ``overwrite=true``) deletes the folder's old records *before* it writes
  its own fingerprint, so a run killed in between leaves nothing a later run could mistake for its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ggtalker.bench.records import CaseResult, atomic_write_text, git_commit

log = logging.getLogger("ggtalker.eval")

#: What a run writes into its folder besides ``fingerprint.json``; all of it belongs to one fingerprint.
RUN_OUTPUTS = ("cases", "records.csv", "per_frame.csv.gz", "summary.json", "videos")


def digest(obj: Any, n: int = 10) -> str:
    """Short sha256 of ``obj``'s canonical JSON (sorted keys)."""
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def configuration(cfg: DictConfig) -> dict[str, Any]:
    """The settings a case result depends on, besides the code: method and suite configs, scale, seed, device."""
    return {"method": OmegaConf.to_container(cfg.method, resolve=True),
            "suite": OmegaConf.to_container(cfg.suite, resolve=True), "scale": str(cfg.scale),
            "seed": int(cfg.seed), "device": str(cfg.device)}


def fingerprint(cfg: DictConfig) -> dict[str, Any]:
    """What a recorded case result depends on: the code commit and :func:`configuration`."""
    return {"commit": git_commit(), **configuration(cfg)}


def run_folder(out_dir: str | Path, suite_name: str, method_name: str, cfg: DictConfig) -> Path:
    """``<out_dir>/<suite>/<method>-<hash of the configuration>``."""
    return Path(out_dir) / suite_name / f"{method_name}-{digest(configuration(cfg), 8)}"


def claim(run_dir: Path, fp: dict[str, Any], overwrite: bool = False) -> str:
    """Make ``run_dir`` this run's; returns the fingerprint hash its case files must carry.

    The folder's records are kept when it was last claimed under the same fingerprint (and not ``overwrite``);
    otherwise they are deleted first, and only then is ``fingerprint.json`` written.
    """
    path = run_dir / "fingerprint.json"
    text = json.dumps(fp, indent=1, sort_keys=True, default=str)
    same = path.is_file() and path.read_text() == text
    stale = [run_dir / name for name in RUN_OUTPUTS if (run_dir / name).exists()]
    if stale and (overwrite or not same):
        why = "overwrite=true" if overwrite else "its records are of another run (code or settings differ)"
        log.warning("%s: %s: deleting them before this run", run_dir, why)
        for p in stale:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    if not same:
        atomic_write_text(path, text)
    return digest(fp)


def recorded(case_dir: Path, case_id: str, fp_hash: str) -> CaseResult | None:
    """The recorded result of ``case_id`` when it was computed under ``fp_hash``; else None (recompute it)."""
    path = case_dir / f"{case_id}.json"
    if not path.is_file():
        return None
    try:
        result = CaseResult.load(path)
    except (ValueError, TypeError, KeyError) as e:  # a foreign or older file format: not ours to trust
        log.warning("%s: unreadable (%s): recomputing the case", path, e)
        return None
    if result.fingerprint != fp_hash:
        log.warning("%s: computed under another fingerprint: recomputing the case", path)
        return None
    return result
