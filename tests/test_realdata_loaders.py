"""Real-data loaders, tested on tiny files in the real formats that the tests write themselves."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
import torch

from ggtalker.core.audio import SAMPLE_RATE, save_audio
from ggtalker.core.clip import MASK_BACKGROUND, MASK_HEAD, MASK_TORSO, Clip, ClipError, read_clip
from ggtalker.core.registry import SUITES
from ggtalker.core.video import write_video
from ggtalker.data.real import processed as proc
from ggtalker.data.real.cameras import cv_w2c_to_gl_c2w, gl_c2w_to_cv_w2c, pinhole_guess
from ggtalker.data.real.frames import fit_frames, resample_indices
from ggtalker.data.real.sources import processed_cases, video_folder_cases


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GGTALKER_CACHE", str(tmp_path / "cache"))


def project(K: np.ndarray, w2c: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, float]:
    x = w2c[:3, :3] @ X + w2c[:3, 3]
    uv = (K @ x)[:2] / x[2]
    return uv, float(x[2])


# ------------------------------------------------------------------------------------------ cameras

def test_pinhole_guess_sees_the_head_upright_from_the_front():
    cams = pinhole_guess(3, 64, 48)
    K, w2c = cams.K[0], cams.w2c[0]
    uv, z = project(K, w2c, np.zeros(3))
    assert z > 0 and np.allclose(uv, [32, 24])
    assert project(K, w2c, np.array([0, 0.05, 0]))[0][1] < 24      # up in the world is up in the image
    assert project(K, w2c, np.array([0.05, 0, 0]))[0][0] > 32      # the subject's left is image right
    assert np.allclose(cams.yaw_pitch_deg(), 0, atol=1e-4)


def test_gl_camera_to_world_converts_to_opencv_world_to_camera():
    # An OpenGL camera 2 units in front of the face (+z), unrotated: it looks along -z at the origin, y up.
    c2w = np.eye(4)[None].repeat(2, 0)
    c2w[:, 2, 3] = 2.0
    w2c = gl_c2w_to_cv_w2c(c2w)
    K = np.array([[100, 0, 50], [0, 100, 50], [0, 0, 1.0]])
    uv, z = project(K, w2c[0], np.zeros(3))
    assert z == pytest.approx(2.0) and np.allclose(uv, [50, 50])
    assert project(K, w2c[0], np.array([0, 0.1, 0]))[0][1] < 50
    assert project(K, w2c[0], np.array([0.1, 0, 0]))[0][0] > 50
    assert np.allclose(cv_w2c_to_gl_c2w(w2c), c2w, atol=1e-6)
    assert np.allclose(gl_c2w_to_cv_w2c(c2w, world_scale=0.1)[0, 2, 3], 0.2)


def test_resample_indices_and_fit_frames():
    assert resample_indices(60, 30.0, 25.0).tolist() == [round(k * 30 / 25) for k in range(50)]
    assert len(resample_indices(50, 25.0, 25.0)) == 50
    frames = np.zeros((9, 20, 20, 3), np.uint8)
    frames[:, 5:15, 5:15] = 200
    out, warnings = fit_frames(frames, 10, 10, 10)             # one frame short: padded; 20x20 → 10x10, said
    assert out.shape == (10, 10, 10, 3) and out[:, 3:7, 3:7].min() > 150 and np.array_equal(out[9], out[8])
    assert warnings == ["video: 20x20 frames resized to the case's 10x10"]
    out, warnings = fit_frames(frames[:, :, :21], 9, 20, 20)   # 21x20 (an encoder's padding): cropped silently
    assert out.shape == (9, 20, 20, 3) and warnings == []
    out, warnings = fit_frames(np.concatenate([frames] * 2)[:10], 9, 20, 20)  # 1 extra frame dropped silently
    assert len(out) == 9 and warnings == []
    with pytest.raises(ValueError, match="frames, but the case needs"):
        fit_frames(frames, 20, 8, 8)
    with pytest.raises(ValueError, match="crop 50% of the picture"):  # 2:1 → 1:1 would crop half of it away
        fit_frames(np.zeros((9, 20, 40, 3), np.uint8), 9, 20, 20)
    _, warnings = fit_frames(np.zeros((9, 30, 40, 3), np.uint8), 9, 30, 30)  # 4:3 → 1:1: a quarter, said
    assert warnings == ["video: 40x30 frames centre-cropped to the case's aspect ratio (25% cut away)"]
    with pytest.raises(ValueError, match="2.25x as long"):
        fit_frames(np.concatenate([frames] * 2), 8, 20, 20)
    out, warnings = fit_frames(np.concatenate([frames] * 3)[:25], 20, 20, 20)  # 25 % extra: dropped, said
    assert len(out) == 20 and warnings == ["video: 25 frames, the case needs 20: the last 5 dropped"]


# ------------------------------------------------------------------------------------------ video folder

def _synthetic_video(path, seconds=2.0, fps=30.0, sr=44_100, audio=True):
    """Frame i has brightness 4*i in its centre; the sides outside the centre square are red."""
    n = int(seconds * fps)
    frames = np.zeros((n, 120, 160, 3), np.uint8)
    for i in range(n):
        frames[i, :, 20:140] = 4 * i
    frames[:, :, :20] = (255, 0, 0)
    frames[:, :, 140:] = (255, 0, 0)
    t = np.arange(int(seconds * sr)) / sr
    wav = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    write_video(path, frames, fps, audio=wav if audio else None, sample_rate=sr, crf=10)
    return n


def test_video_folder_split_resampling_crop_and_cameras(tmp_path):
    root = tmp_path / "videos"
    root.mkdir()
    _synthetic_video(root / "spk1.mp4")
    # track=False: the plain conversion (centre crop, pinhole guess); tests/test_track_video.py tracks.
    cases = video_folder_cases("full", root=str(root), test_seconds=0.4, size=64, fps=25.0, track=False)
    assert [c.id for c in cases] == ["spk1"]
    train, test = read_clip(cases[0].train[0]), read_clip(cases[0].target)
    assert (train.n_frames, test.n_frames) == (40, 10)         # 2 s at 25 fps, the last 0.4 s held out
    assert test.frames.shape == (10, 64, 64, 3) and test.fps == 25.0
    assert len(test.audio) == 10 * SAMPLE_RATE // 25           # 16 kHz, aligned to the frames
    assert np.abs(test.audio).max() > 0.1
    # Test frame k is output frame 40 + k, which shows source frame round((40 + k) * 30 / 25).
    expect = np.array([4 * round((40 + k) * 30 / 25) for k in range(10)])
    got = test.frames[:, 16:48, 16:48].reshape(10, -1).mean(1)
    assert np.abs(got - expect).max() < 6
    red = (test.frames[..., 0].astype(int) - test.frames[..., 1]) > 100
    assert not red.any()                                        # cropped to the centre square
    assert np.allclose(test.cameras.w2c, test.cameras.w2c[:1]) and test.params == {} and test.masks is None
    # Cached: a second call reuses the clips.
    assert video_folder_cases("full", root=str(root), test_seconds=0.4, size=64,
                              track=False)[0].target == cases[0].target


def test_video_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match=r"suite.params.source.params.root"):
        video_folder_cases("smoke", root=None)
    root = tmp_path / "v"
    root.mkdir()
    with pytest.raises(FileNotFoundError, match="no videos"):
        video_folder_cases("smoke", root=str(root))
    _synthetic_video(root / "mute.mp4", seconds=0.8, audio=False)
    with pytest.raises(ClipError, match=r"mute\.mp4: the video has no audio"):
        video_folder_cases("smoke", root=str(root), test_seconds=0.2, track=False)
    with pytest.raises(ClipError, match=r"mute\.mp4: the video has no audio"):  # checked before tracking
        video_folder_cases("smoke", root=str(root), test_seconds=0.2)


def test_real_video_suite_config_demands_a_root():
    suite = SUITES.build("real_video")
    with pytest.raises(ValueError, match="real_video suite needs your data"):
        suite.cases("smoke")


# ------------------------------------------------------------------------------------------ processed layout

W, H, N = 40, 32, 22   # 22 frames: their cut int(22 * 10 / 11) = 20 puts frames 20, 21 in the test split


def _write_processed_by_hand(root):
    """A tiny data/<ID> folder written the way AD-NeRF-family preprocessing writes it."""
    for sub in ("ori_imgs", "gt_imgs", "parsing"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    c2w = []
    for i in range(N):
        img = np.full((H, W, 3), 10 * i, np.uint8)
        iio.imwrite(root / "ori_imgs" / f"{i}.jpg", img)
        iio.imwrite(root / "gt_imgs" / f"{i}.jpg", img)
        np.savetxt(root / "ori_imgs" / f"{i}.lms", rng.uniform(0, 30, (68, 2)) + i, "%f")
        # Their test.py paints arrays [255,0,0] head / [0,255,0] neck / [0,0,255] cloth and saves them with
        # cv2 (BGR), so the file's RGB is head (0,0,255), neck (0,255,0), cloth (255,0,0).
        seg = np.full((H, W, 3), 255, np.uint8)
        seg[4:16, 12:28] = (0, 0, 255)
        seg[16:20, 16:24] = (0, 255, 0)
        seg[20:, 6:34] = (255, 0, 0)
        iio.imwrite(root / "parsing" / f"{i}.png", seg)
        m = np.eye(4)
        m[:3, 3] = [0.01 * i, 0, 1.5]
        c2w.append(m)
    cut = int(N * 10 / 11)
    for split, ids in (("train", range(cut)), ("val", range(cut, N))):
        body = {"focal_len": 50.0, "cx": W / 2, "cy": H / 2,
                "frames": [{"img_id": i, "aud_id": i, "transform_matrix": c2w[i].tolist()} for i in ids]}
        (root / f"transforms_{split}.json").write_text(json.dumps(body))
    t = np.arange(int(N / 25 * SAMPLE_RATE)) / SAMPLE_RATE
    save_audio(root / "aud.wav", (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32))
    torch.save({"euler": torch.randn(N, 3), "trans": torch.randn(N, 3), "exp": torch.randn(N, 79),
                "focal": torch.tensor([50.0])}, root / "track_params.pt")
    pd.DataFrame({"frame": np.arange(1, N + 1), " success": 1, " AU45_r": np.linspace(0, 2.1, N)}).to_csv(
        root / "au.csv", index=False)
    return c2w


def test_processed_reader_on_hand_written_files(tmp_path):
    root = tmp_path / "obama"
    c2w = _write_processed_by_hand(root)
    clip = proc.read_processed(root, "val")
    assert clip.n_frames == 2 and (clip.width, clip.height) == (W, H) and clip.fps == 25.0
    assert np.abs(clip.frames.astype(int).mean((1, 2, 3)) - [200, 210]).max() < 3
    assert np.allclose(clip.cameras.w2c, gl_c2w_to_cv_w2c(np.stack(c2w[20:])), atol=1e-5)
    assert np.allclose(clip.cameras.K[0], [[50, 0, 20], [0, 50, 16], [0, 0, 1]])
    assert clip.masks[0, 8, 20] == MASK_HEAD and clip.masks[0, 17, 20] == MASK_TORSO
    assert clip.masks[0, 25, 20] == MASK_TORSO and clip.masks[0, 0, 0] == MASK_BACKGROUND
    assert np.allclose(clip.landmarks[1], np.loadtxt(root / "ori_imgs" / "21.lms"), atol=1e-5)
    assert clip.params["track_exp"].shape == (2, 79)
    assert np.allclose(clip.params["au45"][:, 0], np.linspace(0, 2.1, N)[20:])
    assert len(clip.audio) == round(2 / 25 * SAMPLE_RATE)
    train = proc.read_processed(root, "train", max_frames=5)
    assert train.n_frames == 5 and train.meta["img_ids"] == [0, 4]


def test_processed_reader_errors_name_the_file(tmp_path):
    root = tmp_path / "p"
    _write_processed_by_hand(root)
    (root / "transforms_val.json").unlink()
    with pytest.raises(ClipError, match=r"transforms_val\.json: missing"):
        proc.read_processed(root, "val")
    body = json.loads((root / "transforms_train.json").read_text())
    body["frames"][3]["transform_matrix"] = [[1, 0], [0, 1]]
    (root / "transforms_train.json").write_text(json.dumps(body))
    with pytest.raises(ClipError, match=r"frames\[3\]\.transform_matrix"):
        proc.read_processed(root, "train")
    with pytest.raises(ClipError, match="outside the AD-NeRF-family palette"):
        proc.decode_parsing(np.full((4, 4, 3), 128, np.uint8), where="x.png")
    (root / "ori_imgs" / "0.lms").write_text("1 2\n3 4\n")
    with pytest.raises(ClipError, match=r"0\.lms: expected 68 rows"):
        proc.read_lms(root / "ori_imgs" / "0.lms")


def test_processed_writer_round_trip(tmp_path):
    n = 12
    rng = np.random.default_rng(1)
    cams = pinhole_guess(n, 48, 40)
    cams.w2c[:, 0, 3] = np.linspace(-0.02, 0.02, n)
    masks = np.zeros((n, 40, 48), np.uint8)
    masks[:, 5:25, 10:38] = MASK_HEAD
    masks[:, 30:, :] = MASK_TORSO
    clip = Clip(fps=25.0, cameras=cams, width=48, height=40,
                frames=rng.integers(0, 255, (n, 40, 48, 3), dtype=np.uint8),
                audio=np.zeros(int(n / 25 * SAMPLE_RATE), np.float32), masks=masks,
                landmarks=rng.uniform(0, 40, (n, 68, 2)).astype(np.float32), id="rt")
    root = proc.write_processed(clip, tmp_path / "rt")
    assert (root / "rt.mp4").is_file() and (root / "aud.wav").is_file()
    back = proc.read_processed(root, "val")
    cut = proc.split_index(n)
    assert back.n_frames == n - cut
    assert np.allclose(back.cameras.w2c, cams.w2c[cut:], atol=1e-5)
    assert np.allclose(back.cameras.K, cams.K[cut:], atol=1e-4)
    assert (back.masks == masks[cut:]).all()
    assert np.allclose(back.landmarks, clip.landmarks[cut:], atol=1e-5)


def test_real_processed_suite_source(tmp_path):
    root = tmp_path / "data"
    _write_processed_by_hand(root / "obama")
    _write_processed_by_hand(root / "may")
    cases = processed_cases("smoke", root=str(root))
    assert [c.id for c in cases] == ["may", "obama"]
    assert read_clip(cases[0].train[0]).n_frames == 20 and read_clip(cases[0].target).n_frames == 2
    suite = SUITES.build("real_processed")
    with pytest.raises(ValueError, match="real_processed suite needs your data"):
        suite.cases("smoke")
    suite.source["params"]["root"] = str(root / "obama")
    assert [c.id for c in suite.cases("smoke")] == ["obama"]
