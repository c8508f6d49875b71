"""Lip motion follows speech: the mouth opening measured from rendered pixels tracks the performance."""

import numpy as np
import pytest

from ggtalker.synth.cameras import static_cameras
from ggtalker.synth.checks import best_lag, frame_rms, mouth_dark_area
from ggtalker.synth.performance import VoiceSpec, perform, shift_audio
from ggtalker.synth.world import render_clip


@pytest.fixture(scope="module")
def clip_and_perf():
    perf = perform("Please bring me a cup of hot black coffee before the meeting starts.", VoiceSpec(), seed=1)
    clip = render_clip(12, perf, static_cameras(perf.n_frames, 96), 96)
    return clip, perf


def test_rendered_mouth_opening_tracks_openness(clip_and_perf):
    clip, perf = clip_and_perf
    area = mouth_dark_area(clip.frames, clip.landmarks)
    r = np.corrcoef(area, perf.openness)[0, 1]
    assert r >= 0.8, r


def test_shifting_the_audio_shifts_the_best_lag(clip_and_perf):
    clip, perf = clip_and_perf
    area = mouth_dark_area(clip.frames, clip.landmarks)
    k = 6
    shifted = render_clip(12, shift_audio(perf, k), static_cameras(perf.n_frames, 96), 96)
    assert np.array_equal(shifted.frames, clip.frames)  # the picture follows the params, not the audio
    lag0 = best_lag(area, frame_rms(clip.audio, clip.n_frames, clip.fps), 12)
    lag1 = best_lag(area, frame_rms(shifted.audio, shifted.n_frames, shifted.fps), 12)
    assert lag1 - lag0 == k, (lag0, lag1)
