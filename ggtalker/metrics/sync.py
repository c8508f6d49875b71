"""Lip sync by SyncNet: LSE-C / LSE-D with the official ``syncnet_v2.model`` and the official protocol.

The protocol (joonson/syncnet_python, as packaged in syncnet-python 0.2.3):

* video at 25 fps; a face track cropped to 224×224 BGR 0–255 by the pipeline's rule (box half-size
  ``s`` median-filtered over 13 frames, crop ``[y-s, y+s(1+2c)] × [x-s(1+c), x+s(1+c)]`` with c = 0.40
  on a frame padded by grey 110);
* audio 16 kHz as int16, MFCC 13 coefficients at 100 Hz (python_speech_features defaults); the lip
  tower sees 5 frames, the audio tower 20 MFCC columns starting at column 4·t;
* distances between the towers' 1024-d outputs at offsets −15…15; LSE-D = min over offsets of the mean
  distance, LSE-C = median − min, AV offset = vshift − argmin.

The one departure: the pipeline finds the face with the S3FD detector; our clips carry landmarks (or
head masks), so the box is taken from them (:func:`face_boxes`) and S3FD is not needed. Everything after
the box is the official code path; :func:`official_scores` is checked against ``SyncNetInstance.evaluate``
in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.clip import MASK_HEAD, Clip
from ggtalker.metrics.weights import WeightSpec

SYNCNET = WeightSpec(
    "SyncNet (syncnet_v2.model)", "syncnet_v2.model", "GGTALKER_SYNCNET", hub_cache=False,
    source="http://www.robots.ox.ac.uk/~vgg/software/lipsync/data/syncnet_v2.model (see joonson/syncnet_python download_model.sh)",
)
FPS, CROP, CROP_SCALE, VSHIFT = 25.0, 224, 0.40, 15
MFCC_PER_FRAME, WINDOW = 4, 5  # 100 Hz MFCC / 25 fps; 5 video frames ↔ 20 MFCC columns


@dataclass
class SyncResult:
    """Scores of one clip. ``dists`` is ``(n_windows, 2·vshift+1)``: distance per window and offset."""

    offset: int
    conf: float
    min_dist: float
    dists: np.ndarray


def mfcc(audio: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``(S,)`` float audio in [-1, 1] → ``(13, T)`` MFCC at 100 Hz, as syncnet computes it.

    The official code reads a pcm_s16le wav, so the samples are quantised to int16 first; the scale
    matters (the first coefficient is log energy).
    """
    import python_speech_features

    pcm = np.clip(np.round(audio.astype(np.float64) * 32768.0), -32768, 32767).astype(np.int16)
    return np.asarray(python_speech_features.mfcc(pcm, sr), dtype=np.float64).T


def resample_frames(n: int, fps: float, target_fps: float = FPS) -> np.ndarray:
    """Indices of the nearest source frame for each output frame at ``target_fps`` (as ``ffmpeg -r``)."""
    if abs(fps - target_fps) < 1e-6:
        return np.arange(n)
    n_out = int(np.floor(n / fps * target_fps))
    return np.minimum(np.round(np.arange(n_out) * fps / target_fps).astype(int), n - 1)


def face_boxes(clip: Clip) -> np.ndarray:
    """Per-frame face boxes ``(N, 4)`` ``x0, y0, x1, y1`` in pixels, from the clip's landmarks or masks.

    Landmark hull of the 68 points, extended upward by 25% of its height — a face detector's box reaches
    the forehead, the 68 points stop at the brows. Without landmarks: the head mask's bounding box.
    """
    if clip.landmarks is not None:
        lo, hi = clip.landmarks.min(1), clip.landmarks.max(1)
        lo = lo.copy()
        lo[:, 1] -= 0.25 * (hi[:, 1] - lo[:, 1])
        return np.concatenate([lo, hi], 1).astype(np.float64)
    if clip.masks is not None:
        boxes = []
        for m in clip.masks:
            ys, xs = np.nonzero(m == MASK_HEAD)
            if len(ys) == 0:
                raise ValueError(f"{clip.id}: a frame has no head pixels to place the face crop")
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        return np.asarray(boxes, np.float64)
    raise ValueError(f"{clip.id}: LSE needs landmarks or head masks to place the face crop")


def face_crops(frames_rgb: np.ndarray, boxes: np.ndarray, crop_scale: float = CROP_SCALE) -> np.ndarray:
    """The pipeline's face-track crop: RGB ``(N, H, W, 3)`` + boxes ``(N, 4)`` → BGR ``(N, 224, 224, 3)`` uint8."""
    import cv2
    from scipy import signal

    s = np.maximum(boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]) / 2
    x, y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    s, x, y = (signal.medfilt(v, 13) for v in (s, x, y))
    out = np.empty((len(frames_rgb), CROP, CROP, 3), np.uint8)
    cs = crop_scale
    for i, rgb in enumerate(frames_rgb):
        img = np.ascontiguousarray(rgb[..., ::-1])
        bs = s[i]
        pad = int(bs * (1 + 2 * cs))
        img_p = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(110, 110, 110))
        my, mx = y[i] + pad, x[i] + pad
        y1, y2 = int(my - bs), int(my + bs * (1 + 2 * cs))
        x1, x2 = int(mx - bs * (1 + cs)), int(mx + bs * (1 + cs))
        out[i] = cv2.resize(img_p[y1:y2, x1:x2], (CROP, CROP))
    return out


