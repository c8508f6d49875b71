"""SynthTalk speech and performance: espeak-ng timing, determinism, sync, sentence splits, OOD families."""

from __future__ import annotations

import numpy as np
import pytest

from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.synth.audio_fx import EFFECT_FAMILIES, OOD_FAMILIES, VOICE_FAMILIES, apply_family, ood_performance
from ggtalker.synth.behaviour import loudness_envelope
from ggtalker.synth.espeak import synthesize
from ggtalker.core.params import EXPR_NAMES, PARAM_DIMS
from ggtalker.synth.performance import Performance, VoiceSpec, perform, shift_audio
from ggtalker.synth.sentences import (OOD_LANGUAGES, OOD_VOICES, TRAIN_LANGUAGES, TRAIN_VOICES, sentences)
from ggtalker.synth.visemes import classify

TEXT = "Bob put the map back in the pocket of his jacket, and went home."
LIP_KEYS = [EXPR_NAMES.index(k) for k in ("lip_round", "lip_spread", "lip_press", "upper_lip_raise",
                                            "lower_lip_depress", "cheek_puff", "tongue_up")]


@pytest.fixture(scope="module")
def perf() -> Performance:
    return perform(TEXT, VoiceSpec("en", "m3"), seed=0)


def test_phoneme_events_increase_and_cover_the_audio(perf: Performance) -> None:
    starts = np.array([s for s, _, _ in perf.phonemes])
    ends = np.array([e for _, e, _ in perf.phonemes])
    duration = perf.n_frames / perf.fps
    assert len(perf.phonemes) > 30
    assert np.all(np.diff(starts) >= 0) and np.all(ends >= starts)
    assert np.allclose(starts[1:], ends[:-1])  # contiguous: no gaps, no overlaps
    assert starts[0] < 0.1 and ends[-1] == pytest.approx(duration)
    speech = [p for _, _, p in perf.phonemes if not p.startswith("_")]
    assert {"b", "p", "m"} <= set(speech)


def test_lengths_and_shapes(perf: Performance) -> None:
    n = perf.n_frames
    assert abs(len(perf.audio) - n / perf.fps * SAMPLE_RATE) <= 1
    assert perf.audio.dtype == np.float32 and perf.openness.shape == (n,)
    for key, dim in PARAM_DIMS.items():
        assert perf.params[key].shape == (n, dim) and perf.params[key].dtype == np.float32
    assert 0 <= perf.openness.min() and perf.openness.max() <= 1


def test_deterministic_and_seed_changes_only_non_speech(perf: Performance) -> None:
    again = perform(TEXT, VoiceSpec("en", "m3"), seed=0)
    other = perform(TEXT, VoiceSpec("en", "m3"), seed=1)
    np.testing.assert_array_equal(perf.audio, again.audio)
    for k in perf.params:
        np.testing.assert_array_equal(perf.params[k], again.params[k])
    # Another seed: identical audio and lips, different blinks, head pose and brows.
    np.testing.assert_array_equal(perf.audio, other.audio)
    np.testing.assert_array_equal(perf.params["jaw"], other.params["jaw"])
    np.testing.assert_array_equal(perf.params["expr"][:, LIP_KEYS], other.params["expr"][:, LIP_KEYS])
    assert not np.allclose(perf.params["blink"], other.params["blink"])
    assert not np.allclose(perf.params["pose"], other.params["pose"])


def test_bilabials_close_the_mouth(perf: Performance) -> None:
    press = perf.params["expr"][:, EXPR_NAMES.index("lip_press")]
    for start, end, p in perf.phonemes:
        if p in ("p", "b", "m") and end - start > 0.04:
            i = int((start + end) / 2 * perf.fps)
            assert press[i] > 0.5 and perf.openness[i] < 0.2, (p, start, press[i], perf.openness[i])


def test_openness_follows_the_audio_envelope_in_sync() -> None:
    """Across held-out sentences in 8 languages the mouth opening correlates with loudness, and most
    strongly at zero lag: the lips are in sync with the audio, not merely similar to it."""
    lags = np.arange(-4, 5)
    corr = []
    for lang in TRAIN_LANGUAGES:
        for text in sentences(lang, "test")[:2]:
            p = perform(text, VoiceSpec(lang, "f3"))
            loud = loudness_envelope(p.audio, p.n_frames, p.fps)
            o, n = p.openness, p.n_frames
            corr.append([np.corrcoef(o[max(0, k):n + min(0, k)], loud[max(0, -k):n - max(0, k)])[0, 1] for k in lags])
    mean = np.mean(corr, axis=0)
    assert mean[lags == 0][0] > 0.3
    assert abs(lags[np.argmax(mean)]) <= 1


def test_shift_audio_shifts_and_keeps_params(perf: Performance) -> None:
    k = 3
    shifted = shift_audio(perf, k)
    d = int(round(k * SAMPLE_RATE / perf.fps))
    assert len(shifted.audio) == len(perf.audio)
    np.testing.assert_array_equal(shifted.audio[d:], perf.audio[:-d])
    assert np.all(shifted.audio[:d] == 0)
    for key in perf.params:
        np.testing.assert_array_equal(shifted.params[key], perf.params[key])
    assert shifted.audio_offset_frames == k
    assert shifted.phonemes[5][0] == pytest.approx(perf.phonemes[5][0] + k / perf.fps)
    back = shift_audio(perf, -k)
    np.testing.assert_array_equal(back.audio[:-d], perf.audio[d:])


