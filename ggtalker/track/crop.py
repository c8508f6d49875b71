"""Face-centred square crops of any video: MediaPipe face detection, a temporally smoothed box, 25 fps, 512², 16 kHz.

Two decoding passes, so a long high-resolution video never sits in memory at full size:

1. :func:`find_face`: decode, keep the output-rate frames (nearest-frame selection,
   :func:`ggtalker.data.real.frames.resample_indices`) downscaled to :data:`DETECT_SIDE`, run MediaPipe's
   full-range face detector (shipped in the 0.10.14 wheel) on every ``stride``-th one. A video with no face, or
   with a second sizeable face in many frames, raises :class:`FaceError` naming the video here, before any
   cropping or tracking.
2. :func:`crop_video`: the largest face's box per detected frame, interpolated between detections and
   smoothed over time (Gaussian, :data:`SMOOTH_S`), becomes a square ``CROP_SCALE`` times the face box (head,
   hair and some shoulders: the framing of SynthTalk's default camera, on which the priors were trained), at
   most the picture's short side and shifted to stay inside it, cut out at full resolution (edges replicated
   only where a face at the border leaves no choice) and resized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

from ggtalker.core.audio import SAMPLE_RATE, load_audio
from ggtalker.core.clip import ClipError
from ggtalker.core.frames import fit_audio, read_video_audio, resample_indices

#: Longest side of the frames the detector sees (a face of 1/10 of a 1080p frame is still ~50 px).
DETECT_SIDE = 480
#: Crop side / face-box side: SynthTalk's default camera shows the detector's face box at ~0.47 of the frame.
CROP_SCALE = 2.1
#: The crop centre sits this many face-box heights below the box centre (the box ends at the chin; the crop
#: shows the hair above and the shoulders below).
CROP_DROP = 0.15
#: Standard deviation of the temporal smoothing of the crop, seconds.
SMOOTH_S = 0.5
#: A video is refused when faces are found in fewer than this share of the sampled frames ...
MIN_FACE_SHARE = 0.5
#: ... or when a second face at least SECOND_FACE_AREA of the largest one's area is found in at least this share.
MAX_MULTI_SHARE = 0.2
SECOND_FACE_AREA = 0.25


class FaceError(ClipError):
    """A video cannot be tracked: no face, or several; the message names the video."""


@dataclass
class FaceTrack:
    """Pass 1's result for one video.

    Attributes:
        boxes: ``(N, 4)`` the largest face per output frame ``x0, y0, x1, y1`` in source pixels (NaN: not detected
            or not sampled). n_faces: ``(N,)`` faces found (-1: not sampled).
        src_size: ``(width, height)``; src_fps; src_index: ``(N,)`` the source frame of each output frame.
    """

    path: Path
    boxes: np.ndarray
    n_faces: np.ndarray
    src_size: tuple[int, int]
    src_fps: float
    src_index: np.ndarray
    fps: float

    @property
    def n_frames(self) -> int:
        return len(self.src_index)


@dataclass
class CroppedVideo:
    """A face-centred video: ``frames (N, S, S, 3)`` uint8 at ``fps``, ``audio (S_a,)`` 16 kHz, and ``crops``
    ``(N, 4)`` the square in source pixels (``x0, y0, x1, y1``) each frame was cut from."""

    frames: np.ndarray
    audio: np.ndarray
    fps: float
    crops: np.ndarray
    source: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def _detector():
    import mediapipe as mp

    # model_selection=1: the full-range model (faces up to ~5 m), which also finds small faces in wide shots.
    return mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)


def detect_faces(rgb: np.ndarray) -> np.ndarray:
    """Face boxes in ``rgb (H, W, 3)`` uint8: ``(F, 4)`` ``x0, y0, x1, y1`` pixels, largest first."""
    h, w = rgb.shape[:2]
    res = _detector().process(np.ascontiguousarray(rgb))
    if not res.detections:
        return np.zeros((0, 4))
    b = np.array([[d.location_data.relative_bounding_box.xmin, d.location_data.relative_bounding_box.ymin,
                   d.location_data.relative_bounding_box.width, d.location_data.relative_bounding_box.height]
                  for d in res.detections]) * [w, h, w, h]
    boxes = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1)
    return boxes[np.argsort(-(b[:, 2] * b[:, 3]))]


def _frames(path: Path):
    """Decoded RGB frames of the first video stream, and its frame rate (FaceError on an unreadable file)."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise FaceError(f"{path}: cannot open the video ({e})") from e
    if not container.streams.video:
        container.close()
        raise FaceError(f"{path}: has no video stream")
    stream = container.streams.video[0]
    fps = float(stream.average_rate or stream.guessed_rate or 25.0)

    def gen():
        with container:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")

    return gen(), fps


