"""SynthTalk head: identities, fixed topology, and a rig that moves the right parts."""

import numpy as np

from ggtalker.synth.head import LIP_VERTEX_IDS, HeadModel, head_model, landmark_vertex_ids, lip_vertices
from ggtalker.synth.identity import Identity
from ggtalker.core.params import EXPR_NAMES


def _params(n, **kw):
    p = {"expr": np.zeros((n, 10), np.float32), "jaw": np.zeros((n, 1), np.float32),
         "blink": np.zeros((n, 2), np.float32), "pose": np.zeros((n, 6), np.float32)}
    p.update({k: np.asarray(v, np.float32) for k, v in kw.items()})
    return p


def test_identity_is_a_function_of_its_seed():
    assert Identity.sample(7) == Identity.sample(7)
    a, b = Identity.sample(7), Identity.sample(8)
    assert a != b and a.skin != b.skin
    assert not np.allclose(head_model(7).rest[:1000], head_model(8).rest[:1000])


def test_landmark_and_lip_ids_mean_the_same_point_on_every_head():
    ids = landmark_vertex_ids()
    assert ids.shape == (68,) and len(set(ids.tolist())) == 68
    for seed in (3, 11):
        m = head_model(seed)
        lm = m.landmarks3d(_params(1))[0]
        # iBUG layout on a frontal head: image-left points (subject's right) have x < 0, chin lowest, nose tip foremost
        assert lm[0, 0] < 0 < lm[16, 0] and lm[36, 0] < 0 < lm[45, 0] and lm[48, 0] < 0 < lm[54, 0]
        assert lm[8, 1] == lm[:, 1].min()
        assert lm[30, 2] == lm[27:36, 2].max()
        assert lip_vertices(seed, _params(2)).shape == (2, len(LIP_VERTEX_IDS), 3)


def test_jaw_opens_the_lips_and_blink_closes_the_eyes():
    m = head_model(5)
    lm = m.landmarks3d(_params(2, jaw=[[0.0], [0.6]], blink=[[0, 0], [1, 1]]))
    gap = np.linalg.norm(lm[:, 62] - lm[:, 66], axis=-1)
    assert gap[0] < 1e-3 and gap[1] > 0.01  # closed lips touch; 0.6 jaw opens more than a centimetre
    eye = np.linalg.norm(lm[:, 37:39].mean(1) - lm[:, 40:42].mean(1), axis=-1)
    assert eye[1] < 0.5 * eye[0]


def test_expressions_move_the_face_and_pose_moves_the_head_not_the_torso():
    m = head_model(5)
    base = m.vertices(_params(1))[0]
    for k, name in enumerate(EXPR_NAMES):
        e = np.zeros((1, 10), np.float32)
        e[0, k] = 1.0
        moved = np.linalg.norm(m.vertices(_params(1, expr=e))[0] - base, axis=1).max()
        assert moved > 0.002, name
    pose = np.array([[0.0, 0.5, 0.0, 0.01, 0.0, 0.0]], np.float32)
    v = m.vertices(_params(1, pose=pose))[0]
    skin, torso = m.parts["skin"], m.parts["torso"]
    assert np.linalg.norm(v[skin.start:skin.stop] - base[skin.start:skin.stop], axis=1).mean() > 0.02
    assert np.allclose(v[torso.start:torso.stop], base[torso.start:torso.stop])


def test_mesh_is_finer_than_a_template():
    m = HeadModel(2)
    assert m.n_vertices > 50_000 and m.faces.max() < m.n_vertices and m.faces.min() >= 0


def test_posing_a_vertex_subset_matches_the_full_mesh():
    m = head_model(3)
    r = np.random.default_rng(0)
    n = 3
    p = {"expr": r.uniform(-0.2, 1, (n, 10)).astype(np.float32), "jaw": r.uniform(0, 1, (n, 1)).astype(np.float32),
         "blink": r.uniform(0, 1, (n, 2)).astype(np.float32), "pose": r.normal(0, 0.1, (n, 6)).astype(np.float32)}
    tongue, lid = m.parts["tongue"], m.parts["lid_lower_right"]
    ids = np.concatenate([LIP_VERTEX_IDS, np.arange(tongue.start, tongue.stop, 7), np.arange(lid.start, lid.stop, 5),
                          r.integers(0, len(m.rest), 200)])
    np.testing.assert_array_equal(m.vertices(p, ids=ids), m.vertices(p)[:, ids])
    np.testing.assert_array_equal(m.lip_vertices(p, frame=slice(1, 3)), m.vertices(p)[1:3, LIP_VERTEX_IDS])
