"""The fit diagnostic: can a method reproduce the frames it was fitted to, and how much is lost on held-out
frames driven by known parameters, then by audio?

For each identity of a suite (``self_reenact`` by default) the method is prepared on the identity's training
clip, then scored on three splits:

* ``train``: the training frames the method fitted, rendered with the parameters it fitted them with
  (:meth:`ggtalker.bench.method.Method.fitted_views`: the tracked ones plus learnt corrections);
* ``test_oracle``: the held-out target frames driven by their true parameters (only for methods that
  follow every parameter, :attr:`~ggtalker.bench.method.Method.follows_controls`);
* ``test_audio``: the same frames driven by their audio, with pose and blink given, as in the suite.

Values are face PSNR and face SSIM (the harness's ``psnr_face``/``ssim_face``, inside the true head mask)
and silhouette IoU (``silhouette_iou``). Rows are upserted into ``leaderboards/fit_diagnostic.csv`` keyed by
(method, scale, device, identity, split), and a figure shows truth | true params | audio for three frames.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.bench.metric import Metric
from ggtalker.bench.records import device_name, git_commit, upsert_csv
from ggtalker.bench.runner import evaluate_case
from ggtalker.core.atomic import write_bytes
from ggtalker.core.clip import Clip, concat_clips, read_clip
from ggtalker.core.registry import METRICS, SUITES
from ggtalker.synth.recipes import exact_params

SPLITS = ("train", "test_oracle", "test_audio")
METRIC_NAMES = ("psnr_face", "ssim_face", "silhouette_iou")
KEY = ["method", "scale", "device", "identity", "split"]
#: Parameter recovery on the ``train`` split, where the world knows the truth (SynthTalk): mean absolute
#: error of the tracked parameters and of the fitted ones (tracked + corrections), head rotation in
#: radians, translation in millimetres, jaw and expression in blendshape units; and the length of the
#: mean pose error over the frames (``*_bias``), the part no monocular fit can observe: a head learnt
#: under it is offset by it against the true parameters (docs/ggtalker-fidelity.md).
PARAM_ERRORS = ("rot_err", "trans_err_mm", "jaw_err", "expr_err", "rot_bias", "trans_bias_mm")
PARAM_COLUMNS = [f"{c}_tracked" for c in PARAM_ERRORS] + list(PARAM_ERRORS)
#: Where the face's error lies (:func:`region_errors`): the mouth (outer lips' box, grown by half), the eyes
#: (each eye's box with its lids), the head mask's rim (a band inside its outline) and the rest of the face.
REGIONS = ("mouth", "eyes", "rim", "inner")
REGION_COLUMNS = [f"psnr_{r}" for r in REGIONS] + [f"err_share_{r}" for r in REGIONS]
COLUMNS = (KEY + ["psnr_face", "ssim_face", "silhouette_iou", "n_frames", "n_gaussians", "adapt_s"] + PARAM_COLUMNS
           + REGION_COLUMNS + ["commit"])


#: Suite source sizes per scale: the smoke suite's, and at full scale self_reenact's full-2id sizes (512², a 12 s
#: adaptation clip; its YAML's scales table) but the identities the caller asks for.
_FULL_2ID = SUITES.spec("self_reenact")["params"]["scales"]["full-2id"]["source"]
SIZES = {"smoke": {}, "full": {k: v for k, v in _FULL_2ID.items() if k != "n_identities"}}


def suite_cases(scale: str, seed: int, identities: int | None = None, size: int | None = None,
                source: list[str] | None = None, suite_name: str = "self_reenact",
                extra: dict | None = None) -> dict[str, list]:
    """``suite_name``'s cases (self_reenact's by default) at :data:`SIZES` ``[scale]`` grouped by identity, in
    suite order (clips rendered or read from the cache); ``identities``/``size`` override the suite's,
    ``source`` holds ``key=value`` source overrides (e.g. ``train_tracker_noise=0``), ``extra`` more source
    params (novel_view's ``views``)."""
    from omegaconf import OmegaConf

    src = dict(SIZES[scale])
    if identities:
        src["n_identities"] = identities
    if size:
        src["size"] = size
    src.update(OmegaConf.to_container(OmegaConf.from_dotlist(source or [])))
    suite = SUITES.build(suite_name)
    suite.source = {**suite.source, "params": {**(suite.source.get("params") or {}), **src, **(extra or {})}}
    by_identity: dict[str, list] = {}
    for c in suite.cases(scale=scale, seed=seed):
        by_identity.setdefault(c.identity, []).append(c)
    return by_identity


def view_split(yaw: float) -> str:
    """The split name of the held-out sentence seen from a static camera at ``yaw`` degrees."""
    return f"view_yaw{yaw:+.0f}"


def view_cases(scale: str, seed: int, yaws: list[float], identities: int | None = None, size: int | None = None,
               source: list[str] | None = None) -> dict[str, dict[str, Path]]:
    """Per identity, ``{view_split(yaw): target clip}``: novel_view's held-out sentence at the diagnostic's sizes,
    seen from a static camera at each yaw (pitch 0). Their adaptation clip is the self_reenact one
    :func:`suite_cases` gives for the same arguments (the same recipe)."""
    cases = suite_cases(scale, seed, identities, size, source, "novel_view", {"views": [[float(y), 0.0] for y in yaws]})
    return {ident: {view_split(float(c.tags["yaw"])): c.target for c in cs} for ident, cs in cases.items()}


@dataclass
class SplitResult:
    """One identity's scores on one split, plus the frames kept for the figure."""

    split: str
    values: dict[str, float]
    n_frames: int
    truth: np.ndarray | None = None
    pred: np.ndarray | None = None
    param_errors: dict[str, float] | None = None
    regions: dict[str, float] | None = None
    frames_table: pd.DataFrame | None = None
    landmarks: np.ndarray | None = None


def param_errors(fitted: dict[str, np.ndarray], truth: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean absolute errors (:data:`PARAM_ERRORS`) of ``fitted`` ``{key: (M, D)}`` against ``truth``."""
    err = fitted["pose"] - truth["pose"]
    pose, bias = np.abs(err), err.mean(0)
    return {"rot_err": float(pose[:, :3].mean()), "trans_err_mm": float(pose[:, 3:].mean() * 1000),
            "rot_bias": float(np.linalg.norm(bias[:3])), "trans_bias_mm": float(np.linalg.norm(bias[3:]) * 1000),
            "jaw_err": float(np.abs(fitted["jaw"] - truth["jaw"]).mean()),
            "expr_err": float(np.abs(fitted["expr"] - truth["expr"]).mean())}


def region_masks(masks: np.ndarray, landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean masks of :data:`REGIONS` inside the head (mask label 1), from the true masks ``(N, H, W)`` and
    iBUG-68 landmarks ``(N, 68, 2)``; each ``(N, H, W)``, disjoint, their union the head mask.

    The rim is the band within 1.5 % of the image side inside the head mask's outline: there a silhouette
    or inpainter error shows, where inside the face it is texture, pose or expression."""
    from scipy.ndimage import binary_erosion

    n, h, w = masks.shape
    head = masks == 1
    ys, xs = np.mgrid[:h, :w]

    def box(pts: np.ndarray, grow: float) -> np.ndarray:
        lo, hi = pts.min(0), pts.max(0)
        c, half = (lo + hi) / 2, (hi - lo) / 2 * (1 + grow) + 1
        return (np.abs(xs - c[0]) <= half[0]) & (np.abs(ys - c[1]) <= half[1])

    band = max(1, int(round(0.015 * max(h, w))))
    out = {r: np.zeros_like(head) for r in REGIONS}
    for i in range(n):
        mouth = box(landmarks[i, 48:60], 0.5) & head[i]
        eyes = (box(landmarks[i, 36:42], 1.0) | box(landmarks[i, 42:48], 1.0)) & head[i] & ~mouth
        rim = head[i] & ~binary_erosion(head[i], iterations=band) & ~mouth & ~eyes
        out["mouth"][i], out["eyes"][i], out["rim"][i] = mouth, eyes, rim
        out["inner"][i] = head[i] & ~(mouth | eyes | rim)
    return out


def region_errors(truth: np.ndarray, pred: np.ndarray, masks: np.ndarray, landmarks: np.ndarray,
                  params: dict[str, np.ndarray] | None = None) -> tuple[dict[str, float], pd.DataFrame]:
    """PSNR inside each of :data:`REGIONS` and its share of the face's squared error, over all frames and
    per frame.

    Args:
        truth, pred: ``(N, H, W, 3)`` uint8 frames.
        masks: ``(N, H, W)`` true masks (1 = head); landmarks: ``(N, 68, 2)`` true iBUG-68 pixels.
        params: the frames' driving ``{blink (N, 2), jaw (N, 1), ...}``, copied into the per-frame table.
    Returns: ``{psnr_<region>, err_share_<region>}`` (NaN for a region with no pixel), and a table with one
    row per frame: ``frame``, ``psnr_face``, ``mse_<region>``, ``blink_l``, ``blink_r``, ``jaw``."""
    sq = ((truth.astype(np.float32) - pred.astype(np.float32)) / 255.0) ** 2
    sq = sq.mean(-1)
    regions = region_masks(masks, landmarks)
    sums = {r: (sq * m).sum((1, 2)) for r, m in regions.items()}     # (N,) squared error per frame
    counts = {r: m.sum((1, 2)) for r, m in regions.items()}
    total = float(sum(v.sum() for v in sums.values()))
    def psnr(mse):  # of [0, 1] images, 100 dB where they are equal
        return -10 * np.log10(np.maximum(mse, 1e-10))

    out = {}
    for r in REGIONS:
        k = int(counts[r].sum())
        out[f"psnr_{r}"] = float(psnr(float(sums[r].sum()) / k)) if k else float("nan")
        out[f"err_share_{r}"] = float(sums[r].sum()) / total if k and total > 0 else float("nan")
    table = {"frame": np.arange(len(sq)), "psnr_face": psnr(sum(sums.values()) / sum(counts.values()).clip(1))}
    with np.errstate(invalid="ignore", divide="ignore"):
        table.update({f"mse_{r}": sums[r] / counts[r] for r in REGIONS})
    params = params or {}
    for name, key, col in (("blink_l", "blink", 0), ("blink_r", "blink", 1), ("jaw", "jaw", 0)):
        table[name] = params[key][:, col] if key in params else np.full(len(sq), np.nan)
    return out, pd.DataFrame(table)


def _train_truth(train: list[Clip]) -> dict[str, np.ndarray] | None:
    """The training clips' true parameters, concatenated, where the world knows them."""
    parts = [exact_params(c.meta) for c in train]
    if any(p is None or len(p["pose"]) != c.n_frames for p, c in zip(parts, train)):
        return None
    return {k: np.concatenate([p[k] for p in parts]) for k in ("pose", "jaw", "expr")}


def score(metrics: dict[str, Metric], pred: Generation, truth: Clip) -> dict[str, float]:
    """Face PSNR, face SSIM and silhouette IoU of one generation, scored as the harness scores them
    (NaN where the method gives no depth)."""
    return {r.metric: r.value for r in evaluate_case(metrics, pred, truth, {})}


def _request(case_id: str, clip: Clip, audio: np.ndarray, controls: dict[str, np.ndarray]) -> DriveRequest:
    return DriveRequest(case_id=case_id, audio=audio, fps=clip.fps, cameras=clip.cameras, width=clip.width,
                        height=clip.height, controls=controls)


def diagnose_identity(method: Method, identity: str, train_paths: list[Path], target_paths: list[Path],
                      device: str, view_paths: dict[str, Path] | None = None
                      ) -> tuple[list[SplitResult], float, float]:
    """Prepare ``method`` on one identity and score it on the three splits, plus one split per entry of
    ``view_paths`` (``{split: target clip}``, :func:`view_cases`) driven by the true parameters, as
    ``test_oracle`` is.

    Returns: (results, prepare seconds, number of Gaussians or NaN)."""
    train = [read_clip(p) for p in train_paths]
    t0 = time.perf_counter()
    state = method.prepare(identity, train)
    adapt_s = time.perf_counter() - t0
    results = []
    metrics = {name: METRICS.build(name, device=device) for name in METRIC_NAMES}

    joined = concat_clips(train)
    views = method.fitted_views(state)
    if views is not None:
        fit = joined.take(views.index)
        controls = {k: v for k, v in views.params.items() if k in method.follows_controls}
    else:
        fit = joined
        controls = {k: v for k, v in fit.params.items() if k in method.follows_controls}
    # The fitted frames are driven by their parameters; a method that follows no expression parameters
    # gets the training clip's own audio where the frames are the whole (single) clip.
    audio = np.zeros(int(round(len(fit.frames) / fit.fps * 16000)), np.float32)
    if views is None and len(train) == 1 and train[0].audio is not None:
        audio = train[0].audio
    pred = method.generate(state, _request(f"{identity}_train", fit, audio, controls))
    errors = None
    truth = _train_truth(train)
    if truth is not None and views is not None:
        true_fit = {k: v[views.index] for k, v in truth.items()}
        errors = param_errors(views.params, true_fit)
        errors.update({f"{k}_tracked": v for k, v in param_errors(fit.params, true_fit).items()})
    regions, table = region_errors(fit.frames, pred.frames, fit.masks, fit.landmarks, {**fit.params, **controls}) \
        if fit.masks is not None and fit.landmarks is not None else (None, None)
    results.append(SplitResult("train", score(metrics, pred, fit), len(fit.frames), fit.frames, pred.frames, errors,
                               regions, table))

    targets = [read_clip(p) for p in target_paths]
    oracle_ok = set(method.follows_controls) >= {"expr", "jaw", "blink", "pose"}
    held_out = [(s, targets, s == "test_oracle") for s in ("test_oracle", "test_audio")]
    held_out += [(s, [read_clip(p)], True) for s, p in (view_paths or {}).items()]
    for split, split_targets, oracle in held_out:
        vals: dict[str, list[float]] = defaultdict(list)
        n, truth_frames, pred_frames = 0, [], []
        if oracle and not oracle_ok:
            results.append(SplitResult(split, {m: float("nan") for m in METRIC_NAMES}, 0))
            continue
        for t in split_targets:
            keys = ("expr", "jaw", "blink", "pose") if oracle else ("pose", "blink")
            controls = {k: t.params[k] for k in keys if k in t.params and k in method.follows_controls}
            pred = method.generate(state, _request(f"{identity}_{split}_{t.id}", t, t.audio, controls))
            for k, v in score(metrics, pred, t).items():
                vals[k].append(v * len(t.frames))
            n += len(t.frames)
            truth_frames.append(t.frames)
            pred_frames.append(pred.frames)
        truth_frames, pred_frames = np.concatenate(truth_frames), np.concatenate(pred_frames)
        regions, table, lmk = None, None, None
        if all(t.landmarks is not None for t in split_targets):
            lmk = np.concatenate([t.landmarks for t in split_targets])
        if lmk is not None and all(t.masks is not None for t in split_targets):
            keys = set.intersection(*(set(t.params) for t in split_targets))
            regions, table = region_errors(truth_frames, pred_frames,
                                           np.concatenate([t.masks for t in split_targets]), lmk,
                                           {k: np.concatenate([t.params[k] for t in split_targets]) for k in keys})
        results.append(SplitResult(split, {k: float(np.sum(v) / n) for k, v in vals.items()}, n,
                                   truth_frames, pred_frames, regions=regions, frames_table=table, landmarks=lmk))
    n_g = float(views.n_gaussians) if views is not None and views.n_gaussians is not None else float("nan")
    return results, adapt_s, n_g


def rows(method_label: str, scale: str, device: str, identity: str, results: list[SplitResult],
         n_gaussians: float, adapt_s: float) -> list[dict]:
    """CSV rows (:data:`COLUMNS`) of one identity."""
    dev, commit = device_name(device), git_commit()
    return [{"method": method_label, "scale": scale, "device": dev, "identity": identity, "split": r.split,
             **{m: r.values.get(m, float("nan")) for m in METRIC_NAMES}, "n_frames": r.n_frames,
             "n_gaussians": n_gaussians, "adapt_s": adapt_s,
             **{c: (r.param_errors or {}).get(c, float("nan")) for c in PARAM_COLUMNS},
             **{c: (r.regions or {}).get(c, float("nan")) for c in REGION_COLUMNS}, "commit": commit}
            for r in results]


def frame_tables(results: list[SplitResult]) -> pd.DataFrame:
    """Every split's per-frame table (:func:`region_errors`) in one, with a ``split`` column: which frames
    cost the most, and whether they blink or open the mouth."""
    parts = [r.frames_table.assign(split=r.split) for r in results if r.frames_table is not None]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def write_rows(path: Path, new_rows: list[dict]) -> pd.DataFrame:
    """Upsert rows into the diagnostic CSV (:func:`ggtalker.bench.records.upsert_csv` by :data:`KEY`)."""
    return upsert_csv(path, new_rows, KEY, COLUMNS)


def figure(path: Path, results_by_identity: dict[str, list[SplitResult]], n_frames: int = 3) -> Path:
    """truth | true params | audio for ``n_frames`` held-out frames of the first identity (PNG).

    The middle frame is the one whose true jaw is most open (teeth and mouth interior show), where the
    split has a per-frame table; where landmarks are known a last row repeats it enlarged, cropped to the
    face, so eyes, teeth and the hairline can be judged at the render's own pixels."""
    import imageio.v3 as iio
    from PIL import Image

    ident, results = next(iter(results_by_identity.items()))
    by = {r.split: r for r in results}
    oracle, audio = by.get("test_oracle"), by["test_audio"]
    n = len(audio.truth)
    picks = np.linspace(n * 0.15, n * 0.85, n_frames).round().astype(int)
    if audio.frames_table is not None and "jaw" in audio.frames_table and n_frames >= 2:
        picks[n_frames // 2] = int(np.argmax(audio.frames_table["jaw"].to_numpy()))

    def cols(i: int) -> list[np.ndarray]:
        c = [audio.truth[i]]
        if oracle is not None and oracle.pred is not None:
            c.append(oracle.pred[i])
        return c + [audio.pred[i]]

    rows_ = [np.concatenate(cols(i), 1) for i in picks]
    if audio.landmarks is not None:
        i = picks[n_frames // 2]
        h, w = audio.truth.shape[1:3]
        lo, hi = audio.landmarks[i].min(0), audio.landmarks[i].max(0)
        c, half = (lo + hi) / 2, 0.8 * float(max(hi - lo))   # the face and the hairline above it
        c[1] -= 0.15 * half
        x0, y0 = (int(np.clip(round(c[k] - half), 0, max(0, (w, h)[k] - 2 * half))) for k in (0, 1))
        side = int(min(2 * half, w - x0, h - y0))
        if side >= 8:
            crops = [np.asarray(Image.fromarray(f[y0:y0 + side, x0:x0 + side]).resize((w, h), Image.LANCZOS))
                     for f in cols(i)]
            rows_.append(np.concatenate(crops, 1))
    return write_bytes(path, iio.imwrite("<bytes>", np.concatenate(rows_, 0), extension=".png"))


def views_figure(path: Path, results_by_identity: dict[str, list[SplitResult]]) -> Path | None:
    """The first identity's view splits (:func:`view_split`) in yaw order, truth above prediction, each at its
    middle frame (PNG); None when there are none."""
    import imageio.v3 as iio

    results = next(iter(results_by_identity.values()))
    views = sorted((r for r in results if r.split.startswith("view_yaw") and r.pred is not None),
                   key=lambda r: float(r.split.removeprefix("view_yaw")))
    if not views:
        return None
    cols = [np.concatenate([r.truth[len(r.truth) // 2], r.pred[len(r.pred) // 2]], 0) for r in views]
    return write_bytes(path, iio.imwrite("<bytes>", np.concatenate(cols, 1), extension=".png"))


def compare_views_figure(figures: list[tuple[str, np.ndarray]], cell: int = 256) -> np.ndarray:
    """Several configurations' view figures (:func:`views_figure`) as one: the shared truth row, then each
    figure's render row, labelled.

    Args:
        figures: ``(label, (2H, n·W, 3) uint8)`` truth over render, all of one identity, frames and yaws.
        cell: height of a row in the output, pixels.

    Returns:
        ``(cell · (1 + len(figures)), ·, 3)`` uint8.

    Raises:
        ValueError: a figure whose truth row differs from the first's (another identity, frame or yaw).
    """
    from PIL import Image, ImageDraw

    h = figures[0][1].shape[0] // 2
    truth = figures[0][1][:h]
    for label, fig in figures:
        if fig.shape != figures[0][1].shape or np.abs(fig[:h].astype(int) - truth).mean() > 2:
            raise ValueError(f"{label}: not the same truth frames as {figures[0][0]}")
    out = []
    for label, row in [("truth", truth)] + [(label, fig[h:]) for label, fig in figures]:
        im = Image.fromarray(row).resize((round(row.shape[1] * cell / h), cell), Image.LANCZOS)
        ImageDraw.Draw(im).text((6, 4), label, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
        out.append(np.asarray(im))
    return np.concatenate(out, 0)
