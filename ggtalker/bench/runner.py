"""The evaluation loop: method × suite → per-case records → records.csv, summary.json, leaderboard row."""

from __future__ import annotations

import json
import logging
import random
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from ggtalker.bench import leaderboard as lb
from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.bench.preflight import preflight
from ggtalker.bench.metric import Metric
from ggtalker.bench.records import (
    CaseResult, MetricRecord, array_hash, atomic_write_text, device_name, git_commit, package_versions,
    per_frame_frame, records_frame,
)
from ggtalker.bench.suite import Suite
from ggtalker.core.case import Case
from ggtalker.core.clip import Clip, read_clip
from ggtalker.core.registry import METHODS, METRICS, SUITES

log = logging.getLogger("ggtalker.eval")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)


def group_choice(cfg: DictConfig, group: str) -> str:
    """The config name chosen for ``group`` (``method=static`` → ``static``)."""
    node = cfg.get(group)
    if node is not None and node.get("name"):
        return str(node.name)
    try:
        from hydra.core.hydra_config import HydraConfig

        return str(HydraConfig.get().runtime.choices[group])
    except ValueError:
        return str(cfg.hydra.runtime.choices[group])


def output_key(metric_name: str, metric: Metric, output: str) -> str:
    """Record/column name: the registered name for one-output metrics, else ``<name>_<output>``."""
    return metric_name if len(metric.outputs) == 1 else f"{metric_name}_{output}"


def evaluate_case(metrics: dict[str, Metric], pred: Generation, gt: Clip,
                  unavailable: dict[str, str]) -> list[MetricRecord]:
    """Run every metric on one case; an unmet need or missing weight becomes an 'unavailable' record."""
    out: list[MetricRecord] = []
    for name, metric in metrics.items():
        keys = {o: output_key(name, metric, o) for o in metric.outputs}
        reason = unavailable.get(name) or metric.missing(pred, gt)
        status, values, per_frame = "ok", {}, {}
        if reason is None:
            try:
                metric.reset()
                metric.update(pred, gt)
                values, per_frame = metric.compute(), metric.per_frame()
            except Exception as e:  # a broken metric must not sink the run; the record says why
                log.exception("metric %s failed", name)
                status, reason = "error", f"{type(e).__name__}: {e}"
        else:
            status = "unavailable" if name in unavailable or "lacks" in reason else "error"
        for o, key in keys.items():
            ok = status == "ok" and o in values
            out.append(MetricRecord(
                metric=key, value=values.get(o, float("nan")) if ok else float("nan"),
                status="ok" if ok else (status if status != "ok" else "unavailable"),
                reason="" if ok else (reason or "no value produced"), higher_is_better=metric.outputs[o],
                variant=metric.variant(), per_frame=per_frame[o].tolist() if ok and o in per_frame else None,
            ))
    return out


def make_request(case: Case, target: Clip, oracle: bool) -> DriveRequest:
    """Strip the ground truth from a target clip, keeping the controls the case grants."""
    if target.audio is None:
        raise ValueError(f"{case.target}: a target clip needs driving audio")
    missing = [c for c in case.controls if c not in target.params]
    if missing:
        raise ValueError(f"{case.target}: case {case.id} grants controls {missing} the clip does not have")
    return DriveRequest(
        case_id=case.id, audio=target.audio, fps=target.fps, cameras=target.cameras, width=target.width,
        height=target.height, controls={c: target.params[c] for c in case.controls},
        oracle=target if oracle else None,
    )


def _fingerprint(cfg: DictConfig) -> dict[str, Any]:
    """What a recorded case result depends on: the code, the method and suite configs, scale, seed, device."""
    return {"commit": git_commit(), "method": OmegaConf.to_container(cfg.method, resolve=True),
            "suite": OmegaConf.to_container(cfg.suite, resolve=True), "scale": str(cfg.scale),
            "seed": int(cfg.seed), "device": str(cfg.device)}


def _same_run(run_dir: Path, fingerprint: dict[str, Any]) -> bool:
    """Whether ``run_dir``'s recorded cases may be resumed: only those of an identical run.

    Writes ``fingerprint`` as the run's own. Case files of another run (other code, world, checkpoint,
    scale or settings) in the same folder are recomputed, never mixed into this run's row.
    """
    path = run_dir / "fingerprint.json"
    text = json.dumps(fingerprint, indent=1, sort_keys=True, default=str)
    same = path.is_file() and path.read_text() == text
    if not same and (run_dir / "cases").is_dir():
        log.warning("%s holds cases of another run (code, config, scale or device differ): recomputing them", run_dir)
    atomic_write_text(path, text)
    return same


