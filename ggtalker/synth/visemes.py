"""Phonemes → visemes → expression curves, with Cohen–Massaro coarticulation.

Each espeak-ng phoneme mnemonic maps to a viseme: a target in the speech part of the head-parameter
space (``jaw`` plus the lip/tongue entries of ``EXPR_NAMES``), a dominance strength, and the
parameters it *must* reach (a bilabial must close the lips; a /k/ barely cares about them, so it
takes the lip shape of its neighbouring vowels — that is how anticipatory rounding in "school" arises).

Coarticulation (Cohen & Massaro 1993): segment ``i`` with centre ``c_i`` exerts dominance
``D_ip(t) = a_ip · exp(-|t - c_i| / tau_i)`` on parameter ``p``; the curve is the dominance-weighted
mean of the targets, ``x_p(t) = Σ_i D_ip(t) T_ip / Σ_i D_ip(t)``. Curves are evaluated on a 200 Hz
grid and box-averaged over each video frame (a camera integrates over its exposure; point sampling
would alias 60 ms consonants at 25 fps).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from ggtalker.core.params import EXPR_NAMES, SPEECH_KEYS
from ggtalker.synth.espeak import base_mnemonic
from ggtalker.synth.vowel_acoustics import jaw_offsets_from_table, read_table

GRID_HZ = 200.0


@dataclass(frozen=True)
class Viseme:
    """Target values (missing keys = 0), base dominance, and the keys it dominates strongly."""

    target: dict[str, float]
    dominance: float = 1.0
    critical: tuple[str, ...] = ()
    kind: str = "consonant"  # "vowel" | "consonant" | "pause"
    extra: dict = field(default_factory=dict)


def _v(jaw: float, **t: float) -> Viseme:
    return Viseme({"jaw": jaw, **t}, dominance=1.0, critical=("jaw",) + tuple(k for k in t if k in ("lip_round", "lip_spread")), kind="vowel")


def _c(jaw: float, crit: tuple[str, ...] = (), dom: float = 0.6, **t: float) -> Viseme:
    return Viseme({"jaw": jaw, **t}, dominance=dom, critical=crit, kind="consonant")


# Vowels by espeak-ng base mnemonic (shared across languages: espeak uses one phoneme alphabet).
VOWELS: dict[str, Viseme] = {
    "a": _v(0.85, lower_lip_depress=0.35), "A": _v(0.8, lower_lip_depress=0.3),
    "&": _v(0.75, lip_spread=0.3, lower_lip_depress=0.35), "V": _v(0.6, lower_lip_depress=0.2),
    "E": _v(0.55, lip_spread=0.35, lower_lip_depress=0.2), "e": _v(0.4, lip_spread=0.5),
    "I": _v(0.25, lip_spread=0.5), "i": _v(0.18, lip_spread=0.8), "@": _v(0.35), "3": _v(0.4, lip_spread=0.1),
    "O": _v(0.6, lip_round=0.55), "0": _v(0.65, lip_round=0.4), "o": _v(0.4, lip_round=0.8),
    "U": _v(0.25, lip_round=0.65), "u": _v(0.2, lip_round=1.0), "y": _v(0.18, lip_round=0.85),
    "Y": _v(0.3, lip_round=0.7), "W": _v(0.35, lip_round=0.6),
}
GENERIC_VOWEL = _v(0.45)

CONSONANTS: dict[str, Viseme] = {
    # bilabials close the lips whatever surrounds them: the strongest, most critical viseme
    "p": _c(0.03, ("lip_press", "jaw"), 2.0, lip_press=1.0, cheek_puff=0.25),
    "b": _c(0.03, ("lip_press", "jaw"), 2.0, lip_press=1.0, cheek_puff=0.2),
    "m": _c(0.03, ("lip_press", "jaw"), 2.0, lip_press=0.9),
    # labiodentals: lower lip to the upper teeth
    "f": _c(0.1, ("lip_press", "upper_lip_raise"), 1.5, lip_press=0.45, upper_lip_raise=0.45),
    "v": _c(0.1, ("lip_press", "upper_lip_raise"), 1.5, lip_press=0.45, upper_lip_raise=0.45),
    # dentals: tongue tip between the teeth
    "T": _c(0.15, ("tongue_up",), 1.2, tongue_up=1.0), "D": _c(0.15, ("tongue_up",), 1.2, tongue_up=1.0),
    # alveolars: tongue up, jaw nearly closed, sibilants spread slightly
    "t": _c(0.12, ("tongue_up", "jaw"), 1.0, tongue_up=0.8), "d": _c(0.12, ("tongue_up", "jaw"), 1.0, tongue_up=0.8),
    "n": _c(0.12, ("tongue_up",), 0.9, tongue_up=0.8), "l": _c(0.18, ("tongue_up",), 0.8, tongue_up=0.9),
    "s": _c(0.08, ("jaw",), 1.3, lip_spread=0.3, tongue_up=0.5), "z": _c(0.08, ("jaw",), 1.3, lip_spread=0.3, tongue_up=0.5),
    "r": _c(0.2, ("lip_round",), 0.7, lip_round=0.35), "R": _c(0.2, ("tongue_up",), 0.7, tongue_up=0.6),
    "*": _c(0.2, ("tongue_up",), 0.6, tongue_up=0.6),
    # postalveolars: protruded, rounded lips
    "S": _c(0.1, ("lip_round", "jaw"), 1.3, lip_round=0.6, upper_lip_raise=0.3, tongue_up=0.4),
    "Z": _c(0.1, ("lip_round", "jaw"), 1.3, lip_round=0.6, upper_lip_raise=0.3, tongue_up=0.4),
    "C": _c(0.12, ("jaw",), 0.9, lip_spread=0.35, tongue_up=0.5),
    # approximants
    "w": _c(0.08, ("lip_round",), 1.5, lip_round=0.95), "j": _c(0.12, (), 0.7, lip_spread=0.4, tongue_up=0.4),
    "J": _c(0.12, ("tongue_up",), 0.7, lip_spread=0.3, tongue_up=0.6), "L": _c(0.15, ("tongue_up",), 0.7, tongue_up=0.8),
    # velars and glottals: lips free, so neighbours decide the lip shape (low dominance)
    # (the jaw still rises for a velar closure, so it stays critical for the stops)
    "k": _c(0.15, ("jaw",), 0.5), "g": _c(0.15, ("jaw",), 0.5), "N": _c(0.18, (), 0.4), "x": _c(0.22, (), 0.4),
    # espeak-ng's Q is the voiced velar fricative (Dutch "morgen", Spanish "gusta", Greek "γ"), not a vowel
    "Q": _c(0.22, (), 0.4),
    "h": _c(0.3, (), 0.2), "?": _c(0.2, (), 0.3),
}
GENERIC_CONSONANT = _c(0.15, (), 0.5)
PAUSE = Viseme({"jaw": 0.0}, dominance=0.8, critical=("jaw", "lip_round", "lip_spread"), kind="pause")

# Affricates and multi-letter consonants: the place that shapes the lips comes last (tS → S).
_ALIASES = {"tS": "S", "dZ": "Z", "ts": "s", "dz": "z", "t_s\\": "s", "n^": "n", "l^": "L", "r-": "r", "R2": "R"}
@lru_cache(maxsize=1)
def jaw_offsets() -> dict[tuple[str, str], float]:
    """The shipped vowel calibration of this table, ``{(language, mnemonic): Δjaw}`` (:mod:`ggtalker.synth.vowel_acoustics`)."""
    return jaw_offsets_from_table(read_table(), {k: v.target["jaw"] for k, v in VOWELS.items()})


def jaw_offset(language: str | None, mnemonic: str) -> float:
    """How much further (or less far) than its base vowel's target this language's vowel opens the jaw."""
    if language is None:
        return 0.0
    return jaw_offsets().get((language, mnemonic), 0.0)


def classify(mnemonic: str, language: str | None = None) -> list[Viseme]:
    """The viseme(s) of one espeak-ng mnemonic: two for a diphthong (start → end), one otherwise.

    With ``language`` (espeak-ng's code), a monophthong's jaw target is moved by that language's calibration
    (:mod:`ggtalker.synth.vowel_acoustics`). Unknown mnemonics fall back by class: a vowel-like base letter →
    a neutral mid vowel, anything else → a generic low-dominance consonant.
    """
    vis = _classify_base(mnemonic)
    if len(vis) == 1 and vis[0].kind == "vowel" and (dj := jaw_offset(language, mnemonic)):
        jaw = float(np.clip(vis[0].target["jaw"] + dj, 0.05, 1.0))
        return [replace(vis[0], target={**vis[0].target, "jaw": jaw})]
    return vis


def _classify_base(mnemonic: str) -> list[Viseme]:
    # The language-independent table lookup behind classify().
    if not mnemonic or mnemonic[0] in "_|":
        return [PAUSE]
    if mnemonic in _ALIASES:
        return [CONSONANTS[_ALIASES[mnemonic]]]
    base = base_mnemonic(mnemonic)
    if base in _ALIASES:
        return [CONSONANTS[_ALIASES[base]]]
    if base in CONSONANTS:
        return [CONSONANTS[base]]
    if base in VOWELS:
        return [VOWELS[base]]
    # Diphthongs (aI, oU, eI, uo, ie, &U~...): every character a vowel symbol.
    parts = [ch for ch in base if ch in VOWELS]
    if len(parts) >= 2 and len(parts) == len(base):
        return [VOWELS[parts[0]], VOWELS[parts[-1]]]
    if base[0] in VOWELS:
        return [VOWELS[base[0]]]
    if base[0] in CONSONANTS:
        return [CONSONANTS[base[0]]]
    return [GENERIC_VOWEL if base[0].lower() in "aeiouy" else GENERIC_CONSONANT]


def _segments(phonemes: list[tuple[float, float, str]], language: str | None = None
              ) -> list[tuple[float, float, Viseme]]:
    """Expand phonemes into viseme segments (a diphthong's two halves become two segments), classified
    for ``language`` (:func:`classify`)."""
    out = []
    for start, end, name in phonemes:
        vis = classify(name, language)
        bounds = np.linspace(start, end, len(vis) + 1)
        out.extend((float(bounds[i]), float(bounds[i + 1]), v) for i, v in enumerate(vis))
    return out


def speech_curves(phonemes: list[tuple[float, float, str]], n_frames: int, fps: float,
                  loudness: np.ndarray | None = None, language: str | None = None) -> dict[str, np.ndarray]:
    """Coarticulated speech-parameter curves, one value per video frame.

    ``phonemes`` ``[(start_s, end_s, mnemonic)]``; ``loudness`` ``(n_frames,)`` in [0, 1] or None —
    when given, vowel jaw targets scale with it (people open wider when they speak louder); ``language``
    (espeak-ng's code) selects the per-language vowel calibration, None uses the mnemonics' targets.
    Returns ``{key: (n_frames,)}`` for every key of :data:`SPEECH_KEYS`.
    """
    duration = n_frames / fps
    n_grid = max(1, int(np.ceil(duration * GRID_HZ)))
    t = (np.arange(n_grid) + 0.5) / GRID_HZ
    num = {k: np.zeros(n_grid) for k in SPEECH_KEYS}
    den = {k: np.full(n_grid, 1e-9) for k in SPEECH_KEYS}
    for start, end, vis in _segments(phonemes, language):
        dur = max(end - start, 1e-3)
        centre = 0.5 * (start + end)
        # Dominance reaches about one neighbouring segment (espeak segments are 50-120 ms); longer
        # tails blur every syllable into its neighbours and the jaw stops opening and closing.
        tau = 0.5 * dur + 0.02 if vis.kind == "pause" else min(0.2 * dur + 0.01, 0.04)
        lo, hi = np.searchsorted(t, [centre - 8 * tau, centre + 8 * tau])
        if hi <= lo:
            continue
        tt = t[lo:hi]
        # Inside the segment the dominance is flat-topped, so long vowels hold their target.
        dist = np.maximum(np.abs(tt - centre) - 0.5 * dur, 0.0) if vis.kind != "consonant" else np.abs(tt - centre)
        shape = np.exp(-dist / tau)
        gain = 1.0
        if loudness is not None and vis.kind == "vowel":
            fi = min(int(centre * fps), n_frames - 1)
            gain = 0.7 + 0.5 * float(loudness[fi])
        for k in SPEECH_KEYS:
            a = vis.dominance * (3.0 if k in vis.critical else 1.0)
            target = vis.target.get(k, 0.0) * (gain if k == "jaw" else 1.0)
            num[k][lo:hi] += a * shape * target
            den[k][lo:hi] += a * shape
    # Box-average the grid into frames: frame i integrates [i/fps, (i+1)/fps).
    edges = np.minimum((np.arange(n_frames + 1) / fps * GRID_HZ).round().astype(int), n_grid)
    out = {}
    for k in SPEECH_KEYS:
        curve = np.clip(num[k] / den[k], 0.0, 1.0)
        csum = np.concatenate([[0.0], np.cumsum(curve)])
        width = np.maximum(edges[1:] - edges[:-1], 1)
        out[k] = ((csum[np.minimum(edges[:-1] + width, n_grid)] - csum[edges[:-1]]) / width).astype(np.float32)
    return out


def mouth_openness(curves: dict[str, np.ndarray]) -> np.ndarray:
    """Mouth aperture in [0, 1] from speech curves: the jaw opening, closed by lip pressing ``(N,)``."""
    return np.clip(curves["jaw"] * (1.0 - curves["lip_press"]), 0.0, 1.0).astype(np.float32)


def expr_matrix(curves: dict[str, np.ndarray], n_frames: int) -> np.ndarray:
    """Place the speech curves into an ``(N, len(EXPR_NAMES))`` expression matrix (others zero)."""
    expr = np.zeros((n_frames, len(EXPR_NAMES)), np.float32)
    for j, name in enumerate(EXPR_NAMES):
        if name in curves:
            expr[:, j] = curves[name]
    return expr
