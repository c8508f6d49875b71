"""Identity-Gaussian Generator: one reference image (+ its camera and head parameters) → UV Gaussian map.

Shared by all identities. The reference image is lifted into the template's UV layout: every texel's
surface point on the reference-posed mesh is projected into the image and its colour sampled, with a
visibility weight from the surface normal (the head is near-convex, so back-facing = hidden). A small
U-Net in UV space then predicts the full Gaussian map from the lifted colours, the visibility, a learned
positional map (the prior over where lips, eyes and hair sit) and a global code of the whole image (for
what the camera did not see, e.g. the back of the head). The colour channel is a residual on the
lifted colour, so a texel that was seen starts at the colour it was seen with.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ggtalker.gaussians.binding import triangle_frames
from ggtalker.gaussians.head import N_GEOM, GaussianHead
from ggtalker.gaussians.render import full_params


def lift_to_uv(head: GaussianHead, image: torch.Tensor, params: dict[str, torch.Tensor], K: torch.Tensor,
               w2c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample a batch of images at the texels' projected surface points.

    Args:
        image: ``(B, 3, H, W)`` in [0, 1].
        params: ``{...}`` each ``(B, D)``: the reference frames' head parameters.
        K, w2c: ``(B, 3, 3)``, ``(B, 4, 4)`` the reference cameras.

    Returns:
        ``rgb (B, 3, R, R)`` and ``visibility (B, 1, R, R)`` in [0, 1] (0 for texels not covered by the layout).
    """
    b, _, h, w = image.shape
    lay, tpl = head.layout, head.template
    verts = tpl.vertices(full_params(params, b, image.device))
    tri = verts[:, tpl.faces[lay.face]]                                      # (B, G, 3, 3)
    pts = (lay.bary[None, :, :, None] * tri).sum(2)                         # (B, G, 3)
    _, R, _ = triangle_frames(verts, tpl.faces)
    normals = R[:, lay.face, :, 2]
    cam = torch.einsum("bij,bgj->bgi", w2c[:, :3, :3], pts) + w2c[:, None, :3, 3]
    uvz = torch.einsum("bij,bgj->bgi", K, cam)
    pix = uvz[..., :2] / uvz[..., 2:].clamp_min(1e-6)
    grid = torch.stack([pix[..., 0] / w * 2 - 1, pix[..., 1] / h * 2 - 1], -1)[:, None]   # (B, 1, G, 2)
    rgb = F.grid_sample(image, grid, align_corners=False, padding_mode="border")[:, :, 0]  # (B, 3, G)
    centre = -torch.einsum("bji,bj->bi", w2c[:, :3, :3], w2c[:, :3, 3])
    to_cam = centre[:, None] - pts
    facing = (normals * to_cam).sum(-1) / to_cam.norm(dim=-1).clamp_min(1e-9)
    inside = (grid.abs() < 1).all(-1)[:, 0] & (cam[..., 2] > 0)
    vis = (facing.clamp(0, 1) * inside).unsqueeze(1)                       # (B, 1, G)
    res = lay.res
    out_rgb = torch.zeros(b, 3, res * res, device=image.device)
    out_vis = torch.zeros(b, 1, res * res, device=image.device)
    out_rgb[..., lay.texel] = rgb
    out_vis[..., lay.texel] = vis
    return out_rgb.reshape(b, 3, res, res), out_vis.reshape(b, 1, res, res)


class WrapConv2d(nn.Conv2d):
    """A 3×3 convolution of a UV map that pads its columns circularly and its rows with zeros.

    Columns are longitude (:func:`ggtalker.gaussians.template_build.latlong_mesh`): u = 0 and u = 1 are the same
    seam at the back of the head, which zero padding cuts in two. Its weights are an ``nn.Conv2d(cin, cout, 3,
    padding=1)``'s, so a zero-padded generator's state dict loads into it. torch's ``padding_mode="circular"``
    would wrap the rows (neck and crown) too.
    """

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(cin, cout, 3, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(F.pad(x, (1, 1, 0, 0), mode="circular"), (0, 0, 1, 1)))


def _block(cin: int, cout: int, wrap: bool = False) -> nn.Sequential:
    conv = WrapConv2d if wrap else (lambda i, o: nn.Conv2d(i, o, 3, padding=1))
    return nn.Sequential(conv(cin, cout), nn.GroupNorm(min(8, cout), cout), nn.SiLU(), conv(cout, cout), nn.SiLU())


