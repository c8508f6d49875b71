"""The per-language vowel calibration: offsets from a measured table, and their effect on the labels."""

import numpy as np
import pytest

from ggtalker.synth.visemes import VOWELS, classify, jaw_offset, speech_curves
from ggtalker.synth.vowel_acoustics import MAX_JAW_OFFSET, jaw_offsets_from_table

BASE_JAW = {k: v.target["jaw"] for k, v in VOWELS.items()}


def _row(lang, vowel, f1, n=10, voice="m3"):
    return {"language": lang, "vowel": vowel, "voice": voice, "n": n, "f1": f1}


def _table():
    # Two bases whose mean F1 sets the slope: a (jaw 0.85) at 800 Hz, i (0.18) at 270 Hz.
    return [_row("xx", "a", 850), _row("yy", "a:", 750), _row("xx", "i", 270), _row("yy", "i", 270),
            _row("zz", "a", 600, n=2),  # too few segments: ignored
            _row("xx", "a~", 300)]      # nasal: ignored


def test_offsets_follow_f1_with_the_tables_own_slope():
    off = jaw_offsets_from_table(_table(), BASE_JAW)
    k = (VOWELS["a"].target["jaw"] - VOWELS["i"].target["jaw"]) / (800.0 - 270.0)
    assert off[("xx", "a")] == pytest.approx(k * 50.0)
    assert off[("yy", "a:")] == pytest.approx(-k * 50.0)
    assert off[("xx", "i")] == pytest.approx(0.0, abs=1e-9)
    assert ("zz", "a") not in off and ("xx", "a~") not in off


def test_offsets_are_bounded_and_take_the_median_over_voices():
    rows = [_row("xx", "a", 800), _row("yy", "a", 400), _row("xx", "i", 270), _row("yy", "i", 270)]
    off = jaw_offsets_from_table(rows, BASE_JAW)
    assert off[("yy", "a")] == -MAX_JAW_OFFSET
    # a second and third voice that disagree: the median of the three voices' offsets wins
    rows3 = [dict(r, voice=v) for v in ("m1", "m3", "f3") for r in _table()]
    rows3 = [r for r in rows3 if not (r["voice"] == "f3" and r["vowel"] == "a:")] + [_row("yy", "a:", 100, voice="f3")]
    assert jaw_offsets_from_table(rows3, BASE_JAW)[("yy", "a:")] == pytest.approx(jaw_offsets_from_table(_table(), BASE_JAW)[("yy", "a:")])


def test_shipped_calibration_lowers_the_mid_sounding_open_vowels():
    # espeak-ng voices Vietnamese a: and English a# with a mid vowel's F1 (docs/audio-prior.md)
    assert jaw_offset("vi", "a:") < -0.1 and jaw_offset("en", "a#") < -0.1
    assert abs(jaw_offset("es", "a")) < 0.05
    assert jaw_offset(None, "a:") == 0.0 and jaw_offset("xx", "a") == 0.0


def test_language_moves_the_jaw_curve_of_a_held_vowel():
    phon = [(0.0, 0.2, "_"), (0.2, 0.6, "a:"), (0.6, 0.8, "_")]
    plain = speech_curves(phon, 20, 25.0)["jaw"]
    vi = speech_curves(phon, 20, 25.0, language="vi")["jaw"]
    # the pauses' targets are 0, so the dominance-weighted mean scales with the vowel's target
    target = VOWELS["a"].target["jaw"]
    assert np.allclose(vi, plain * (target + jaw_offset("vi", "a:")) / target, atol=1e-5)
    assert vi[10] < plain[10] - 0.1


def test_q_is_the_velar_fricative():
    assert classify("Q")[0].kind == "consonant"