def offset_distances(vid: torch.Tensor, aud: torch.Tensor, vshift: int = VSHIFT) -> torch.Tensor:
    """Distances at every offset: ``(W, D)`` video and audio features → ``(W, 2·vshift+1)``.

    Audio features are zero-padded by ``vshift`` at both ends, as the official ``calc_pdist`` does.
    """
    win = 2 * vshift + 1
    aud_p = F.pad(aud, (0, 0, vshift, vshift))
    idx = torch.arange(len(vid))[:, None] + torch.arange(win)[None]
    return F.pairwise_distance(vid[:, None, :].expand(-1, win, -1), aud_p[idx])


def scores_from_distances(dists: torch.Tensor, vshift: int = VSHIFT) -> SyncResult:
    """LSE-D = min over offsets of the mean distance; LSE-C = median − min (torch's lower median)."""
    mdist = dists.mean(0)
    minval, minidx = torch.min(mdist, 0)
    return SyncResult(offset=int(vshift - minidx), conf=float(torch.median(mdist) - minval),
                      min_dist=float(minval), dists=dists.numpy())


def load_syncnet(path: str, device: str = "cpu") -> torch.nn.Module:
    """syncnet-python's ``SyncNetModel.S`` with the official state dict (``syncnet_v2.model``)."""
    from syncnet_python.SyncNetModel import S

    model = S(num_layers_in_fc_layers=1024)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval().to(device)


@torch.no_grad()
def official_scores(model: torch.nn.Module, crops_bgr: np.ndarray, cc: np.ndarray, n_samples: int,
                    vshift: int = VSHIFT, batch_size: int = 20, device: str = "cpu") -> SyncResult:
    """SyncNet scores of 25 fps BGR crops ``(N, 224, 224, 3)`` and MFCC ``(13, T)`` of ``n_samples`` audio samples.

    Like ``SyncNetInstance.evaluate``: ``min(N, n_samples // 640) - 5`` windows (the official count, which
    stops one window short), lip input ``(B, 3, 5, 224, 224)`` BGR 0–255, audio input ``(B, 1, 13, 20)``.
    """
    n_win = min(len(crops_bgr), n_samples // int(SAMPLE_RATE / FPS)) - WINDOW
    # Where the official loop would slice past the MFCC's end (and fail), stop at the last whole window.
    n_win = min(n_win, (cc.shape[1] - 4 * WINDOW) // MFCC_PER_FRAME + 1)
    if n_win < 1:
        raise ValueError(f"SyncNet needs more than {WINDOW} frames of video and audio, got {len(crops_bgr)}")
    im = torch.from_numpy(crops_bgr).float().permute(3, 0, 1, 2)  # (3, N, H, W)
    ct = torch.from_numpy(cc).float()
    vid, aud = [], []
    for i in range(0, n_win, batch_size):
        js = range(i, min(n_win, i + batch_size))
        vid.append(model.forward_lip(torch.stack([im[:, j:j + WINDOW] for j in js]).to(device)).cpu())
        aud.append(model.forward_aud(torch.stack([ct[None, :, 4 * j:4 * j + 20] for j in js]).to(device)).cpu())
    return scores_from_distances(offset_distances(torch.cat(vid), torch.cat(aud), vshift), vshift)


class LSE(Metric):
    """LSE-C (↑) and LSE-D (↓) with the official SyncNet; per case one value each.

    Args:
        weights: path of ``syncnet_v2.model`` (else ``$GGTALKER_SYNCNET``).
        vshift: offsets searched either side (15 as in run_syncnet.py).
    """

    name = "lse"
    outputs = {"c": True, "d": False}
    needs: tuple[str, ...] = ("pred_frames", "audio")
    tolerance = 0.05

    def __init__(self, weights: str | None = None, vshift: int = VSHIFT, **kw) -> None:
        super().__init__(**kw)
        self.weights, self.vshift = weights, vshift
        self._model: torch.nn.Module | None = None
        self.last: SyncResult | None = None

    def unavailable(self) -> str | None:
        return None if SYNCNET.resolve(self.weights) else SYNCNET.missing_message(self.weights)

    def missing(self, pred: Generation, gt: Clip) -> str | None:
        reason = super().missing(pred, gt)
        if reason is None and gt.landmarks is None and gt.masks is None:
            reason = "case lacks landmarks or head masks to place the face crop"
        return reason

    def variant(self) -> dict:
        return {"network": "SyncNet syncnet_v2.model (syncnet-python 0.2.3 SyncNetModel.S)", "fps": FPS,
                "crop": f"224x224 face-track crop, crop_scale {CROP_SCALE}, box from clip landmarks/masks (no S3FD)",
                "mfcc": "python_speech_features 13 @100Hz on int16", "vshift": self.vshift,
                "lse_d": "min over offsets of mean distance", "lse_c": "median - min"}

    def update(self, pred: Generation, gt: Clip) -> None:
        if self._model is None:
            path = SYNCNET.resolve(self.weights)
            if path is None:
                raise FileNotFoundError(self.unavailable())
            self._model = load_syncnet(str(path), self.device)
        frames = self.protocol.apply(pred.frames, gt)
        idx = resample_frames(len(frames), gt.fps)
        crops = face_crops(frames[idx], face_boxes(gt)[idx])
        self.last = official_scores(self._model, crops, mfcc(gt.audio), len(gt.audio), self.vshift, device=self.device)
        self.add("c", self.last.conf)
        self.add("d", self.last.min_dist)
