"""Per-language vowel jaw targets, calibrated to the first formant espeak-ng actually produces.

espeak-ng uses one phoneme alphabet for every language, so :mod:`ggtalker.synth.visemes` keys its vowel
targets by mnemonic. But a mnemonic is not one sound: Vietnamese ``a:`` and Cantonese ``a`` come out of
espeak-ng with a mid vowel's first formant (about 580-610 Hz, against 780 Hz for ``a`` over all languages),
English ``a#`` too. Jaw opening is what F1 encodes, so a label that opens the jaw fully on those vowels asks
for a mouth shape the audio does not carry, and no audio-driven predictor can follow it (see
docs/audio-prior.md, "Why unseen languages stayed at +33 %").

The calibration: for each (language, vowel mnemonic), its F1 offset from the n-weighted mean F1 of its base
vowel over all languages (``ΔF1``), measured at the vowels' centres for several voices
(``assets/vowel_f1.csv``, written by ``python scripts/vowel_formants.py --calibrate``), becomes a jaw offset
``k · ΔF1``. ``k`` is the slope of the viseme table's own jaw targets on its base vowels' mean F1 (least
squares), so the calibration moves a vowel's jaw as far as the table would for a vowel of that F1.
:func:`ggtalker.synth.visemes.jaw_offset` applies it to the viseme table (which hands its base jaw targets here).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ggtalker.synth.espeak import base_mnemonic

#: The measured table: language, vowel, voice, n (segments), f1, f2 (medians, Hz).
TABLE = Path(__file__).with_name("assets") / "vowel_f1.csv"
#: A (language, vowel, voice) median over fewer segments is too noisy to calibrate from.
MIN_SEGMENTS = 3
#: One mis-tracked formant must not turn a vowel into another: offsets are bounded.
MAX_JAW_OFFSET = 0.25


def _usable(vowel: str, base_jaw: dict[str, float]) -> bool:
    # Nasal vowels (~) are skipped: LPC models an all-pole tract, and the nasal tract's zeros pull its
    # F1 estimate far off (French O~ measures 276 Hz).
    return "~" not in vowel and base_mnemonic(vowel) in base_jaw


def jaw_offsets_from_table(rows: list[dict], base_jaw: dict[str, float]) -> dict[tuple[str, str], float]:
    """Jaw offsets ``{(language, mnemonic): Δjaw}`` from measurement rows (dicts with ``language``,
    ``vowel``, ``voice``, ``n``, ``f1``); the median over voices of each voice's ``k · ΔF1``, clipped to
    ``±MAX_JAW_OFFSET``. Vowels measured in fewer than ``MIN_SEGMENTS`` segments get no offset.

    Args:
        base_jaw: the viseme table's jaw target of each base vowel mnemonic (``k`` is fitted to these).
    """
    rows = [r for r in rows if int(r["n"]) >= MIN_SEGMENTS and _usable(r["vowel"], base_jaw)]
    per_vowel: dict[tuple[str, str], list[float]] = {}
    for voice in sorted({r["voice"] for r in rows}):
        vr = [r for r in rows if r["voice"] == voice]
        sums: dict[str, list[float]] = {}
        for r in vr:
            s = sums.setdefault(base_mnemonic(r["vowel"]), [0.0, 0.0])
            s[0] += float(r["f1"]) * int(r["n"])
            s[1] += int(r["n"])
        ref = {b: s[0] / s[1] for b, s in sums.items()}
        bases = sorted(ref)
        if len(bases) < 2:
            continue
        x = np.array([ref[b] for b in bases])
        y = np.array([base_jaw[b] for b in bases])
        k = float(np.polyfit(x, y, 1)[0])
        for r in vr:
            d = k * (float(r["f1"]) - ref[base_mnemonic(r["vowel"])])
            per_vowel.setdefault((r["language"], r["vowel"]), []).append(d)
    return {key: float(np.clip(np.median(v), -MAX_JAW_OFFSET, MAX_JAW_OFFSET)) for key, v in per_vowel.items()}


def read_table(path: Path = TABLE) -> list[dict]:
    """The measurement rows of the shipped table (``assets/vowel_f1.csv``)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: it ships with the package (regenerate it with "
                                "`python scripts/vowel_formants.py --calibrate`)")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))
