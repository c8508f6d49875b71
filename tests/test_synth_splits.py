"""No test identity or test sentence may enter a prior-training corpus; suites use only test identities."""

import pytest

from ggtalker.synth.corpus import plan_corpus
from ggtalker.synth.sentences import OOD_LANGUAGES, TRAIN_LANGUAGES, sentences
from ggtalker.synth.sources import SCALES, target_recipe, train_recipe
from ggtalker.synth.splits import TEST_IDENTITIES, TRAIN_IDENTITIES, SplitError, check_training_recipe

TRAIN_TEXT = {s for lang in TRAIN_LANGUAGES for s in sentences(lang, "train")}
TEST_TEXT = {s for lang in TRAIN_LANGUAGES + OOD_LANGUAGES for s in sentences(lang, "test")}


def test_identity_and_sentence_splits_are_disjoint():
    assert not set(TRAIN_IDENTITIES) & set(TEST_IDENTITIES)
    assert not TRAIN_TEXT & TEST_TEXT


@pytest.mark.parametrize("seed", [0, 3])
def test_training_corpora_hold_no_test_identity_or_sentence(seed):
    recipes = plan_corpus(identities=40, sentences_per_identity=6, views=("phone", "orbit", "ring"), seed=seed)
    assert len(recipes) == 40 * 6 * 3
    for r in recipes:
        assert r.identity in TRAIN_IDENTITIES and r.identity not in TEST_IDENTITIES
        assert set(r.texts) <= TRAIN_TEXT and not set(r.texts) & TEST_TEXT


def test_training_recipe_guard_refuses_test_data():
    with pytest.raises(SplitError):
        check_training_recipe(TEST_IDENTITIES[0], [next(iter(TRAIN_TEXT))])
    with pytest.raises(SplitError):
        check_training_recipe(TRAIN_IDENTITIES[0], [next(iter(TEST_TEXT))])


def test_suite_targets_use_test_identities_and_held_out_sentences():
    cfg = SCALES["full"]
    for ident in TEST_IDENTITIES[:10]:
        tr = train_recipe(ident, cfg)
        assert tr.role == "train" and tr.tracker_noise > 0 and set(tr.texts) <= TRAIN_TEXT
        for k in range(cfg["n_test"]):
            tg = target_recipe(ident, k, cfg)
            assert tg.role == "target" and tg.tracker_noise == 0 and set(tg.texts) <= TEST_TEXT
            assert not set(tg.texts) & set(tr.texts)
