"""A folder of talking-head videos with audio (HDTF style) → harness clips.

Expected input: one video per identity, face-centred (HDTF's released crops are 512x512 at 25 fps), audio
muxed in or in a sibling ``<stem>.wav``. The loader does not detect or track faces: it centre-crops to a
square, resizes to ``size``, resamples to ``fps`` by nearest-frame selection and the audio to 16 kHz, and gives
every frame the same pinhole guess (:func:`ggtalker.data.real.cameras.pinhole_guess`).

Optional side files, already at the output frame rate and size, are carried into the clips when present:
``<stem>.params.npz`` (arrays (N, D) named as in :mod:`ggtalker.core.params`), ``<stem>.masks.npz``
(``labels`` (N, size, size) uint8: 0 bg, 1 head, 2 torso) and ``<stem>.landmarks.npy`` ((N, 68, 2) pixels).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ggtalker.core.audio import SAMPLE_RATE, load_audio
from ggtalker.core.clip import Clip, ClipError
from ggtalker.core.video import read_video
from ggtalker.data.real.cameras import pinhole_guess
from ggtalker.data.real.frames import center_crop, fit_audio, read_video_audio, resample_indices, resize_frames

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


@dataclass
class LoadedVideo:
    """One video after conversion: ``frames`` (N, size, size, 3) uint8 at ``fps``, ``audio`` (S,) 16 kHz."""

    stem: str
    frames: np.ndarray
    audio: np.ndarray
    fps: float
    side: dict
    source: dict


def list_videos(root: str | Path) -> list[Path]:
    """The videos directly inside ``root``, sorted; a clear error when there are none."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: video folder not found")
    vids = sorted(p for p in root.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if not vids:
        raise FileNotFoundError(f"{root}: no videos ({', '.join(VIDEO_SUFFIXES)}) in this folder")
    return vids


def load_video(path: str | Path, size: int = 512, fps: float = 25.0) -> LoadedVideo:
    """Decode, crop, resize and resample one talking-head video (see the module docstring)."""
    path = Path(path)
    try:
        raw, src_fps = read_video(path)
    except (FileNotFoundError, ValueError) as e:
        raise ClipError(str(e)) from e
    wav = path.with_suffix(".wav")
    if wav.is_file():
        try:
            audio = load_audio(wav)
        except ValueError as e:
            raise ClipError(str(e)) from e
    else:
        audio = read_video_audio(path)
        if audio is None:
            raise ClipError(f"{path}: the video has no audio stream and there is no {wav.name} beside it")
    idx = resample_indices(len(raw), src_fps, fps)
    if len(idx) < 2:
        raise ClipError(f"{path}: too short ({len(raw)} frames at {src_fps:.3f} fps)")
    frames = resize_frames(center_crop(raw[idx], 1.0), size, size)
    del raw
    n = len(frames)
    audio_s, video_s = len(audio) / SAMPLE_RATE, n / fps
    if audio_s < video_s - 0.5:
        raise ClipError(f"{path}: audio lasts {audio_s:.2f} s but the video {video_s:.2f} s")
    audio = fit_audio(audio, n, fps)
    side = _side_files(path, n, size)
    return LoadedVideo(stem=path.stem, frames=frames, audio=audio, fps=fps, side=side,
                       source={"path": str(path), "src_fps": src_fps, "src_frames": int(len(idx))})


def _side_files(path: Path, n: int, size: int) -> dict:
    side: dict = {}
    p = path.with_name(path.stem + ".params.npz")
    if p.is_file():
        with np.load(p) as z:
            side["params"] = {k: z[k].astype(np.float32) for k in z.keys()}
        for k, v in side["params"].items():
            if v.ndim != 2 or len(v) != n:
                raise ClipError(f"{p}: array {k!r} must be (N={n}, D) at the output frame rate, got {v.shape}")
    p = path.with_name(path.stem + ".masks.npz")
    if p.is_file():
        with np.load(p) as z:
            if "labels" not in z:
                raise ClipError(f"{p}: needs an array 'labels'")
            side["masks"] = z["labels"].astype(np.uint8)
        if side["masks"].shape != (n, size, size):
            raise ClipError(f"{p}: labels must be {(n, size, size)}, got {side['masks'].shape}")
    p = path.with_name(path.stem + ".landmarks.npy")
    if p.is_file():
        side["landmarks"] = np.load(p).astype(np.float32)
        if side["landmarks"].shape != (n, 68, 2):
            raise ClipError(f"{p}: landmarks must be {(n, 68, 2)}, got {side['landmarks'].shape}")
    return side


def video_clip(v: LoadedVideo, start: int, stop: int, part: str) -> Clip:
    """Frames ``[start, stop)`` of a loaded video as a clip with the pinhole guess as cameras."""
    size = v.frames.shape[1]
    n_all = len(v.frames)
    whole = Clip(
        fps=v.fps, cameras=pinhole_guess(n_all, size, size), width=size, height=size, frames=v.frames,
        audio=v.audio, params=v.side.get("params", {}), masks=v.side.get("masks"),
        landmarks=v.side.get("landmarks"), id=f"{v.stem}_{part}",
        meta={"identity": v.stem, "source": "video_folder", **v.source, "part": part, "frames": [start, stop],
              "cameras": "pinhole guess (fixed, frontal; see ggtalker.data.real.cameras)"},
    )
    return whole.slice(start, stop)


def split_video(v: LoadedVideo, test_seconds: float) -> tuple[int, int]:
    """``(train_stop, test_start)`` frame indices: the last ``test_seconds`` are held out."""
    n = len(v.frames)
    n_test = int(round(test_seconds * v.fps))
    if n_test <= 0 or n_test >= n:
        raise ClipError(f"{v.source['path']}: cannot hold out {test_seconds} s of a {n / v.fps:.2f} s video")
    return n - n_test, n - n_test