def _need_audio(path: Path) -> None:
    """FaceError unless ``path`` has an audio stream or a ``<stem>.wav`` beside it: checked before any decoding."""
    if path.with_suffix(".wav").is_file():
        return
    try:
        with av.open(str(path)) as c:
            if c.streams.audio:
                return
    except (av.error.FFmpegError, OSError) as e:
        raise FaceError(f"{path}: cannot open the video ({e})") from e
    raise FaceError(f"{path}: the video has no audio stream and there is no {path.with_suffix('.wav').name} beside it")


def find_face(path: str | Path, fps: float = 25.0, stride: int = 2, progress=None) -> FaceTrack:
    """Pass 1: detect faces on every ``stride``-th output frame; raise :class:`FaceError` for no face or several.

    Args:
        progress: optional callable ``(frames_done)``.
    """
    path = Path(path)
    if not path.is_file():
        raise FaceError(f"{path}: video not found")
    _need_audio(path)
    gen, src_fps = _frames(path)
    small, size = [], None
    for i, rgb in enumerate(gen):
        if size is None:
            size = (rgb.shape[1], rgb.shape[0])
            k = min(1.0, DETECT_SIDE / max(size))
        small.append(cv2.resize(rgb, (max(1, round(size[0] * k)), max(1, round(size[1] * k))),
                                interpolation=cv2.INTER_AREA) if k < 1 else rgb)
        if progress is not None:
            progress(i + 1)
    if size is None:
        raise FaceError(f"{path}: the video has no frames")
    idx = resample_indices(len(small), src_fps, fps)
    if len(idx) < 2:
        raise FaceError(f"{path}: too short ({len(small)} frames at {src_fps:.3f} fps)")
    boxes = np.full((len(idx), 4), np.nan)
    n_faces = np.full(len(idx), -1)
    multi = 0
    for j in range(0, len(idx), stride):
        b = detect_faces(small[idx[j]]) / k
        n_faces[j] = len(b)
        if len(b):
            boxes[j] = b[0]
            area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
            multi += int(len(b) > 1 and area[1] >= SECOND_FACE_AREA * area[0])
    sampled = int((n_faces >= 0).sum())
    found = int((n_faces > 0).sum())
    if found < MIN_FACE_SHARE * sampled:
        raise FaceError(f"{path}: no face found in {sampled - found} of {sampled} sampled frames (MediaPipe face "
                        f"detection); the tracker needs one person's face in view")
    if multi >= MAX_MULTI_SHARE * sampled:
        raise FaceError(f"{path}: several faces in {multi} of {sampled} sampled frames; the tracker needs a video "
                        "of one person (crop the video to one face first)")
    return FaceTrack(path=path, boxes=boxes, n_faces=n_faces, src_size=size, src_fps=src_fps, src_index=idx, fps=fps)