def test_blink_statistics() -> None:
    """A minute of speech blinks at a human rate, with short, mostly symmetric blinks."""
    text = " ".join(sentences("en", "train")[:8])
    p = perform(text, VoiceSpec("en", "m1"), seed=4)
    closed = p.params["blink"].max(1) > 0.5
    onsets = np.flatnonzero(closed[1:] & ~closed[:-1])
    per_min = len(onsets) / (p.n_frames / p.fps / 60)
    assert 5 <= per_min <= 30, per_min
    assert np.corrcoef(p.params["blink"][:, 0], p.params["blink"][:, 1])[0, 1] > 0.8


def test_head_motion_is_small_and_smooth(perf: Performance) -> None:
    rot_deg = np.degrees(perf.params["pose"][:, :3])
    assert np.abs(rot_deg).max() < 10 and rot_deg.std(0).max() > 0.2
    assert np.abs(np.diff(rot_deg, axis=0)).max() < 1.5  # degrees per frame at 25 fps
    assert np.abs(perf.params["pose"][:, 3:]).max() < 0.03  # metres


def test_behaviour_noise_is_stationary_on_short_clips() -> None:
    """A clip shorter than the smoothing scale must not get a larger offset (world version 2's bug)."""
    from ggtalker.synth.behaviour import _smooth_noise

    for n in (50, 500):
        x = np.stack([_smooth_noise(n, 25.0, np.random.default_rng(s), 2.0) for s in range(300)])
        assert 0.85 < x[:, 0].std() < 1.15  # unit variance at any instant, whatever the clip length
        assert np.abs(x.mean(1)).mean() < 1.0


def test_sentence_splits_are_disjoint_and_cover_languages() -> None:
    for lang in TRAIN_LANGUAGES:
        train, test = sentences(lang, "train"), sentences(lang, "test")
        assert train and test and not set(train) & set(test)
    for lang in OOD_LANGUAGES:
        assert sentences(lang, "test") and sentences(lang, "train") == []
    assert not set(TRAIN_LANGUAGES) & set(OOD_LANGUAGES)
    assert not {v.id() for v in TRAIN_VOICES} & {v.id() for v in OOD_VOICES}
    with pytest.raises(KeyError, match="no sentence bank"):
        sentences("xx", "test")
    with pytest.raises(ValueError, match="split"):
        sentences("en", "dev")


def test_ood_languages_speak_their_own_phonemes() -> None:
    """espeak-ng must not fall back to English letter names for an OOD language."""
    for lang in OOD_LANGUAGES:
        utt = synthesize(sentences(lang, "test")[0], lang)
        assert len(utt.wav) > 0.5 * utt.sample_rate and len(utt.phonemes) > 10


@pytest.mark.parametrize("family", EFFECT_FAMILIES)
def test_effect_families_keep_length_and_change_audio(perf: Performance, family: str) -> None:
    out = apply_family(perf.audio, family, seed=0)
    assert out.shape == perf.audio.shape and out.dtype == np.float32 and np.isfinite(out).all()
    assert not np.allclose(out, perf.audio, atol=1e-3)
    np.testing.assert_array_equal(out, apply_family(perf.audio, family, seed=0))


def test_noise_families_reach_their_snr(perf: Performance) -> None:
    from ggtalker.synth.audio_fx import active_power
    for db in (20, 10, 0):
        out = apply_family(perf.audio, f"noise_{db}db", seed=0)
        scale = np.dot(out, perf.audio) / np.dot(perf.audio, perf.audio)  # undo peak normalisation
        noise = out / scale - perf.audio
        snr = 10 * np.log10(active_power(perf.audio) / np.mean(noise.astype(np.float64) ** 2))
        assert snr == pytest.approx(db, abs=1.0)


@pytest.mark.parametrize("family", VOICE_FAMILIES)
def test_voice_families_regenerate_a_consistent_performance(perf: Performance, family: str) -> None:
    out = ood_performance(perf, family, seed=1)
    assert out.meta["ood_family"] == family
    assert abs(len(out.audio) - out.n_frames / out.fps * SAMPLE_RATE) <= 1
    assert out.params["jaw"].shape == (out.n_frames, 1)
    assert out.voice != perf.voice or out.text != perf.text
    with pytest.raises(ValueError, match="ood_performance"):
        apply_family(perf.audio, family, seed=1)


def test_every_family_is_an_effect_or_a_voice() -> None:
    assert set(EFFECT_FAMILIES) | set(VOICE_FAMILIES) == set(OOD_FAMILIES)
    with pytest.raises(KeyError, match="unknown OOD family"):
        apply_family(np.zeros(100, np.float32), "nope", 0)


def test_viseme_fallbacks() -> None:
    assert classify("aI")[0].kind == "vowel" and len(classify("aI")) == 2
    assert classify("_:")[0].kind == "pause"
    assert classify("e~:")[0].kind == "vowel"  # unknown variant of a known vowel
    assert classify("Zz9")[0].kind == "consonant"
    assert classify("tS;")[0].target.get("lip_round", 0) > 0.5  # affricate: lips of its fricative


def test_unknown_voice_is_a_clear_error() -> None:
    from ggtalker.synth.espeak import EspeakError
    with pytest.raises(EspeakError, match="no voice"):
        perform("hello", VoiceSpec("zz-notalanguage", "m3"))
