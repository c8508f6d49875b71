"""Crop, masks and the whole tracker on tiny videos made here: a SynthTalk face off-centre in a 16:9 30 fps video,
a video with no face, one with two faces."""

import numpy as np
import pytest

from track_helpers import moving_performance

from ggtalker.core.audio import SAMPLE_RATE
from ggtalker.core.clip import MASK_HEAD, read_clip
from ggtalker.core.video import write_video
from ggtalker.synth.cameras import phone_cameras
from ggtalker.synth.world import render_clip
from ggtalker.track.crop import FaceError, crop_video, detect_faces, find_face
from ggtalker.track.fit import FitConfig
from ggtalker.track.pipeline import TrackSettings, tracked_clip
from ggtalker.track.segment import label_masks

W, H, FPS_IN = 480, 270, 30.0


@pytest.fixture(scope="module")
def face_clip():
    n = 24
    perf = moving_performance(n, fps=FPS_IN, yaw_amp=0.2)
    return render_clip(5, perf, phone_cameras(n, 128, seed=2, fps=FPS_IN), 128)


def _wide(frames: np.ndarray, x0s: list[int], y0: int = 60) -> np.ndarray:
    out = np.full((len(frames), H, W, 3), 90, np.uint8)
    h, w = frames.shape[1:3]
    for x0 in x0s:
        out[:, y0:y0 + h, x0:x0 + w] = frames
    return out


def _write(path, frames):
    n = len(frames)
    t = np.arange(int(n / FPS_IN * SAMPLE_RATE)) / SAMPLE_RATE
    write_video(path, frames, FPS_IN, audio=(0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    return path


def test_crop_is_25fps_square_and_centred_on_the_face(tmp_path, face_clip):
    vid = _write(tmp_path / "wide.mp4", _wide(face_clip.frames, [300]))
    v = crop_video(vid, size=96)
    assert v.frames.shape == (20, 96, 96, 3) and v.fps == 25.0          # 24 frames at 30 fps = 0.8 s
    assert len(v.audio) == int(round(20 / 25 * SAMPLE_RATE))
    b = detect_faces(v.frames[10])
    assert len(b) == 1
    cx, cy = (b[0, 0] + b[0, 2]) / 2, (b[0, 1] + b[0, 3]) / 2
    # The face sits where SynthTalk's default camera puts it: centred in x, a little above the middle.
    assert abs(cx - 48) < 96 * 0.08 and 96 * 0.3 < cy < 96 * 0.55
    assert (v.crops[:, 0] > 250).all()                                  # cut from the right of the frame


def test_no_face_and_two_faces_are_one_clear_error(tmp_path, face_clip):
    rng = np.random.default_rng(0)
    empty = _write(tmp_path / "empty.mp4", rng.integers(0, 255, (12, H, W, 3), dtype=np.uint8))
    with pytest.raises(FaceError, match="empty.mp4: no face"):
        find_face(empty)
    two = _write(tmp_path / "two.mp4", _wide(face_clip.frames[:12], [20, 300]))
    with pytest.raises(FaceError, match="two.mp4: several faces"):
        find_face(two)
    with pytest.raises(FaceError, match="two.mp4"):
        tracked_clip(two, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_masks_have_the_clip_labels_and_cover_the_head(face_clip):
    c = face_clip
    m = label_masks(c.frames, c.params, c.cameras.K, c.cameras.w2c)
    assert m.shape == (len(c.frames), 128, 128) and m.dtype == np.uint8 and set(np.unique(m)) <= {0, 1, 2}
    head, true = m == MASK_HEAD, c.masks == MASK_HEAD
    iou = (head & true).sum() / (head | true).sum()
    assert iou > 0.6  # selfie segmentation x the template's silhouette vs SynthTalk's own head label


def test_track_video_end_to_end_and_cached(tmp_path, face_clip):
    vid = _write(tmp_path / "me.mp4", _wide(face_clip.frames, [300]))
    s = TrackSettings(size=96, fit=FitConfig(steps_rigid=40, steps=60))
    out = tracked_clip(vid, tmp_path / "clip", s, progress=False)
    c = read_clip(out)
    assert c.n_frames == 20 and c.frames.shape == (20, 96, 96, 3) and c.masks.shape == (20, 96, 96)
    assert {"expr", "jaw", "blink", "pose"} <= set(c.params) and c.landmarks.shape == (20, 68, 2)
    assert (c.masks == MASK_HEAD).any() and c.meta["track"]["reproj_px_median"] < 3.0
    mtime = (out / "clip.json").stat().st_mtime_ns
    again = tracked_clip(vid, tmp_path / "clip2", s, progress=False)   # from the cache: same content
    assert read_clip(again, load_frames=False).meta["track"] == c.meta["track"]
    assert (out / "clip.json").stat().st_mtime_ns == mtime


def test_real_video_source_tracks_and_refuses_a_faceless_video(tmp_path, face_clip):
    from ggtalker.data.real.sources import video_folder_cases

    root = tmp_path / "vids"
    root.mkdir()
    _write(root / "me.mp4", _wide(face_clip.frames, [300]))
    cases = video_folder_cases("full", root=str(root), test_seconds=0.2, size=64)
    train, test = read_clip(cases[0].train[0]), read_clip(cases[0].target)
    assert (train.n_frames, test.n_frames) == (15, 5) and test.frames.shape == (5, 64, 64, 3)
    for c in (train, test):
        assert {"expr", "jaw", "blink", "pose"} <= set(c.params) and c.masks.shape == (c.n_frames, 64, 64)
        assert c.landmarks.shape == (c.n_frames, 68, 2) and (c.masks == MASK_HEAD).any()
    rng = np.random.default_rng(1)
    _write(root / "noise.mp4", rng.integers(0, 255, (12, H, W, 3), dtype=np.uint8))
    with pytest.raises(FaceError, match="noise.mp4: no face"):
        video_folder_cases("full", root=str(root), test_seconds=0.2, size=64)


def test_track_script_names_a_bad_input_before_work(tmp_path, capsys):
    import importlib.util

    from ggtalker import REPO_ROOT

    spec = importlib.util.spec_from_file_location("track_script", REPO_ROOT / "scripts" / "track.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(SystemExit) as e:
        mod.main([str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "c")])
    assert e.value.code == 2 and "missing.mp4: video not found" in capsys.readouterr().err
    rng = np.random.default_rng(2)
    _write(tmp_path / "blank.mp4", rng.integers(0, 255, (12, H, W, 3), dtype=np.uint8))
    with pytest.raises(SystemExit) as e:
        mod.main([str(tmp_path / "blank.mp4"), "--out", str(tmp_path / "c"), "--quiet"])
    assert e.value.code == 2 and "blank.mp4: no face" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
