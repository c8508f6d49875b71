"""The SynthTalk sync expert: SyncNet's two towers at our world's input sizes, and its metric.

Architecture as SyncNet (Chung & Zisserman 2016; syncnet_python's ``SyncNetModel.S``): a lip tower whose
first 3-D convolution spans the 5-frame window and collapses time, then 2-D stages; an audio tower of
2-D convolutions over a 13×20 MFCC patch (the same MFCC protocol as SyncNet: 13 coefficients at 100 Hz,
20 columns per 5 video frames); fully connected heads to a shared embedding. Sizes are ours: a 40×64
mouth crop (SyncNet: 224×224 face), narrower channels, global pooling, 128-d embeddings.
Trained as Wav2Lip's expert: BCE on the cosine similarity of ReLU'd, L2-normalised embeddings, aligned
windows positive, shifted windows (±2…15 frames) negative (``ggtalker/train/sync_expert.py``).

Reported under its own names, never as LSE: ``sync_conf`` (↑) = median over offsets of the mean
distance − the mean distance at offset 0, ``sync_dist`` (↓) = mean distance at offset 0, and
``sync_offset`` (↓) = |best offset| in frames. Unlike LSE-C (which takes the best offset), offset 0 is
scored, because a benchmark's video is meant to be in sync with its audio: a lagging method loses.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.clip import Clip
from ggtalker.metrics.sync import MFCC_PER_FRAME, WINDOW, mfcc, offset_distances, resample_frames

ZOO_NAME = "sync_expert_synthtalk"
CROP_H, CROP_W = 40, 64
N_MFCC, MFCC_COLS = 13, MFCC_PER_FRAME * WINDOW
SAMPLES_PER_FRAME = SAMPLE_RATE // 25


def mouth_boxes(landmarks: np.ndarray) -> np.ndarray:
    """Mouth crop boxes ``(N, 4)`` ``x0, y0, x1, y1`` from iBUG-68 landmarks ``(N, 68, 2)``.

    Scale from the outer eye corners (36, 45), which do not move with speech; width 1.3× that distance,
    aspect 40:64. Centred horizontally on the lips and vertically between nose base (33) and chin (8), so an
    opening jaw stays inside a box that does not follow it.
    """
    iod = np.linalg.norm(landmarks[:, 45] - landmarks[:, 36], axis=-1)
    w = 1.3 * iod
    h = w * CROP_H / CROP_W
    cx = landmarks[:, 48:68, 0].mean(1)
    cy = (landmarks[:, 33, 1] + landmarks[:, 8, 1]) / 2
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def mouth_crops(frames: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """RGB frames ``(N, H, W, 3)`` uint8 → mouth crops ``(N, 40, 64, 3)`` uint8 (bilinear, edge-padded)."""
    import cv2

    out = np.empty((len(frames), CROP_H, CROP_W, 3), np.uint8)
    for i, (img, (x0, y0, x1, y1)) in enumerate(zip(frames, boxes)):
        # An affine map of the box onto the crop: sub-pixel exact and no slicing outside the frame.
        sx, sy = CROP_W / max(x1 - x0, 1e-3), CROP_H / max(y1 - y0, 1e-3)
        M = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float64)
        out[i] = cv2.warpAffine(img, M, (CROP_W, CROP_H), flags=cv2.INTER_AREA if sx < 1 else cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    return out


def cmvn_mfcc(audio: np.ndarray) -> np.ndarray:
    """``(S,)`` 16 kHz audio → ``(13, T)`` float32 MFCC (SyncNet's) with per-clip mean/variance normalisation.

    CMVN removes the channel and loudness offsets that raw MFCCs carry (SyncNet feeds them raw).
    """
    cc = mfcc(audio)
    return ((cc - cc.mean(1, keepdims=True)) / (cc.std(1, keepdims=True) + 1e-5)).astype(np.float32)


def n_windows(n_frames: int, n_samples: int, n_mfcc_cols: int) -> int:
    """How many 5-frame windows a clip holds (window t: frames t…t+4, MFCC columns 4t…4t+19)."""
    return max(0, min(n_frames - WINDOW + 1, n_samples // SAMPLES_PER_FRAME - WINDOW + 1,
                      (n_mfcc_cols - MFCC_COLS) // MFCC_PER_FRAME + 1))


def clip_windows(crops: np.ndarray, cc: np.ndarray, n_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All windows of a clip: crops ``(N, 40, 64, 3)`` uint8 + MFCC ``(13, T)`` →
    video ``(W, 3, 5, 40, 64)`` float in [-0.5, 0.5] and audio ``(W, 1, 13, 20)``."""
    w = n_windows(len(crops), n_samples, cc.shape[1])
    if w < 1:
        raise ValueError(f"a clip needs at least {WINDOW} frames of video and audio, got {len(crops)}")
    v = torch.from_numpy(crops).float().div(255).sub(0.5).permute(3, 0, 1, 2)  # (3, N, h, w)
    vid = torch.stack([v[:, t:t + WINDOW] for t in range(w)])
    c = torch.from_numpy(cc)
    aud = torch.stack([c[None, :, MFCC_PER_FRAME * t:MFCC_PER_FRAME * t + MFCC_COLS] for t in range(w)])
    return vid, aud


def _conv3(cin: int, cout: int, stride=1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SyncExpert(nn.Module):
    """SyncNet-architecture audio and lip towers for SynthTalk mouth crops.

    Args:
        dim: embedding size.
        width: channel multiplier.
    """

    def __init__(self, dim: int = 128, width: int = 32) -> None:
        super().__init__()
        c = width
        self.config = {"dim": dim, "width": width}
        # Lip tower: like SyncNet's netcnnlip, the first conv spans all 5 frames (time collapses to 1).
        self.lip_cnn = nn.Sequential(
            nn.Conv3d(3, c, kernel_size=(WINDOW, 5, 5), stride=(1, 2, 2), padding=(0, 2, 2)),
            nn.BatchNorm3d(c), nn.ReLU(inplace=True),
        )
        self.lip_2d = nn.Sequential(*_conv3(c, 2 * c, 2), *_conv3(2 * c, 4 * c, 2), *_conv3(4 * c, 4 * c),
                                    nn.AdaptiveAvgPool2d(1))
        self.lip_fc = nn.Sequential(nn.Linear(4 * c, 4 * c), nn.BatchNorm1d(4 * c), nn.ReLU(), nn.Linear(4 * c, dim))
        # Audio tower: SyncNet's netcnnaud pattern (3x3 convs, pooling along time), 13x20 MFCC input.
        self.aud_cnn = nn.Sequential(*_conv3(1, c), *_conv3(c, 2 * c, (1, 2)), *_conv3(2 * c, 4 * c, 2),
                                     *_conv3(4 * c, 4 * c), nn.AdaptiveAvgPool2d(1))
        self.aud_fc = nn.Sequential(nn.Linear(4 * c, 4 * c), nn.BatchNorm1d(4 * c), nn.ReLU(), nn.Linear(4 * c, dim))

    def embed_video(self, x: torch.Tensor) -> torch.Tensor:
        """Mouth windows ``(B, 3, 5, 40, 64)`` in [-0.5, 0.5] → unit embeddings ``(B, dim)`` (non-negative)."""
        h = self.lip_cnn(x).squeeze(2)
        return F.normalize(F.relu(self.lip_fc(self.lip_2d(h).flatten(1))), dim=1)

    def embed_audio(self, x: torch.Tensor) -> torch.Tensor:
        """CMVN MFCC windows ``(B, 1, 13, 20)`` → unit embeddings ``(B, dim)`` (non-negative)."""
        return F.normalize(F.relu(self.aud_fc(self.aud_cnn(x).flatten(1))), dim=1)

    def sync_prob(self, video: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """Wav2Lip's sync probability: cosine similarity of the embeddings, in [0, 1], ``(B,)``."""
        return (self.embed_video(video) * self.embed_audio(audio)).sum(1).clamp(1e-6, 1 - 1e-6)

    def save(self, path: str) -> None:
        """fp16 state dict + config (a few hundred KB)."""
        torch.save({"config": self.config, "state": {k: v.half() if v.is_floating_point() else v
                                                     for k, v in self.state_dict().items()}}, path)

    @classmethod
    def from_file(cls, path: str, device: str = "cpu") -> "SyncExpert":
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model = cls(**blob["config"])
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state"].items()})
        return model.eval().to(device)

    @classmethod
    def load(cls, name: str = ZOO_NAME, device: str = "cpu") -> "SyncExpert":
        """The zoo's expert (sha256-checked), in eval mode."""
        from ggtalker.zoo import load_path

        return cls.from_file(str(load_path(name)), device)


@torch.no_grad()
def expert_scores(model: SyncExpert, frames: np.ndarray, landmarks: np.ndarray, audio: np.ndarray,
                  vshift: int = 15, batch: int = 256) -> dict[str, float]:
    """Sync scores of one clip: frames ``(N, H, W, 3)``, landmarks ``(N, 68, 2)``, audio ``(S,)`` at 25 fps.

    Returns ``{"conf", "dist", "offset"}`` (see the module doc) and ``"dists"`` ``(W, 2·vshift+1)``.
    """
    vid, aud = clip_windows(mouth_crops(frames, mouth_boxes(landmarks)), cmvn_mfcc(audio), len(audio))
    dev = next(model.parameters()).device
    ev = torch.cat([model.embed_video(vid[i:i + batch].to(dev)).cpu() for i in range(0, len(vid), batch)])
    ea = torch.cat([model.embed_audio(aud[i:i + batch].to(dev)).cpu() for i in range(0, len(aud), batch)])
    d = offset_distances(ev, ea, vshift)
    # Offsets whose audio window falls outside the clip compare with zero padding; exclude them from the
    # per-offset means (unlike LSE, whose protocol keeps them) so short clips are not dominated by padding.
    idx = torch.arange(len(ev))[:, None] + torch.arange(2 * vshift + 1)[None] - vshift
    valid = (idx >= 0) & (idx < len(ea))
    mdist = torch.where(valid, d, torch.nan).nanmean(0)
    # An offset averaged over few windows is noise on short clips: it needs half the clip's windows.
    mdist = torch.where(valid.sum(0) >= max(1, (len(ev) + 1) // 2), mdist, torch.nan)
    at0 = float(mdist[vshift])
    best = int(mdist.nan_to_num(float("inf")).argmin())
    return {"conf": float(np.nanmedian(mdist.numpy())) - at0, "dist": at0, "offset": abs(best - vshift),
            "dists": d.numpy()}


class SyncExpertMetric(Metric):
    """``sync_conf`` / ``sync_dist`` / ``sync_offset`` by the SynthTalk sync expert (not LSE).

    Mouth crops are placed with the case's ground-truth landmarks (the target's face is where the case's
    cameras and pose put it), so no face detector is involved.
    """

    name = "sync"
    outputs = {"conf": True, "dist": False, "offset": False}
    needs: tuple[str, ...] = ("pred_frames", "audio", "gt_landmarks")
    tolerance = 0.02

    def __init__(self, zoo_name: str = ZOO_NAME, weights: str | None = None, vshift: int = 15, **kw) -> None:
        super().__init__(**kw)
        self.zoo_name, self.weights, self.vshift = zoo_name, weights, vshift
        self._model: SyncExpert | None = None

    def unavailable(self) -> str | None:
        from ggtalker import zoo

        if self.weights:
            from pathlib import Path

            return None if Path(self.weights).is_file() else f"sync expert weights {self.weights} not found"
        try:
            zoo.load_path(self.zoo_name)
        except (KeyError, FileNotFoundError, ValueError) as e:
            return f"{e}; train it with python -m ggtalker.train.sync_expert --zoo"
        return None

    def variant(self) -> dict:
        return {"network": f"SyncExpert ({self.weights or 'zoo:' + self.zoo_name})", "crop": "40x64 mouth, gt landmarks",
                "audio": "MFCC 13 @100Hz, CMVN, 20 columns / 5 frames", "vshift": self.vshift,
                "conf": "median over offsets - distance at offset 0", "dist": "mean distance at offset 0"}

    def update(self, pred: Generation, gt: Clip) -> None:
        if self._model is None:
            self._model = (SyncExpert.from_file(self.weights, self.device) if self.weights
                           else SyncExpert.load(self.zoo_name, self.device))
        frames = self.protocol.apply(pred.frames, gt)
        idx = resample_frames(len(frames), gt.fps)
        s = expert_scores(self._model, frames[idx], gt.landmarks[idx], gt.audio, self.vshift)
        for k in self.outputs:
            self.add(k, s[k])
