"""One generic Method that runs a published method's own code, driven by its :class:`MethodSpec`.

Configured by ``eval/conf/method/<spec>.yaml`` (``params.repo=/path/to/checkout``, ``params.python=...``).
For each identity it writes the training clips in the method's input layout, runs the spec's preprocess and
train commands in the checkout (once: a finished identity is reused unless ``retrain=true``); for each case it
writes the driving audio (and the target cameras as a transforms json), runs the inference commands, and reads
the newest video matching the spec's output glob back, fitted to the case (see
:func:`ggtalker.data.real.frames.fit_frames`: a few frames padded or dropped, a resize or a larger surplus
recorded as a warning, another aspect ratio or a far too long video refused).

Every command's stdout and stderr go to a log file; a non-zero exit raises :class:`ExternalRunError` with the
command, the log path and the log's tail. Missing prerequisites (checkout, licence-gated files, executables,
params) are all collected by :meth:`ExternalMethod.preflight`, which runs when the method is built, so a run
fails before any case is generated.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.cache import cache_root
from ggtalker.core.audio import save_audio
from ggtalker.core.clip import Cameras, Clip
from ggtalker.core.video import read_video, write_video
from ggtalker.data.real.frames import fit_frames
from ggtalker.data.real.processed import transforms_dict, write_processed

from baselines.adapters.spec import MethodSpec, load_spec

log = logging.getLogger(__name__)
LOG_TAIL_LINES = 40
STAGES = ("preprocess", "train", "infer")


class PrerequisiteError(RuntimeError):
    """Things the method needs are missing; the message lists every one and how to get it."""


class ExternalRunError(RuntimeError):
    """A command of the external method failed or produced no output; the message carries the log tail."""


def safe_name(s: str) -> str:
    """A file-name-safe version of an identity or case id."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", s) or "_"


def concat_with_audio(train: list[Clip], who: str) -> Clip:
    """One clip (frames + audio) from an identity's training clips; they must share size and frame rate."""
    if not train:
        raise ValueError(f"{who}: prepare() got no training clips")
    first = train[0]
    for c in train:
        if c.frames is None or c.audio is None:
            raise ValueError(f"{c.id}: {who} needs training frames and audio")
        if (c.height, c.width, c.fps) != (first.height, first.width, first.fps):
            raise ValueError(f"{c.id}: size/fps {c.height}x{c.width}@{c.fps} differs from {first.id}'s")
    if len(train) == 1:
        return first
    return Clip(fps=first.fps, width=first.width, height=first.height, id=first.id,
                cameras=Cameras(np.concatenate([c.cameras.K for c in train]),
                                np.concatenate([c.cameras.w2c for c in train])),
                frames=np.concatenate([c.frames for c in train]), audio=np.concatenate([c.audio for c in train]))


