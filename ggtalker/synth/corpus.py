"""SynthTalk training corpora for the priors: many identities × sentences × views, rendered lazily.

Only :data:`TRAIN_IDENTITIES` and ``train``-split sentences of :data:`TRAIN_LANGUAGES` spoken by
:data:`TRAIN_VOICES` enter a corpus (checked per clip by :func:`check_training_recipe`). Each clip is cached
by its recipe hash, so growing a corpus re-renders nothing, and clips render in parallel worker processes.

    python -m ggtalker.synth.corpus --identities 50 --sentences 4 --size 256 --out DIR [--views phone orbit]

writes ``DIR/id<seed>/<hash>/`` clip folders and ``DIR/corpus-<hash>.json`` listing them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from ggtalker.core.cache import cache_root
from ggtalker.synth.recipes import CameraSpec, ClipRecipe, clip_path, materialize
from ggtalker.synth.sentences import TRAIN_LANGUAGES, TRAIN_VOICES, sentences, with_language
from ggtalker.synth.splits import TRAIN_IDENTITIES, check_training_recipe

VIEWS = ("phone", "orbit", "ring")


def default_root() -> Path:
    return cache_root() / "synthtalk" / "corpus"


def plan_corpus(identities: int = 50, sentences_per_identity: int = 4, size: int = 256, fps: float = 25.0,
                views: tuple[str, ...] = ("phone", "orbit"), languages: tuple[str, ...] = TRAIN_LANGUAGES,
                tracker_noise: float = 0.0, seed: int = 0, samples: int = 0) -> list[ClipRecipe]:
    """The corpus's clip recipes (nothing rendered). Deterministic for its arguments.

    Identity *i* (the *i*-th of :data:`TRAIN_IDENTITIES` after ``seed`` × identities) speaks
    ``sentences_per_identity`` train sentences, cycling through ``languages`` and :data:`TRAIN_VOICES`; each
    sentence is rendered once per view: ``phone`` (handheld frontal), ``orbit`` (a camera sweeping ±75° yaw),
    ``ring`` (a fixed camera at a yaw from the ring, different per sentence).
    """
    bad = [v for v in views if v not in VIEWS]
    if bad:
        raise ValueError(f"unknown views {bad}; have {VIEWS}")
    start = seed * identities
    if start + identities > len(TRAIN_IDENTITIES):
        raise ValueError(f"only {len(TRAIN_IDENTITIES)} training identities exist")
    recipes = []
    for i in range(identities):
        ident = TRAIN_IDENTITIES[start + i]
        voice = TRAIN_VOICES[(ident * 7) % len(TRAIN_VOICES)]
        for j in range(sentences_per_identity):
            lang = languages[(i + j) % len(languages)]
            pool = sentences(lang, "train")
            text = pool[(ident * 3 + j) % len(pool)]
            check_training_recipe(ident, [text])
            for v in views:
                if v == "phone":
                    cam = CameraSpec("phone", seed=ident * 100 + j)
                elif v == "orbit":
                    cam = CameraSpec("orbit", seed=ident * 100 + j)
                else:
                    yaw = float([-90, -60, -30, 30, 60, 90][(ident + j) % 6])
                    cam = CameraSpec("static", yaw=yaw, pitch=float([-20, 0, 20][(ident + 2 * j) % 3]))
                recipes.append(ClipRecipe(identity=ident, texts=(text,), voice=asdict(with_language(voice, lang)),
                                          perf_seed=ident * 100 + j, camera=cam, size=size, fps=fps,
                                          tracker_noise=tracker_noise, role="train", samples=samples))
    return recipes


def _render_one(recipe: ClipRecipe, root: str) -> str:
    import torch

    torch.set_num_threads(1)  # workers run side by side; one BLAS thread each
    return str(materialize(recipe, Path(root)))


def iter_corpus(recipes: list[ClipRecipe], root: Path | None = None, workers: int = 2,
                progress: bool = True) -> Iterator[Path]:
    """Yield clip folders, rendering missing ones in ``workers`` spawned processes (cached ones come first)."""
    root = Path(root or default_root())
    todo = []
    for r in recipes:
        p = clip_path(r, root)
        if (p / "clip.json").is_file():
            yield p
        else:
            todo.append(r)
    if not todo:
        return
    bar = tqdm(total=len(todo), desc="synthtalk corpus", unit="clip", disable=not progress)
    if workers <= 1:
        for r in todo:
            yield materialize(r, root)
            bar.update()
    else:
        # spawn, not fork: each worker needs its own EGL context, and forking a process that holds one is unsafe
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as ex:
            futs = [ex.submit(_render_one, r, str(root)) for r in todo]
            for f in as_completed(futs):
                bar.update()
                yield Path(f.result())
    bar.close()


def build_corpus(identities: int = 50, sentences_per_identity: int = 4, size: int = 256, out: Path | None = None,
                 workers: int = 2, **kw) -> list[Path]:
    """Render (or reuse) a corpus and return its clip folders in recipe order; writes ``corpus-<hash>.json``."""
    recipes = plan_corpus(identities, sentences_per_identity, size, **kw)
    root = Path(out or default_root())
    list(iter_corpus(recipes, root, workers=workers))
    paths = [clip_path(r, root) for r in recipes]
    key = hashlib.sha1("".join(r.key() for r in recipes).encode()).hexdigest()[:12]
    root.mkdir(parents=True, exist_ok=True)
    (root / f"corpus-{key}.json").write_text(json.dumps(
        {"args": {"identities": identities, "sentences": sentences_per_identity, "size": size, **kw},
         "clips": [str(p.relative_to(root)) for p in paths]}, indent=1, default=list))
    return paths


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--identities", type=int, default=50)
    ap.add_argument("--sentences", type=int, default=4, help="sentences per identity")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--views", nargs="+", default=["phone", "orbit"], choices=VIEWS)
    ap.add_argument("--tracker-noise", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0, help="which block of training identities")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    paths = build_corpus(a.identities, a.sentences, a.size, out=a.out, workers=a.workers, fps=a.fps,
                         views=tuple(a.views), tracker_noise=a.tracker_noise, seed=a.seed)
    print(f"{len(paths)} clips under {a.out or default_root()}")


if __name__ == "__main__":
    main()
