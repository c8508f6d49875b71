"""The prior's training corpus: SynthTalk performances (audio + head parameters, no rendering).

Each corpus item is one performance of several *training-split* sentences of one language, spoken by
one voice (``TRAIN_LANGUAGES`` x ``TRAIN_VOICES`` at smoke size, the wider ``PRIOR_LANGUAGES`` x
``PRIOR_VOICES`` at full size) and joined into one text, so the speech runs continuously past
sentence ends (longer than a 100-frame window, with natural pauses). Test sentences, OOD languages and
OOD voices never enter it. At full size each performance is also stored speed-perturbed (0.85x, 1.15x).
Items are cached under ``cache_root()/a2e_corpus/<recipe hash>/``::

    corpus.npz  audio int16 (ΣS,), audio_off (K+1,), params float32 (ΣN, 19), frame_off (K+1,),
                style (K,) int (1-based index into PRIOR_VOICES), language (K,) str, text (K,) str
    feats_<encoder>.npy   float16 (ΣN, Da): the encoder's frame-aligned features, cached per encoder
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock
from tqdm.auto import tqdm

from ggtalker.core.cache import cache_root
from ggtalker.core.params import pack
from ggtalker.synth.recipes import WORLD_VERSION

FPS = 25.0
#: Corpus size per scale: performances per (language, voice), sentences joined per performance, the speed
#: perturbations each performance is also stored at (1.0 = as spoken), and whose speech: ``train`` (the
#: identities' TRAIN_LANGUAGES x TRAIN_VOICES) or ``prior`` (PRIOR_LANGUAGES x PRIOR_VOICES, a superset).
SCALES = {"tiny": {"groups": 1, "join": 4, "speeds": (1.0,), "speakers": "train"},
          "smoke": {"groups": 2, "join": 4, "speeds": (1.0,), "speakers": "train"},
          "full": {"groups": 3, "join": 4, "speeds": (0.85, 1.0, 1.15), "speakers": "prior"}}


def style_names() -> list[str]:
    """Names of the learned style codes 1..K: the prior's voices (variant + pitch + rate, language-free).

    PRIOR_VOICES begins with TRAIN_VOICES, so a ``train``-speakers corpus uses the first codes only.
    """
    from ggtalker.synth.sentences import PRIOR_VOICES

    return [v.id().split("+", 1)[1] for v in PRIOR_VOICES]


def _speakers(spec: dict) -> tuple[str, tuple[str, ...], tuple]:
    """``(kind, languages, voices)`` of a corpus spec: ``TRAIN`` or ``PRIOR`` and its two tuples."""
    from ggtalker.synth import sentences as bank

    kind = "PRIOR" if spec["speakers"] == "prior" else "TRAIN"
    return kind, getattr(bank, f"{kind}_LANGUAGES"), getattr(bank, f"{kind}_VOICES")


def corpus_speakers(scale: str) -> str:
    """Who speaks in the corpus of ``scale``, in words (for zoo cards)."""
    spec = SCALES[scale]
    kind, langs, voices = _speakers(spec)
    who = f"{kind}_LANGUAGES x {kind}_VOICES ({len(langs)} languages, {len(voices)} voices)"
    speeds = [s for s in spec["speeds"] if s != 1.0]
    return who + (f", speed-perturbed x{'/'.join(map(str, speeds))}" if speeds else "")


def corpus_jobs(scale: str, seed: int = 0) -> list[dict]:
    """The list of performances of a corpus: ``{"text", "language", "voice" (index), "seed"[, "speed"]}``."""
    from ggtalker.synth.sentences import sentences
    from ggtalker.synth.splits import SplitError, target_sentence_set

    if scale not in SCALES:
        raise ValueError(f"corpus scale must be one of {sorted(SCALES)}, got {scale!r}")
    spec = SCALES[scale]
    _, languages, voices = _speakers(spec)
    held_out = target_sentence_set()
    rng = np.random.default_rng(seed)
    jobs = []
    for lang in languages:
        pool = sentences(lang, "train")
        for vi in range(len(voices)):
            for g in range(spec["groups"]):
                pick = rng.choice(len(pool), size=min(spec["join"], len(pool)), replace=False)
                picked = [pool[i] for i in pick]
                if set(picked) & held_out:  # the split module's guarantee, checked where it matters
                    raise SplitError(f"A2E corpus would speak test sentences: {sorted(set(picked) & held_out)}")
                job = {"text": " ".join(picked), "language": lang, "voice": vi, "seed": int(rng.integers(1 << 30))}
                jobs += [job if sp == 1.0 else {**job, "speed": sp} for sp in spec["speeds"]]
    return jobs


def speed_perturb(audio: np.ndarray, params: np.ndarray, speed: float) -> tuple[np.ndarray, np.ndarray]:
    """The performance played ``speed`` times faster: audio ``(S,)`` -> ``(≈S/speed,)``, params ``(N, M)`` ->
    ``(≈N/speed, M)``.

    Kaldi's speed perturbation (Ko et al., 2015): resampling moves pitch, formants and tempo together, so a
    few factors turn six training voices into many without touching the held-out voices' variants; the
    motion is resampled on the same clock, so lips stay in sync with the stretched phonemes.
    """
    from fractions import Fraction

    from ggtalker.core.audio import resample

    if speed == 1.0:
        return audio, params
    r = Fraction(speed).limit_denominator(100)
    out = resample(audio, r.numerator, r.denominator)  # length × denominator/numerator = S / speed
    n = max(1, int(round(len(params) / speed)))
    t = np.clip(np.arange(n) * speed, 0, len(params) - 1)
    idx = np.arange(len(params))
    stretched = np.stack([np.interp(t, idx, params[:, j]) for j in range(params.shape[1])], 1)
    return out, stretched.astype(np.float32)


def _perform(job: dict) -> tuple[np.ndarray, np.ndarray]:
    from ggtalker.synth.performance import perform
    from ggtalker.synth.sentences import PRIOR_VOICES, with_language

    perf = perform(job["text"], with_language(PRIOR_VOICES[job["voice"]], job["language"]), seed=job["seed"], fps=FPS)
    return speed_perturb(perf.audio, pack(perf.params), job.get("speed", 1.0))


@dataclass
class Corpus:
    """A loaded corpus. ``params`` ``(ΣN, 19)``, ``frame_off`` ``(K+1,)``; item k is frames ``frame_off[k]:frame_off[k+1]``."""

    root: Path
    audio: np.ndarray
    audio_off: np.ndarray
    params: np.ndarray
    frame_off: np.ndarray
    style: np.ndarray
    language: np.ndarray

    def __len__(self) -> int:
        return len(self.style)

    def item_audio(self, k: int) -> np.ndarray:
        """Item ``k``'s audio ``(S,)`` float32 at 16 kHz."""
        return self.audio[self.audio_off[k] : self.audio_off[k + 1]].astype(np.float32) / 32767.0

    def features(self, encoder, workers: int = 0) -> np.ndarray:
        """Frame-aligned features ``(ΣN, Da)`` float16 for every item, computed once per encoder and cached."""
        path = self.root / f"feats_{encoder.name.replace('/', '_').replace(':', '_')}.npy"
        with FileLock(str(path) + ".lock"):
            if path.is_file():
                return np.load(path, mmap_mode="r")
            out = np.empty((len(self.params), encoder.dim), np.float16)
            for k in tqdm(range(len(self)), desc=f"features ({encoder.name})", unit="utt"):
                n = self.frame_off[k + 1] - self.frame_off[k]
                out[self.frame_off[k] : self.frame_off[k + 1]] = encoder.encode(self.item_audio(k), int(n), FPS).numpy()
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, out)
            tmp.replace(path)
        return np.load(path, mmap_mode="r")


