"""The visibility bake's shadow-map test on a mesh whose answer is known."""

import numpy as np

from ggtalker.synth.occlusion import VisibilityBaker, fibonacci_directions


def test_a_roof_hides_the_floor_below_it_and_nothing_else():
    # floor: a 9x9 vertex grid at y=0 spanning [-1, 1]^2 (x, z); roof: a small quad at y=0.5 over |x|, |z| < 0.3
    g = np.linspace(-1, 1, 9)
    X, Z = np.meshgrid(g, g)
    floor = np.stack([X.ravel(), np.zeros(81), Z.ravel()], 1)
    f = [(r * 9 + c, r * 9 + c + 1, (r + 1) * 9 + c) for r in range(8) for c in range(8)]
    f += [(r * 9 + c + 1, (r + 1) * 9 + c + 1, (r + 1) * 9 + c) for r in range(8) for c in range(8)]
    roof = np.array([[-0.3, 0.5, -0.3], [0.3, 0.5, -0.3], [0.3, 0.5, 0.3], [-0.3, 0.5, 0.3]])
    faces = np.array(f + [(81, 82, 83), (81, 83, 84)])
    bk = VisibilityBaker(np.concatenate([floor, roof]), faces, res=128)
    try:
        up = bk.visible(np.array([0.0, 1.0, 0.0]))
        down = bk.visible(np.array([0.0, -1.0, 0.0]))
    finally:
        bk.release()
    under = (np.abs(floor[:, 0]) < 0.3) & (np.abs(floor[:, 2]) < 0.3)
    assert under.sum() == 9  # the 3x3 floor vertices within 0.25 of the centre
    assert not up[:81][under].any() and up[:81][~under].all() and up[81:].all()
    assert down[:81].all() and not down[81:].any()  # from below, the floor hides the roof


def test_fibonacci_directions_are_unit_and_cover_the_sphere():
    d = fibonacci_directions(96)
    assert np.allclose(np.linalg.norm(d, axis=1), 1)
    assert abs(d.mean(0)).max() < 0.02 and (d[:, 1] > 0).sum() == 48
