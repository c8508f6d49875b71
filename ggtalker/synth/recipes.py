"""Clip recipes: a JSON-able description of one SynthTalk clip, and its cached materialisation.

A recipe names everything that determines the clip (identity, text, voice, seeds, OOD family, audio
shift, camera path, size, tracker noise). Its hash is the cache key, so a clip is rendered once per
machine and suites, corpora and tests that ask for the same recipe share it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ggtalker.core.clip import Cameras, write_clip
from ggtalker.synth import cameras as cams

#: Bump when rendering, the head or the performances change, so cached clips from an older world are not
#: reused. 3: behaviour noise normalised as a stationary process (short clips had inflated smile/pose offsets).
#: 4: baked ambient occlusion and soft key-light shadows (synth/occlusion.py), hairline at the facial thirds,
#: long hair falling behind the temples, a finer neck (the skin mesh, its rig and the performances are unchanged).
#: 5: vowel jaw targets calibrated per language to espeak-ng's first formant (synth/vowel_acoustics.py), and
#: espeak-ng's Q labelled as the velar fricative it is, not as a rounded vowel (the renderer is unchanged).
WORLD_VERSION = 5


@dataclass(frozen=True)
class CameraSpec:
    """``kind``: ``phone`` (handheld, mostly frontal), ``static`` (fixed at ``yaw``/``pitch``) or ``orbit``."""

    kind: str = "phone"
    seed: int = 0
    yaw: float = 0.0
    pitch: float = 0.0

    def build(self, n: int, size: int, fps: float) -> Cameras:
        if self.kind == "phone":
            return cams.phone_cameras(n, size, self.seed, fps=fps, yaw_deg=self.yaw)
        if self.kind == "static":
            return cams.static_cameras(n, size, self.yaw, self.pitch)
        if self.kind == "orbit":
            return cams.orbit_cameras(n, size, self.seed, fps=fps)
        raise ValueError(f"unknown camera kind {self.kind!r} (phone, static, orbit)")


@dataclass(frozen=True)
class ClipRecipe:
    """Everything that determines one SynthTalk clip.

    Attributes:
        identity: identity seed (whose head).
        texts: sentences spoken back to back.
        voice: :class:`VoiceSpec` fields.
        perf_seed: behaviour seed (blinks, head motion) of the performance.
        seconds: cut the performance to this length (None: as spoken).
        family: an OOD audio family (:data:`ggtalker.synth.audio_fx.OOD_FAMILIES`) or None.
        shift_frames: audio delay against the motion (:func:`shift_audio`), 0 = in sync.
        camera: the camera path.
        size, fps: image side and frame rate.
        tracker_noise: scale of tracker error in the clip's params (0: exact ground truth).
        tracker_bias: True: that error keeps its mean over the clip, as the first world-5 clips had it (see
            :func:`ggtalker.synth.world.tracked_params`); the default False removes the mean, which no
            monocular fit can observe (docs/ggtalker-fidelity.md, "The world's fix").
        role: ``train`` (a method may fit it) or ``target`` (ground truth of a case).
    """

    identity: int
    texts: tuple[str, ...]
    voice: dict = field(default_factory=dict)
    perf_seed: int = 0
    seconds: float | None = None
    family: str | None = None
    shift_frames: int = 0
    camera: CameraSpec = CameraSpec()
    size: int = 128
    fps: float = 25.0
    tracker_noise: float = 0.0
    role: str = "target"
    samples: int = 0  # 0: 2x2 supersampling (see Renderer)
    tracker_bias: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["texts"] = list(self.texts)
        # Added after world 5 was rendered, whose tracked clips kept the error's mean: a dict without the
        # field is such a clip (its key and cached clip stay valid), and an unbiased tracked clip names it,
        # so it gets a key of its own. Exact clips (targets) have no error and no field.
        if not (self.tracker_noise > 0 and not self.tracker_bias):
            del d["tracker_bias"]
        d["world"] = WORLD_VERSION
        return d

    def key(self) -> str:
        """A short hash naming this recipe's cache folder."""
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def tracker_seed(self) -> int:
        """Seed of the clip's simulated tracker error (:func:`ggtalker.synth.world.tracked_params`)."""
        return self.perf_seed + 7919 * self.identity

    def with_(self, **kw) -> "ClipRecipe":
        return replace(self, **kw)

    @classmethod
    def from_dict(cls, d: dict) -> "ClipRecipe":
        """The recipe :meth:`to_dict` wrote (a clip's ``meta["recipe"]``)."""
        d = {k: v for k, v in d.items() if k != "world"}
        d.setdefault("tracker_bias", float(d.get("tracker_noise", 0.0)) > 0)  # see to_dict
        return cls(**{**d, "texts": tuple(d["texts"]), "camera": CameraSpec(**d.get("camera", {}))})