def build_corpus(scale: str = "smoke", seed: int = 0, workers: int = 2) -> Corpus:
    """Generate (or load from the cache) the corpus of ``scale``; parallel workers, a progress bar."""
    jobs = corpus_jobs(scale, seed)
    recipe = {"v": 1, "world": WORLD_VERSION, "jobs": jobs, "fps": FPS}
    key = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    root = cache_root() / "a2e_corpus" / f"{scale}-{key}"
    root.mkdir(parents=True, exist_ok=True)
    path = root / "corpus.npz"
    with FileLock(str(root / "corpus.lock")):
        if not path.is_file():
            results = []
            with ProcessPoolExecutor(max_workers=max(1, workers)) as ex:
                for r in tqdm(ex.map(_perform, jobs, chunksize=4), total=len(jobs), desc=f"corpus ({scale})", unit="perf"):
                    results.append(r)
            audio_off = np.cumsum([0] + [len(a) for a, _ in results])
            frame_off = np.cumsum([0] + [len(p) for _, p in results])
            tmp = root / "corpus.tmp.npz"
            np.savez(tmp, audio=np.concatenate([np.clip(a, -1, 1) * 32767 for a, _ in results]).astype(np.int16),
                     audio_off=audio_off, params=np.concatenate([p for _, p in results]), frame_off=frame_off,
                     style=np.array([j["voice"] + 1 for j in jobs]), language=np.array([j["language"] for j in jobs]),
                     text=np.array([j["text"] for j in jobs]))
            tmp.replace(path)
    with np.load(path) as z:
        return Corpus(root, z["audio"], z["audio_off"], z["params"], z["frame_off"], z["style"], z["language"])


