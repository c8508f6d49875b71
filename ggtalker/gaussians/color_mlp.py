"""Color MLP: per-Gaussian base colour + features, expression/pose and view direction → colour.

Gives texture that moves with the motion (mouth interior darkening as the jaw opens, creases with a
smile) which a static colour per Gaussian cannot. The last layer starts at zero, so an untrained MLP
returns the base colour and the ``ggtalker_nocolor`` ablation is exactly "base colour only".
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ggtalker.gaussians.rotation import axis_angle_to_matrix
from ggtalker.core.params import PARAM_DIMS

N_MOTION_IN = PARAM_DIMS["expr"] + PARAM_DIMS["jaw"] + PARAM_DIMS["blink"] + 3  # + pose rotation
#: Per-Gaussian specular-lobe channels, after the features in the UV map: amplitude logit, lobe axis (3, head
#: frame), log sharpness.
SPEC_CHANNELS = 5
#: Their starting values: amplitude sigmoid(-5) = 0.7 %, the axis towards a frontal camera, sharpness 20 (a lobe
#: about 0.3 rad wide), so a fresh lobe barely changes the render.
SPEC_INIT = (-5.0, 0.0, 0.0, 1.0, math.log(20.0))


def with_specular_channels(uvmap: torch.Tensor) -> torch.Tensor:
    """``uvmap`` ``(C, R, R)`` with :data:`SPEC_CHANNELS` channels at :data:`SPEC_INIT` appended ``(C+5, R, R)``."""
    init = torch.tensor(SPEC_INIT, dtype=uvmap.dtype, device=uvmap.device)
    return torch.cat([uvmap, init[:, None, None].expand(-1, *uvmap.shape[-2:])], 0)


class ColorMLP(nn.Module):
    """``rgb = clamp(base + tanh(MLP(feat, base, motion, view)) · max_delta [+ lobe], 0, 1)``.

    Args:
        n_feat: per-Gaussian feature channels from the UV map.
        hidden: hidden width.
        max_delta: largest colour change the MLP may add.
        dynamic_opacity: a fourth output is added to each Gaussian's opacity logit. The template's
            surface is closed across the lips and has no lids, so when the jaw opens or an eye shuts
            the Gaussians on the stretched lip triangles must fade to show the mouth interior behind
            them, and the lid's colour must cover the eye.
        specular: the last :data:`SPEC_CHANNELS` feature channels are each Gaussian's own specular lobe, a
            white spherical Gaussian ``a · exp(s · (v·μ − 1))`` of the head-frame view direction ``v``. A
            catchlight on the eye (SynthTalk's: shininess 120, up to +0.86 in brightness) moves over the eyeball
            as the head turns under a fixed light; with light and camera fixed in the world the half-vector in
            the head's frame follows the view direction in it, so a sharp lobe per Gaussian can place it, which
            the smooth shared MLP cannot. Alone it costs SynthTalk's eye region 22.5-30.6 dB (identity 0, 12
            head poses within ±0.12 rad, highlight on against off). The lobes are adapted per identity (the
            prior's generator does not predict them: :func:`with_specular_channels`).
    """

    def __init__(self, n_feat: int = 8, hidden: int = 64, max_delta: float = 0.5, dynamic_opacity: bool = False,
                 specular: bool = False) -> None:
        super().__init__()
        self.n_feat = n_feat
        self.max_delta = max_delta
        self.dynamic_opacity = dynamic_opacity
        self.specular = specular
        self.net = nn.Sequential(nn.Linear(n_feat + 3 + N_MOTION_IN + 3, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 4 if dynamic_opacity else 3))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, feat: torch.Tensor, base: torch.Tensor, params: dict[str, torch.Tensor],
                means: torch.Tensor, cam_centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Colours ``(N, G, 3)`` and opacity-logit changes ``(N, G)`` (None without ``dynamic_opacity``).

        Args:
            feat: ``(G, n_feat)`` per-Gaussian features (``(G, n_feat + SPEC_CHANNELS)`` with ``specular``).
            base: ``(G, 3)`` base RGB.
            params: ``{expr, jaw, blink, pose}`` each ``(N, D)``.
            means: ``(N, G, 3)`` world positions.
            cam_centers: ``(N, 3)`` camera centres in world coordinates.
        """
        n, g = means.shape[:2]
        lobe = None
        if self.specular:
            feat, lobe = feat[..., :-SPEC_CHANNELS], feat[..., -SPEC_CHANNELS:]
        pose = params["pose"]
        motion = torch.cat([params["expr"], params["jaw"], params["blink"], pose[:, :3]], 1)   # (N, 16)
        view = cam_centers[:, None] - means
        view = view / view.norm(dim=-1, keepdim=True).clamp_min(1e-9)
        # View direction in the head's frame, so the MLP sees the same input for the same head-relative view.
        R = axis_angle_to_matrix(pose[:, :3])
        view = torch.einsum("nji,ngj->ngi", R, view)
        x = torch.cat([feat.expand(n, g, -1), base.expand(n, g, -1), motion[:, None].expand(n, g, -1), view], -1)
        y = self.net(x)
        rgb = base + torch.tanh(y[..., :3]) * self.max_delta
        if lobe is not None:
            axis = lobe[:, 1:4] / lobe[:, 1:4].norm(dim=-1, keepdim=True).clamp_min(1e-6)
            cos = (view * axis).sum(-1)                                            # (N, G)
            rgb = rgb + (torch.sigmoid(lobe[:, 0]) * torch.exp(lobe[:, 4].exp() * (cos - 1)))[..., None]
        return rgb.clamp(0, 1), (y[..., 3] if self.dynamic_opacity else None)