def exact_params(meta: dict) -> dict[str, np.ndarray] | None:
    """The true ``{key: (N, D)}`` parameters of a SynthTalk clip whose ``meta`` holds its recipe (a training
    clip's ``params`` are the tracked ones), or None for clips of another world. For diagnostics: no method
    sees them."""
    if meta.get("recipe", {}).get("world") != WORLD_VERSION:
        return None
    perf = build_performance(ClipRecipe.from_dict(meta["recipe"]))
    return {k: np.asarray(v, np.float32) for k, v in perf.params.items()}


def build_performance(recipe: ClipRecipe):
    """The recipe's :class:`Performance` (speech + params), after OOD family, trimming and audio shift."""
    from ggtalker.synth.performance import VoiceSpec, perform, shift_audio

    voice = VoiceSpec(**recipe.voice) if recipe.voice else VoiceSpec()
    perf = perform(" ".join(recipe.texts), voice, seed=recipe.perf_seed, fps=recipe.fps)
    if recipe.family:
        from ggtalker.synth.audio_fx import ood_performance

        perf = ood_performance(perf, recipe.family, seed=recipe.perf_seed)
    if recipe.seconds is not None:
        perf = trim_performance(perf, int(round(recipe.seconds * recipe.fps)))
    if recipe.shift_frames:
        perf = shift_audio(perf, recipe.shift_frames)
    return perf


def trim_performance(perf, n_frames: int):
    """The first ``n_frames`` frames of a performance (audio, params, openness, phonemes), padding the
    end with the last pose and silence when the utterance is shorter."""
    from ggtalker.core.audio import SAMPLE_RATE

    n0 = perf.n_frames
    idx = np.minimum(np.arange(n_frames), n0 - 1)
    params = {k: np.asarray(v)[idx].copy() for k, v in perf.params.items()}
    if n_frames > n0:  # a silent tail: mouth closed, eyes open, head still
        for k in ("expr", "jaw"):
            params[k][n0:] = 0.0
        params["blink"][n0:] = 0.0
    openness = np.asarray(perf.openness)[idx].copy()
    if n_frames > n0:
        openness[n0:] = 0.0
    n_samples = int(round(n_frames / perf.fps * SAMPLE_RATE))
    audio = np.pad(perf.audio, (0, max(0, n_samples - len(perf.audio))))[:n_samples].astype(np.float32)
    end = n_frames / perf.fps
    phonemes = [(s, min(e, end), p) for s, e, p in perf.phonemes if s < end]
    return replace(perf, audio=audio, params=params, openness=openness, phonemes=phonemes)


def clip_path(recipe: ClipRecipe, root: Path) -> Path:
    return Path(root) / f"id{recipe.identity}" / recipe.key()


def materialize(recipe: ClipRecipe, root: Path, progress: bool = False) -> Path:
    """Render and cache ``recipe`` under ``root`` (once; concurrent callers wait on a file lock)."""
    from filelock import FileLock

    from ggtalker.synth.world import render_clip

    path = clip_path(recipe, root)
    if (path / "clip.json").is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if (path / "clip.json").is_file():
            return path
        perf = build_performance(recipe)
        camera = recipe.camera.build(perf.n_frames, recipe.size, recipe.fps)
        clip = render_clip(recipe.identity, perf, camera, recipe.size, tracker_noise=recipe.tracker_noise,
                           tracker_bias=recipe.tracker_bias,
                           seed=recipe.tracker_seed, clip_id=f"id{recipe.identity}_{recipe.key()}",
                           progress=progress, samples=recipe.samples)
        clip.meta.update({"recipe": recipe.to_dict(), "role": recipe.role, "family": recipe.family or "none"})
        if recipe.role == "target":  # phoneme-derived aperture: ground truth for lip-sync checks, not for methods
            clip.meta["openness"] = np.asarray(perf.openness, np.float32).round(4).tolist()
        write_clip(clip, path, overwrite=True)
    return path
