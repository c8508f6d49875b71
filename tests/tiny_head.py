"""Tiny GGTalker test data: a 16×16-UV prior and 32×32 clips rendered from a random UV map (CPU, milliseconds)."""

from __future__ import annotations

import numpy as np
import torch

from ggtalker.core.clip import Cameras, Clip
from ggtalker.core.params import PARAM_DIMS
from ggtalker.gaussians.prior import E2VConfig, E2VPrior
from ggtalker.gaussians.render import render_head

SIZE = 32


def cameras(n: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Cameras 0.55 m in front of the head (OpenCV: x right, y down, z into the scene)."""
    K = np.tile(np.array([[size * 1.6, 0, size / 2], [0, size * 1.6, size / 2], [0, 0, 1]], np.float32), (n, 1, 1))
    # Camera at +z looking at the origin: OpenCV x = world -x, y = world -y (down), z = world -z.
    w2c = np.tile(np.diag([-1.0, -1.0, -1.0, 1.0]).astype(np.float32), (n, 1, 1))
    w2c[:, 2, 3] = 0.55
    return K, w2c


#: The sizes of :func:`tiny_prior`.
TINY_E2V = {"uv_res": 16, "n_feat": 4, "gen_width": 8, "mlp_hidden": 16}


def tiny_prior(seed: int = 0) -> E2VPrior:
    """An untrained Expression-Visual prior with a 16×16 UV map."""
    torch.manual_seed(seed)
    return E2VPrior(E2VConfig(**TINY_E2V))


def tiny_params(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = {k: np.zeros((n, d), np.float32) for k, d in PARAM_DIMS.items()}
    p["jaw"][:] = rng.uniform(0, 0.6, (n, 1))
    p["expr"][:] = rng.uniform(0, 0.5, (n, 10))
    return p


def tiny_clip(prior: E2VPrior, n: int = 4, seed: int = 0) -> Clip:
    """A clip rendered from a random UV map on a flat background, with head masks from the alpha."""
    g = torch.Generator().manual_seed(seed)
    uv = torch.randn(prior.generator.out_channels, 16, 16, generator=g) * 0.3
    K, w2c = cameras(n)
    p = tiny_params(n, seed)
    with torch.no_grad():
        r = render_head(prior.head, uv, {k: torch.from_numpy(v) for k, v in p.items()}, torch.from_numpy(K),
                        torch.from_numpy(w2c), SIZE, SIZE)
    bg = torch.tensor([0.2, 0.5, 0.3])
    img = r.rgb + (1 - r.alpha) * bg
    frames = (img * 255).round().byte().numpy()
    masks = (r.alpha[..., 0] > 0.5).byte().numpy()
    audio = np.zeros(int(n / 25 * 16000), np.float32)
    return Clip(fps=25.0, cameras=Cameras(K, w2c), width=SIZE, height=SIZE, frames=frames, audio=audio, params=p,
                masks=masks, id=f"tiny{seed}").validate()
