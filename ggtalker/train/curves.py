"""Convergence curves of the in-house baselines (issue 22): held-out loss against training steps.

Per identity the adaptation clip is split in time: the first ``1 - val_fraction`` of its frames train the
method, the last ``val_fraction`` (frames training never sees) are scored every ``every`` steps through a
:class:`baselines.common.FitHook` with the method's own training loss (its ``validate``) and the harness's
``psnr_face``. Rows go to ``<out>/<method>.csv``; the plateau rule (:func:`plateau_step`) picks the budget.
Training checkpoints through :class:`ggtalker.train.checkpoint.TrainingState`, so a run resumes.
"""

from __future__ import annotations

import functools
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch

from baselines.common import FitHook
from ggtalker.bench.fit_diagnostic import score
from ggtalker.bench.method import Generation, Method
from ggtalker.bench.records import device_name, git_commit, upsert_csv
from ggtalker.core.atomic import write_bytes, write_text
from ggtalker.core.clip import Clip
from ggtalker.core.registry import METRICS
from ggtalker.train.checkpoint import TrainingState

KEY = ["method", "scale", "identity", "step"]
COLUMNS = KEY + ["train_loss", "val_loss", "val_psnr_face", "seconds", "device", "commit"]
#: The plateau rule's defaults: the first evaluated step after which the best held-out loss improves by less
#: than ``TOL`` (relative) over the next ``WINDOW`` of the run's steps.
TOL, WINDOW = 0.01, 0.2


def split_clip(clip: Clip, val_fraction: float = 0.2) -> tuple[Clip, Clip]:
    """``(train, val)``: the clip's first frames and its last ``round(val_fraction · N)`` (at least one each),
    each with its span of audio."""
    n_val = int(round(clip.n_frames * val_fraction))
    if not 0 < n_val < clip.n_frames:
        raise ValueError(f"{clip.id}: {clip.n_frames} frames leave no train/val split at val_fraction={val_fraction}")
    cut = clip.n_frames - n_val
    return clip.slice(0, cut), clip.slice(cut, clip.n_frames)


def val_index(n: int, max_frames: int) -> np.ndarray:
    """At most ``max_frames`` frame indices of ``range(n)``, evenly spread (all of them when ``n`` is smaller)."""
    if n <= max_frames:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_frames).round().astype(int))


def plateau_step(steps: np.ndarray, val: np.ndarray, tol: float = TOL, window: float = WINDOW) -> int | None:
    """The first evaluated step ``s`` after which the best held-out loss so far improves by less than ``tol``
    (relative) by the first evaluated step at least ``window`` × (last step) later; None when no step has such a
    later one inside the run (the run was too short to show a plateau).

    Args:
        steps: evaluated steps ``(E,)``, increasing; val: held-out losses ``(E,)`` (lower is better).
    """
    steps, val = np.asarray(steps, float), np.asarray(val, float)
    best = np.minimum.accumulate(val)  # the running best: one noisy evaluation neither starts nor ends a plateau
    horizon = max(window * steps[-1], 1e-9)
    for i, s in enumerate(steps):
        j = int(np.searchsorted(steps, s + horizon, side="left"))
        if j >= len(steps):
            return None
        if best[i] - best[j] < tol * best[i]:
            return int(s)
    return None


@dataclass
class CurveRun:
    """One identity's curve run: how many steps it resumed from and trained to, and whether the time cap stopped it."""

    identity: str
    start_step: int
    end_step: int
    capped: bool


