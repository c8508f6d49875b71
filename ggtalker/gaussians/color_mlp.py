"""Color MLP: per-Gaussian base colour + features, expression/pose and view direction → colour.

Gives texture that moves with the motion (mouth interior darkening as the jaw opens, creases with a
smile) which a static colour per Gaussian cannot. The last layer starts at zero, so an untrained MLP
returns the base colour and the ``ggtalker_nocolor`` ablation is exactly "base colour only".
"""

from __future__ import annotations

import torch
from torch import nn

from ggtalker.gaussians.rotation import axis_angle_to_matrix
from ggtalker.core.params import PARAM_DIMS

N_MOTION_IN = PARAM_DIMS["expr"] + PARAM_DIMS["jaw"] + PARAM_DIMS["blink"] + 3  # + pose rotation


class ColorMLP(nn.Module):
    """``rgb = clamp(base + tanh(MLP(feat, base, motion, view)) · max_delta, 0, 1)``.

    Args:
        n_feat: per-Gaussian feature channels from the UV map.
        hidden: hidden width.
        max_delta: largest colour change the MLP may add.
        dynamic_opacity: a fourth output is added to each Gaussian's opacity logit. The template's
            surface is closed across the lips and has no lids, so when the jaw opens or an eye shuts
            the Gaussians on the stretched lip triangles must fade to show the mouth interior behind
            them, and the lid's colour must cover the eye.
    """

    def __init__(self, n_feat: int = 8, hidden: int = 64, max_delta: float = 0.5, dynamic_opacity: bool = False) -> None:
        super().__init__()
        self.n_feat = n_feat
        self.max_delta = max_delta
        self.dynamic_opacity = dynamic_opacity
        self.net = nn.Sequential(nn.Linear(n_feat + 3 + N_MOTION_IN + 3, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 4 if dynamic_opacity else 3))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, feat: torch.Tensor, base: torch.Tensor, params: dict[str, torch.Tensor],
                means: torch.Tensor, cam_centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Colours ``(N, G, 3)`` and opacity-logit changes ``(N, G)`` (None without ``dynamic_opacity``).

        Args:
            feat: ``(G, n_feat)`` per-Gaussian features.
            base: ``(G, 3)`` base RGB.
            params: ``{expr, jaw, blink, pose}`` each ``(N, D)``.
            means: ``(N, G, 3)`` world positions.
            cam_centers: ``(N, 3)`` camera centres in world coordinates.
        """
        n, g = means.shape[:2]
        pose = params["pose"]
        motion = torch.cat([params["expr"], params["jaw"], params["blink"], pose[:, :3]], 1)   # (N, 16)
        view = cam_centers[:, None] - means
        view = view / view.norm(dim=-1, keepdim=True).clamp_min(1e-9)
        # View direction in the head's frame, so the MLP sees the same input for the same head-relative view.
        R = axis_angle_to_matrix(pose[:, :3])
        view = torch.einsum("nji,ngj->ngi", R, view)
        x = torch.cat([feat.expand(n, g, -1), base.expand(n, g, -1), motion[:, None].expand(n, g, -1), view], -1)
        y = self.net(x)
        rgb = (base + torch.tanh(y[..., :3]) * self.max_delta).clamp(0, 1)
        return rgb, (y[..., 3] if self.dynamic_opacity else None)
