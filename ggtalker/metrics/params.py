"""Metrics on predicted head parameters against the ground truth (no pixels involved).

* ``lve``: lip vertex error (FaceFormer / CodeTalker): per frame the *largest* L2 distance over the mouth
  vertices between predicted and true meshes, averaged over frames, in millimetres. The meshes are the
  SynthTalk world's own head (:func:`ggtalker.synth.head.lip_vertices`) of the case's identity, with head
  pose zeroed in both (as on VOCASET, LVE measures the face, not where the head went).
* ``mouth_corr``: Pearson correlation over a case's frames of predicted and true mouth openness
  (:func:`ggtalker.synth.visemes.mouth_openness`: jaw opening closed by lip pressing).
* ``expr_mse``: mean squared error of the 10 expression components, per frame.
"""

from __future__ import annotations

import numpy as np

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
from ggtalker.core.clip import Clip
from ggtalker.core.params import EXPR_NAMES

#: Frames posed per call of the mesh (bounds memory: the full head is posed before the lips are taken).
MESH_CHUNK = 64


def _check(pred: Generation, gt: Clip, keys: tuple[str, ...]) -> None:
    for k in keys:
        if k not in pred.params or k not in gt.params:
            raise ValueError(f"{gt.id}: params[{k!r}] missing from {'prediction' if k not in pred.params else 'ground truth'}")
        if pred.params[k].shape != gt.params[k].shape:
            raise ValueError(f"{gt.id}: predicted {k} {pred.params[k].shape} vs ground truth {gt.params[k].shape}")


def mouth_openness(params: dict[str, np.ndarray]) -> np.ndarray:
    """Openness ``(N,)`` in [0, 1] from ``jaw (N,1)`` and ``expr (N,10)`` (the world's definition)."""
    from ggtalker.synth.visemes import mouth_openness as from_curves

    return from_curves({"jaw": params["jaw"][:, 0], "lip_press": params["expr"][:, EXPR_NAMES.index("lip_press")]})


class LipVertexError(Metric):
    """Maximal mouth-vertex L2 error per frame (mm), on the world's head mesh of the case's identity."""

    name = "lve"
    outputs = {"lve": False}
    needs = ("pred_params", "gt_params")
    tolerance = 0.01

    def variant(self) -> dict:
        return {"mesh": "ggtalker.synth.head.lip_vertices", "pose": "zeroed", "unit": "mm",
                "aggregation": "max over mouth vertices, mean over frames"}

    def update(self, pred: Generation, gt: Clip) -> None:
        from ggtalker.synth.head import lip_vertices

        keys = ("expr", "jaw")
        _check(pred, gt, keys)
        seed = int(gt.meta.get("identity_seed", 0))
        n = gt.n_frames
        for i in range(0, n, MESH_CHUNK):
            sl = slice(i, min(i + MESH_CHUNK, n))

            def posed(p: dict) -> np.ndarray:
                m = sl.stop - sl.start
                return lip_vertices(seed, {"expr": p["expr"][sl], "jaw": p["jaw"][sl], "blink": np.zeros((m, 2), np.float32),
                                           "pose": np.zeros((m, 6), np.float32)})

            err = np.linalg.norm(posed(pred.params) - posed(gt.params), axis=-1).max(axis=1)
            self.add("lve", err * 1000.0)


class MouthOpennessCorrelation(Metric):
    """Pearson correlation of predicted and true mouth openness over a case (one value per case)."""

    name = "mouth_corr"
    outputs = {"mouth_corr": True}
    needs = ("pred_params", "gt_params")
    tolerance = 0.005

    def variant(self) -> dict:
        return {"openness": "jaw * (1 - lip_press)", "aggregation": "Pearson r per case, mean over cases"}

    def update(self, pred: Generation, gt: Clip) -> None:
        _check(pred, gt, ("expr", "jaw"))
        a, b = mouth_openness(pred.params), mouth_openness(gt.params)
        # A constant prediction has no defined correlation; it explains none of the motion, so it scores 0.
        r = 0.0 if a.std() < 1e-8 or b.std() < 1e-8 else float(np.corrcoef(a, b)[0, 1])
        self.add("mouth_corr", r)


class ExpressionMSE(Metric):
    """Mean squared error over the 10 expression components, per frame."""

    name = "expr_mse"
    outputs = {"expr_mse": False}
    needs = ("pred_params", "gt_params")
    tolerance = 1e-4

    def variant(self) -> dict:
        return {"params": "expr (10 components)", "aggregation": "mean over components, mean over frames"}

    def update(self, pred: Generation, gt: Clip) -> None:
        _check(pred, gt, ("expr",))
        self.add("expr_mse", ((pred.params["expr"] - gt.params["expr"]) ** 2).mean(1))