def train_curve(method: Method, identity: str, clip: Clip, csv: Path, *, label: str, scale: str, device: str,
                every: int, val_frames: int = 12, val_fraction: float = 0.2, state_path: Path | None = None,
                checkpoint_every: int = 0, resume: bool = False, stop_after: int | None = None,
                max_seconds: float | None = None) -> CurveRun:
    """Train ``method`` once on the first part of ``clip``, upserting a row into ``csv`` at step 0, every
    ``every`` steps and the last (a killed run keeps the rows it wrote).

    Args:
        method: an in-house baseline (``prepare(..., hook=)`` and ``validate(state, clip, index)``).
        clip: the identity's adaptation clip, split by :func:`split_clip`.
        val_frames: held-out frames scored (evenly spread over the held-out part).
        state_path: the training state file; with ``checkpoint_every`` (a multiple of ``every``) > 0 it is
            written every that many steps, so a killed run loses at most that many; ``resume`` continues it
            (a missing file starts afresh).
        stop_after: stop after this many steps (checkpointed there), as if the machine were taken away.
        max_seconds: stop at the first evaluated step past this many training seconds.
    Row columns are :data:`COLUMNS`: ``train_loss`` is the mean training loss since the previous row,
    ``seconds`` the training wall time so far (validation excluded; carried across resumes).
    """
    for name, v in (("checkpoint_every", checkpoint_every), ("stop_after", stop_after)):
        if v and v % every:  # the seconds counter is brought up to date at evaluated steps only
            raise ValueError(f"{name}={v} must be a multiple of every={every}")
    train, val = split_clip(clip, val_fraction)
    index = val_index(val.n_frames, val_frames)
    truth = val.take(index)
    psnr = {"psnr_face": METRICS.build("psnr_face", device=device)}
    dev, commit = device_name(device), git_commit()
    cuda = device.startswith("cuda")
    clock = {"last": time.perf_counter(), "prev": 0, "capped": False}
    hook = FitHook(every=every, stop_after=stop_after, extra={"seconds": 0.0})

    def evaluate(step: int, state: Any, losses: list[float]) -> None:
        if cuda:
            torch.cuda.synchronize()  # the clock must not run ahead of the GPU's queue
        hook.extra["seconds"] += time.perf_counter() - clock["last"]
        v = method.validate(state, val, index)
        recent = losses[clock["prev"]:step] if step else []
        row = {"method": label, "scale": scale, "identity": identity, "step": step,
               "train_loss": float(np.mean(recent)) if recent else float("nan"), "val_loss": v.loss,
               "val_psnr_face": score(psnr, Generation(frames=v.frames), truth)["psnr_face"],
               "seconds": round(hook.extra["seconds"], 3), "device": dev, "commit": commit}
        upsert_csv(csv, [row], KEY, COLUMNS)
        print(f"{label} {identity} step {step:6d}  train {row['train_loss']:.4f}  val {v.loss:.4f}  "
              f"psnr_face {row['val_psnr_face']:.2f}  {row['seconds']:.1f} s", flush=True)
        if max_seconds is not None and hook.extra["seconds"] >= max_seconds and step < method.cfg["steps"]:
            hook.stop_after, clock["capped"] = step, True
        clock["prev"] = step
        clock["last"] = time.perf_counter()

    def begun(step: int) -> None:  # the first row's loss window starts at the resumed step
        clock["prev"] = clock["start"] = step

    hook.evaluate = evaluate
    if state_path is not None:
        hook.checkpointer = functools.partial(_BeginNoted, state_path, checkpoint_every, on_begin=begun)
        hook.resume = resume and Path(state_path).is_file()
        if not hook.resume and Path(state_path).is_file():
            raise SystemExit(f"{state_path} exists: pass --resume to continue it, or delete it to start afresh")
    clock["start"] = 0
    state = method.prepare(identity, [train], hook=hook)
    return CurveRun(identity, clock["start"], len(state.losses), clock["capped"])


class _BeginNoted(TrainingState):
    """A :class:`TrainingState` that tells ``on_begin(step)`` the step training starts from, so the state file
    is read once (by the method's loop) rather than a second time to learn its step."""

    def __init__(self, *args: Any, on_begin: Callable[[int], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_begin = on_begin

    def begin(self, resume: bool) -> tuple[int, dict[str, Any]]:
        step, extra = super().begin(resume)
        self._on_begin(step)
        return step, extra


def summarise(df: pd.DataFrame, runs: dict[str, CurveRun] | None = None, tol: float = TOL,
              window: float = WINDOW) -> dict[str, Any]:
    """The plateau rule per identity over one method's rows (one scale), and the budget it suggests: the
    largest plateau step over the identities (None when any identity shows no plateau)."""
    out: dict[str, Any] = {"rule": f"first evaluated step after which the best val loss so far improves by less than "
                                   f"{tol:.0%} over the next {window:.0%} of the run's steps",
                           "tol": tol, "window": window, "identities": {}}
    for ident, g in df.sort_values("step").groupby("identity"):
        st, v = g["step"].to_numpy(), g["val_loss"].to_numpy()
        p = plateau_step(st, v, tol, window)
        best = int(np.argmin(v))
        at = g[g["step"] == p].iloc[0] if p is not None else None
        out["identities"][ident] = {
            "last_step": int(st[-1]), "plateau_step": p,
            "plateau_seconds": None if at is None else float(at["seconds"]),
            "val_loss_at_plateau": None if at is None else float(at["val_loss"]),
            "best_step": int(st[best]), "best_val_loss": float(v[best]),
            "final_val_loss": float(v[-1]), "final_val_psnr_face": float(g["val_psnr_face"].iloc[-1]),
            "seconds_per_step": float(g["seconds"].iloc[-1] / st[-1]) if st[-1] else None,
            "capped_by_time": bool(runs[ident].capped) if runs and ident in runs else None}
    plateaus = [d["plateau_step"] for d in out["identities"].values()]
    out["suggested_steps"] = max(plateaus) if plateaus and None not in plateaus else None
    return out


def plot(df: pd.DataFrame, summary: dict[str, Any], path: Path, title: str) -> Path:
    """Val loss against steps, one line per identity, its plateau step dashed (PNG, written atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    for ident, g in df.sort_values("step").groupby("identity"):
        line, = ax.plot(g["step"], g["val_loss"], marker=".", label=ident)
        p = summary["identities"].get(ident, {}).get("plateau_step")
        if p is not None:
            ax.axvline(p, color=line.get_color(), linestyle="--", linewidth=0.8)
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out loss (the training loss)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return write_bytes(path, buf.getvalue())


def write_summary(path: Path, summary: dict[str, Any]) -> Path:
    """The summary as indented JSON (atomic)."""
    return write_text(path, json.dumps(summary, indent=2, default=str) + "\n")
