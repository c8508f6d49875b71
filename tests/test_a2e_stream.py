"""Streaming the audio prior (ggtalker.a2e.stream): chunked audio in, final frames out, no seams, the offline
prior's lips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ggtalker.a2e.prior import A2EPrior
from ggtalker.a2e.stream import MotionStream

torch.set_num_threads(2)
CHUNK = 1280  # 80 ms at 16 kHz


@pytest.fixture(scope="module")
def prior() -> A2EPrior:
    p = A2EPrior.from_zoo("a2e_synthtalk")
    p.lip_samples = 1
    return p


@pytest.fixture(scope="module")
def speech():
    from ggtalker.synth.performance import perform
    from ggtalker.synth.sentences import TRAIN_VOICES, sentences

    perf = perform(" ".join(sentences("en", "val")), TRAIN_VOICES[2], seed=3)
    n = min(100, int(len(perf.audio) / 640))
    return perf.audio[: n * 640], {k: v[:n] for k, v in perf.params.items()}


def _stream(prior, audio, pose, lookahead=2):
    st = MotionStream(prior, lookahead=lookahead, pose=pose, seed=0)
    parts, borders, n = [], [], 0
    for s in range(0, len(audio), CHUNK):
        out = st.push(audio[s:s + CHUNK])
        assert st.emitted <= (s + CHUNK) // 640  # never a frame whose audio has not arrived
        if len(out["jaw"]):
            borders.append(n)
            n += len(out["jaw"])
            parts.append(out)
    parts.append(st.flush())
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, np.array(borders[1:])


def test_stream_emits_every_frame_following_the_pose(prior, speech):
    audio, truth = speech
    got, _ = _stream(prior, audio, truth["pose"])
    assert {k: v.shape for k, v in got.items()} == {"expr": (len(audio) // 640, 10), "jaw": (len(audio) // 640, 1),
                                                    "blink": (len(audio) // 640, 2), "pose": (len(audio) // 640, 6)}
    np.testing.assert_allclose(got["pose"], truth["pose"], atol=1e-5)
    with pytest.raises(ValueError, match="mono"):
        MotionStream(prior).push(np.zeros((2, 10), np.float32))


def test_streamed_lips_follow_the_audio_without_seams(prior, speech):
    audio, truth = speech
    got, borders = _stream(prior, audio, truth["pose"])
    offline = prior.predict(audio, 25.0, len(got["jaw"]), pose=truth["pose"], seed=0)
    jaw, true_jaw = got["jaw"][:, 0], truth["jaw"][:, 0]
    r_stream, r_offline = np.corrcoef(jaw, true_jaw)[0, 1], np.corrcoef(offline["jaw"][:, 0], true_jaw)[0, 1]
    assert r_stream > r_offline - 0.1 and r_stream > 0.7
    # Seams: the jaw's step across chunk borders against its step inside chunks, relative to the same ratio of
    # the offline prediction at the same frames (speech itself makes the raw ratio differ from 1).
    # Measured: 1.43 streamed against 1.31 offline; jaw correlation with the truth 0.911 against 0.922.

    def border_ratio(x):
        step = np.abs(np.diff(x))
        return step[borders - 1].mean() / np.delete(step, borders - 1).mean()

    assert border_ratio(jaw) < 1.15 * border_ratio(offline["jaw"][:, 0])