class ExternalMethod(Method):
    """Runs a published method's code from the user's checkout.

    Args:
        spec: a spec name in :mod:`baselines.specs` (``er_nerf``) or a :class:`MethodSpec`.
        repo: the user's checkout of the method's repository.
        python: the interpreter of the method's environment (its own conda env, usually).
        checkpoint: pretrained weights, for methods that need them (Wav2Lip, SadTalker).
        openface: OpenFace 2.2 ``FeatureExtraction`` executable, for methods that need AU csv files.
        work_dir: where inputs, models and outputs go (default ``<cache>/external/<spec>``).
        log_dir: where command logs go (default ``<work_dir>/<identity>/logs``); the YAML points it into
            the run's ``out_dir``.
        extra_args: ``{stage: [tokens]}`` appended to the last command of that stage.
        commands: ``{stage: [[tokens], ...]}`` replacing a stage's commands (e.g. to skip steps you ran).
        write_layout: also write the processed layout from our clips (frames, masks, landmarks, our cameras)
            next to ``<id>.mp4``, for pipelines whose commands use it instead of their own tracking.
        retrain: train again even when a finished model for the same training data exists.
        timeout_s: per-command limit (None: none).
        env: extra environment variables for the commands.
        check: run :meth:`preflight` at construction (the default; False for inspection only).
        device: ``cuda:K`` sets ``CUDA_VISIBLE_DEVICES=K`` for the commands.
    """

    def __init__(self, spec: str | MethodSpec, repo: str | None = None, python: str = "python",
                 checkpoint: str | None = None, openface: str | None = None, work_dir: str | None = None,
                 log_dir: str | None = None, extra_args: dict[str, list[str]] | None = None,
                 commands: dict[str, list[list[str]]] | None = None, write_layout: bool = False,
                 retrain: bool = False, timeout_s: float | None = None, env: dict[str, str] | None = None,
                 check: bool = True, device: str = "cpu", seed: int = 0) -> None:
        super().__init__(device=device, seed=seed)
        self.spec = (load_spec(spec) if isinstance(spec, str) else spec).check()
        if commands:
            bad = set(commands) - set(STAGES)
            if bad:
                raise ValueError(f"{self.spec.id}: params.commands has unknown stages {sorted(bad)}; stages: {STAGES}")
            self.spec = replace(self.spec, **{k: tuple(tuple(c) for c in v) for k, v in commands.items()}).check()
        self.name = self.spec.id
        self.repo = Path(repo).expanduser().resolve() if repo else None
        self.python, self.checkpoint, self.openface = python, checkpoint, openface
        self.work_dir = Path(work_dir) if work_dir else cache_root() / "external" / self.spec.id
        self.log_dir = Path(log_dir) / "external-logs" / self.spec.id if log_dir else None
        self.extra_args = {k: list(v) for k, v in (extra_args or {}).items()}
        bad = set(self.extra_args) - set(STAGES)
        if bad:
            raise ValueError(f"{self.spec.id}: params.extra_args has unknown stages {sorted(bad)}; stages: {STAGES}")
        self.write_layout, self.retrain, self.timeout_s = write_layout, retrain, timeout_s
        self.env = dict(env or {})
        self._logs: list[str] = []
        if check:
            self.preflight()

    # -- prerequisites -----------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Every missing prerequisite, one line each with how to fix it (empty when ready)."""
        s, out = self.spec, []
        if self.repo is None:
            out.append(f"params.repo is not set: point it at your checkout of {s.repo_url} "
                       f"(spec written at commit {s.commit})")
        elif not self.repo.is_dir():
            out.append(f"params.repo={self.repo}: not a folder (clone {s.repo_url})")
        if self._which(self.python) is None:
            out.append(f"params.python={self.python!r}: not found or not executable (the interpreter of "
                       f"{s.name}'s environment)")
        for r in s.requires:
            if r.kind == "repo_file":
                if self.repo is not None and self.repo.is_dir() and not (self.repo / r.target).exists():
                    out.append(f"missing {r.what}: {self.repo / r.target} ({r.how})")
            elif r.kind == "param":
                if getattr(self, r.target, None) in (None, ""):
                    out.append(f"params.{r.target} is not set: {r.what} ({r.how})")
                elif not Path(str(getattr(self, r.target))).expanduser().exists():
                    out.append(f"params.{r.target}={getattr(self, r.target)}: not found ({r.what}; {r.how})")
            elif r.kind == "executable":
                if hasattr(self, r.target) and not getattr(self, r.target):
                    out.append(f"params.{r.target} is not set: {r.what} ({r.how})")
                    continue
                exe = getattr(self, r.target, None) or r.target
                if self._which(exe) is None:
                    hint = f"params.{r.target}" if hasattr(self, r.target) else "PATH"
                    out.append(f"{r.what}: {exe!r} not found or not executable ({hint}; {r.how})")
        return out

    def preflight(self) -> None:
        """Raise :class:`PrerequisiteError` listing every missing prerequisite at once."""
        problems = self.problems()
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise PrerequisiteError(f"{self.spec.name} ({self.spec.id}) cannot run; missing prerequisites:\n{lines}\n"
                                    f"See docs/real-data-and-adapters.md and baselines/specs/{self.spec.id}.py.")

    @staticmethod
    def _which(exe: str) -> str | None:
        p = Path(exe).expanduser()
        if p.is_absolute() or os.sep in exe:
            return str(p) if p.is_file() and os.access(p, os.X_OK) else None
        return shutil.which(exe)

    # -- running commands --------------------------------------------------------------------------
    def _context(self, ident: str) -> dict[str, str]:
        base = self.work_dir / ident
        data_dir = base / "data" / ident
        return {
            "python": self.python, "repo": str(self.repo), "id": ident, "data_dir": str(data_dir),
            "data_root": str(data_dir.parent), "video": str(data_dir / f"{ident}.mp4"),
            "ref_image": str(data_dir / "ref.png"), "workspace": str(base / "model"),
            "checkpoint": str(self.checkpoint or ""), "openface": str(self.openface or ""),
        }

    def _log_path(self, ident: str, step: str) -> Path:
        root = (self.log_dir / ident) if self.log_dir else (self.work_dir / ident / "logs")
        root.mkdir(parents=True, exist_ok=True)
        return root / f"{safe_name(step)}.log"

    def _run_stage(self, stage: str, ctx: dict[str, str], ident: str, label: str) -> None:
        cmds = [list(c) for c in getattr(self.spec, stage)]
        if cmds and self.extra_args.get(stage):
            cmds[-1] += self.extra_args[stage]
        env = {**os.environ, **self.spec.env, **self.env}
        if self.device.startswith("cuda:"):
            env["CUDA_VISIBLE_DEVICES"] = self.device.split(":", 1)[1]
        for k, tokens in enumerate(cmds):
            argv = [t.format(**ctx) for t in tokens]
            log_path = self._log_path(ident, f"{label}-{k}")
            self._logs.append(str(log_path))
            log.info("%s: %s", self.spec.id, " ".join(argv))
            t0 = time.perf_counter()
            with open(log_path, "w") as fh:
                fh.write(f"$ {' '.join(argv)}\n# cwd: {self.repo}\n")
                fh.flush()
                try:
                    rc = subprocess.run(argv, cwd=self.repo, stdout=fh, stderr=subprocess.STDOUT, env=env,
                                        timeout=self.timeout_s).returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
                except OSError as e:
                    rc = f"could not start ({e})"
                fh.write(f"\n# exit {rc} after {time.perf_counter() - t0:.1f} s\n")
            if rc != 0:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])
                raise ExternalRunError(f"{self.spec.id}: {stage} command {k + 1}/{len(cmds)} failed (exit {rc}): "
                                       f"{' '.join(argv)}\nlog: {log_path}\n--- log tail ---\n{tail}")

    # -- the Method interface ----------------------------------------------------------------------
    def prepare(self, identity: str, train: list[Clip]) -> dict[str, Any]:
        """Write the identity's input in the method's layout, then preprocess and train (once)."""
        self.preflight()
        ident = safe_name(identity)
        ctx = self._context(ident)
        clip = concat_with_audio(train, self.spec.id)
        data_dir, workspace = Path(ctx["data_dir"]), Path(ctx["workspace"])
        stamp = workspace / ".ggtalker-done.json"
        key = hashlib.sha1(json.dumps({
            "clips": [c.id for c in train], "n": clip.n_frames, "size": [clip.height, clip.width],
            "audio": hashlib.sha1(clip.audio.tobytes()).hexdigest(), "frames0": hashlib.sha1(clip.frames[0].tobytes()).hexdigest(),
            "preprocess": self.spec.preprocess, "train": self.spec.train, "extra": self.extra_args,
        }, sort_keys=True, default=str).encode()).hexdigest()
        state = {"ident": ident, "ctx": ctx, "size": (clip.height, clip.width)}
        if stamp.is_file() and not self.retrain and json.loads(stamp.read_text()).get("key") == key:
            log.info("%s: reusing the trained model in %s", self.spec.id, workspace)
            return state
        if self.spec.layout == "talking_video" and abs(clip.fps - 25.0) > 1e-6:
            raise ValueError(f"{clip.id}: {self.spec.name} needs 25 fps training video, the clip is {clip.fps} fps")
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        workspace.mkdir(parents=True, exist_ok=True)
        if self.write_layout:
            write_processed(clip, data_dir, name=ident)
        else:
            write_video(ctx["video"], clip.frames, clip.fps, audio=clip.audio)
        iio.imwrite(ctx["ref_image"], clip.frames[0])
        self._run_stage("preprocess", ctx, ident, "preprocess")
        self._run_stage("train", ctx, ident, "train")
        stamp.write_text(json.dumps({"key": key, "spec": self.spec.id, "finished": time.time()}))
        return state

    def generate(self, state: dict[str, Any], request: DriveRequest) -> Generation:
        """Run inference on the case's audio (and cameras), read the output video back fitted to the request."""
        ident = state["ident"]
        case_dir = self.work_dir / ident / "cases" / safe_name(request.case_id)
        out_dir = case_dir / "out"
        if case_dir.exists():
            shutil.rmtree(case_dir)
        out_dir.mkdir(parents=True)
        ctx = {**state["ctx"], "case_dir": str(case_dir), "audio": str(case_dir / "aud.wav"),
               "audio_stem": str(case_dir / "aud"), "pose_json": str(case_dir / "transforms_target.json"),
               "n_frames": str(request.n_frames), "out_dir": str(out_dir)}
        save_audio(ctx["audio"], request.audio)
        if "pose_json" in self.spec.placeholders():
            body = transforms_dict(request.cameras, request.width, request.height, np.arange(request.n_frames))
            Path(ctx["pose_json"]).write_text(json.dumps(body))
        t0 = time.time()
        self._run_stage("infer", ctx, ident, f"infer-{safe_name(request.case_id)}")
        pattern = self.spec.output.format(**ctx)
        if not os.path.isabs(pattern):
            pattern = str((self.repo or Path(".")) / pattern)
        skip = re.compile(self.spec.output_exclude) if self.spec.output_exclude else None
        # Only videos written by this inference count (an older result must never be scored for this case).
        found = sorted((p for p in map(Path, glob.glob(pattern, recursive=True))
                        if p.is_file() and p.stat().st_mtime >= t0 - 1 and not (skip and skip.search(p.name))),
                       key=lambda p: p.stat().st_mtime)
        if not found:
            raise ExternalRunError(f"{self.spec.id}: inference finished but no new video matches {pattern} "
                                   f"(logs: {self._logs[-1] if self._logs else 'none'})")
        frames, _ = read_video(found[-1])
        frames, warnings = fit_frames(frames, request.n_frames, request.height, request.width, where=str(found[-1]))
        return Generation(frames=frames, warnings=warnings)

    def describe(self) -> dict[str, Any]:
        head = None
        if self.repo is not None and (self.repo / ".git").exists():
            try:
                head = subprocess.run(["git", "-C", str(self.repo), "rev-parse", "HEAD"], capture_output=True,
                                      text=True, timeout=10).stdout.strip() or None
            except (OSError, subprocess.TimeoutExpired):
                head = None
        s = self.spec
        return {"spec": s.id, "name": s.name, "repo": str(self.repo), "repo_head": head, "spec_commit": s.commit,
                "status": s.status, "licence": s.licence, "logs": self._logs[-20:], "extra_args": self.extra_args}


def main(argv: list[str] | None = None) -> int:
    """``python -m baselines.adapters.external <spec> --repo PATH``: print the spec and what is missing."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("spec", nargs="?", help="spec name; omit to list them")
    ap.add_argument("--repo")
    ap.add_argument("--python", default="python")
    ap.add_argument("--checkpoint")
    ap.add_argument("--openface")
    a = ap.parse_args(argv)
    if not a.spec:
        from baselines.adapters.spec import spec_names

        for n in spec_names():
            s = load_spec(n)
            print(f"{n:16s} {s.status:16s} {s.repo_url}")
        return 0
    m = ExternalMethod(a.spec, repo=a.repo, python=a.python, checkpoint=a.checkpoint, openface=a.openface, check=False)
    s = m.spec
    print(f"{s.name}: {s.paper} ({s.venue}, arXiv {s.arxiv})\n  repo {s.repo_url} @ {s.commit}\n  licence: {s.licence}"
          f"\n  status here: {s.status}\n  cannot be supplied by this project: {'; '.join(s.unsupplied) or '-'}")
    problems = m.problems()
    print("ready" if not problems else "missing:\n" + "\n".join(f"  - {p}" for p in problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
