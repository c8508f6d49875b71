"""The prior's corpus respects the splits; the suite's families differ in the way they claim."""

from __future__ import annotations

from ggtalker.a2e.data import corpus_jobs, style_names
from ggtalker.synth.sentences import OOD_LANGUAGES, TRAIN_LANGUAGES, TRAIN_VOICES, sentences
from ggtalker.synth.splits import target_sentence_set


def test_corpus_speaks_only_training_sentences_languages_and_voices():
    tests = target_sentence_set()
    train = {s for lang in TRAIN_LANGUAGES for s in sentences(lang, "train")}
    for scale in ("smoke", "full"):
        jobs = corpus_jobs(scale)
        assert {j["language"] for j in jobs} == set(TRAIN_LANGUAGES)
        assert {j["voice"] for j in jobs} == set(range(len(TRAIN_VOICES)))
        for j in jobs:
            assert not any(t in j["text"] for t in tests)
            assert any(s in j["text"] for s in train)
    assert len(style_names()) == len(TRAIN_VOICES) and len(set(style_names())) == len(TRAIN_VOICES)


def test_suite_families_use_held_out_material():
    from ggtalker.a2e.suite import family_performance

    base = family_performance("in_dist", 0, seed=0)
    assert base.text in set(sentences(base.voice.language, "test"))
    assert base.voice.language in TRAIN_LANGUAGES
    lang = family_performance("unseen_language", 0, seed=0)
    assert lang.voice.language in OOD_LANGUAGES and lang.text in target_sentence_set()
    voice = family_performance("unseen_voice", 0, seed=0)
    assert voice.voice.variant not in {v.variant for v in TRAIN_VOICES} and voice.text == base.text
