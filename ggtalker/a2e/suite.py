"""Source of the ``audio_prior`` suite: audio-only cases scored on head parameters, grouped by family.

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

from ggtalker.bench.suite import Case
from ggtalker.bench.toy import cache_root
from ggtalker.core.clip import Cameras, Clip, write_clip
from ggtalker.synth.recipes import WORLD_VERSION

#: Families per scale and cases per family.
SCALES = {
    "smoke": {"per_family": 3, "families": ["in_dist", "unseen_voice", "unseen_language", "noise_10db", "reverb", "telephone"]},
    "full": {"per_family": 10, "families": ["in_dist", "unseen_voice", "unseen_language", "noise_20db", "noise_10db",
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


def audio_prior_cases(scale: str = "smoke", seed: int = 0, families: list[str] | None = None,
                      per_family: int | None = None) -> list[Case]:
    """Build (and cache) the suite's cases; one identity ``prior`` so the method prepares once."""
    spec = SCALES[scale]
    families = list(families or spec["families"])
    per_family = int(per_family or spec["per_family"])
    from ggtalker.synth.splits import TEST_IDENTITIES

    recipe = {"v": 2, "world": WORLD_VERSION, "families": families, "per_family": per_family, "seed": seed}
    root = cache_root() / "audio_prior" / hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    cases = []
    for fam in families:
        for i in range(per_family):
            path = root / fam / f"{i:03d}"
            if not (path / "clip.json").is_file():
                perf = family_performance(fam, i, seed)
                clip = Clip(fps=perf.fps, cameras=_camera(perf.n_frames), width=SIZE, height=SIZE, audio=perf.audio,
                            params=perf.params, id=f"{fam}_{i:03d}",
                            meta={"family": fam, "language": perf.voice.language, "voice": perf.voice.id(),
                                  "text": perf.text, "identity_seed": TEST_IDENTITIES[i % len(TEST_IDENTITIES)]})
                write_clip(clip, path, overwrite=True)
            cases.append(Case(id=f"{fam}_{i:03d}", identity="prior", train=[], target=path, tags={"family": fam}))
    return cases
