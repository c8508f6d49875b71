"""SynthTalk identities: every shape and appearance knob of a procedural head, drawn from one seed.

Knobs are drawn in a fixed order from ``numpy.random.default_rng(seed)``; new knobs go at the *end* of
:meth:`Identity.sample` so existing identities keep their looks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: Skin albedos (linear-ish RGB in [0, 1]) spanning light to deep tones; identities interpolate between them.
SKIN_TONES = np.array([
    [0.96, 0.80, 0.69], [0.90, 0.72, 0.60], [0.83, 0.63, 0.50], [0.72, 0.52, 0.38],
    [0.58, 0.40, 0.28], [0.45, 0.30, 0.20], [0.33, 0.22, 0.15],
])
HAIR_COLOURS = {
    "black": (0.035, 0.03, 0.028), "dark_brown": (0.12, 0.07, 0.04), "brown": (0.28, 0.17, 0.09),
    "blonde": (0.75, 0.60, 0.36), "red": (0.50, 0.19, 0.07), "grey": (0.55, 0.54, 0.52),
}
HAIR_STYLES = ("short", "buzz", "long", "bob", "bun", "curly", "bald")
_STYLE_P = np.array([0.24, 0.10, 0.22, 0.16, 0.10, 0.12, 0.06])
IRIS_COLOURS = np.array([[0.25, 0.14, 0.06], [0.12, 0.07, 0.03], [0.30, 0.45, 0.60], [0.35, 0.45, 0.30], [0.45, 0.35, 0.2]])


@dataclass(frozen=True)
class Identity:
    """All per-person knobs. Lengths in metres, angles in degrees, colours RGB in [0, 1]."""

    seed: int
    # skull and face shape
    head_width: float      # half-width of the cranium
    head_depth: float      # half-depth, front
    head_back: float       # half-depth, back
    head_top: float        # crown height above the head centre
    chin_drop: float       # chin height below the head centre
    jaw_width: float       # 0..1: how wide the lower face stays
    chin_forward: float    # chin protrusion
    cheekbone: float       # cheekbone prominence
    brow_ridge: float
    nose_length: float
    nose_width: float
    nose_protrusion: float
    nose_bump: float       # dorsal hump
    mouth_width: float     # half-width of the mouth slit
    upper_lip: float       # fullness 0..1
    lower_lip: float
    eye_spacing: float     # half the distance between eye centres
    eye_size: float        # eyeball radius
    eye_height: float
    lid_open: float        # how wide the palpebral fissure opens, degrees of elevation
    ear_size: float
    ear_angle: float       # protrusion, degrees
    neck_radius: float
    shoulder_width: float
    # appearance
    skin: tuple[float, float, float]
    freckles: float        # 0..1 density
    pores: float           # 0..1 bump strength
    blush: float
    lip_colour: tuple[float, float, float]
    brow_colour: tuple[float, float, float]
    brow_thickness: float
    iris: tuple[float, float, float]
    hair_style: str
    hair_colour: tuple[float, float, float]
    hair_length: float     # metres below the crown for long styles
    fringe: float          # 0..1 how low the hairline comes on the forehead
    stubble: float         # 0..1 beard shadow
    cloth: tuple[float, float, float]
    cloth_pattern: int     # 0 plain, 1 stripes, 2 checks
    neckline: int          # 0 crew, 1 V, 2 collar
    background: tuple[float, float, float]
    background2: tuple[float, float, float]
    light_azimuth: float   # key light, degrees (0 = from the camera side)
    light_elevation: float
    gaze: tuple[float, float]  # constant gaze offset (yaw, pitch) degrees

    @classmethod
    def sample(cls, seed: int) -> "Identity":
        """Draw an identity from ``seed`` (deterministic; the same seed gives the same person)."""
        r = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5EED]))
        u = r.uniform
        tone = u(0, len(SKIN_TONES) - 1)
        i0 = int(np.floor(tone))
        i1 = min(i0 + 1, len(SKIN_TONES) - 1)
        skin = (1 - (tone - i0)) * SKIN_TONES[i0] + (tone - i0) * SKIN_TONES[i1]
        skin = np.clip(skin * u(0.95, 1.05, 3), 0, 1)
        style = str(r.choice(HAIR_STYLES, p=_STYLE_P))
        hair_names = list(HAIR_COLOURS)
        # Lighter hair is rarer on deep skin tones, as in most populations.
        hp = np.array([3, 2.5, 2, 1, 0.6, 0.7]) if tone > 3 else np.array([1.5, 1.5, 1.8, 1.3, 0.7, 0.7])
        hair = np.array(HAIR_COLOURS[hair_names[int(r.choice(len(hair_names), p=hp / hp.sum()))]])
        hair = np.clip(hair * u(0.85, 1.15, 3), 0, 1)
        lip = np.clip(skin * np.array([0.93, 0.62, 0.6]) * u(0.85, 1.0) + np.array([0.04, 0.0, 0.01]), 0, 1)
        brow = np.clip(hair * 0.8 + 0.02, 0, 1) if style != "bald" else np.clip(skin * 0.35, 0, 1)
        cloth_hsv = (u(0, 1), u(0.1, 0.8), u(0.15, 0.85))
        bg_hsv = (u(0, 1), u(0.05, 0.4), u(0.35, 0.9))
        return cls(
            seed=int(seed),
            head_width=u(0.071, 0.081), head_depth=u(0.088, 0.097), head_back=u(0.095, 0.108),
            head_top=u(0.118, 0.13), chin_drop=u(0.112, 0.126), jaw_width=u(0.0, 1.0),
            chin_forward=u(0.0, 1.0), cheekbone=u(0.0, 1.0), brow_ridge=u(0.0, 1.0),
            nose_length=u(0.043, 0.055), nose_width=u(0.85, 1.25), nose_protrusion=u(0.8, 1.2),
            nose_bump=u(0.0, 1.0), mouth_width=u(0.021, 0.027), upper_lip=u(0.2, 1.0), lower_lip=u(0.3, 1.0),
            eye_spacing=u(0.029, 0.034), eye_size=u(0.0115, 0.0125), eye_height=u(0.008, 0.016),
            lid_open=u(11.0, 17.0), ear_size=u(0.9, 1.15), ear_angle=u(12.0, 30.0),
            neck_radius=u(0.048, 0.058), shoulder_width=u(0.17, 0.21),
            skin=tuple(skin), freckles=float(u(0, 1) ** 3), pores=u(0.2, 1.0), blush=u(0.0, 1.0),
            lip_colour=tuple(lip), brow_colour=tuple(brow), brow_thickness=u(0.6, 1.3),
            iris=tuple(IRIS_COLOURS[int(r.integers(len(IRIS_COLOURS)))] * (u(0.7, 1.2) if tone < 3 else 0.6)),
            hair_style=style, hair_colour=tuple(hair), hair_length=u(0.2, 0.3), fringe=u(0.0, 1.0),
            stubble=float(u(0, 1) > 0.7) * u(0.3, 1.0),
            cloth=tuple(_hsv(*cloth_hsv)), cloth_pattern=int(r.integers(3)), neckline=int(r.integers(3)),
            background=tuple(_hsv(*bg_hsv)),
            background2=tuple(_hsv((bg_hsv[0] + u(-0.15, 0.15)) % 1, bg_hsv[1] * u(0.5, 1.2), bg_hsv[2] * u(0.5, 0.9))),
            light_azimuth=u(-45, 45), light_elevation=u(15, 45),
            gaze=(u(-3, 3), u(-2, 2)),
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """HSV in [0, 1] to RGB in [0, 1] (a colour picker for clothes and backgrounds)."""
    import colorsys

    return np.array(colorsys.hsv_to_rgb(h, min(max(s, 0), 1), min(max(v, 0), 1)))
