"""Shared baseline geometry: plane homographies (novel-view warping), rays, audio windows."""

import numpy as np
import torch

from baselines.common import (
    audio_windows, head_to_camera, plane_homography, pixel_rays, pose_to_matrix, warp_images,
)
from ggtalker.core.clip import Cameras


def _look_at_origin(yaw_deg: float, dist: float = 1.0) -> np.ndarray:
    """World→camera (OpenCV) for a camera on a circle around the origin at ``yaw_deg`` (0 = in front, +z)."""
    y = np.radians(yaw_deg)
    centre = np.array([dist * np.sin(y), 0.0, dist * np.cos(y)])
    fwd = -centre / np.linalg.norm(centre)
    right = np.cross(fwd, [0.0, -1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd])
    w2c = np.eye(4)
    w2c[:3, :3], w2c[:3, 3] = R, -R @ centre
    return w2c.astype(np.float32)


def _project(K, w2c, p):
    x = K @ (w2c[:3, :3] @ p + w2c[:3, 3])
    return x[:2] / x[2]


K = np.array([[100.0, 0, 32], [0, 100.0, 32], [0, 0, 1]], np.float32)


def test_same_camera_homography_is_identity():
    w2c = _look_at_origin(0)
    H = plane_homography(K, w2c, K, w2c, np.zeros(3))[0]
    np.testing.assert_allclose(H, np.eye(3), atol=1e-5)


def test_frontal_point_maps_to_its_projection_in_a_yawed_camera():
    src, dst = _look_at_origin(0), _look_at_origin(40)
    H = plane_homography(K, src, K, dst, np.zeros(3))[0]
    # The head centre and another point on the frontal plane (z = 0) land where the target camera sees them.
    for p in (np.zeros(3), np.array([0.05, -0.03, 0.0])):
        u = _project(K, src, p)
        mapped = H @ np.array([u[0], u[1], 1.0])
        np.testing.assert_allclose(mapped[:2] / mapped[2], _project(K, dst, p), atol=1e-3)
    # Off the plane (the nose, 0.1 m in front) the 2D warp is wrong: the honest failure of a flat card.
    nose = np.array([0.0, 0.0, 0.1])
    u = _project(K, src, nose)
    mapped = H @ np.array([u[0], u[1], 1.0])
    assert np.linalg.norm(mapped[:2] / mapped[2] - _project(K, dst, nose)) > 2.0


def test_warp_images_moves_a_dot_to_the_mapped_pixel():
    img = torch.zeros(1, 1, 64, 64)
    img[0, 0, 20, 30] = 1.0
    H = torch.tensor([[[1.0, 0, 5], [0, 1, -3], [0, 0, 1]]])  # shift right 5, up 3
    out = warp_images(img, H, 64, 64)
    assert tuple(np.unravel_index(out[0, 0].argmax().item(), (64, 64))) == (17, 35)


def test_pixel_rays_hit_the_head_centre_through_the_principal_point():
    w2c = _look_at_origin(0)
    pose = np.array([[0.0, 0.3, 0.0, 0.0, 0.0, 0.0]], np.float32)
    h2c = torch.from_numpy(head_to_camera(Cameras(K[None], w2c[None]), pose))
    o, d = pixel_rays(torch.from_numpy(K[None]), h2c, 64, 64)
    # Pixel (32, 32) has its centre at (32.5, 32.5): nearly the principal point, so the ray passes near the origin.
    i = 32 * 64 + 32
    t = -(o[0, i] * d[0, i]).sum()
    closest = o[0, i] + t * d[0, i]
    assert closest.norm() < 0.01
    np.testing.assert_allclose(pose_to_matrix(np.zeros((1, 6)))[0], np.eye(4), atol=1e-7)


def test_audio_windows_repeat_edges():
    f = np.arange(4, dtype=np.float32)[:, None]
    w = audio_windows(f, 1)
    assert w.shape == (4, 3, 1)
    np.testing.assert_array_equal(w[0, :, 0], [0, 0, 1])
    np.testing.assert_array_equal(w[3, :, 0], [2, 3, 3])