class WindowSampler:
    """Random training windows of a corpus: current frames, their audio with the previous frames', and context.

    Args:
        corpus: the corpus. feats: ``(ΣN, Da)`` its features. mean, std: ``(M,)`` normalisation.
        window, prev: frames per window and context frames. p_no_prev: how often context is withheld
            (the first window of an utterance has none).
    """

    def __init__(self, corpus: Corpus, feats: np.ndarray, mean: np.ndarray, std: np.ndarray, window: int = 100,
                 prev: int = 10, p_no_prev: float = 0.1, p_short: float = 0.0, seed: int = 0) -> None:
        self.c, self.feats, self.window, self.prev, self.p_no_prev = corpus, feats, window, prev, p_no_prev
        self.p_short = p_short
        self.norm = ((corpus.params - mean) / std).astype(np.float32)
        lengths = np.diff(corpus.frame_off)
        self.items = np.nonzero(lengths >= window)[0]
        if len(self.items) == 0:
            raise ValueError(f"{corpus.root}: no item is {window} frames long")
        w = lengths[self.items].astype(np.float64)
        self.weights = w / w.sum()
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> dict[str, torch.Tensor]:
        """``{"x0" (B,W,M), "audio" (B,P+W,Da), "prev" (B,P,M), "prev_mask" (B,), "style" (B,)}``.

        With probability ``p_short`` the whole batch uses a shorter window (W/4 … W frames): clips shorter
        than one window are predicted in a single short window at inference.
        """
        w, p = self.window, self.prev
        if self.p_short and self.rng.random() < self.p_short:
            w = int(self.rng.integers(w // 4, w + 1))
        xs, auds, prevs, masks, styles = [], [], [], [], []
        for k in self.rng.choice(self.items, size=size, p=self.weights):
            f0, f1 = self.c.frame_off[k], self.c.frame_off[k + 1]
            s = f0 + int(self.rng.integers(0, f1 - f0 - w + 1))
            has_prev = s - f0 >= p and self.rng.random() >= self.p_no_prev
            xs.append(self.norm[s : s + w])
            prevs.append(self.norm[s - p : s] if has_prev else np.zeros((p, self.norm.shape[1]), np.float32))
            if s - f0 >= p:
                a = self.feats[s - p : s + w]
            else:  # audio before the item's start: the first frame repeated, as at inference
                a = np.concatenate([np.repeat(self.feats[f0 : f0 + 1], p - (s - f0), 0), self.feats[f0 : s + w]])
            auds.append(np.asarray(a, np.float32))
            masks.append(has_prev)
            styles.append(self.c.style[k])
        return {"x0": torch.from_numpy(np.stack(xs)), "audio": torch.from_numpy(np.stack(auds)),
                "prev": torch.from_numpy(np.stack(prevs)), "prev_mask": torch.tensor(masks),
                "style": torch.tensor(styles, dtype=torch.long)}
