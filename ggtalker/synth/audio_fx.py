"""Out-of-distribution audio families for robustness suites.

Two kinds of family:

* ``effect``: post-processes the waveform, keeps its length and the performance's params (noise at
  an SNR, babble, reverberation, telephone band, pitch/formant shift, noise-excited "whisper").
  :func:`apply_family` runs these.
* ``voice``: regenerates the performance from text with another :class:`VoiceSpec` (unseen voice,
  unseen language, espeak-ng's whisper variant, sung, fast, slow), so lips and audio stay in sync.
  :func:`ood_performance` runs every family, of either kind, on a :class:`Performance`.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from dataclasses import replace
from functools import lru_cache

import numpy as np
from scipy.signal import butter, fftconvolve, sosfilt

from ggtalker.core.audio import SAMPLE_RATE, resample
from ggtalker.synth.performance import Performance, VoiceSpec, perform
from ggtalker.synth.sentences import OOD_LANGUAGES, OOD_VOICES, TRAIN_LANGUAGES, sentences, with_language

OOD_FAMILIES: dict[str, dict] = {
    **{f"noise_{db}db": {"kind": "effect", "fn": "noise", "snr_db": db, "color": "pink",
                         "description": f"pink noise at {db} dB SNR (active-speech level)"} for db in (20, 10, 5, 0)},
    "white_10db": {"kind": "effect", "fn": "noise", "snr_db": 10, "color": "white",
                   "description": "white noise at 10 dB SNR"},
    "babble_10db": {"kind": "effect", "fn": "babble", "snr_db": 10, "talkers": 4,
                    "description": "4 other espeak-ng talkers (other languages and voices) at 10 dB SNR"},
    "babble_0db": {"kind": "effect", "fn": "babble", "snr_db": 0, "talkers": 4,
                   "description": "4 other espeak-ng talkers at 0 dB SNR"},
    "reverb": {"kind": "effect", "fn": "reverb", "rt60": 0.6,
               "description": "room reverberation, RT60 0.6 s (synthetic exponential-decay impulse response)",
               "approximation": "statistical RIR (exponentially decaying noise), not a measured room"},
    "reverb_hall": {"kind": "effect", "fn": "reverb", "rt60": 1.5,
                    "description": "hall reverberation, RT60 1.5 s (synthetic)",
                    "approximation": "statistical RIR (exponentially decaying noise), not a measured room"},
    "telephone": {"kind": "effect", "fn": "telephone",
                  "description": "300–3400 Hz band, 8 kHz round trip, G.711 mu-law 8-bit"},
    "pitch_up": {"kind": "effect", "fn": "sox_pitch", "cents": 500,
                 "description": "pitch and formants up 5 semitones, tempo kept (sox pitch)",
                 "approximation": "shifts formants with pitch (a smaller vocal tract), as sox's WSOLA shift does"},
    "pitch_down": {"kind": "effect", "fn": "sox_pitch", "cents": -500,
                   "description": "pitch and formants down 5 semitones, tempo kept (sox pitch)",
                   "approximation": "shifts formants with pitch (a larger vocal tract)"},
    "whisper_fx": {"kind": "effect", "fn": "whisper",
                   "description": "the same speech re-excited with noise through its own LPC envelope",
                   "approximation": "LPC noise excitation of the original timing, not a whispering talker"},
    "unseen_voice": {"kind": "voice", "description": "an OOD_VOICES voice (unseen variant, pitch, rate)"},
    "unseen_language": {"kind": "voice", "description": "an OOD_LANGUAGES test sentence, same voice variant"},
    "whisper": {"kind": "voice", "variant": "whisper", "description": "espeak-ng's whisper variant"},
    "sung": {"kind": "voice", "description": "a melody: one note per word (SSML pitch), slow, flat intonation",
             "approximation": "pitch-contoured speech from a formant synthesiser, not singing"},
    "fast": {"kind": "voice", "rate": 280, "description": "speech rate 280 words/min"},
    "slow": {"kind": "voice", "rate": 95, "description": "speech rate 95 words/min"},
}
EFFECT_FAMILIES = tuple(k for k, v in OOD_FAMILIES.items() if v["kind"] == "effect")
VOICE_FAMILIES = tuple(k for k, v in OOD_FAMILIES.items() if v["kind"] == "voice")


def _family(name: str) -> dict:
    if name not in OOD_FAMILIES:
        raise KeyError(f"unknown OOD family {name!r}; have {sorted(OOD_FAMILIES)}")
    return OOD_FAMILIES[name]


def active_power(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Mean power over the active 20 ms frames (those within 40 dB of the loudest), so SNRs do not
    depend on how much silence a clip holds (a simplified ITU-T P.56 active speech level)."""
    hop = int(0.02 * sr)
    n = len(audio) // hop
    if n == 0:
        return float(np.mean(audio.astype(np.float64) ** 2) + 1e-12)
    p = (audio[: n * hop].astype(np.float64) ** 2).reshape(n, hop).mean(1)
    return float(p[p >= p.max() * 1e-4].mean() + 1e-12)


