"""Speech synthesis with per-phoneme timing, through libespeak-ng (ctypes).

The ``espeak-ng`` command prints no phoneme timings without MBROLA voices, but the library reports a
phoneme event (type 7) for every phoneme with its ``audio_position`` in ms, so we drive the library
directly. libespeak-ng keeps global state, is not thread-safe, and carries state between utterances: every
call holds a process-wide lock and runs in a forked child that initialises its own copy (see
:func:`synthesize`), so the parent and worker processes never hold the library at all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import threading
from dataclasses import dataclass

import numpy as np

ESPEAK_SAMPLE_RATE = 22_050  # what espeak-ng 1.51 synthesises; checked against espeak_Initialize's return

# From speak_lib.h (espeak-ng 1.51); the -dev header is not installed, so the ABI is restated here.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_SSML = 0x10
_EVENT_END_OF_LIST = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_PARAM = {"rate": 1, "volume": 2, "pitch": 3, "range": 4, "wordgap": 7}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
        ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class EspeakError(RuntimeError):
    """libespeak-ng is missing, or refused a voice or a text."""


@dataclass
class Utterance:
    """Raw synthesiser output.

    ``wav`` ``(S,)`` float32 in [-1, 1] at ``sample_rate``; ``phonemes`` ``[(start_s, mnemonic)]`` in
    time order (espeak-ng mnemonics, e.g. ``"@"``, ``"aI"``, ``"_:"`` for pauses); ``words``
    ``[start_s]`` word onsets.
    """

    wav: np.ndarray
    sample_rate: int
    phonemes: list[tuple[float, str]]
    words: list[float]


_lock = threading.Lock()
_state: dict = {"pid": None, "lib": None, "sr": None, "cb": None, "chunks": None, "events": None}


def _library() -> ctypes.CDLL:
    """Load and initialise libespeak-ng for this process (after a fork, initialise again)."""
    if _state["pid"] == os.getpid():
        return _state["lib"]
    name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise EspeakError(f"cannot load libespeak-ng ({e}); install it: apt-get install espeak-ng libespeak-ng1") from e
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
    ]
    sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS)
    if sr <= 0:
        raise EspeakError(f"espeak_Initialize failed (returned {sr}); is espeak-ng-data installed?")

    def callback(wav, n, events):  # runs inside espeak_Synth, under _lock
        if n > 0:
            _state["chunks"].append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_END_OF_LIST:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                _state["events"].append((ev.audio_position, "p", ev.id.string.decode("utf-8", "replace")))
            elif ev.type == _EVENT_WORD:
                _state["events"].append((ev.audio_position, "w", ""))
            i += 1
        return 0  # 0 = continue synthesis

    cb = _CALLBACK(callback)  # kept alive in _state: ctypes would free it otherwise
    lib.espeak_SetSynthCallback(cb)
    _state.update(pid=os.getpid(), lib=lib, sr=sr, cb=cb)
    return lib


def synthesize(text: str, voice: str = "en+m3", rate: int = 160, pitch: int = 50, pitch_range: int = 50,
               ssml: bool = False) -> Utterance:
    """Speak ``text`` with espeak-ng voice ``voice`` (``"<language>+<variant>"``).

    ``rate`` words/min (80..450), ``pitch`` and ``pitch_range`` 0..99. With ``ssml`` the text may hold
    SSML markup (``<prosody>``, ``<break>``). Raises :class:`EspeakError` for an unknown voice.

    Each call runs in a forked child with a freshly initialised library: espeak-ng carries
    wave-generator state (pitch-cycle phase, flutter) from one utterance to the next, so in one
    process the same text gives different samples depending on what was spoken before, and
    ``espeak_Terminate`` + ``espeak_Initialize`` hangs. A fresh process per call is the only way we
    found to make the output a function of the arguments alone (the fork costs tens of ms).
    """
    if not text.strip():
        raise ValueError("cannot synthesise empty text")
    with _lock:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: synthesise, send the result, exit without running Python cleanup
            code = 0
            try:
                os.close(read_fd)
                try:
                    result = _synthesize_here(text, voice, rate, pitch, pitch_range, ssml)
                except Exception as e:  # sent to the parent, which re-raises it
                    result = e
                with os.fdopen(write_fd, "wb") as f:
                    pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as f:
            payload = f.read()
        _, status = os.waitpid(pid, 0)
    if not payload:
        raise EspeakError(f"espeak-ng worker died (status {status}) on text {text[:60]!r}")
    result = pickle.loads(payload)
    if isinstance(result, Exception):
        raise result
    return result


def _synthesize_here(text: str, voice: str, rate: int, pitch: int, pitch_range: int, ssml: bool) -> Utterance:
    """Synthesise in this process (called once per forked child; see :func:`synthesize`)."""
    lib = _library()
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise EspeakError(f"espeak-ng has no voice {voice!r} (see `espeak-ng --voices` and `espeak-ng --voices=variant`)")
    for key, val in (("rate", rate), ("pitch", pitch), ("range", pitch_range), ("wordgap", 0)):
        lib.espeak_SetParameter(_PARAM[key], int(val), 0)
    _state["chunks"], _state["events"] = [], []
    data = text.encode("utf-8") + b"\0"
    flags = _CHARS_UTF8 | (_SSML if ssml else 0)
    err = lib.espeak_Synth(data, len(data), 0, 1, 0, flags, None, None)
    if err != 0:
        raise EspeakError(f"espeak_Synth failed with code {err} for text {text[:60]!r}")
    chunks, events = _state["chunks"], _state["events"]
    sr = _state["sr"]
    wav = (np.concatenate(chunks) if chunks else np.zeros(0, np.int16)).astype(np.float32) / 32768.0
    # "(en)"-style language switches and a bare ";" (palatalisation of the previous phoneme) are
    # markers, not articulations: the previous phoneme absorbs their time.
    phonemes = [(ms / 1000.0, name) for ms, kind, name in events
                if kind == "p" and name and not name.startswith("(") and name != ";"]
    words = [ms / 1000.0 for ms, kind, _ in events if kind == "w"]
    return Utterance(wav=wav, sample_rate=sr, phonemes=align_stop_closures(phonemes, wav, sr), words=words)


MODIFIERS = ":;#!.-~'\",2345L"  # length, palatal, variant, nasal, stress marks that follow a base symbol


def base_mnemonic(mnemonic: str) -> str:
    """The base symbol of a phoneme mnemonic without its length, stress and variant marks (``a:`` → ``a``)."""
    base = mnemonic
    while len(base) > 1 and base[-1] in MODIFIERS:
        base = base[:-1]
    return base


_STOPS = ("p", "b", "t", "d", "k", "g", "tS", "dZ", "ts", "dz", "c", "J\\", "q")


def align_stop_closures(phonemes: list[tuple[float, str]], wav: np.ndarray, sr: int,
                        max_closure_s: float = 0.09) -> list[tuple[float, str]]:
    """Move each stop's start back to the onset of its closure silence.

    espeak-ng reports a stop's phoneme event at the release burst; the closure (lips or tongue
    sealed, 20–50 ms of near silence) is booked to the previous phoneme. Articulation starts at the
    closure, so for stops we walk back from the event over 5 ms hops quieter than 3 % of the peak
    amplitude (at most ``max_closure_s``, never into the previous phoneme's first 20 ms).
    """
    hop = max(1, int(0.005 * sr))
    n = len(wav) // hop
    if n == 0:
        return phonemes
    env = np.sqrt((wav[: n * hop].astype(np.float64) ** 2).reshape(n, hop).mean(1))
    quiet = env < 0.03 * env.max()
    out = list(phonemes)
    for i in range(1, len(out)):
        t, name = out[i]
        if name.rstrip(":;#!") not in _STOPS:
            continue
        k = min(int(t * sr) // hop, n)
        floor = max(int((out[i - 1][0] + 0.02) * sr) // hop, k - int(max_closure_s * sr) // hop)
        j = k
        while j > floor and quiet[j - 1]:
            j -= 1
        out[i] = (j * hop / sr, name)
    return out
