"""Sources of the ``audio_prior`` suite (and its validation twin ``audio_prior_val``): audio-only cases scored
on head parameters, grouped by family.

Families: ``in_dist`` (held-out test sentences of the training languages, training voices),
``unseen_voice`` (OOD_VOICES), ``unseen_language`` (OOD_LANGUAGES' test sentences) and audio-effect
families of :data:`ggtalker.synth.audio_fx.OOD_FAMILIES` applied to in-distribution speech. Every case
of a family is built from a different base utterance (sentence, voice, behaviour seed). Target clips have
audio, one fixed frontal camera per frame and the true parameters; no frames (nothing is rendered). LVE
poses the head mesh of a :data:`ggtalker.synth.splits.TEST_IDENTITIES` identity (case ``i`` takes the ``i``-th).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from ggtalker.core.cache import cache_root
from ggtalker.core.case import Case
from ggtalker.core.clip import Cameras, Clip, write_clip
from ggtalker.synth.recipes import WORLD_VERSION

#: Families per scale and cases per family.
SCALES = {
    "smoke": {"per_family": 3, "families": ["in_dist", "unseen_voice", "unseen_language", "noise_10db", "reverb", "telephone"]},
    # 24 cases a family at full size: each OOD language's four test sentences (6 x 4) once. 10 cases left a
    # standard error of ~0.9 mm on unseen_language (per-case LVE spreads 2-12 mm), a fifth of in_dist's mean.
    "full": {"per_family": 24, "families": ["in_dist", "unseen_voice", "unseen_language", "noise_20db", "noise_10db",
                                            "noise_0db", "babble_10db", "reverb", "telephone", "pitch_up", "pitch_down",
                                            "whisper_fx", "fast", "slow"]},
}
SIZE = 64


def _camera(n: int) -> Cameras:
    """A fixed frontal camera 1 m in front of the face (the clip format needs one; nothing is rendered)."""
    K = np.tile(np.array([[SIZE * 1.5, 0, SIZE / 2], [0, SIZE * 1.5, SIZE / 2], [0, 0, 1]], np.float32), (n, 1, 1))
    w2c = np.tile(np.diag([1.0, -1.0, -1.0, 1.0]).astype(np.float32), (n, 1, 1))  # +z of the head faces the camera
    w2c[:, 2, 3] = 1.0
    return Cameras(K, w2c)


def base_performance(i: int, seed: int):
    """The ``i``-th in-distribution performance: a test sentence of a training language, a training voice."""
    from ggtalker.synth.performance import perform
    from ggtalker.synth.sentences import TRAIN_LANGUAGES, TRAIN_VOICES, sentences, with_language

    lang = TRAIN_LANGUAGES[i % len(TRAIN_LANGUAGES)]
    pool = sentences(lang, "test")
    text = pool[(i // len(TRAIN_LANGUAGES)) % len(pool)]
    voice = with_language(TRAIN_VOICES[(i * 5 + seed) % len(TRAIN_VOICES)], lang)
    return perform(text, voice, seed=seed * 100_003 + i)


def family_performance(family: str, i: int, seed: int):
    """Case ``i`` of ``family``."""
    from ggtalker.synth.audio_fx import ood_performance

    base = base_performance(i, seed)
    return base if family == "in_dist" else ood_performance(base, family, seed=seed * 1000 + i)


def _cases(root, perfs: dict[str, list], build) -> list[Case]:
    """Cached params-only cases: ``perfs`` maps a family to its case count; ``build(family, i)`` performs case i."""
    from ggtalker.synth.splits import TEST_IDENTITIES

    cases = []
    for fam, count in perfs.items():
        for i in range(count):
            path = root / fam / f"{i:03d}"
            if not (path / "clip.json").is_file():
                perf = build(fam, i)
                clip = Clip(fps=perf.fps, cameras=_camera(perf.n_frames), width=SIZE, height=SIZE, audio=perf.audio,
                            params=perf.params, id=f"{fam}_{i:03d}",
                            meta={"family": fam, "language": perf.voice.language, "voice": perf.voice.id(),
                                  "text": perf.text, "identity_seed": TEST_IDENTITIES[i % len(TEST_IDENTITIES)]})
                write_clip(clip, path, overwrite=True)
            cases.append(Case(id=f"{fam}_{i:03d}", identity="audio_only", train=[], target=path, tags={"family": fam}))
    return cases


def _root(kind: str, recipe: dict):
    return cache_root() / kind / hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def audio_prior_cases(scale: str = "smoke", seed: int = 0, families: list[str] | None = None,
                      per_family: int | None = None) -> list[Case]:
    """Build (and cache) the suite's cases; one identity ``prior`` so the method prepares once."""
    spec = SCALES[scale]
    families = list(families or spec["families"])
    per_family = int(per_family or spec["per_family"])
    recipe = {"v": 2, "world": WORLD_VERSION, "families": families, "per_family": per_family, "seed": seed}
    return _cases(_root("audio_prior", recipe), {f: per_family for f in families},
                  lambda fam, i: family_performance(fam, i, seed))


#: The validation split's families: ``family -> (language list, audio effect or None)``. Held-out "val"
#: sentences of the training languages, the VAL_LANGUAGES (unseen, like the test's unseen_language family,
#: but other languages), and the in-distribution val sentences under pink noise at 5 dB SNR (an effect level
#: that no test family uses), so that model selection sees noise robustness too. Each sentence is spoken by
#: ``VAL_VOICES_PER_SENTENCE`` training voices.
VAL_FAMILIES: dict[str, tuple[str, str | None]] = {"val_in_dist": ("TRAIN_LANGUAGES", None),
                                                  "val_language": ("VAL_LANGUAGES", None),
                                                  "val_noise_5db": ("TRAIN_LANGUAGES", "noise_5db")}
VAL_VOICES_PER_SENTENCE = 2


def val_performances(family: str, seed: int = 0) -> list[tuple[str, str, int]]:
    """``(text, language, voice index into TRAIN_VOICES)`` of every case of a validation family."""
    from ggtalker.synth import sentences as bank

    out = []
    for lang in getattr(bank, VAL_FAMILIES[family][0]):
        for j, text in enumerate(bank.sentences(lang, "val")):
            for k in range(VAL_VOICES_PER_SENTENCE):
                out.append((text, lang, (len(out) * 5 + seed + k) % len(bank.TRAIN_VOICES)))
    return out


def audio_prior_val_cases(scale: str = "smoke", seed: int = 0) -> list[Case]:
    """The ``audio_prior_val`` suite: model selection for the audio prior (one size; ``scale`` is ignored)."""
    from ggtalker.synth.audio_fx import ood_performance
    from ggtalker.synth.performance import perform
    from ggtalker.synth.sentences import TRAIN_VOICES, with_language

    plan = {fam: val_performances(fam, seed) for fam in VAL_FAMILIES}

    def build(fam: str, i: int):
        text, lang, v = plan[fam][i]
        perf = perform(text, with_language(TRAIN_VOICES[v], lang), seed=seed * 100_003 + 50_000 + i)
        effect = VAL_FAMILIES[fam][1]
        return perf if effect is None else ood_performance(perf, effect, seed=seed * 1000 + 50_000 + i)

    # v2 added val_noise_5db; the two clean families are built as in v1.
    recipe = {"v": 2, "world": WORLD_VERSION, "plan": plan, "families": VAL_FAMILIES, "seed": seed}
    return _cases(_root("audio_prior_val", recipe), {f: len(p) for f, p in plan.items()}, build)