def crop_boxes(track: FaceTrack, scale: float = CROP_SCALE, drop: float = CROP_DROP,
               smooth_s: float = SMOOTH_S) -> np.ndarray:
    """Square crops ``(N, 4)`` ``x0, y0, x1, y1`` (source pixels) from a face track: centre and side interpolated
    over undetected frames, then Gaussian-smoothed over ``smooth_s`` seconds."""
    b = track.boxes
    ok = np.isfinite(b).all(1)
    t = np.arange(len(b))
    cx = np.interp(t, t[ok], (b[ok, 0] + b[ok, 2]) / 2)
    cy = np.interp(t, t[ok], (b[ok, 1] + b[ok, 3]) / 2 + drop * (b[ok, 3] - b[ok, 1]))
    side = np.interp(t, t[ok], scale * np.maximum(b[ok, 2] - b[ok, 0], b[ok, 3] - b[ok, 1]))
    sig = smooth_s * track.fps
    cx, cy, side = (gaussian_filter1d(v, sig, mode="nearest") for v in (cx, cy, side))
    # Stay inside the picture where it can: a square no larger than its short side, shifted in rather than
    # padded (an HDTF-style 512² input is already this crop); replicated edges only for a face at the border.
    w, h = track.src_size
    side = np.minimum(side, min(w, h))
    cx = np.clip(cx, side / 2, w - side / 2)
    cy = np.clip(cy, side / 2, h - side / 2)
    return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], 1)


def cut_square(rgb: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """The square ``box`` (``x0, y0, x1, y1``, may leave the picture: edges replicated) of ``rgb`` at ``size``²."""
    x0, y0, x1, y1 = box
    k = size / (x1 - x0)
    # One affine warp: scale and shift in one resampling step. Downscaling by more than 2x first area-resizes
    # the whole frame, so the warp does not alias.
    img = rgb
    if k < 0.5:
        f = 2 * k
        img = cv2.resize(rgb, (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f))),
                         interpolation=cv2.INTER_AREA)
        fx, fy = img.shape[1] / rgb.shape[1], img.shape[0] / rgb.shape[0]
        x0, x1, y0, y1 = x0 * fx, x1 * fx, y0 * fy, y1 * fy
        k = size / (x1 - x0)
    M = np.array([[k, 0, -x0 * k], [0, k, -y0 * k]], np.float64)
    return cv2.warpAffine(img, M, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def crop_video(path: str | Path, size: int = 512, fps: float = 25.0, track: FaceTrack | None = None,
               progress=None) -> CroppedVideo:
    """Pass 2: the face-centred ``size``² video at ``fps`` with its audio at 16 kHz (``<stem>.wav`` beside the
    video wins over the muxed audio). Runs :func:`find_face` first unless ``track`` is given."""
    path = Path(path)
    track = track or find_face(path, fps)
    crops = crop_boxes(track)
    want = {}
    for j, s in enumerate(track.src_index):
        want.setdefault(int(s), []).append(j)
    frames = np.empty((track.n_frames, size, size, 3), np.uint8)
    gen, _ = _frames(path)
    for i, rgb in enumerate(gen):
        for j in want.get(i, ()):
            frames[j] = cut_square(rgb, crops[j], size)
            if progress is not None:
                progress(j + 1)
    wav = path.with_suffix(".wav")
    audio = load_audio(wav) if wav.is_file() else read_video_audio(path)
    if audio is None:
        raise FaceError(f"{path}: the video has no audio stream and there is no {wav.name} beside it")
    n = track.n_frames
    if len(audio) / SAMPLE_RATE < n / fps - 0.5:
        raise FaceError(f"{path}: audio lasts {len(audio) / SAMPLE_RATE:.2f} s but the video {n / fps:.2f} s")
    return CroppedVideo(frames=frames, audio=fit_audio(audio, n, fps), fps=fps, crops=crops.astype(np.float32),
                        source={"path": str(path), "src_fps": track.src_fps, "src_size": list(track.src_size),
                                "faces_sampled": int((track.n_faces >= 0).sum()),
                                "faces_found": int((track.n_faces > 0).sum())})
