"""Perceptual metrics: LPIPS (the ``lpips`` package) and FID (torchmetrics with torch-fidelity's Inception).

Both need a pretrained backbone that normally downloads on first use. Here the file is resolved on disk
first (explicit path, environment variable, torch hub cache; see :mod:`ggtalker.metrics.weights`) and the
network is built without any download; missing weights make the metric ``unavailable``. A randomly
initialised trunk is never used as a metric.
"""

from __future__ import annotations

from functools import cached_property

import torch

from ggtalker.bench.method import Generation
from ggtalker.bench.metric import Metric
from ggtalker.core.clip import Clip
from ggtalker.metrics.image import chunks, crop_to_head
from ggtalker.metrics.weights import WeightSpec

LPIPS_TRUNKS = {
    "alex": WeightSpec("AlexNet trunk for LPIPS", "alexnet-owt-7be5be79.pth", "GGTALKER_LPIPS_ALEX",
                       source="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"),
    "vgg": WeightSpec("VGG16 trunk for LPIPS", "vgg16-397923af.pth", "GGTALKER_LPIPS_VGG",
                      source="https://download.pytorch.org/models/vgg16-397923af.pth"),
}
INCEPTION = WeightSpec(
    "torch-fidelity InceptionV3 for FID", "weights-inception-2015-12-05-6726825d.pth", "GGTALKER_FID_INCEPTION",
    source="https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
)


def load_lpips(net: str, trunk_path: str | None, device: str = "cpu") -> torch.nn.Module:
    """An ``lpips.LPIPS`` model whose trunk is loaded from ``trunk_path`` (torchvision state-dict format).

    Built with ``pnet_rand=True`` so that lpips/torchvision never try to download; the trunk weights are
    then copied in: lpips splits torchvision's ``features`` into ``slice1..5`` keeping the original layer
    indices as module names, so ``sliceK.<i>.<p>`` ↔ ``features.<i>.<p>``.
    """
    import lpips

    model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
    state = torch.load(trunk_path, map_location="cpu", weights_only=True)
    own = model.net.state_dict()
    mapped = {}
    for key in own:
        src = "features." + key.split(".", 1)[1]
        if src not in state:
            raise ValueError(f"{trunk_path}: not a torchvision {net} checkpoint (no {src!r})")
        mapped[key] = state[src]
    model.net.load_state_dict(mapped)
    return model.eval().to(device)


class LPIPS(Metric):
    """LPIPS per frame (``lpips`` 0.1.4, linear heads v0.1), inputs on [0, 1] with ``normalize=True``.

    Args:
        net: ``alex`` (what papers report) or ``vgg``; None takes the protocol's ``lpips_net``.
        region: ``full`` frame or ``face`` (the clip's head-mask bounding box, see :func:`crop_to_head`).
        weights: explicit path of the trunk checkpoint (torchvision format).
    """

    name = "lpips"
    outputs = {"lpips": False}
    needs: tuple[str, ...] = ("pred_frames", "gt_frames")
    tolerance = 0.002

    def __init__(self, net: str | None = None, region: str = "full", weights: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.net = net or self.protocol.lpips_net
        if self.net not in LPIPS_TRUNKS:
            raise ValueError(f"lpips net must be one of {sorted(LPIPS_TRUNKS)}, got {self.net!r}")
        if region not in ("full", "face"):
            raise ValueError(f"region must be 'full' or 'face', got {region!r}")
        self.region, self.weights = region, weights
        if region == "face":
            self.needs = self.needs + ("gt_masks",)

    def unavailable(self) -> str | None:
        spec = LPIPS_TRUNKS[self.net]
        return None if spec.resolve(self.weights) else spec.missing_message(self.weights)

    def variant(self) -> dict:
        path = LPIPS_TRUNKS[self.net].resolve(self.weights)
        return {"library": "lpips 0.1.4", "net": self.net, "lin": "v0.1", "normalize": True, "range": "[0,1]",
                "region": self.region, "trunk": path.name if path else None, "aggregation": "mean of per-frame"}

    @cached_property
    def model(self) -> torch.nn.Module:
        path = LPIPS_TRUNKS[self.net].resolve(self.weights)
        if path is None:
            raise FileNotFoundError(self.unavailable())
        return load_lpips(self.net, str(path), self.device)

    @torch.no_grad()
    def update(self, pred: Generation, gt: Clip) -> None:
        p_all, g_all = self.protocol.apply(pred.frames, gt), gt.frames
        if self.region == "face":
            p_all, g_all = crop_to_head(p_all, gt.masks), crop_to_head(g_all, gt.masks)
        for p, g, _ in chunks(p_all, g_all, self.device):
            self.add("lpips", self.model(p, g, normalize=True).flatten().cpu().numpy())


class FID(Metric):
    """Fréchet Inception Distance between a case's predicted and ground-truth frames.

    torchmetrics' ``FrechetInceptionDistance`` (2048-d pool features) with torch-fidelity's InceptionV3
    (``weights-inception-2015-12-05``), fed uint8 frames. The field computes FID over a test video's frames;
    per case here, so it is only meaningful with many frames (≥ a few hundred) — the record states the count.
    """

    name = "fid"
    outputs = {"fid": False}
    needs: tuple[str, ...] = ("pred_frames", "gt_frames")
    tolerance = 0.5

    def __init__(self, feature: int = 2048, weights: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.feature, self.weights = feature, weights

    def unavailable(self) -> str | None:
        return None if INCEPTION.resolve(self.weights) else INCEPTION.missing_message(self.weights)

    def variant(self) -> dict:
        return {"library": "torchmetrics FrechetInceptionDistance + torch-fidelity InceptionV3",
                "weights": INCEPTION.filename, "feature": self.feature, "set": "per case: pred frames vs gt frames"}

    @torch.no_grad()
    def update(self, pred: Generation, gt: Clip) -> None:
        from torchmetrics.image.fid import FrechetInceptionDistance

        path = INCEPTION.resolve(self.weights)
        if path is None:
            raise FileNotFoundError(self.unavailable())
        if len(gt.frames) < 2:
            raise ValueError(f"{gt.id}: FID needs at least 2 frames, got {len(gt.frames)}")
        fid = FrechetInceptionDistance(feature=self.feature, feature_extractor_weights_path=str(path)).to(self.device)
        for p, g, _ in chunks(self.protocol.apply(pred.frames, gt), gt.frames, self.device):
            fid.update((p * 255).round().to(torch.uint8), real=False)
            fid.update((g * 255).round().to(torch.uint8), real=True)
        self.add("fid", float(fid.compute()))
