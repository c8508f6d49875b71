"""The evaluation loop: method × suite → per-case records → records.csv, summary.json, leaderboard row."""

from __future__ import annotations

import copy
import json
import logging
import random
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf, open_dict
from tqdm.auto import tqdm

from ggtalker import REPO_ROOT
from ggtalker.bench import leaderboard as lb
from ggtalker.bench.config_check import (
    DEFAULT_SAVE_VIDEOS, check_method_params, check_settings, hydra_choice, parse_shard,
)
from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.bench.method_config import (
    apply_preset, config_hash, flatten, registered_preset, row_label, zoo_column, zoo_entries,
)
from ggtalker.bench.metric import Metric, MetricUnavailable
from ggtalker.bench.preflight import PreflightError, preflight
from ggtalker.bench.records import (
    CaseResult, MetricRecord, array_hash, atomic_write_text, device_name, package_versions, per_frame_frame,
    records_frame, write_table,
)
from ggtalker.bench.resume import claim, fingerprint, recorded, run_folder
from ggtalker.bench.suite import Suite
from ggtalker.bench.videos import VIDEO_DIR, VideoSaver
from ggtalker.core.case import Case
from ggtalker.core.clip import Clip, ClipError, read_clip
from ggtalker.core.registry import METHODS, METRICS, SUITES
from ggtalker.synth.recipes import WORLD_VERSION

log = logging.getLogger("ggtalker.eval")

#: Errors that mean a bad input, whose message names the setting or file, the problem and the fix:
#: ``eval/run.py`` prints their message alone. Anything else is a bug and keeps its traceback.
EXPECTED_ERRORS = (PreflightError, ClipError, FileNotFoundError, ValueError, KeyError)


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
    choice = hydra_choice(cfg, group)
    if choice is None:
        raise ValueError(f"cfg.{group} has no name and the config was not composed by hydra")
    return choice


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
            except MetricUnavailable as e:  # an expected gap (no face in this case): one line, no traceback
                log.warning("metric %s unavailable on %s: %s", name, gt.id, e)
                status, reason = "unavailable", str(e)
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


def with_preset(cfg: DictConfig) -> tuple[DictConfig, dict[str, Any]]:
    """``cfg`` with its method's preset at ``cfg.scale`` in ``method.params``, and the preset values in effect
    (dotted keys).

    Composed by hydra, the method YAML's defaults list has merged ``preset/<method>/<scale>.yaml`` already
    (a typed value over it): ``cfg`` is returned as it is, with the preset values that stand. A config built
    in code with a ``presets`` key of its own has it applied here (see
    :func:`~ggtalker.bench.method_config.apply_preset`).
    """
    yaml_name = hydra_choice(cfg, "method")
    node = OmegaConf.to_container(cfg.method, resolve=True)
    scale = str(cfg.get("scale"))
    if not node.get("presets"):
        composed = registered_preset(yaml_name, scale) if yaml_name else {}
        mine = flatten(node.get("params") or {})
        standing = {k: v for k, v in flatten(composed).items() if k in mine and mine[k] == v}
        if standing:
            log.info("scale=%s: method preset in effect: %s", scale, ", ".join(f"{k}={v}" for k, v in standing.items()))
        return cfg, standing
    registered = yaml_name is not None and yaml_name in METHODS.names()
    yaml_params = (METHODS.spec(yaml_name).get("params") or {}) if registered else (node.get("params") or {})
    params, applied = apply_preset(node, yaml_params, scale)
    if not applied:
        return cfg, {}
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        cfg.method.params = OmegaConf.create(params)
    log.info("scale=%s: method preset applied: %s", cfg.scale, ", ".join(f"{k}={v}" for k, v in applied.items()))
    return cfg, applied


def command_line(cfg: DictConfig, method_name: str, suite_name: str) -> str:
    """The ``eval/run.py`` command that reproduces this run: hydra's task overrides as typed (a multirun's
    job gets its own values), or the method, suite and scale of a config composed without hydra's node."""
    overrides = None
    try:
        from hydra.core.hydra_config import HydraConfig

        overrides = list(HydraConfig.get().overrides.task)
    except ValueError:  # not inside hydra.main: a config from compose_cfg keeps its overrides in cfg.hydra
        if "hydra" in cfg:
            overrides = list(OmegaConf.select(cfg, "hydra.overrides.task", default=[]) or [])
    if not overrides:
        overrides = [f"method={method_name}", f"suite={suite_name}", f"scale={cfg.scale}"]
    return "python eval/run.py " + " ".join(overrides)


