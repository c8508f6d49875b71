"""A SynthTalk performance: real espeak-ng speech and the facial motion that goes with it.

``perform(text, voice, seed)`` speaks ``text``, turns the phoneme timings into coarticulated lip, jaw
and tongue curves (:mod:`ggtalker.synth.visemes`), and adds seed-driven blinks, head motion and brows
(:mod:`ggtalker.synth.behaviour`). The lips depend only on ``(text, voice)``; the seed changes what
audio does not determine.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from ggtalker.core.audio import SAMPLE_RATE, resample
from ggtalker.synth import behaviour
from ggtalker.synth.espeak import synthesize
from ggtalker.core.params import EXPR_NAMES
from ggtalker.synth.visemes import expr_matrix, mouth_openness, speech_curves


@dataclass(frozen=True)
class VoiceSpec:
    """An espeak-ng voice: language, variant (``m1..m8``, ``f1..f5``, ``klatt``, ``whisper``, ...),
    pitch (0..99), rate (words/min) and intonation range (0 = monotone .. 99)."""

    language: str = "en"
    variant: str = "m3"
    pitch: int = 50
    rate: int = 160
    pitch_range: int = 50

    def espeak_name(self) -> str:
        """The name ``espeak_SetVoiceByName`` takes, e.g. ``"en+m3"``."""
        return f"{self.language}+{self.variant}" if self.variant else self.language

    def id(self) -> str:
        """A stable string naming this voice, e.g. ``"en+m3_p50_r160_g50"``."""
        return f"{self.espeak_name()}_p{self.pitch}_r{self.rate}_g{self.pitch_range}"


@dataclass
class Performance:
    """Speech audio and the frame-aligned head parameters of one utterance.

    ``audio`` ``(S,)`` float32 16 kHz with ``S == round(N / fps * 16000)``; ``params`` per
    :mod:`ggtalker.core.params` (``expr (N,10)``, ``jaw (N,1)``, ``blink (N,2)``, ``pose (N,6)``);
    ``phonemes`` ``[(start_s, end_s, mnemonic)]`` covering ``[0, N/fps]``; ``openness`` ``(N,)`` the
    phoneme-derived mouth aperture; ``audio_offset_frames`` how far :func:`shift_audio` delayed the
    audio against the params (0 = in sync).
    """

    audio: np.ndarray
    fps: float
    params: dict[str, np.ndarray]
    phonemes: list[tuple[float, float, str]]
    openness: np.ndarray
    text: str
    voice: VoiceSpec
    seed: int = 0
    audio_offset_frames: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.openness)


def _stable_hash(*parts: str) -> int:
    # Python's hash() is salted per process; the seed stream must not be.
    return zlib.crc32("\x1f".join(parts).encode("utf-8"))


def perform(text: str, voice: VoiceSpec | None = None, seed: int = 0, fps: float = 25.0,
            ssml: bool = False) -> Performance:
    """Speak ``text`` with ``voice`` and animate it at ``fps``.

    Deterministic for ``(text, voice, seed, fps)``; ``N = round(duration * fps)``. With ``ssml`` the
    text may carry SSML prosody markup (used by the "sung" family).
    """
    voice = voice or VoiceSpec()
    utt = synthesize(text, voice.espeak_name(), rate=voice.rate, pitch=voice.pitch,
                     pitch_range=voice.pitch_range, ssml=ssml)
    audio = resample(utt.wav, utt.sample_rate, SAMPLE_RATE)
    n = max(1, int(round(len(audio) / SAMPLE_RATE * fps)))
    n_samples = int(round(n / fps * SAMPLE_RATE))
    audio = np.pad(audio, (0, max(0, n_samples - len(audio))))[:n_samples].astype(np.float32)
    duration = n / fps

    starts = [min(t, duration) for t, _ in utt.phonemes]
    phonemes = [(s, (starts[i + 1] if i + 1 < len(starts) else duration), name)
                for i, (s, (_, name)) in enumerate(zip(starts, utt.phonemes))]

    loud = behaviour.loudness_envelope(audio, n, fps)
    curves = speech_curves(phonemes, n, fps, loudness=loud, language=voice.language)
    expr = expr_matrix(curves, n)

    root = np.random.SeedSequence([seed, _stable_hash(text, voice.id())])
    rng_blink, rng_pose, rng_brow, rng_smile = (np.random.default_rng(s) for s in root.spawn(4))
    brow_raise, brow_frown = behaviour.brows(loud, fps, rng_brow)
    expr[:, EXPR_NAMES.index("brow_raise")] = brow_raise
    expr[:, EXPR_NAMES.index("brow_frown")] = brow_frown
    # A faint, slowly varying smile: affect that the audio does not determine.
    expr[:, EXPR_NAMES.index("smile")] = np.clip(
        rng_smile.uniform(0.0, 0.15) + 0.04 * behaviour._smooth_noise(n, fps, rng_smile, 2.0), 0, 1)

    params = {
        "expr": expr,
        "jaw": curves["jaw"][:, None].astype(np.float32),
        "blink": behaviour.blinks(n, fps, rng_blink),
        "pose": behaviour.head_pose(loud, fps, rng_pose),
    }
    return Performance(audio=audio, fps=fps, params=params, phonemes=phonemes,
                       openness=mouth_openness(curves), text=text, voice=voice, seed=seed)


def shift_audio(perf: Performance, frames: int) -> Performance:
    """Delay the audio by ``frames`` video frames (negative: advance) against unchanged params.

    Length is kept: the track is shifted with silence filling the gap (no wrap-around, which would
    let a sync metric match the wrapped part). Phoneme times move with the audio they annotate;
    ``params`` and ``openness`` stay put, so ``audio_offset_frames`` records the desync.
    """
    k = int(round(frames * SAMPLE_RATE / perf.fps))
    audio = np.zeros_like(perf.audio)
    if k >= 0:
        audio[k:] = perf.audio[: len(audio) - k]
    else:
        audio[: len(audio) + k] = perf.audio[-k:]
    dt = frames / perf.fps
    duration = perf.n_frames / perf.fps
    phonemes = [(min(max(s + dt, 0.0), duration), min(max(e + dt, 0.0), duration), p) for s, e, p in perf.phonemes]
    return replace(perf, audio=audio, phonemes=phonemes, audio_offset_frames=perf.audio_offset_frames + frames)
