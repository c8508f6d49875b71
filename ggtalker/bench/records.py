"""Records out: per-case results (resumable), records.csv, per-frame values, summary.json, provenance."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ggtalker import REPO_ROOT
# The one atomic writer (core); re-exported under the names the runner and the leaderboards use.
from ggtalker.core.atomic import write_bytes as atomic_write_bytes
from ggtalker.core.atomic import write_text as atomic_write_text

TRACKED_PACKAGES = (
    "torch", "torchvision", "numpy", "torchmetrics", "lpips", "gsplat", "hydra-core", "moderngl",
    "dlib-bin", "mediapipe", "transformers", "ggtalker-bench",
)


def array_hash(a: np.ndarray | None) -> str:
    """Short content hash of an array (what was compared), '' for None."""
    if a is None:
        return ""
    h = hashlib.sha1(np.ascontiguousarray(a).tobytes())
    h.update(str((a.dtype, a.shape)).encode())
    return h.hexdigest()[:16]


@dataclass
class MetricRecord:
    """One value of one metric on one case."""

    metric: str
    value: float
    status: str = "ok"  # ok | unavailable | error
    reason: str = ""
    higher_is_better: bool = True
    variant: dict[str, Any] = field(default_factory=dict)
    per_frame: list[float] | None = None


@dataclass
class CaseResult:
    """Everything measured on one case; stored as ``cases/<case>.json`` so runs resume."""

    case: str
    identity: str
    tags: dict[str, str]
    n_frames: int
    prepare_s: float
    generate_s: float
    pred_hash: str
    gt_hash: str
    protocol: str
    records: list[MetricRecord]
    frame_tags: dict[str, list[float]] = field(default_factory=dict)
    #: Hash of the run fingerprint it was computed under; a resume reuses only cases of its own fingerprint.
    fingerprint: str = ""
    #: What was done to make the case scoreable (a video trimmed or resized); copied into summary.json.
    warnings: list[str] = field(default_factory=list)
    #: The case's truth | prediction video, relative to the run folder ('' when none was saved).
    video: str = ""
    #: ``(peak CPU RSS, peak CUDA allocation)`` in MiB of the process that computed it, when it was saved.
    peak_mb: tuple[float, float] | None = None

    def save(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(asdict(self), allow_nan=True))

    @staticmethod
    def load(path: Path) -> "CaseResult":
        d = json.loads(path.read_text())
        d["records"] = [MetricRecord(**r) for r in d["records"]]
        return CaseResult(**d)


def records_frame(results: list[CaseResult]) -> pd.DataFrame:
    """Long table (case, metric, value, ...) of case-level values, one row per case × metric."""
    rows = []
    for r in results:
        for m in r.records:
            rows.append({
                "case": r.case, "identity": r.identity, "metric": m.metric, "value": m.value, "status": m.status,
                "reason": m.reason, "higher_is_better": m.higher_is_better, "protocol": r.protocol,
                "variant": json.dumps(m.variant, sort_keys=True), "pred_hash": r.pred_hash, "gt_hash": r.gt_hash,
                "video": r.video,
                **{f"tag.{k}": v for k, v in r.tags.items()},
            })
    return pd.DataFrame(rows)


def per_frame_frame(results: list[CaseResult]) -> pd.DataFrame:
    """Long table (case, metric, frame, value, + per-frame tags such as yaw) of per-frame values."""
    parts = []
    for r in results:
        for m in r.records:
            if not m.per_frame:
                continue
            n = len(m.per_frame)
            d = {"case": r.case, "metric": m.metric, "frame": np.arange(n), "value": m.per_frame}
            for k, v in r.frame_tags.items():
                if len(v) == n:
                    d[k] = v
            for k, v in r.tags.items():
                d[f"tag.{k}"] = v
            parts.append(pd.DataFrame(d))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def yaw_table(per_frame: pd.DataFrame, width_deg: float = 15.0, yaw_col: str = "yaw") -> pd.DataFrame:
    """Per-frame values grouped by yaw bucket: columns ``metric, yaw_bucket`` (bucket centre, degrees),
    ``mean, std, n`` (plus ``method`` when present)."""
    if yaw_col not in per_frame.columns:
        raise KeyError(f"per-frame values have no {yaw_col!r} column (cases without cameras?)")
    df = per_frame.dropna(subset=[yaw_col, "value"]).copy()
    df["yaw_bucket"] = np.round(df[yaw_col] / width_deg) * width_deg
    keys = [k for k in ("method", "metric") if k in df.columns] + ["yaw_bucket"]
    return df.groupby(keys)["value"].agg(["mean", "std", "count"]).rename(columns={"count": "n"}).reset_index()


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV (gzip-compressed when ``path`` ends in ``.gz``), atomically."""
    buf = io.BytesIO()
    df.to_csv(buf, index=False, compression="gzip" if path.suffix == ".gz" else None)
    atomic_write_bytes(path, buf.getvalue())


def _key_of(values) -> tuple[str, ...]:
    """A row's key values as text that does not depend on how they were read: a column with an empty cell
    reads back as floats (1024 -> 1024.0), so numbers are compared by value, empty cells as ''."""
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            out.append("")
            continue
        try:
            out.append(f"{float(v):.6g}")
        except (TypeError, ValueError):
            out.append(str(v))
    return tuple(out)


def upsert_csv(path: Path, new_rows: list[dict], key: list[str], columns: list[str]) -> pd.DataFrame:
    """Upsert ``new_rows`` into the CSV at ``path``: a row replaces the one with the same ``key`` values;
    sorted by ``key``, written atomically under a file lock, so concurrent writers lose nothing.
    Columns an older file lacks are added (empty)."""
    from filelock import FileLock

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=600):
        # A short hash of digits with one 'e' (1234e56789) would read back as a float.
        text = {c: str for c in ("commit", "command") if c in columns}
        old = pd.read_csv(path, dtype=text) if path.is_file() else pd.DataFrame(columns=columns)
        new = pd.DataFrame(new_rows, columns=columns)
        keys = {_key_of(r) for r in new[key].to_numpy()}
        keep = [_key_of(r) not in keys for r in old[key].to_numpy()] if len(old) else []
        df = pd.concat([old[keep] if len(old) else old, new], ignore_index=True).reindex(columns=columns)
        df = df.sort_values(key, kind="stable").reset_index(drop=True)
        atomic_write_text(path, df.to_csv(index=False, float_format="%.6g"))
    return df


def git_commit() -> str:
    """The repository's HEAD commit (short), with ``+dirty`` when code (anything but ``leaderboards/`` and
    Markdown) has uncommitted changes.

    A copy of the tree without ``.git`` (the GPU machine's) takes it from ``$GGTALKER_COMMIT`` instead.
    """
    if os.environ.get("GGTALKER_COMMIT"):
        return os.environ["GGTALKER_COMMIT"]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        # The leaderboards are records the runner itself writes, and prose does not run: neither makes the code dirty.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!leaderboards",
                                ":!*.md"],
                               cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in TRACKED_PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def device_name(device: str) -> str:
    """Human-readable device, e.g. 'cpu (2 cores)' or 'cuda:NVIDIA H200'."""
    if device.startswith("cuda"):
        import torch

        return f"cuda:{torch.cuda.get_device_name(torch.device(device))}"
    return f"cpu ({os.cpu_count()} cores)"