def peak_memory_mb(device: str) -> tuple[float, float]:
    """``(peak CPU RSS, peak CUDA allocation)`` of this process so far, in MiB (NaN for no CUDA device)."""
    peak_gpu = float("nan")
    if device.startswith("cuda"):
        import torch

        peak_gpu = torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, peak_gpu


def run(cfg: DictConfig) -> dict[str, Any] | None:
    """Evaluate ``cfg.method`` on ``cfg.suite``; returns the leaderboard row that was written.

    With ``cfg.shard = "k/n"`` this process computes and records only the cases of identities k, k+n, ... (in
    the suite's order) and writes no summary or row (returns None): n shards run side by side under the same
    fingerprint, and a run without ``shard`` then finds every case recorded and writes the row. A shard does
    not enter the fingerprint, since it changes no result.

    Raises :class:`PreflightError` (nothing built, nothing written) for a bad setting, method parameter, case
    or training clip.
    """
    # The settings first, in a second: a bad seed, scale, device or parameter must not cost a minute of work.
    problems = check_settings(cfg)
    if problems:
        raise PreflightError.of(problems)
    cfg, applied = with_preset(cfg)
    problems = check_method_params(OmegaConf.to_container(cfg.method, resolve=True), hydra_choice(cfg, "method"))
    if problems:
        raise PreflightError.of(problems)
    seed_everything(int(cfg.seed))
    method_name, suite_name = group_choice(cfg, "method"), group_choice(cfg, "suite")
    method_node = OmegaConf.to_container(cfg.method, resolve=True)
    suite: Suite = SUITES.build(cfg.suite)
    suite.name = suite_name
    suite = suite.at_scale(str(cfg.scale))  # the named scale's sizes and metrics
    protocol = suite.get_protocol()
    method: Method = METHODS.build(cfg.method, device=str(cfg.device), seed=int(cfg.seed))
    metrics = {m: METRICS.build(m, device=str(cfg.device), protocol=protocol) for m in suite.metrics}
    # Preflight: missing weights are found before any work starts and reported together.
    unavailable = {n: r for n, m in metrics.items() if (r := m.unavailable())}
    for n, r in unavailable.items():
        log.warning("metric %s unavailable: %s", n, r)
    cases = suite.cases(scale=str(cfg.scale), seed=int(cfg.seed))
    checks = preflight(cases, metrics, unavailable, train_needs=method.train_needs,
                       method=method_name)  # every problem at once, before any work
    checks.raise_or_log(log)

    # Only a run that passed preflight may claim the folder (claiming deletes another run's records).
    run_dir = run_folder(cfg.out_dir, suite_name, method_name, cfg)
    case_dir = run_dir / "cases"
    fp = fingerprint(cfg)
    fp_hash = claim(run_dir, fp, overwrite=bool(cfg.overwrite))
    by_identity: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_identity[c.identity].append(c)
    shard = parse_shard(cfg.get("shard"))
    if shard is not None:
        k, n = shard
        by_identity = {i: c for j, (i, c) in enumerate(by_identity.items()) if j % n == k}
        log.info("shard %d/%d: identities %s", k, n, ", ".join(by_identity) or "none")
    videos = VideoSaver(run_dir, int(cfg.get("save_videos", DEFAULT_SAVE_VIDEOS)))

    t_start = time.perf_counter()
    results: list[CaseResult] = []
    bar = tqdm(total=sum(len(c) for c in by_identity.values()), desc=f"{method_name} on {suite_name}", unit="case")
    for identity, id_cases in by_identity.items():
        done = {c.id: r for c in id_cases if (r := recorded(case_dir, c.id, fp_hash)) is not None}
        results += done.values()
        # A resumed case keeps the video it was recorded with: it counts towards save_videos.
        videos.written += [{"kind": "case", "case": r.case, "path": r.video} for r in done.values()
                           if r.video and (run_dir / r.video).is_file()]
        bar.update(len(done))
        todo = [c for c in id_cases if c.id not in done]
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
            for w in pred.warnings:
                log.warning("case %s: %s", case.id, w)
            video = videos.case(case.id, identity, dict(case.tags), target.frames, pred.frames, target.audio,
                                target.fps)
            records = evaluate_case(metrics, pred, target, unavailable)
            yaw_pitch = target.cameras.yaw_pitch_deg()
            result = CaseResult(
                case=case.id, identity=identity, tags=dict(case.tags), n_frames=target.n_frames,
                prepare_s=prepare_s, generate_s=generate_s, pred_hash=array_hash(pred.frames),
                gt_hash=array_hash(target.frames), protocol=protocol.name, records=records,
                frame_tags={"yaw": yaw_pitch[:, 0].round(2).tolist(), "pitch": yaw_pitch[:, 1].round(2).tolist()},
                fingerprint=fp_hash, warnings=list(pred.warnings), video=video,
                peak_mb=peak_memory_mb(str(cfg.device)),
            )
            result.save(case_dir / f"{case.id}.json")
            results.append(result)
            bar.update(1)
        videos.identity_done(identity)
    bar.close()
    wall_s = time.perf_counter() - t_start
    if shard is not None:
        log.info("shard %s: %d case(s) recorded in %s; a run without shard writes the row", cfg.shard,
                 len(results), case_dir)
        return None
    # In the suite's order, whichever cases were resumed: a resumed run's means are the clean run's to the last bit.
    order = {c.id: i for i, c in enumerate(cases)}
    results.sort(key=lambda r: order[r.case])

    write_table(records_frame(results), run_dir / "records.csv")
    pf = per_frame_frame(results)
    if len(pf):
        write_table(pf, run_dir / "per_frame.csv.gz")

    values, direction, counts = lb.summarise(results, suite.group_by)
    prep = {r.identity: r.prepare_s for r in results}
    n_gen = sum(r.n_frames for r in results)
    gen_s = sum(r.generate_s for r in results)
    # Over the processes that computed the cases (a resumed or sharded run's cases were computed elsewhere);
    # fmax skips NaN (no CUDA device) without nanmax's all-NaN warning.
    peak_cpu, peak_gpu = np.fmax.reduce([r.peak_mb for r in results if r.peak_mb] + [peak_memory_mb(str(cfg.device))])
    method_info = method.describe()
    zoo = zoo_entries(method_info)
    row = {
        "method": method_name,
        "label": row_label(method_name, hydra_choice(cfg, "method") or method_name, method_node, str(cfg.scale)),
        **values, **{lb.count_column(k): n for k, n in counts.items()},
        "n_cases": len(results),
        "train_s": float(np.mean(list(prep.values()))) if prep else float("nan"),
        "infer_fps": n_gen / gen_s if gen_s > 0 else float("nan"),
        "peak_cpu_mb": float(peak_cpu), "peak_gpu_mb": float(peak_gpu), "device": device_name(str(cfg.device)),
        "scale": str(cfg.scale),
        "config_hash": config_hash(method_node), "protocol": protocol.name, "commit": fp["commit"],
        "world": WORLD_VERSION, "zoo": zoo_column(zoo),
    }
    warnings = [f"case {r.case}: {w}" for r in results for w in r.warnings]
    summary = {
        "method": method_name, "suite": suite_name, "row": row, "protocol": protocol.to_dict(),
        "run_dir": str(run_dir), "fingerprint": fp_hash, "code_root": str(REPO_ROOT), "warnings": warnings,
        "unavailable": unavailable,
        "config": OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True),
        "preset": {"scale": str(cfg.scale), "applied": applied} if applied else None, "zoo": zoo,
        "method_info": method_info, "metric_variants": {n: m.variant() for n, m in metrics.items()},
        "packages": package_versions(), "seed": int(cfg.seed), "wall_s": wall_s,
        "command": command_line(cfg, method_name, suite_name),
        # Every video in the run folder (relative paths): the cases' truth | prediction, a novel-view ring.
        "videos": [{"kind": "case", "case": r.case, "path": r.video} for r in results if r.video]
        + [v for v in videos.written if v["kind"] == "ring"]
        + [{"kind": "ring", "case": p.stem.removesuffix("_ring"), "path": f"{VIDEO_DIR}/{p.name}"}
           for p in sorted((run_dir / VIDEO_DIR).glob("*_ring.mp4"))
           if not any(v["kind"] == "ring" for v in videos.written)],
    }
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=1, default=str))
    lb.upsert(Path(cfg.leaderboard_dir) / f"{suite_name}.csv", row, direction)
    if warnings:
        log.warning("%d warning(s) recorded in %s", len(warnings), run_dir / "summary.json")
    log.info("wrote %s and %s", run_dir, Path(cfg.leaderboard_dir) / f"{suite_name}.csv")
    return row
