"""LPC formant estimation on source-filter vowels with known resonances."""

import numpy as np
import pytest
import scipy.signal as ss

from ggtalker.audio.formants import formants


def _vowel(f: tuple[float, ...], sr: int = 22_050, f0: float = 120.0, dur: float = 0.03) -> np.ndarray:
    """A glottal impulse train at ``f0`` through cascaded two-pole resonators at frequencies ``f`` (80 Hz wide)."""
    n = int(sr * dur)
    x = np.zeros(n)
    x[:: int(sr / f0)] = 1.0
    for fc in f:
        r = np.exp(-np.pi * 80.0 / sr)
        x = ss.lfilter([1.0 - r], [1.0, -2 * r * np.cos(2 * np.pi * fc / sr), r * r], x)
    return x


@pytest.mark.parametrize("target", [(750.0, 1250.0, 2600.0), (300.0, 2200.0, 3000.0), (450.0, 850.0, 2500.0)])
def test_formants_recover_resonances(target):
    est = formants(_vowel(target), 22_050)
    assert len(est) >= 2
    assert est[0] == pytest.approx(target[0], rel=0.08)
    assert est[1] == pytest.approx(target[1], rel=0.08)


def test_open_vowel_has_higher_f1_than_close_vowel_at_16k():
    open_f1 = formants(_vowel((750.0, 1250.0, 2600.0), sr=16_000), 16_000)[0]
    close_f1 = formants(_vowel((300.0, 2200.0, 3000.0), sr=16_000), 16_000)[0]
    assert open_f1 > 2 * close_f1


def test_silence_and_short_segments_give_nothing():
    assert formants(np.zeros(600), 22_050) == []
    assert formants(np.ones(5), 22_050) == []
