"""Video in, tracked clip out: crop → landmarks → fit → masks, cached by the video's content.

:func:`track_video` makes the :class:`~ggtalker.core.clip.Clip` (frames, 16 kHz audio, cameras, params
``{expr, jaw, blink, pose}``, masks, landmarks); :func:`tracked_clip` caches it under
``cache_root()/track/<key>/`` where ``key`` hashes the video's bytes, a ``<stem>.wav`` beside it and the
settings, written atomically (:func:`ggtalker.core.clip.write_clip`), so a second call costs a directory lookup.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ggtalker.core.cache import cache_root
from ggtalker.core.clip import Cameras, Clip, write_clip
from ggtalker.track.crop import crop_video, find_face
from ggtalker.track.fit import FitConfig, blink_from_landmarks, fit_landmarks
from ggtalker.track.heads import LANDMARK_HEAD_ASSET, get_head
from ggtalker.track.landmarks import DETECTORS, detect_video
from ggtalker.track.segment import label_masks

#: Bumped when the tracker's output changes, so cached tracks are remade.
TRACK_VERSION = 2


@dataclass
class TrackSettings:
    """What a track depends on besides the video (part of the cache key).

    Attributes:
        size, fps: output frame side and rate. detector: a name of :data:`ggtalker.track.landmarks.DETECTORS`.
        head: a name of :data:`ggtalker.track.heads.HEADS`. template: the head template whose silhouette makes
        the head mask (GGTalker's default). fit: the fitter's :class:`~ggtalker.track.fit.FitConfig`.
    """

    size: int = 512
    fps: float = 25.0
    detector: str = "mediapipe_refined"
    head: str = "synthtalk"
    template: str = "head_template"
    fit: FitConfig = field(default_factory=FitConfig)


class _Bar:
    """One tqdm bar per stage, as a ``progress(done)`` callable."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bar = enabled, None

    def stage(self, desc: str, total: int | None, unit: str = "frame"):
        if self.bar is not None:
            self.bar.close()
        self.bar = tqdm(total=total, desc=desc, unit=unit, disable=not self.enabled, leave=False)
        return lambda done, *_: self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def track_video(path: str | Path, settings: TrackSettings | None = None, progress: bool = True) -> Clip:
    """Track one video of one person into a clip (see the module docstring).

    Raises :class:`~ggtalker.track.crop.FaceError` naming the video when it shows no face or several, before
    cropping or fitting. ``clip.meta["track"]`` records the settings, the fitted identity shape, per-stage
    seconds and the reprojection error.
    """
    s = settings or TrackSettings()
    path = Path(path)
    if s.detector not in DETECTORS:
        raise KeyError(f"unknown landmark detector {s.detector!r}; choose one of {sorted(DETECTORS)}")
    head = get_head(s.head, s.detector)
    bar = _Bar(progress)
    times = {}
    try:
        t0 = time.perf_counter()
        face = find_face(path, s.fps, progress=bar.stage(f"faces {path.name}", None))
        times["detect_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        video = crop_video(path, s.size, s.fps, track=face, progress=bar.stage("crop", face.n_frames))
        times["crop_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        det = DETECTORS[s.detector]()
        stage = bar.stage(f"landmarks ({s.detector})", len(video.frames))
        lmk = np.stack([_step(det.detect(f), stage, i) for i, f in enumerate(video.frames)])
        times["landmarks_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        total = s.fit.steps_rigid + s.fit.steps
        fit = fit_landmarks(lmk, s.size, s.size, head, s.fit, progress=bar.stage("fit", total, unit="step"))
        times["fit_s"] = time.perf_counter() - t0
        n = len(video.frames)
        params = dict(fit.params)
        if "blink" not in params:
            params["blink"] = blink_from_landmarks(lmk)
        K, w2c = np.repeat(fit.K[None], n, 0), np.repeat(fit.w2c[None], n, 0)
        t0 = time.perf_counter()
        chin = np.where(np.isfinite(lmk).all(2)[..., None], lmk, fit.projected)
        masks = label_masks(video.frames, params, K, w2c, s.template, landmarks=chin, progress=bar.stage("masks", n))
        times["masks_s"] = time.perf_counter() - t0
    finally:
        bar.close()
    detected = np.isfinite(lmk).all(2)
    landmarks = np.where(detected[..., None], lmk, fit.projected).astype(np.float32)
    reproj = fit.reproj_px[np.isfinite(fit.reproj_px)]
    meta = {
        "identity": path.stem, "source": "track", **video.source,
        "crop_px_median": np.median(video.crops, 0).round(1).tolist(),
        "cameras": "tracked (fixed frontal camera, fitted head pose; ggtalker.track.fit)",
        "track": {"version": TRACK_VERSION, "settings": _jsonable(asdict(s)), "head": getattr(head, "name", s.head),
                  "frames_detected": int(detected.all(1).sum()), "frames": n,
                  "reproj_px_mean": float(reproj.mean()) if len(reproj) else None,
                  "reproj_px_median": float(np.median(reproj)) if len(reproj) else None,
                  "focal_px": float(fit.K[0, 0]), "losses": fit.losses,
                  "identity": {k: v.tolist() for k, v in fit.identity.items() if v.size <= 16},
                  **{k: round(v, 2) for k, v in times.items()}},
    }
    return Clip(fps=s.fps, cameras=Cameras(K, w2c), width=s.size, height=s.size, frames=video.frames,
                audio=video.audio, params=params, masks=masks, landmarks=landmarks, id=path.stem, meta=meta).validate()


def _step(x, progress, i):
    progress(i + 1)
    return x


def _jsonable(d):
    return json.loads(json.dumps(d, default=str))


def tracker_fingerprint() -> str:
    """:data:`TRACK_VERSION` and the landmark-head asset's sha1: what a cache of tracked clips depends on in code."""
    return f"{TRACK_VERSION}-{hashlib.sha1(LANDMARK_HEAD_ASSET.read_bytes()).hexdigest()[:12]}"


def content_key(path: Path, settings: TrackSettings) -> str:
    """sha1 of the video's bytes (and a ``<stem>.wav`` beside it), the settings, :data:`TRACK_VERSION` and the
    landmark-head asset (rebuilding it remakes the tracks)."""
    h = hashlib.sha1(json.dumps({"v": TRACK_VERSION, **_jsonable(asdict(settings))}, sort_keys=True).encode())
    for p in (path, path.with_suffix(".wav"), LANDMARK_HEAD_ASSET):
        if p.is_file():
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()[:16]


def tracked_clip(path: str | Path, out: str | Path | None = None, settings: TrackSettings | None = None,
                 progress: bool = True, video_frames: bool = True) -> Path:
    """The tracked clip folder of ``path``, made once per content and settings (cached), copied to ``out`` if given.

    Args:
        video_frames: store frames as H.264 ``frames.mp4`` (small) rather than PNGs.
    Returns:
        ``out`` or the cache folder.
    """
    path = Path(path)
    s = settings or TrackSettings()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: video not found")
    cached = cache_root() / "track" / content_key(path, s) / path.stem
    if not (cached / "clip.json").is_file():
        write_clip(track_video(path, s, progress), cached, video=video_frames, overwrite=True)
    if out is None:
        return cached
    out = Path(out)
    if out.resolve() != cached.resolve():
        tmp = out.with_name(f".{out.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(cached, tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    return out


def rescale_clip(clip: Clip, size: int) -> Clip:
    """A square clip at ``size``²: frames (antialiased), masks (nearest), landmarks and intrinsics scaled."""
    import cv2

    from ggtalker.core.frames import resize_frames
    from ggtalker.gaussians.render import scale_intrinsics

    if clip.width == size and clip.height == size:
        return clip
    if clip.width != clip.height:
        raise ValueError(f"{clip.id}: rescale_clip needs a square clip, got {clip.width}x{clip.height}")
    import torch

    k = size / clip.width
    masks = None if clip.masks is None else np.stack(
        [cv2.resize(m, (size, size), interpolation=cv2.INTER_NEAREST) for m in clip.masks])
    K = scale_intrinsics(torch.from_numpy(clip.cameras.K), k).numpy()
    return Clip(fps=clip.fps, cameras=Cameras(K, clip.cameras.w2c), width=size, height=size,
                frames=None if clip.frames is None else resize_frames(clip.frames, size, size), audio=clip.audio,
                params=clip.params, masks=masks,
                landmarks=None if clip.landmarks is None else (clip.landmarks * k).astype(np.float32),
                id=clip.id, meta=clip.meta).validate()
