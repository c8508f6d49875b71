"""The Clip: the unit of data on disk and in memory.

On-disk layout (one folder per clip; written atomically by :func:`write_clip`)::

    <clip>/
      clip.json       {"format": "ggtalker-clip/1", "id", "fps", "n_frames", "width", "height",
                       "frames": "frames" | "frames.mp4" | null, "audio": "audio.wav" | null, "meta": {...}}
      frames/000000.png ...   RGB frames (lossless; default) — or frames.mp4
      audio.wav       mono; any sample rate (read back at 16 kHz)
      cameras.npz     K (N,3,3) pixel intrinsics, w2c (N,4,4) world-to-camera (OpenCV: x right, y down, z forward)
      params.npz      optional per-frame head parameters, each (N, D): expr, jaw, pose (axis-angle 3 + translation 3), blink (L, R), ...
      masks.npz       optional labels (N,H,W) uint8: 0 background, 1 head, 2 torso
      landmarks.npy   optional (N,68,2) float32 pixel coordinates (iBUG 68-point layout)

A clip may carry no frames (a driving request: audio + cameras only); its length is then
the number of cameras.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

from ggtalker.core.audio import SAMPLE_RATE, load_audio, save_audio

FORMAT = "ggtalker-clip/1"
#: Frames and audio may disagree by this many video frames (encoders pad audio).
LENGTH_TOLERANCE_FRAMES = 2
MASK_BACKGROUND, MASK_HEAD, MASK_TORSO = 0, 1, 2


class ClipError(ValueError):
    """A clip on disk or in memory is malformed; the message names the file and the problem."""


@dataclass
class Cameras:
    """Per-frame pinhole cameras.

    Attributes:
        K: ``(N, 3, 3)`` intrinsics in pixels.
        w2c: ``(N, 4, 4)`` world-to-camera transforms (OpenCV convention).
    """

    K: np.ndarray
    w2c: np.ndarray

    def __len__(self) -> int:
        return len(self.K)

    def __getitem__(self, idx: Any) -> "Cameras":
        return Cameras(self.K[idx], self.w2c[idx])

    @property
    def centers(self) -> np.ndarray:
        """Camera centres in world coordinates, ``(N, 3)``."""
        R, t = self.w2c[:, :3, :3], self.w2c[:, :3, 3]
        return -np.einsum("nji,nj->ni", R, t)

    def yaw_pitch_deg(self) -> np.ndarray:
        """Viewing yaw and pitch of each camera around the world origin, degrees ``(N, 2)``.

        Yaw 0 looks at the face from the front (+z of the head frame), positive yaw moves the camera to the head's left.
        """
        c = self.centers
        yaw = np.degrees(np.arctan2(c[:, 0], c[:, 2]))
        pitch = np.degrees(np.arctan2(-c[:, 1], np.hypot(c[:, 0], c[:, 2])))
        return np.stack([yaw, pitch], axis=1)


@dataclass
class Clip:
    """A talking-head clip.

    Attributes:
        fps: video frame rate.
        cameras: per-frame cameras, length N.
        frames: ``(N, H, W, 3)`` uint8 RGB, or None for a driving request.
        audio: ``(S,)`` float32 mono at 16 kHz, or None.
        params: per-frame head parameters ``{name: (N, D) float32}``.
        masks: ``(N, H, W)`` uint8 labels (0 background, 1 head, 2 torso) or None.
        landmarks: ``(N, 68, 2)`` float32 pixels or None.
        width, height: image size (needed when frames are absent).
        id: a name for messages and records.
        meta: free-form JSON-able description (identity, voice, language, recipe, ...).
    """

    fps: float
    cameras: Cameras
    width: int
    height: int
    frames: np.ndarray | None = None
    audio: np.ndarray | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)
    masks: np.ndarray | None = None
    landmarks: np.ndarray | None = None
    id: str = "clip"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.cameras)

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps

    def validate(self, where: str | None = None) -> "Clip":
        """Check shapes, dtypes, finiteness and frame/audio agreement; raise :class:`ClipError`."""
        w = where or self.id
        n = self.n_frames
        if self.fps <= 0:
            raise ClipError(f"{w}: fps must be positive, got {self.fps}")
        _check(self.cameras.K, (n, 3, 3), f"{w}: cameras.K")
        _check(self.cameras.w2c, (n, 4, 4), f"{w}: cameras.w2c")
        if self.frames is not None:
            if self.frames.dtype != np.uint8 or self.frames.shape != (n, self.height, self.width, 3):
                raise ClipError(
                    f"{w}: frames must be uint8 {(n, self.height, self.width, 3)}, "
                    f"got {self.frames.dtype} {self.frames.shape}"
                )
        if self.audio is not None:
            if self.audio.ndim != 1:
                raise ClipError(f"{w}: audio must be mono (S,), got shape {self.audio.shape}")
            if not np.isfinite(self.audio).all():
                raise ClipError(f"{w}: audio holds non-finite samples")
            audio_frames = len(self.audio) / SAMPLE_RATE * self.fps
            if abs(audio_frames - n) > LENGTH_TOLERANCE_FRAMES:
                raise ClipError(
                    f"{w}: audio lasts {len(self.audio) / SAMPLE_RATE:.3f} s ({audio_frames:.1f} frames) but the clip "
                    f"has {n} frames at {self.fps} fps (tolerance {LENGTH_TOLERANCE_FRAMES} frames)"
                )
        for k, v in self.params.items():
            if v.ndim != 2 or len(v) != n:
                raise ClipError(f"{w}: params[{k!r}] must be (N={n}, D), got {v.shape}")
            if not np.isfinite(v).all():
                raise ClipError(f"{w}: params[{k!r}] holds non-finite values")
        if self.masks is not None and self.masks.shape != (n, self.height, self.width):
            raise ClipError(f"{w}: masks must be {(n, self.height, self.width)}, got {self.masks.shape}")
        if self.landmarks is not None:
            _check(self.landmarks, (n, 68, 2), f"{w}: landmarks")
        return self

    def slice(self, start: int, stop: int) -> "Clip":
        """Frames ``[start, stop)`` with the matching span of audio."""
        sl = slice(start, stop)
        audio = None
        if self.audio is not None:
            a0 = int(round(start / self.fps * SAMPLE_RATE))
            a1 = int(round(min(stop, self.n_frames) / self.fps * SAMPLE_RATE))
            audio = self.audio[a0:a1]
        return self._frames(sl, audio)

    def take(self, index: np.ndarray) -> "Clip":
        """Frames ``index`` ``(M,)`` (any order, repeats allowed) and what goes with them; no audio, which has no
        meaning for frames that are not contiguous."""
        return self._frames(index, None)

    def _frames(self, sel: slice | np.ndarray, audio: np.ndarray | None) -> "Clip":
        """The clip with every per-frame field indexed by ``sel`` and ``audio`` as its audio."""
        return replace(
            self,
            cameras=self.cameras[sel],
            frames=None if self.frames is None else self.frames[sel],
            audio=audio,
            params={k: v[sel] for k, v in self.params.items()},
            masks=None if self.masks is None else self.masks[sel],
            landmarks=None if self.landmarks is None else self.landmarks[sel],
        )

    def without_ground_truth(self) -> "Clip":
        """What a method may see of a target: audio, cameras, fps and size, nothing else."""
        return Clip(
            fps=self.fps, cameras=self.cameras, width=self.width, height=self.height,
            audio=self.audio, id=self.id, meta={k: v for k, v in self.meta.items() if k in ("language", "fps")},
        )


def concat_clips(clips: list[Clip]) -> Clip:
    """Clips of one size as one clip: frames, cameras, masks and the params all clips have, concatenated in
    order; no audio or landmarks; the first clip's fps, size and id. One clip is returned as it is."""
    if len(clips) == 1:
        return clips[0]
    keys = set.intersection(*(set(c.params) for c in clips))
    masks = None if any(c.masks is None for c in clips) else np.concatenate([c.masks for c in clips])
    return Clip(
        fps=clips[0].fps, width=clips[0].width, height=clips[0].height,
        cameras=Cameras(np.concatenate([c.cameras.K for c in clips]), np.concatenate([c.cameras.w2c for c in clips])),
        frames=np.concatenate([c.frames for c in clips]), audio=None,
        params={k: np.concatenate([c.params[k] for c in clips]) for k in keys}, masks=masks, id=clips[0].id,
    )


