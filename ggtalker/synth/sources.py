"""SynthTalk suite sources: ``fn(scale, seed, **params) -> list[Case]`` (see :mod:`ggtalker.bench.suite`).

Every case of identity *i* shares one adaptation clip: *i* reading ``train``-split sentences to a handheld
phone, with tracked (noisy) parameters. Targets speak held-out ``test``-split sentences and carry exact
parameters. Clips are cached under ``cache_root()/synthtalk/`` by a hash of their recipe, so a suite renders
once per machine. Cases grant ``pose`` and ``blink`` as controls: audio does not determine them.

Sizes per scale (overridable by suite params): see :data:`SCALES`.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from ggtalker.core.cache import cache_root
from ggtalker.core.case import Case
from ggtalker.synth.recipes import CameraSpec, ClipRecipe, clip_path, materialize
from ggtalker.synth.sentences import sentences
from ggtalker.synth.splits import TEST_IDENTITIES, identity_voice

#: Per-scale defaults: identities, image side, fps, adaptation-clip and target lengths (s), targets per identity.
SCALES = {
    "smoke": {"n_identities": 2, "size": 128, "fps": 25.0, "train_seconds": 4.0, "test_seconds": 2.0, "n_test": 2,
              "samples": 0, "train_tracker_noise": None, "train_tracker_bias": None},
    "full": {"n_identities": 5, "size": 512, "fps": 25.0, "train_seconds": 20.0, "test_seconds": 5.0, "n_test": 3,
             "samples": 0, "train_tracker_noise": None, "train_tracker_bias": None},
}
#: The tracker noise of adaptation clips (see :data:`ggtalker.synth.world.TRACKER_SIGMA`), the same for every method.
#: The source param ``train_tracker_noise`` overrides it (0: exact parameters), for diagnosing what the
#: noise costs a method (docs/ggtalker-fidelity.md); benchmark suites keep the default. The error has no mean
#: over the clip, which no monocular fit could observe (same doc); ``train_tracker_bias=true``
#: puts it back, as the first world-5 adaptation clips had it.
TRAIN_TRACKER_NOISE = 1.0
CONTROLS = ("pose", "blink")


def root() -> Path:
    return cache_root() / "synthtalk"


def _cfg(scale: str, overrides: dict) -> dict:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    cfg = dict(SCALES[scale])
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise ValueError(f"unknown SynthTalk source params {sorted(unknown)}; known: {sorted(cfg)}")
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    return cfg


def _identities(cfg: dict, seed: int) -> list[int]:
    n = int(cfg["n_identities"])
    start = (seed * n) % len(TEST_IDENTITIES)
    return [TEST_IDENTITIES[(start + k) % len(TEST_IDENTITIES)] for k in range(n)]


def train_recipe(identity: int, cfg: dict, language: str = "en") -> ClipRecipe:
    """The identity's adaptation clip: ``train`` sentences, its own voice, a phone camera, tracked params."""
    pool = sentences(language, "train")
    k0 = (identity * 5) % len(pool)
    # Enough sentences to fill the clip (~2.5 s each); the clip is cut to train_seconds.
    n_sent = max(1, int(cfg["train_seconds"] / 2.0) + 1)
    texts = tuple(pool[(k0 + j) % len(pool)] for j in range(n_sent))
    return ClipRecipe(identity=identity, texts=texts, voice=asdict(identity_voice(identity)), perf_seed=identity,
                      seconds=cfg["train_seconds"], camera=CameraSpec("phone", seed=identity), size=cfg["size"],
                      fps=cfg["fps"], tracker_noise=TRAIN_TRACKER_NOISE if cfg.get("train_tracker_noise") is None else float(cfg["train_tracker_noise"]),
                      tracker_bias=bool(cfg.get("train_tracker_bias") or False),
                      role="train", samples=cfg["samples"])


def target_recipe(identity: int, k: int, cfg: dict, language: str = "en", camera: CameraSpec | None = None,
                  voice_of: int | None = None) -> ClipRecipe:
    """Target ``k`` of an identity: a held-out ``test`` sentence, exact params.

    ``voice_of``: speak with another identity's voice and behaviour seed (cross-identity driving).
    """
    pool = sentences(language, "test")
    speaker = identity if voice_of is None else voice_of
    text = pool[(speaker + k) % len(pool)]
    return ClipRecipe(identity=identity, texts=(text,), voice=asdict(identity_voice(speaker)),
                      perf_seed=10_000 + 97 * speaker + k, seconds=cfg["test_seconds"],
                      camera=camera or CameraSpec("phone", seed=50_000 + 31 * identity + k), size=cfg["size"],
                      fps=cfg["fps"], tracker_noise=0.0, role="target", samples=cfg["samples"])


def _materialize_all(recipes: list[ClipRecipe], desc: str) -> list[Path]:
    """Render (or find cached) clips; ``$GGTALKER_WORKERS`` > 1 renders in that many spawned processes.

    Spawned, not forked: an EGL context and the espeak-ng library must not be inherited. Each clip is
    rendered under its own file lock, so workers and concurrent runs never write one clip twice.
    """
    workers = int(os.environ.get("GGTALKER_WORKERS", "1"))
    todo = [r for r in recipes if not (clip_path(r, root()) / "clip.json").is_file()]
    if workers > 1 and len(todo) > 1:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=ctx) as pool:
            list(tqdm(pool.map(materialize, todo, [root()] * len(todo)), total=len(todo), desc=desc, unit="clip"))
    return [materialize(r, root()) for r in tqdm(recipes, desc=desc, unit="clip", disable=len(todo) < 4 or workers > 1)]


