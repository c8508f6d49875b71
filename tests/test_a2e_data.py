"""The prior's corpus respects the splits; the suite's families differ in the way they claim."""

from __future__ import annotations

from ggtalker.train.a2e_corpus import corpus_jobs, style_names
from ggtalker.synth.sentences import (OOD_LANGUAGES, OOD_VOICES, PRIOR_LANGUAGES, PRIOR_VOICES, TRAIN_LANGUAGES,
                                      TRAIN_VOICES, sentences)
from ggtalker.synth.splits import target_sentence_set


def test_corpus_speaks_only_training_sentences_languages_and_voices():
    tests = target_sentence_set()
    train = {s for lang in PRIOR_LANGUAGES for s in sentences(lang, "train")}
    for scale, langs, voices in (("smoke", TRAIN_LANGUAGES, TRAIN_VOICES), ("full", PRIOR_LANGUAGES, PRIOR_VOICES)):
        jobs = corpus_jobs(scale)
        assert {j["language"] for j in jobs} == set(langs)
        assert {j["voice"] for j in jobs} == set(range(len(voices)))
        for j in jobs:
            assert not any(t in j["text"] for t in tests)
            assert any(s in j["text"] for s in train)
    assert not set(PRIOR_LANGUAGES) & set(OOD_LANGUAGES)
    assert PRIOR_VOICES[: len(TRAIN_VOICES)] == TRAIN_VOICES  # style codes of the identities' voices come first
    ood_variants = {v.variant for v in OOD_VOICES}
    assert not any(v.variant in ood_variants or v.variant.startswith("klatt") for v in PRIOR_VOICES)
    pitch = [v.pitch for v in TRAIN_VOICES]
    assert all(min(pitch) - 5 <= v.pitch <= max(pitch) + 5 for v in PRIOR_VOICES)  # OOD pitch extremes stay unseen
    assert len(style_names()) == len(PRIOR_VOICES) and len(set(style_names())) == len(PRIOR_VOICES)


def test_suite_families_use_held_out_material():
    from ggtalker.synth.audio_prior import family_performance

    base = family_performance("in_dist", 0, seed=0)
    assert base.text in set(sentences(base.voice.language, "test"))
    assert base.voice.language in TRAIN_LANGUAGES
    lang = family_performance("unseen_language", 0, seed=0)
    assert lang.voice.language in OOD_LANGUAGES and lang.text in target_sentence_set()
    voice = family_performance("unseen_voice", 0, seed=0)
    assert voice.voice.variant not in {v.variant for v in TRAIN_VOICES} and voice.text == base.text


def test_speed_perturbation_moves_pitch_and_tempo_together():
    import numpy as np

    from ggtalker.train.a2e_corpus import SCALES, speed_perturb

    sr, n = 16000, 50  # 2 s of a 200 Hz tone with a parameter ramp over 50 frames at 25 fps
    audio = np.sin(2 * np.pi * 200 * np.arange(2 * sr) / sr).astype(np.float32)
    params = np.stack([np.linspace(0, 1, n), np.zeros(n)], 1).astype(np.float32)
    fast_a, fast_p = speed_perturb(audio, params, 1.25)
    assert abs(len(fast_a) - len(audio) / 1.25) <= 2 and len(fast_p) == 40
    peak = np.argmax(np.abs(np.fft.rfft(fast_a))) * sr / len(fast_a)
    assert abs(peak - 250) < 2  # pitch (and every formant) up by the speed factor
    np.testing.assert_allclose(fast_p[[0, -1], 0], [0, 39 * 1.25 / 49], atol=1e-6)  # the ramp, on the new clock
    assert speed_perturb(audio, params, 1.0)[0] is audio
    jobs = {s: corpus_jobs(s) for s in ("smoke", "full")}
    assert all("speed" not in j for j in jobs["smoke"])  # the smoke corpus is as spoken
    assert len(jobs["full"]) == len(SCALES["full"]["speeds"]) * sum("speed" not in j for j in jobs["full"])


def test_validation_split_is_disjoint_from_training_and_test():
    from ggtalker.synth.audio_prior import VAL_FAMILIES, val_performances
    from ggtalker.synth.sentences import VAL_LANGUAGES

    assert not set(VAL_LANGUAGES) & (set(PRIOR_LANGUAGES) | set(OOD_LANGUAGES))
    train = {s for lang in PRIOR_LANGUAGES for s in sentences(lang, "train")}
    tests = target_sentence_set()
    corpus_texts = [j["text"] for j in corpus_jobs("full")]
    langs = set()
    for fam in VAL_FAMILIES:
        plan = val_performances(fam)
        assert plan, fam
        for text, lang, _ in plan:
            assert text not in train and text not in tests and text in sentences(lang, "val")
            langs.add(lang)
        assert not any(text in t for text, _, _ in plan for t in corpus_texts)
    assert set(VAL_LANGUAGES) <= langs
