"""Head template, triangle binding and the FLAME loader."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest
import torch

from ggtalker.gaussians.binding import BoundGaussians, local_position, to_world, triangle_frames, uv_barycentrics
from ggtalker.gaussians.flame import FlameModel, load_flame_pickle
from ggtalker.gaussians.rotation import axis_angle_to_matrix, matrix_to_quat, quat_to_matrix
from ggtalker.gaussians.template import HeadTemplate

torch.manual_seed(0)


@pytest.fixture(scope="module")
def template() -> HeadTemplate:
    return HeadTemplate.load()


def test_template_faces_point_outward_and_pose_is_rigid(template: HeadTemplate) -> None:
    v = template.v_template[None]
    c, R, _ = triangle_frames(v, template.faces)
    outward = ((c[0] - v[0].mean(0)) * R[0, :, :, 2]).sum(-1)
    assert (outward > 0).float().mean() > 0.97  # a few fan triangles near the nose may tilt
    pose = torch.tensor([[0.1, -0.3, 0.2, 0.01, 0.02, -0.03]])
    posed = template.vertices({"pose": pose})
    d0 = (v[0, :50, None] - v[0, None, :50]).norm(dim=-1)
    d1 = (posed[0, :50, None] - posed[0, None, :50]).norm(dim=-1)
    assert torch.allclose(d0, d1, atol=1e-5)


def test_jaw_blendshape_moves_the_chin_down(template: HeadTemplate) -> None:
    open_ = template.vertices({"jaw": torch.ones(1, 1)})[0]
    v = template.v_template
    dy = (open_ - v)[:, 1]
    chin = (v[:, 1] < -0.07) & (v[:, 2] > 0.03)
    forehead = (v[:, 1] > 0.05) & (v[:, 2] > 0.03)
    assert chin.any() and dy[chin].mean() < -0.01
    assert dy[forehead].abs().max() < 1e-4


def test_uv_layout_covers_the_map_once(template: HeadTemplate) -> None:
    texel, face, bary = uv_barycentrics(template.uv.numpy(), template.faces.numpy(), 32)
    assert len(texel) > 0.9 * 32 * 32
    assert np.allclose(bary.sum(1), 1, atol=1e-5) and (bary > -1e-5).all()


def test_rotation_round_trip() -> None:
    aa = torch.randn(64, 3)
    R = axis_angle_to_matrix(aa)
    assert torch.allclose(quat_to_matrix(matrix_to_quat(R)), R, atol=1e-5)


def test_gaussian_on_a_triangle_stays_on_it_under_deformation(template: HeadTemplate) -> None:
    faces = template.faces
    face = torch.tensor([10, 400, 900, 1500])
    bary = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [1 / 3, 1 / 3, 1 / 3], [0.1, 0.1, 0.8]])
    g = BoundGaussians(parent=face, xyz=local_position(template.v_template, faces, face, bary),
                       rot=torch.tensor([[1.0, 0, 0, 0]]).repeat(4, 1), log_scale=torch.zeros(4, 3),
                       opacity_logit=torch.zeros(4, 1), color=torch.zeros(4, 3))
    # Expression + pose: the mesh deforms non-rigidly; an in-plane Gaussian stays on its triangle's plane.
    params = {"expr": torch.rand(2, 10), "jaw": torch.rand(2, 1), "blink": torch.rand(2, 2),
              "pose": torch.tensor([[0.2, 0.1, 0.0, 0.0, 0.01, 0.0], [-0.1, 0.4, 0.1, 0.02, 0.0, 0.01]])}
    verts = template.vertices(params)
    w = to_world(g, verts, faces)
    tri = verts[:, faces[face]]                                   # (N, G, 3, 3)
    n = torch.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0], dim=-1)
    n = n / n.norm(dim=-1, keepdim=True)
    dist = ((w["means"] - tri[:, :, 0]) * n).sum(-1)
    assert dist.abs().max() < 1e-6
    # Under the rigid pose alone it keeps its barycentric position exactly.
    rigid = template.vertices({"pose": params["pose"]})
    w = to_world(g, rigid, faces)
    expected = (bary[None, ..., None] * rigid[:, faces[face]]).sum(2)
    assert torch.allclose(w["means"], expected, atol=1e-6)


def _write_tiny_flame(path, rng) -> dict:
    """A 6-vertex, 3-joint model in the official layout, pickled the way chumpy-era FLAME files are."""
    ch = types.ModuleType("chumpy.ch")

    class Ch:  # pickles like chumpy: the value lives in the ``x`` attribute
        def __init__(self, x):
            self.x = x

    Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
    ch.Ch = Ch
    sys.modules["chumpy"], sys.modules["chumpy.ch"] = types.ModuleType("chumpy"), ch
    import scipy.sparse as sp

    V, J = 6, 3
    m = {
        "v_template": rng.normal(size=(V, 3)), "shapedirs": rng.normal(size=(V, 3, 4)) * 0.1,
        "posedirs": rng.normal(size=(V, 3, 9 * (J - 1))) * 0.01,
        "J_regressor": np.full((J, V), 1.0 / V), "weights": np.eye(J)[[0, 0, 1, 1, 2, 2]].astype(float),
        "kintree_table": np.array([[4294967295, 0, 1], [0, 1, 2]]), "f": np.array([[0, 1, 2], [3, 4, 5]]),
    }
    try:
        raw = {k: (Ch(v) if k in ("v_template", "shapedirs", "posedirs", "weights") else v) for k, v in m.items()}
        raw["J_regressor"] = sp.csc_matrix(m["J_regressor"])
        raw["bs_style"], raw["bs_type"] = "lbs", "lrotmin"
        with open(path, "wb") as f:
            pickle.dump(raw, f, protocol=2)
    finally:
        del sys.modules["chumpy"], sys.modules["chumpy.ch"]
    return m


def test_flame_pickle_loader_and_lbs(tmp_path) -> None:
    rng = np.random.default_rng(0)
    m = _write_tiny_flame(tmp_path / "generic_model.pkl", rng)
    assert "chumpy" not in sys.modules
    arrays = load_flame_pickle(tmp_path / "generic_model.pkl")
    assert np.allclose(arrays["v_template"], m["v_template"]) and np.allclose(arrays["J_regressor"], m["J_regressor"])
    model = FlameModel(arrays, n_shape=2)
    assert model.n_expr == 2
    rot = torch.zeros(1, 3, 3)
    v0 = model(torch.zeros(1, 2), torch.zeros(1, 2), rot)
    assert torch.allclose(v0[0], torch.from_numpy(arrays["v_template"]), atol=1e-6)
    # Expression coefficients add the expression part of shapedirs.
    v1 = model(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), rot)
    assert torch.allclose(v1[0] - v0[0], torch.from_numpy(arrays["shapedirs"][:, :, 2]), atol=1e-5)
    # A global rotation with no other joint moving rotates the whole mesh about the root joint.
    rot = torch.zeros(1, 3, 3)
    rot[0, 0] = torch.tensor([0.0, 0.5, 0.0])
    v2 = model(torch.zeros(1, 2), torch.zeros(1, 2), rot)
    J0 = torch.from_numpy(arrays["J_regressor"] @ arrays["v_template"])[0]
    R = axis_angle_to_matrix(rot[0, 0])
    assert torch.allclose(v2[0], (torch.from_numpy(arrays["v_template"]) - J0) @ R.T + J0, atol=1e-5)


def test_flame_loader_names_the_problem(tmp_path) -> None:
    bad = tmp_path / "bad.pkl"
    with open(bad, "wb") as f:
        pickle.dump({"v_template": np.zeros((3, 3))}, f)
    with pytest.raises(ValueError, match="bad.pkl: FLAME pickle lacks"):
        load_flame_pickle(bad)
