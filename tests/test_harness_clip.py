"""The clip format: round trip, and clear errors on bad input."""

import json

import numpy as np
import pytest

from ggtalker.bench.toy import toy_clip
from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.clip import ClipError, read_clip, write_clip


@pytest.fixture
def clip():
    return toy_clip(identity=3, take=1, n_frames=10, size=24)


def test_round_trip_png(tmp_path, clip):
    write_clip(clip, tmp_path / "c")
    back = read_clip(tmp_path / "c")
    np.testing.assert_array_equal(back.frames, clip.frames)
    np.testing.assert_array_equal(back.masks, clip.masks)
    np.testing.assert_allclose(back.landmarks, clip.landmarks)
    np.testing.assert_allclose(back.cameras.w2c, clip.cameras.w2c)
    assert set(back.params) == set(clip.params)
    assert np.abs(back.audio - clip.audio).max() < 1e-3  # 16-bit PCM
    assert back.meta == clip.meta and back.fps == clip.fps


def test_round_trip_mp4(tmp_path, clip):
    write_clip(clip, tmp_path / "c", video=True)
    back = read_clip(tmp_path / "c")
    assert back.frames.shape == clip.frames.shape
    assert np.abs(back.frames.astype(int) - clip.frames).mean() < 12  # lossy but close


def test_audio_resampled_to_16k(tmp_path, clip):
    import soundfile as sf

    write_clip(clip, tmp_path / "c")
    sf.write(tmp_path / "c" / "audio.wav", np.zeros(int(clip.duration * 44_100), np.float32), 44_100)
    back = read_clip(tmp_path / "c")
    assert abs(len(back.audio) - clip.duration * SAMPLE_RATE) <= 1


def test_mismatched_audio_length(tmp_path, clip):
    clip.audio = np.zeros(int(clip.duration * SAMPLE_RATE * 2), np.float32)
    with pytest.raises(ClipError, match="audio lasts"):
        write_clip(clip, tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_missing_files_named(tmp_path, clip):
    with pytest.raises(ClipError, match="clip.json: missing"):
        read_clip(tmp_path / "nothing")
    write_clip(clip, tmp_path / "c")
    (tmp_path / "c" / "frames" / "000003.png").unlink()
    with pytest.raises(ClipError, match="9 PNG frames"):
        read_clip(tmp_path / "c")
    (tmp_path / "c" / "cameras.npz").unlink()
    with pytest.raises(ClipError, match="cameras.npz: missing"):
        read_clip(tmp_path / "c", load_frames=False)


def test_wrong_shape_and_non_finite(tmp_path, clip):
    bad = toy_clip(3, 1, 10, 24)
    bad.params["jaw"] = bad.params["jaw"][:5]
    with pytest.raises(ClipError, match=r"params\['jaw'\]"):
        bad.validate()
    bad = toy_clip(3, 1, 10, 24)
    bad.cameras.w2c[2, 0, 0] = np.nan
    with pytest.raises(ClipError, match="non-finite"):
        bad.validate()
    write_clip(clip, tmp_path / "c")
    np.save(tmp_path / "c" / "landmarks.npy", np.zeros((10, 5, 2), np.float32))
    with pytest.raises(ClipError, match="landmarks must have shape"):
        read_clip(tmp_path / "c")


def test_bad_header(tmp_path, clip):
    write_clip(clip, tmp_path / "c")
    (tmp_path / "c" / "clip.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ClipError, match="format 'other'"):
        read_clip(tmp_path / "c")


def test_no_half_written_clip(tmp_path, clip, monkeypatch):
    import ggtalker.core.clip as cm

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(cm, "save_audio", boom)
    with pytest.raises(OSError):
        write_clip(clip, tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_slice_and_strip(clip):
    part = clip.slice(2, 6)
    assert part.n_frames == 4 and part.frames.shape[0] == 4
    assert abs(len(part.audio) - 4 / clip.fps * SAMPLE_RATE) <= 1
    req = clip.without_ground_truth()
    assert req.frames is None and req.params == {} and req.masks is None and req.audio is not None