def _check(a: np.ndarray, shape: tuple, what: str) -> None:
    if a.shape != shape:
        raise ClipError(f"{what} must have shape {shape}, got {a.shape}")
    if not np.isfinite(a).all():
        raise ClipError(f"{what} holds non-finite values")


def write_clip(clip: Clip, path: str | Path, video: bool = False, overwrite: bool = False) -> Path:
    """Write ``clip`` to folder ``path`` atomically (a temporary sibling folder, then a rename).

    Args:
        video: store frames as H.264 ``frames.mp4`` (lossy, small) instead of PNGs (lossless).
        overwrite: replace an existing clip folder.
    """
    clip.validate()
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: clip already exists (pass overwrite=True)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        frames_entry = None
        if clip.frames is not None:
            if video:
                from ggtalker.core.video import write_video

                write_video(tmp / "frames.mp4", clip.frames, clip.fps)
                frames_entry = "frames.mp4"
            else:
                (tmp / "frames").mkdir()
                for i, img in enumerate(clip.frames):
                    iio.imwrite(tmp / "frames" / f"{i:06d}.png", img, compress_level=1)
                frames_entry = "frames"
        if clip.audio is not None:
            save_audio(tmp / "audio.wav", clip.audio)
        np.savez(tmp / "cameras.npz", K=clip.cameras.K.astype(np.float32), w2c=clip.cameras.w2c.astype(np.float32))
        if clip.params:
            np.savez(tmp / "params.npz", **{k: v.astype(np.float32) for k, v in clip.params.items()})
        if clip.masks is not None:
            np.savez_compressed(tmp / "masks.npz", labels=clip.masks.astype(np.uint8))
        if clip.landmarks is not None:
            np.save(tmp / "landmarks.npy", clip.landmarks.astype(np.float32))
        header = {
            "format": FORMAT, "id": clip.id, "fps": clip.fps, "n_frames": clip.n_frames,
            "width": clip.width, "height": clip.height, "frames": frames_entry,
            "audio": "audio.wav" if clip.audio is not None else None, "meta": clip.meta,
        }
        (tmp / "clip.json").write_text(json.dumps(header, indent=1, default=_json_default))
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON-serialisable: {type(o)}")