def _mix(audio: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    gain = np.sqrt(active_power(audio) / (np.mean(noise.astype(np.float64) ** 2) + 1e-12) / 10 ** (snr_db / 10))
    return audio + gain * noise


def _colored_noise(n: int, color: str, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(n)
    if color == "white":
        return white
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spec /= np.sqrt(np.maximum(f, 20.0))  # 1/f power: pink; floor at 20 Hz keeps DC finite
    return np.fft.irfft(spec, n)


@lru_cache(maxsize=1)
def _babble_bank() -> tuple[np.ndarray, ...]:
    """Speech of other talkers for babble: test sentences of several languages, other voices."""
    talkers = []
    for i, lang in enumerate(TRAIN_LANGUAGES[:4] + OOD_LANGUAGES[:2]):
        voice = with_language(OOD_VOICES[i % len(OOD_VOICES)], lang)
        talkers.append(np.concatenate([perform(s, voice).audio for s in sentences(lang, "test")[:2]]))
    return tuple(talkers)


def _babble(audio: np.ndarray, talkers: int, rng: np.random.Generator) -> np.ndarray:
    bank = _babble_bank()
    out = np.zeros(len(audio))
    for j in rng.choice(len(bank), size=min(talkers, len(bank)), replace=False):
        src = bank[j]
        reps = int(np.ceil((len(audio) + len(src)) / len(src)))
        tiled = np.tile(src, reps)
        start = rng.integers(len(src))
        seg = tiled[start : start + len(audio)]
        out += seg / np.sqrt(np.mean(seg.astype(np.float64) ** 2) + 1e-12)
    return out


def _reverb(audio: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    n = int(rt60 * 1.2 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # -60 dB at rt60
    tail[: int(0.005 * SAMPLE_RATE)] = 0.0  # 5 ms gap between direct sound and the diffuse field
    rir = 0.3 * tail / np.sqrt(np.sum(tail**2))
    rir[0] = 1.0
    wet = fftconvolve(audio, rir)[: len(audio)]
    return wet * np.sqrt(active_power(audio) / active_power(wet))


def _telephone(audio: np.ndarray) -> np.ndarray:
    sos = butter(6, [300, 3400], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    x = resample(sosfilt(sos, audio).astype(np.float32), SAMPLE_RATE, 8000)
    # G.711 mu-law companding to 8 bits, as on a PSTN line.
    mu = 255.0
    y = np.sign(x) * np.log1p(mu * np.minimum(np.abs(x), 1.0)) / np.log1p(mu)
    y = np.round(y * 127) / 127
    x = np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu
    return resample(x.astype(np.float32), 8000, SAMPLE_RATE)


def _sox(audio: np.ndarray, *effect: str) -> np.ndarray:
    """Run a sox effect chain on float32 16 kHz mono through pipes (no dither: -D, so it is deterministic)."""
    if shutil.which("sox") is None:
        raise RuntimeError("the sox binary is needed for this family: apt-get install sox")
    fmt = ["-t", "raw", "-r", str(SAMPLE_RATE), "-e", "floating-point", "-b", "32", "-c", "1"]
    proc = subprocess.run(["sox", "-D", "-q", *fmt, "-", *fmt, "-", *effect],
                          input=np.asarray(audio, np.float32).tobytes(), capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"sox {' '.join(effect)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(proc.stdout, np.float32)


def _whisper(audio: np.ndarray, rng: np.random.Generator, order: int = 16) -> np.ndarray:
    """Replace the voice source by white noise through each frame's LPC envelope (overlap-add).

    Hand-written because no installed library does LPC analysis/resynthesis (librosa is absent);
    the autocorrelation LPC itself is scipy's Toeplitz solver.
    """
    from scipy.linalg import solve_toeplitz
    from scipy.signal import lfilter

    win_len, hop = 400, 200  # 25 ms Hann windows at 50 % overlap sum to a constant
    win = np.hanning(win_len + 1)[:-1]
    x = np.pad(audio.astype(np.float64), (win_len, win_len))
    out = np.zeros_like(x)
    for start in range(0, len(x) - win_len, hop):
        frame = x[start : start + win_len] * win
        r = np.correlate(frame, frame, "full")[win_len - 1 : win_len + order]
        if r[0] < 1e-10:
            continue
        r[0] *= 1.0 + 1e-6  # white-noise correction keeps the Toeplitz system well conditioned
        a = solve_toeplitz(r[:order], -r[1 : order + 1])
        err = max(r[0] + np.dot(a, r[1 : order + 1]), 1e-12)
        exc = rng.standard_normal(win_len) * np.sqrt(err / win_len * 1.5)
        out[start : start + win_len] += lfilter([1.0], np.concatenate([[1.0], a]), exc) * win
    out = out[win_len : win_len + len(audio)]
    return out * np.sqrt(active_power(audio) / active_power(out))


def apply_family(audio: np.ndarray, family: str, seed: int) -> np.ndarray:
    """Apply effect family ``family`` to 16 kHz mono ``audio`` ``(S,)`` → ``(S,)`` float32.

    Deterministic for ``(audio, family, seed)``. Voice families raise ``ValueError``: they need the
    text and voice, so use :func:`ood_performance`.
    """
    spec = _family(family)
    if spec["kind"] != "effect":
        raise ValueError(f"family {family!r} regenerates speech; use ood_performance(perf, {family!r}, seed)")
    audio = np.asarray(audio, np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio (S,), got shape {audio.shape}")
    rng = np.random.default_rng([seed, sum(map(ord, family))])
    fn = spec["fn"]
    if fn == "noise":
        out = _mix(audio, _colored_noise(len(audio), spec["color"], rng), spec["snr_db"])
    elif fn == "babble":
        out = _mix(audio, _babble(audio, spec["talkers"], rng), spec["snr_db"])
    elif fn == "reverb":
        out = _reverb(audio, spec["rt60"], rng)
    elif fn == "telephone":
        out = _telephone(audio)
    elif fn == "sox_pitch":
        out = _sox(audio, "pitch", str(spec["cents"]))
    elif fn == "whisper":
        out = _whisper(audio, rng)
    else:  # a family table entry without an implementation is a programming error
        raise AssertionError(f"no implementation for effect {fn!r}")
    out = np.pad(np.asarray(out, np.float32), (0, max(0, len(audio) - len(out))))[: len(audio)]
    # Noise at 0 dB SNR can exceed full scale; scale down rather than clip (clipping is another effect).
    peak = float(np.abs(out).max(initial=0.0))
    return (out / peak * 0.99 if peak > 0.99 else out).astype(np.float32)


def _sung_ssml(text: str, seed: int) -> str:
    rng = np.random.default_rng(seed)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])  # major scale, semitones
    note = 3
    parts = []
    for word in text.split():
        note = int(np.clip(note + rng.integers(-2, 3), 0, len(scale) - 1))
        pct = round((2 ** (scale[note] / 12) - 1) * 100)
        parts.append(f'<prosody pitch="+{pct}%">{html.escape(word)}</prosody>')
    return f'<speak><prosody rate="65%">{" ".join(parts)}</prosody></speak>'


def ood_performance(perf: Performance, family: str, seed: int) -> Performance:
    """``perf`` under OOD family ``family``: effect families replace the audio and keep everything
    else; voice families re-perform (the same text unless the family changes language) with another
    voice and the same behaviour seed. ``meta["ood_family"]`` names the family."""
    spec = _family(family)
    if spec["kind"] == "effect":
        out = replace(perf, audio=apply_family(perf.audio, family, seed))
    else:
        voice, text, ssml = perf.voice, perf.text, False
        if family == "unseen_voice":
            v = OOD_VOICES[seed % len(OOD_VOICES)]
            voice = with_language(v, voice.language)
        elif family == "unseen_language":
            lang = OOD_LANGUAGES[seed % len(OOD_LANGUAGES)]
            pool = sentences(lang, "test")
            text, voice = pool[(seed // len(OOD_LANGUAGES)) % len(pool)], with_language(voice, lang)
        elif family == "sung":
            text, ssml = _sung_ssml(perf.text, seed), True
            voice = VoiceSpec(voice.language, voice.variant, voice.pitch, voice.rate, pitch_range=5)
        else:
            voice = VoiceSpec(voice.language, spec.get("variant", voice.variant), voice.pitch,
                              spec.get("rate", voice.rate), voice.pitch_range)
        out = perform(text, voice, seed=perf.seed, fps=perf.fps, ssml=ssml)
        if ssml:
            out.text = perf.text
    out.meta = {**perf.meta, "ood_family": family}
    return out