def _materialize_groups(groups: list[list[ClipRecipe]], desc: str) -> list[list[Path]]:
    """:func:`_materialize_all` over every identity's recipes at once (one worker pool for the whole suite,
    not one per identity: a suite's longest clip, the adaptation clip, no longer serialises the others),
    split back into the groups."""
    flat = _materialize_all([r for g in groups for r in g], desc)
    out, i = [], 0
    for g in groups:
        out.append(flat[i:i + len(g)])
        i += len(g)
    return out


def self_reenact(scale: str = "smoke", seed: int = 0, **params) -> list[Case]:
    """Held-out sentences in the identity's own voice, seen by the same kind of phone camera as training."""
    cfg = _cfg(scale, params)
    cases = []
    idents = _identities(cfg, seed)
    groups = [[train_recipe(i, cfg)] + [target_recipe(i, k, cfg) for k in range(cfg["n_test"])] for i in idents]
    for ident, (train, *targets) in zip(idents, _materialize_groups(groups, "self_reenact")):
        for k, t in enumerate(targets):
            cases.append(Case(id=f"id{ident}_s{k}", identity=f"synth{ident}", train=[train], target=t,
                              tags={"sentence": str(k)}, controls=CONTROLS))
    return cases


#: OOD families a smoke run covers (all of OOD_FAMILIES at full scale unless the suite lists them).
SMOKE_FAMILIES = ("noise_10db", "reverb", "unseen_voice", "unseen_language")


def ood_audio(scale: str = "smoke", seed: int = 0, families: list[str] | None = None, **params) -> list[Case]:
    """In-distribution speech plus each OOD audio family (tag ``family``; ``in_dist`` is the reference).

    Effect families (noise, reverb, ...) keep the motion; voice families re-perform the text, and the ground
    truth is this identity's head performing the new speech.
    """
    from ggtalker.synth.audio_fx import OOD_FAMILIES

    cfg = _cfg(scale, params)
    fams = list(families) if families else (list(SMOKE_FAMILIES) if scale == "smoke" else list(OOD_FAMILIES))
    unknown = [f for f in fams if f not in OOD_FAMILIES]
    if unknown:
        raise ValueError(f"unknown OOD families {unknown}; have {sorted(OOD_FAMILIES)}")
    cases = []
    idents = _identities(cfg, seed)
    groups = []
    for ident in idents:
        base = target_recipe(ident, 0, cfg)
        groups.append([train_recipe(ident, cfg), base] + [base.with_(family=f) for f in fams])
    for ident, (train, *targets) in zip(idents, _materialize_groups(groups, "ood_audio")):
        for fam, t in zip(["in_dist", *fams], targets):
            cases.append(Case(id=f"id{ident}_{fam}", identity=f"synth{ident}", train=[train], target=t,
                              tags={"family": fam}, controls=CONTROLS))
    return cases


#: Views of the novel-view suite per scale: (yaw, pitch) degrees.
NOVEL_VIEWS = {
    "smoke": ((0.0, 0.0), (45.0, 0.0), (-90.0, 0.0)),
    "full": tuple((float(y), 0.0) for y in range(-90, 91, 15)) + ((0.0, 30.0), (0.0, -30.0)),
}


def novel_view(scale: str = "smoke", seed: int = 0, views: list[list[float]] | None = None, **params) -> list[Case]:
    """One held-out performance seen from each view of a fixed ring (tags ``yaw``, ``pitch``)."""
    cfg = _cfg(scale, params)
    vs = [tuple(map(float, v)) for v in views] if views else list(NOVEL_VIEWS[scale])
    cases = []
    idents = _identities(cfg, seed)
    groups = [[train_recipe(i, cfg)] + [target_recipe(i, 0, cfg, camera=CameraSpec("static", yaw=y, pitch=p))
                                        for y, p in vs] for i in idents]
    for ident, (train, *targets) in zip(idents, _materialize_groups(groups, "novel_view")):
        for (y, p), t in zip(vs, targets):
            cases.append(Case(id=f"id{ident}_yaw{y:+.0f}_pitch{p:+.0f}", identity=f"synth{ident}", train=[train],
                              target=t, tags={"yaw": f"{y:+.0f}", "pitch": f"{p:+.0f}"}, controls=CONTROLS))
    return cases


def cross_identity(scale: str = "smoke", seed: int = 0, **params) -> list[Case]:
    """Driven by another identity's voice and sentence; ground truth is this head performing that audio."""
    cfg = _cfg(scale, params)
    idents = _identities(cfg, seed)
    if len(idents) < 2:
        raise ValueError("cross_identity needs at least 2 identities")
    cases = []
    drivers = [idents[(i + 1) % len(idents)] for i in range(len(idents))]
    groups = [[train_recipe(ident, cfg)] + [target_recipe(ident, k, cfg, voice_of=d) for k in range(cfg["n_test"])]
              for ident, d in zip(idents, drivers)]
    for ident, driver, (train, *targets) in zip(idents, drivers, _materialize_groups(groups, "cross_identity")):
        for k, t in enumerate(targets):
            cases.append(Case(id=f"id{ident}_by{driver}_{k}", identity=f"synth{ident}", train=[train], target=t,
                              tags={"driver": f"synth{driver}"}, controls=CONTROLS))
    return cases


def smoke_cases(scale: str = "smoke", seed: int = 0, **params) -> list[Case]:
    """The regression suite's source: 2 identities, 96×96, a 2 s adaptation clip and one 1 s target each."""
    defaults = {"n_identities": 2, "size": 96, "train_seconds": 2.0, "test_seconds": 1.0, "n_test": 1}
    return self_reenact(scale=scale, seed=seed, **({**defaults, **params} if scale == "smoke" else params))