def run(cfg: DictConfig) -> dict[str, Any]:
    """Evaluate ``cfg.method`` on ``cfg.suite``; returns the leaderboard row that was written."""
    seed_everything(int(cfg.seed))
    method_name, suite_name = group_choice(cfg, "method"), group_choice(cfg, "suite")
    suite: Suite = SUITES.build(cfg.suite)
    suite.name = suite_name
    protocol = suite.get_protocol()
    method: Method = METHODS.build(cfg.method, device=str(cfg.device), seed=int(cfg.seed))
    metrics = {m: METRICS.build(m, device=str(cfg.device), protocol=protocol) for m in suite.metrics}
    # Preflight: missing weights are found before any work starts and reported together.
    unavailable = {n: r for n, m in metrics.items() if (r := m.unavailable())}
    for n, r in unavailable.items():
        log.warning("metric %s unavailable: %s", n, r)

    run_dir = Path(cfg.out_dir) / suite_name / method_name
    case_dir = run_dir / "cases"
    fingerprint = _fingerprint(cfg)
    # Always record this run's fingerprint, so an overwrite run's cases are never resumed as another's.
    resume = _same_run(run_dir, fingerprint) and not cfg.overwrite
    cases = suite.cases(scale=str(cfg.scale), seed=int(cfg.seed))
    checks = preflight(cases, metrics, unavailable)  # every problem at once, before any work
    checks.raise_or_log(log)
    by_identity: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_identity[c.identity].append(c)

    t_start = time.perf_counter()
    results: list[CaseResult] = []
    bar = tqdm(total=len(cases), desc=f"{method_name} on {suite_name}", unit="case")
    for identity, id_cases in by_identity.items():
        todo = [c for c in id_cases if not resume or not (case_dir / f"{c.id}.json").is_file()]
        for c in id_cases:
            if c not in todo:
                results.append(CaseResult.load(case_dir / f"{c.id}.json"))
                bar.update(1)
        if not todo:
            continue
        train = [read_clip(p) for p in todo[0].train]
        t0 = time.perf_counter()
        state = method.prepare(identity, train)
        prepare_s = time.perf_counter() - t0
        for case in todo:
            target = read_clip(case.target)
            request = make_request(case, target, method.oracle)
            t0 = time.perf_counter()
            pred = method.generate(state, request)
            generate_s = time.perf_counter() - t0
            if pred.frames is not None and pred.frames.shape != (target.n_frames, target.height, target.width, 3):
                raise ValueError(
                    f"{method_name} returned frames {pred.frames.shape} for case {case.id}, expected "
                    f"{(target.n_frames, target.height, target.width, 3)}"
                )
            records = evaluate_case(metrics, pred, target, unavailable)
            yaw_pitch = target.cameras.yaw_pitch_deg()
            result = CaseResult(
                case=case.id, identity=identity, tags=dict(case.tags), n_frames=target.n_frames,
                prepare_s=prepare_s, generate_s=generate_s, pred_hash=array_hash(pred.frames),
                gt_hash=array_hash(target.frames), protocol=protocol.name, records=records,
                frame_tags={"yaw": yaw_pitch[:, 0].round(2).tolist(), "pitch": yaw_pitch[:, 1].round(2).tolist()},
            )
            result.save(case_dir / f"{case.id}.json")
            results.append(result)
            bar.update(1)
    bar.close()
    wall_s = time.perf_counter() - t_start

    recs = records_frame(results)
    recs.to_csv(run_dir / "records.csv", index=False)
    pf = per_frame_frame(results)
    if len(pf):
        pf.to_csv(run_dir / "per_frame.csv.gz", index=False)

    values, direction = lb.summarise(results, suite.group_by)
    prep = {r.identity: r.prepare_s for r in results}
    n_gen = sum(r.n_frames for r in results)
    gen_s = sum(r.generate_s for r in results)
    peak_gpu = float("nan")
    if str(cfg.device).startswith("cuda"):
        import torch

        peak_gpu = torch.cuda.max_memory_allocated() / 2**20
    row = {
        "method": method_name, **values, "n_cases": len(results),
        "train_s": float(np.mean(list(prep.values()))) if prep else float("nan"),
        "infer_fps": n_gen / gen_s if gen_s > 0 else float("nan"),
        "peak_cpu_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_gpu_mb": peak_gpu, "device": device_name(str(cfg.device)), "scale": str(cfg.scale),
        "protocol": protocol.name, "commit": fingerprint["commit"],
    }
    summary = {
        "method": method_name, "suite": suite_name, "row": row, "protocol": protocol.to_dict(),
        "unavailable": unavailable,
        "config": OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True),
        "method_info": method.describe(), "metric_variants": {n: m.variant() for n, m in metrics.items()},
        "packages": package_versions(), "seed": int(cfg.seed), "wall_s": wall_s,
    }
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=1, default=str))
    lb.upsert(Path(cfg.leaderboard_dir) / f"{suite_name}.csv", row, direction)
    log.info("wrote %s and %s", run_dir, Path(cfg.leaderboard_dir) / f"{suite_name}.csv")
    return row
