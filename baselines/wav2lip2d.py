"""``wav2lip2d``: 2D mouth inpainting from audio, in the spirit of Wav2Lip (Prajwal et al., ACM MM 2020).

Kept from Wav2Lip:
  * the generator's input: the target face crop with its lower half masked, stacked with a reference
    crop of the same person from another moment (6 channels); an audio window encoded separately and
    joined at the bottleneck; a U-Net-style decoder with skip connections; the whole crop is pasted back;
  * training on windows of 5 consecutive frames with an L1 reconstruction loss plus a sync loss from a
    frozen, pre-trained lip-sync expert (BCE on the expert's cosine sync probability, weight 0.03): here
    the shipped SynthTalk expert (``ggtalker.metrics.sync_expert.SyncExpert``, zoo entry
    ``sync_expert_synthtalk``). When the expert or the training landmarks are absent the sync loss is off,
    training is L1 only, and ``describe()`` says so (Wav2Lip without its expert lip-syncs far worse);
  * inference edits a template video: the identity's training frames (ping-pong looped, or the training
    frame nearest the requested head pose when the suite grants a pose control).

Simplified: per-identity training from its one clip (Wav2Lip is trained once on LRS2 and applied to anyone);
small crops (smoke 32 px, Wav2Lip 96 px); no visual-quality GAN discriminator; the face box comes from the
clip's head mask (Wav2Lip runs a face detector); audio is the project's shared log-mel front end (Wav2Lip:
a mel window of 16 × 80).

Novel views: a 2D method has no 3D. The edited template frame is warped from its training camera to the
target camera by the homography of a plane through the head's centre facing the training camera. That is
exact for the plane only: faces at large yaw come out as a sheared flat card, which is the honest behaviour
of a 2D method under a moved camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from baselines.common import (
    AudioNet, DictState, FitHook, Standardiser, Validation, audio_features, audio_windows, concat_clips, fit,
    is_same_camera, plane_homography, resolve_device, seed_all, to_float, to_uint8, training_audio, warp_images,
)
from ggtalker.bench.method import DriveRequest, Generation, Method
from ggtalker.core.clip import MASK_HEAD, Clip

WINDOW = 5  # consecutive frames per training sample (Wav2Lip's T, also the sync expert's window)
SYNC_WEIGHT = 0.03  # Wav2Lip's syncnet_wt once the expert loss is switched on
SYNC_GATE = 0.75  # Wav2Lip switches the expert loss on when the generator's sync BCE falls below this


def _block(cin: int, cout: int, stride: int = 1) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, stride, 1), torch.nn.BatchNorm2d(cout),
                               torch.nn.ReLU(inplace=True))


class LipGenerator(torch.nn.Module):
    """Face crops ``(B, 6, S, S)`` (masked target ‖ reference) + audio windows ``(B, W, D)`` → crops
    ``(B, 3, S, S)`` in [0, 1]. ``S`` must be divisible by 8."""

    def __init__(self, audio_dim: int, window: int, width: int = 16) -> None:
        super().__init__()
        c = width
        self.enc = torch.nn.ModuleList([_block(6, c), _block(c, 2 * c, 2), _block(2 * c, 4 * c, 2),
                                        _block(4 * c, 4 * c, 2)])
        self.audio = AudioNet(audio_dim, window, 4 * c)
        self.dec = torch.nn.ModuleList([_block(8 * c, 4 * c), _block(8 * c, 2 * c), _block(4 * c, c),
                                        _block(2 * c, c)])
        self.out = torch.nn.Conv2d(c, 3, 1)

    def forward(self, faces: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        skips, h = [], faces
        for layer in self.enc:
            h = layer(h)
            skips.append(h)
        a = self.audio(audio)[:, :, None, None].expand(-1, -1, *h.shape[-2:])
        h = self.dec[0](torch.cat([h, a], 1))
        for layer, skip in zip(self.dec[1:], reversed(skips[:-1])):
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = layer(torch.cat([h, skip], 1))
        return torch.sigmoid(self.out(h))


def face_boxes(masks: np.ndarray | None, height: int, width: int, n_frames: int, pad: float = 1.15) -> np.ndarray:
    """Square face boxes ``(N, 3)`` = ``(cx, cy, side)`` in pixels: centred on each frame's head mask,
    one side for the whole clip (the largest head extent × ``pad``) so the crop scale never changes.

    Without head masks (a real video that was not segmented) every frame gets the centred box of a
    face-centred crop, 0.7 of the shorter side: one box per frame, for all ``n_frames`` frames.
    """
    if masks is None or not (masks == MASK_HEAD).any():
        side = 0.7 * min(height, width)
        return np.tile([[width / 2, height / 2, side]], (n_frames, 1)).astype(np.float32)
    out = np.zeros((len(masks), 3), np.float32)
    extents = []
    for i, m in enumerate(masks == MASK_HEAD):
        ys, xs = np.nonzero(m)
        if len(xs) == 0:
            out[i, :2] = (width / 2, height / 2)
            continue
        out[i, :2] = ((xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2)
        extents.append(max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1))
    out[:, 2] = pad * max(extents) if extents else 0.7 * min(height, width)
    return out


def crop_grid(boxes: torch.Tensor, size: int, height: int, width: int) -> torch.Tensor:
    """Sampling grids ``(B, size, size, 2)`` (grid_sample's [-1, 1] coordinates) of square boxes ``(B, 3)``."""
    t = (torch.arange(size, device=boxes.device, dtype=torch.float32) + 0.5) / size - 0.5
    x = boxes[:, None, None, 0] + t[None, None, :] * boxes[:, None, None, 2]
    y = boxes[:, None, None, 1] + t[None, :, None] * boxes[:, None, None, 2]
    x, y = torch.broadcast_tensors(x, y)
    return torch.stack([x / width * 2 - 1, y / height * 2 - 1], -1)


def paste(frames: torch.Tensor, crops: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Paste crops ``(B, 3, S, S)`` back into frames ``(B, 3, H, W)`` at boxes ``(B, 3)``."""
    b, _, h, w = frames.shape
    s = crops.shape[-1]
    v, u = torch.meshgrid(torch.arange(h, device=frames.device, dtype=torch.float32) + 0.5,
                          torch.arange(w, device=frames.device, dtype=torch.float32) + 0.5, indexing="ij")
    cu = (u[None] - boxes[:, None, None, 0]) / boxes[:, None, None, 2]  # crop coords in [-0.5, 0.5]
    cv = (v[None] - boxes[:, None, None, 1]) / boxes[:, None, None, 2]
    grid = torch.stack([cu * 2, cv * 2], -1)
    sampled = F.grid_sample(crops, grid, mode="bilinear", padding_mode="border", align_corners=False)
    inside = ((cu.abs() < 0.5 - 0.5 / s) & (cv.abs() < 0.5 - 0.5 / s)).float()[:, None]
    return frames * (1 - inside) + sampled * inside


def masked_input(target: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Wav2Lip's generator input: target crops with the lower half zeroed, ‖ reference crops → ``(B, 6, S, S)``."""
    masked = target.clone()
    masked[:, :, target.shape[-2] // 2:] = 0
    return torch.cat([masked, reference], 1)


@dataclass
class LipState:
    net: LipGenerator
    scaler: Standardiser
    frames: np.ndarray  # training frames (template video)
    boxes: np.ndarray  # (N, 3) face boxes of the training frames
    K: np.ndarray
    w2c: np.ndarray
    pose: np.ndarray | None
    ref_index: int
    losses: list[float]
    sync: str = "off"
    extra: dict = field(default_factory=dict)


class Wav2Lip2D(Method):
    """Wav2Lip-style 2D lip-sync generator, trained per identity (see the module docstring).

    Args:
        steps, lr, batch: training steps, Adam learning rate, 5-frame windows per step.
        crop: face crop side in pixels (multiple of 8); width: channel multiplier.
        window: audio window in frames; sync_weight: weight of the expert sync loss (0 turns it off).
        sync_gate: the expert loss is applied only while the running sync BCE is below this (Wav2Lip: 0.75;
            a very large value applies it from the first step).
        sync_expert: zoo name of the expert.
    """

    name = "wav2lip2d"

    def __init__(self, steps: int = 100, lr: float = 2e-3, batch: int = 2, crop: int = 32, width: int = 16,
                 window: int = 5, sync_weight: float = SYNC_WEIGHT, sync_gate: float = SYNC_GATE,
                 sync_expert: str = "sync_expert_synthtalk", device: str = "cpu", seed: int = 0) -> None:
        super().__init__(device=device, seed=seed)
        if crop % 8:
            raise ValueError(f"wav2lip2d: crop must be a multiple of 8, got {crop}")
        self.cfg = dict(steps=steps, lr=lr, batch=batch, crop=crop, width=width, window=window,
                        sync_weight=sync_weight, sync_gate=sync_gate, sync_expert=sync_expert)
        self._sync_status = "not trained yet"

    def describe(self) -> dict[str, Any]:
        return {"family": "Wav2Lip (in-house re-implementation)", "priors": "none (per-identity)",
                "sync_loss": self._sync_status, "settings": self.cfg, "seed": self.seed, "device": self.device,
                "doc": "baselines/wav2lip2d.py, docs/baselines.md"}

    def _load_expert(self, clip: Clip, dev: torch.device) -> Any:
        """The frozen sync expert, or None with the reason recorded in ``describe()``."""
        if self.cfg["sync_weight"] <= 0:
            self._sync_status = "off (sync_weight=0)"
            return None
        if clip.landmarks is None:
            self._sync_status = "off (training clip has no landmarks for mouth crops)"
            return None
        try:
            from ggtalker.metrics.sync_expert import SyncExpert

            expert = SyncExpert.load(self.cfg["sync_expert"], device=str(dev))
        except Exception as e:  # missing zoo entry or module: train without it, and say so
            self._sync_status = f"off (expert {self.cfg['sync_expert']!r} unavailable: {type(e).__name__}: {e})"
            return None
        for p in expert.parameters():
            p.requires_grad_(False)
        self._sync_status = f"on (expert {self.cfg['sync_expert']!r}, weight {self.cfg['sync_weight']})"
        return expert

    def prepare(self, identity: str, train: list[Clip], hook: FitHook | None = None) -> LipState:
        """Train on the identity's clips; ``hook`` watches the loop (held-out loss, checkpoints: :class:`FitHook`)."""
        c = self.cfg
        gen = seed_all(self.seed)
        dev = resolve_device(self.device)
        clip = concat_clips(train, self.name)
        if clip.n_frames < WINDOW:
            raise ValueError(f"{clip.id}: wav2lip2d needs at least {WINDOW} training frames, got {clip.n_frames}")
        scaler, wins = training_audio(train, self.name, c["window"], dev)
        n, h, w = clip.n_frames, clip.height, clip.width
        boxes_np = face_boxes(clip.masks, h, w, clip.n_frames)
        boxes = torch.from_numpy(boxes_np).to(dev)
        frames = to_float(clip.frames, dev)
        net = LipGenerator(wins.shape[-1], c["window"], c["width"]).to(dev)
        expert = self._load_expert(clip, dev)
        sync_aux = _sync_inputs(clip, boxes_np, dev) if expert is not None else None
        opt = torch.optim.Adam(net.parameters(), lr=c["lr"], betas=(0.5, 0.999))
        s = c["crop"]
        gate = DictState(ema=None, on=0)

        def step(_: int) -> torch.Tensor:
            start = torch.randint(0, n - WINDOW + 1, (c["batch"],), generator=gen)
            idx = (start[:, None] + torch.arange(WINDOW)).reshape(-1).to(dev)
            ref = torch.randint(0, n, (len(idx),), generator=gen).to(dev)
            grid_t = crop_grid(boxes[idx], s, h, w)
            tgt = F.grid_sample(frames[idx], grid_t, mode="bilinear", align_corners=False)
            refc = F.grid_sample(frames[ref], crop_grid(boxes[ref], s, h, w), mode="bilinear", align_corners=False)
            out = net(masked_input(tgt, refc), wins[idx])
            loss = (out - tgt).abs().mean()
            if expert is not None:
                sync = _sync_loss(expert, out, idx, sync_aux, c["batch"])
                # Wav2Lip's schedule: the expert loss joins only once the generator is already roughly in
                # sync (its sync BCE below 0.75); before that its gradients fight the reconstruction.
                b = float(sync.detach())
                gate["ema"] = b if gate["ema"] is None else 0.9 * gate["ema"] + 0.1 * b
                if gate["ema"] < c["sync_gate"]:
                    gate["on"] += 1
                    loss = loss + c["sync_weight"] * sync
            return loss

        def snapshot(losses: list[float] | None = None, ref_index: int = 0) -> LipState:
            return LipState(net, scaler, clip.frames, boxes_np, clip.cameras.K, clip.cameras.w2c,
                            clip.params.get("pose"), ref_index, losses or [], self._sync_status)

        net.train()
        losses = fit(step, opt, c["steps"], f"{self.name} {identity}", hook=hook, snapshot=snapshot,
                     modules={"net": net, "gate": gate}, generators={"batches": gen})
        if expert is not None:
            self._sync_status += (f"; active {gate['on']}/{c['steps']} steps "
                                  f"(final sync BCE {gate['ema']:.3f}, gate {c['sync_gate']})")
        ref_index = int(torch.randint(0, n, (1,), generator=gen))
        net.eval()
        return snapshot(losses, ref_index)

    @torch.no_grad()
    def validate(self, state: LipState, clip: Clip, index: np.ndarray | None = None) -> Validation:
        """The reconstruction loss (L1 on the face crop; the sync term, gated and expert-dependent, is left out)
        on frames ``index`` (default all) of a held-out clip of the identity: each frame's crop with its lower half
        masked, a reference crop from training frames spread evenly over the clip (training draws them at
        random), the frame's own audio window. ``frames`` are the frames with the generated crop pasted in."""
        dev = resolve_device(self.device)
        index = np.arange(clip.n_frames) if index is None else np.asarray(index)
        s, h, w = self.cfg["crop"], clip.height, clip.width
        th, tw = state.frames.shape[1:3]
        wins = audio_windows(state.scaler(audio_features(clip.audio, clip.n_frames, clip.fps)), self.cfg["window"] // 2)
        boxes = face_boxes(clip.masks, h, w, clip.n_frames)
        boxes[:, 2] = state.boxes[0, 2]  # the training crop scale: the generator was never shown another
        refs = np.linspace(0, len(state.frames) - 1, len(index)).round().astype(int)
        was = state.net.training
        state.net.eval()
        total, out = 0.0, []
        for i0 in range(0, len(index), 16):
            idx, ref = index[i0 : i0 + 16], refs[i0 : i0 + 16]
            frames, bx = to_float(clip.frames[idx], dev), torch.from_numpy(boxes[idx]).to(dev)
            tgt = F.grid_sample(frames, crop_grid(bx, s, h, w), mode="bilinear", align_corners=False)
            refc = F.grid_sample(to_float(state.frames[ref], dev), crop_grid(torch.from_numpy(state.boxes[ref]).to(dev),
                                 s, th, tw), mode="bilinear", align_corners=False)
            crops = state.net(masked_input(tgt, refc), torch.from_numpy(wins[idx]).to(dev))
            total += float((crops - tgt).abs().mean()) * len(idx)
            out.append(to_uint8(paste(frames, crops, bx)))
        state.net.train(was)
        return Validation(total / len(index), np.concatenate(out))

    @torch.no_grad()
    def generate(self, state: LipState, request: DriveRequest) -> Generation:
        dev = resolve_device(self.device)
        n, h, w = request.n_frames, request.height, request.width
        th, tw = state.frames.shape[1:3]
        tmpl = template_indices(len(state.frames), n, state.pose, request.controls.get("pose"))
        feats = audio_features(request.audio, n, request.fps)
        wins = torch.from_numpy(audio_windows(state.scaler(feats), self.cfg["window"] // 2)).to(dev)
        s = self.cfg["crop"]
        out = []
        for i0 in range(0, n, 16):
            idx = tmpl[i0 : i0 + 16]
            frames = to_float(state.frames[idx], dev)
            boxes = torch.from_numpy(state.boxes[idx]).to(dev)
            tgt = F.grid_sample(frames, crop_grid(boxes, s, th, tw), mode="bilinear", align_corners=False)
            ref = to_float(state.frames[[state.ref_index]], dev)
            refc = F.grid_sample(ref, crop_grid(torch.from_numpy(state.boxes[[state.ref_index]]).to(dev), s, th, tw),
                                 mode="bilinear", align_corners=False).expand(len(idx), -1, -1, -1)
            crops = state.net(masked_input(tgt, refc), wins[i0 : i0 + 16])
            edited = paste(frames, crops, boxes)
            # Novel view: move the edited 2D frame onto the target camera through the head-centre plane.
            j = np.arange(i0, i0 + len(idx))
            if all(is_same_camera(state.K[t], state.w2c[t], request.cameras.K[k], request.cameras.w2c[k])
                   for t, k in zip(idx, j)) and (th, tw) == (h, w):
                out.append(to_uint8(edited))
                continue
            centre = np.zeros((len(idx), 3), np.float32) if state.pose is None else state.pose[idx, 3:]
            H = plane_homography(state.K[idx], state.w2c[idx], request.cameras.K[j], request.cameras.w2c[j], centre)
            out.append(to_uint8(warp_images(edited, torch.from_numpy(H).to(dev), h, w)))
        return Generation(frames=np.concatenate(out))


def template_indices(n_train: int, n: int, train_pose: np.ndarray | None, pose: np.ndarray | None) -> np.ndarray:
    """Which training frame each output frame edits ``(n,)``: the nearest in head pose when a pose control
    is given (rotation in radians + translation in metres × 10, a rough equal weighting), else a ping-pong loop."""
    if pose is not None and train_pose is not None:
        wts = np.array([1, 1, 1, 10, 10, 10], np.float32)
        d = (((pose[:, None] - train_pose[None]) * wts) ** 2).sum(-1)
        return d.argmin(1)
    period = max(2 * n_train - 2, 1)
    k = np.arange(n) % period
    return np.where(k < n_train, k, period - k).astype(int)


def _sync_inputs(clip: Clip, boxes: np.ndarray, dev: torch.device) -> dict[str, Any]:
    """Per-frame mouth boxes in face-crop coordinates and each frame's MFCC window for the expert."""
    from ggtalker.metrics.sync import MFCC_PER_FRAME
    from ggtalker.metrics.sync_expert import MFCC_COLS, cmvn_mfcc, mouth_boxes

    mb = mouth_boxes(clip.landmarks)  # (N, 4) frame pixels
    x0 = boxes[:, 0] - boxes[:, 2] / 2
    y0 = boxes[:, 1] - boxes[:, 2] / 2
    rel = np.stack([(mb[:, 0] - x0) / boxes[:, 2], (mb[:, 1] - y0) / boxes[:, 2],
                    (mb[:, 2] - x0) / boxes[:, 2], (mb[:, 3] - y0) / boxes[:, 2]], 1)  # in [0, 1] of the crop
    cc = cmvn_mfcc(clip.audio if clip.audio is not None else np.zeros(1, np.float32))
    need = MFCC_PER_FRAME * clip.n_frames + MFCC_COLS
    cc = np.pad(cc, ((0, 0), (0, max(0, need - cc.shape[1]))), mode="edge")
    return {"rel": torch.from_numpy(rel.astype(np.float32)).to(dev), "mfcc": torch.from_numpy(cc).to(dev),
            "per_frame": int(MFCC_PER_FRAME), "cols": int(MFCC_COLS)}


def _sync_loss(expert: Any, crops: torch.Tensor, idx: torch.Tensor, aux: dict, batch: int) -> torch.Tensor:
    """Wav2Lip's expert loss: BCE(sync prob, 1) over the generated 5-frame windows ``crops (batch*5, 3, S, S)``."""
    from ggtalker.metrics.sync_expert import CROP_H, CROP_W

    rel = aux["rel"][idx]
    ty = torch.linspace(0, 1, CROP_H, device=crops.device)
    tx = torch.linspace(0, 1, CROP_W, device=crops.device)
    gx = rel[:, None, None, 0] + tx[None, None, :] * (rel[:, None, None, 2] - rel[:, None, None, 0])
    gy = rel[:, None, None, 1] + ty[None, :, None] * (rel[:, None, None, 3] - rel[:, None, None, 1])
    gx, gy = torch.broadcast_tensors(gx, gy)
    mouth = F.grid_sample(crops, torch.stack([gx * 2 - 1, gy * 2 - 1], -1), align_corners=False)
    video = (mouth - 0.5).reshape(batch, WINDOW, 3, CROP_H, CROP_W).permute(0, 2, 1, 3, 4)
    first = idx.reshape(batch, WINDOW)[:, 0]
    per, cols = aux["per_frame"], aux["cols"]
    audio = torch.stack([aux["mfcc"][:, per * int(f): per * int(f) + cols] for f in first])[:, None]
    prob = expert.sync_prob(video, audio)
    return F.binary_cross_entropy(prob, torch.ones_like(prob))
