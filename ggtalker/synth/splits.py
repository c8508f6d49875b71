"""Disjoint identities and sentences for prior training versus evaluation.

* Prior-training corpora (:mod:`ggtalker.synth.corpus`) draw identities from :data:`TRAIN_IDENTITIES` and
  speak only ``train``-split sentences in :data:`TRAIN_LANGUAGES` with :data:`TRAIN_VOICES`.
* Test suites (:mod:`ggtalker.synth.sources`) use :data:`TEST_IDENTITIES`; their target clips speak only
  ``test``-split sentences (and OOD languages/voices). A test identity's own adaptation clip (what a method
  trains or adapts on) speaks ``train``-split sentences: it is that person's training video, never a target.

``tests/test_synth_splits.py`` enforces that no test identity or test sentence enters a training corpus.
"""

from __future__ import annotations

from ggtalker.synth.performance import VoiceSpec
from ggtalker.synth.sentences import OOD_LANGUAGES, TRAIN_LANGUAGES, TRAIN_VOICES, sentences

#: Identity seeds evaluation suites use (their order is the order suites take them in).
TEST_IDENTITIES: tuple[int, ...] = tuple(range(0, 100))
#: Identity seeds prior-training corpora use.
TRAIN_IDENTITIES: tuple[int, ...] = tuple(range(1000, 21000))


class SplitError(ValueError):
    """A recipe would leak evaluation data into training (or the reverse)."""


def identity_voice(identity_seed: int) -> VoiceSpec:
    """The voice an identity speaks with in its own clips (a fixed choice among :data:`TRAIN_VOICES`)."""
    return TRAIN_VOICES[int(identity_seed) % len(TRAIN_VOICES)]


def target_sentence_set() -> set[str]:
    """Every sentence any suite may use as a target (test splits of all languages)."""
    return {s for lang in TRAIN_LANGUAGES + OOD_LANGUAGES for s in sentences(lang, "test")}


def check_training_recipe(identity_seed: int, texts: list[str]) -> None:
    """Raise :class:`SplitError` if a training-corpus clip would use a test identity or test sentence."""
    if int(identity_seed) not in _TRAIN_SET:
        raise SplitError(f"identity {identity_seed} is not in TRAIN_IDENTITIES (test identities are {TEST_IDENTITIES[0]}"
                         f"..{TEST_IDENTITIES[-1]}); training corpora may not use it")
    leaked = set(texts) & target_sentence_set()
    if leaked:
        raise SplitError(f"training corpus would speak test sentences: {sorted(leaked)[:3]}")


_TRAIN_SET = frozenset(TRAIN_IDENTITIES)
assert not _TRAIN_SET & set(TEST_IDENTITIES), "train and test identities overlap"