class IdentityGaussianGenerator(nn.Module):
    """Reference image → UV Gaussian map ``(B, 14 + n_feat, R, R)`` (channels of :mod:`ggtalker.gaussians.head`).

    Args:
        uv_res: UV map resolution (must match the head's layout, divisible by ``2**(levels-1)``).
        n_feat: color-MLP feature channels.
        width: base channel width of the UV U-Net (doubled at each level down).
        code_dim: global image code size.
        levels: resolution levels of the U-Net (2: one pooling; a 256² map wants 4 or more, so that
            the prediction at a texel sees a few centimetres of the head around it).
        wrap: pad the U-Net's columns circularly (:class:`WrapConv2d`), so the back of the head is one region.
        scene_code: size of a second image code that keeps the image's layout (its 8×8 feature grid, not
            pooled: where the hair reaches, not only its colour), added to the U-Net's bottleneck, which every
            texel of the map draws on, through a zero-initialised projection: a generator given it starts
            as the same generator without it (0: none).
    """

    def __init__(self, uv_res: int = 48, n_feat: int = 8, width: int = 32, code_dim: int = 32, n_pos: int = 8,
                 levels: int = 2, wrap: bool = False, scene_code: int = 0) -> None:
        super().__init__()
        self.uv_res, self.n_feat = uv_res, n_feat
        self.out_channels = N_GEOM + n_feat
        self.pos = nn.Parameter(torch.randn(1, n_pos, uv_res, uv_res) * 0.1)
        self.image_enc = nn.Sequential(
            nn.Conv2d(4, 16, 4, 2, 1), nn.SiLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.SiLU(),
            nn.Conv2d(32, 64, 4, 2, 1), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, code_dim))
        if levels < 2 or uv_res % 2 ** (levels - 1):
            raise ValueError(f"uv_res {uv_res} must be divisible by 2**(levels-1) = {2 ** (levels - 1)}")
        cin = 3 + 1 + n_pos + code_dim
        ch = [width * 2**i for i in range(levels)]
        self.downs = nn.ModuleList([_block(cin, ch[0], wrap)] + [_block(ch[i - 1], ch[i], wrap) for i in range(1, levels)])
        self.mid = _block(ch[-1], ch[-1], wrap)
        self.ups = nn.ModuleList([_block(ch[i] + ch[i + 1], ch[i], wrap) for i in range(levels - 1)])
        self.scene = None
        if scene_code:
            # The first two strided convolutions of image_enc are shared; this branch reads their 16×16 grid.
            self.scene = nn.Sequential(nn.Conv2d(32, 32, 4, 2, 1), nn.SiLU(), nn.Flatten(), nn.Linear(32 * 8 * 8, scene_code),
                                       nn.SiLU(), nn.Linear(scene_code, ch[-1]))
            nn.init.zeros_(self.scene[-1].weight)
            nn.init.zeros_(self.scene[-1].bias)
        self.head = nn.Conv2d(width, self.out_channels, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, lifted_rgb: torch.Tensor, visibility: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """UV maps ``(B, C, R, R)`` from :func:`lift_to_uv`'s output and the reference image ``(B, 3, H, W)``."""
        b = image.shape[0]
        small = F.interpolate(image, size=(64, 64), mode="bilinear", align_corners=False, antialias=True)
        feat = self.image_enc[:4](torch.cat([small, torch.ones_like(small[:, :1])], 1))   # (B, 32, 16, 16)
        code = self.image_enc[4:](feat)
        r = self.uv_res
        x = torch.cat([lifted_rgb * visibility, visibility, self.pos.expand(b, -1, -1, -1),
                       code[:, :, None, None].expand(-1, -1, r, r)], 1)
        skips = [self.downs[0](x)]
        for down in self.downs[1:]:
            skips.append(down(F.avg_pool2d(skips[-1], 2)))
        deep = skips[-1] if self.scene is None else skips[-1] + self.scene(feat)[:, :, None, None]
        u = self.mid(deep)
        for i in reversed(range(len(self.ups))):
            u = self.ups[i](torch.cat([skips[i], F.interpolate(u, size=skips[i].shape[-2:], mode="nearest")], 1))
        out = self.head(u)
        # Colour is a residual on what the camera saw: (lifted - 0.5) where visible.
        col = (lifted_rgb - 0.5) * (visibility > 0.05)
        return torch.cat([out[:, :11], out[:, 11:14] + col, out[:, 14:]], 1)

    def from_reference(self, head: GaussianHead, image: torch.Tensor, params: dict[str, torch.Tensor],
                       K: torch.Tensor, w2c: torch.Tensor) -> torch.Tensor:
        """Convenience: lift then predict. Shapes as :func:`lift_to_uv`; returns ``(B, C, R, R)``."""
        rgb, vis = lift_to_uv(head, image, params, K, w2c)
        return self(rgb, vis, image)