def read_clip(path: str | Path, load_frames: bool = True) -> Clip:
    """Read and validate a clip folder; :class:`ClipError` names the file and the problem.

    Args:
        load_frames: decode the frames (False leaves ``frames=None``: cheaper for driving requests).
    """
    path = Path(path)
    header_path = path / "clip.json"
    if not header_path.is_file():
        raise ClipError(f"{header_path}: missing (not a clip folder)")
    try:
        header = json.loads(header_path.read_text())
    except json.JSONDecodeError as e:
        raise ClipError(f"{header_path}: not valid JSON ({e})") from e
    if header.get("format") != FORMAT:
        raise ClipError(f"{header_path}: format {header.get('format')!r}, expected {FORMAT!r}")
    for key in ("fps", "n_frames", "width", "height"):
        if key not in header:
            raise ClipError(f"{header_path}: missing key {key!r}")
    cams_path = path / "cameras.npz"
    if not cams_path.is_file():
        raise ClipError(f"{cams_path}: missing")
    with np.load(cams_path) as z:
        if "K" not in z or "w2c" not in z:
            raise ClipError(f"{cams_path}: needs arrays 'K' and 'w2c', has {list(z.keys())}")
        cams = Cameras(z["K"].astype(np.float32), z["w2c"].astype(np.float32))
    n = int(header["n_frames"])
    if len(cams) != n:
        raise ClipError(f"{cams_path}: {len(cams)} cameras but clip.json says n_frames={n}")

    frames = None
    if load_frames and header.get("frames"):
        frames = _read_frames(path / header["frames"], n)
    audio = None
    if header.get("audio"):
        try:
            audio = load_audio(path / header["audio"])
        except (FileNotFoundError, ValueError) as e:
            raise ClipError(str(e)) from e
    params: dict[str, np.ndarray] = {}
    if (path / "params.npz").is_file():
        with np.load(path / "params.npz") as z:
            params = {k: z[k].astype(np.float32) for k in z.keys()}
    masks = None
    if (path / "masks.npz").is_file():
        with np.load(path / "masks.npz") as z:
            masks = z["labels"]
    landmarks = np.load(path / "landmarks.npy") if (path / "landmarks.npy").is_file() else None
    clip = Clip(
        fps=float(header["fps"]), cameras=cams, width=int(header["width"]), height=int(header["height"]),
        frames=frames, audio=audio, params=params, masks=masks, landmarks=landmarks,
        id=str(header.get("id", path.name)), meta=header.get("meta", {}),
    )
    return clip.validate(where=str(path))


#: Optional fields of a clip folder and the file that holds each (``frames`` and ``audio`` are named in clip.json).
FIELD_FILES = {"masks": "masks.npz", "landmarks": "landmarks.npy"}


def clip_fields(path: str | Path) -> set[str]:
    """What a clip folder carries, from its header and file names, decoding nothing.

    Returns names among ``frames``, ``audio``, ``masks``, ``landmarks`` and ``params.<name>`` (one per array
    of params.npz): the vocabulary of :attr:`ggtalker.bench.method.Method.train_needs`.
    """
    path = Path(path)
    header_path = path / "clip.json"
    try:
        header = json.loads(header_path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ClipError(f"{header_path}: cannot read the clip header ({e})") from e
    out = {k for k in ("frames", "audio") if header.get(k)}
    out |= {k for k, name in FIELD_FILES.items() if (path / name).is_file()}
    if (path / "params.npz").is_file():
        with np.load(path / "params.npz") as z:
            out |= {f"params.{k}" for k in z.files}
    return out


def _read_frames(src: Path, n: int) -> np.ndarray:
    if src.suffix == ".mp4":
        from ggtalker.core.video import read_video

        frames, _ = read_video(src)
    else:
        if not src.is_dir():
            raise ClipError(f"{src}: frames folder missing")
        files = sorted(src.glob("*.png"))
        if len(files) != n:
            raise ClipError(f"{src}: {len(files)} PNG frames but clip.json says n_frames={n}")
        frames = np.stack([iio.imread(f)[..., :3] for f in files])
    if len(frames) != n:
        raise ClipError(f"{src}: {len(frames)} frames but clip.json says n_frames={n}")
    return frames
