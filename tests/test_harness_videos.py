"""Videos of a run: truth | prediction with the case's audio for the first ``save_videos`` cases, named in the
records; a novel-view run's yaw ring."""

import json

import av
import numpy as np
import pandas as pd
from test_harness_runner import run_dir, toy_cfg

from ggtalker.bench.runner import run
from ggtalker.bench.videos import VideoSaver, ring, side_by_side

SIZE = 48  # the toy clips' side (ggtalker.bench.toy at smoke scale)


def decode(path):
    """(frames (n, H, W, 3), number of audio streams) of an mp4."""
    with av.open(str(path)) as f:
        n_audio = len(f.streams.audio)
        frames = np.stack([fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)])
    return frames, n_audio


def test_run_saves_side_by_side_videos_named_in_the_records(tmp_path):
    run(toy_cfg("static", tmp_path))  # save_videos: 2 by default
    d = run_dir(tmp_path / "out", "toy", "static")
    summary = json.loads((d / "summary.json").read_text())
    vids = summary["videos"]
    assert [v["kind"] for v in vids] == ["case", "case"] and len({v["case"] for v in vids}) == 2
    rec = pd.read_csv(d / "records.csv", keep_default_na=False)
    named = {c: v for c, v in zip(rec.case, rec.video) if v}
    assert named == {v["case"]: v["path"] for v in vids}  # each case's records name its file
    for v in vids:
        frames, n_audio = decode(d / v["path"])
        assert frames.shape[1:] == (SIZE, 2 * SIZE, 3) and len(frames) == 25 and n_audio == 1
    assert not list((d / "videos").glob("*.part*"))  # nothing half-written left behind
    # The left half is the truth: the toy truth decodes close to itself, the static prediction does not move.
    left, right = frames[:, :, :SIZE].astype(float), frames[:, :, SIZE:].astype(float)
    assert np.abs(np.diff(right, axis=0)).mean() < np.abs(np.diff(left, axis=0)).mean()


def test_save_videos_zero_writes_none(tmp_path):
    run(toy_cfg("static", tmp_path, "save_videos=0"))
    d = run_dir(tmp_path / "out", "toy", "static")
    assert json.loads((d / "summary.json").read_text())["videos"] == [] and not (d / "videos").exists()


def test_yaw_ring_of_the_first_identity(tmp_path):
    rng = np.random.default_rng(0)
    clip = lambda: rng.integers(0, 255, (6, 16, 16, 3), dtype=np.uint8)  # noqa: E731
    saver = VideoSaver(tmp_path, k=1)
    audio = np.zeros(16_000 * 6 // 25, np.float32)
    for yaw in ("+45", "-90", "+0"):
        saver.case(f"a_yaw{yaw}", "a", {"yaw": yaw}, clip(), clip(), audio, 25.0)
    saver.case("b_yaw+0", "b", {"yaw": "+0"}, clip(), clip(), audio, 25.0)  # another identity: not in a's ring
    assert saver.identity_done("a") == "videos/a_ring.mp4" and saver.identity_done("b") == ""
    frames, n_audio = decode(tmp_path / "videos" / "a_ring.mp4")
    assert frames.shape == (6, 32, 48, 3) and n_audio == 1  # 3 views across, truth above prediction
    assert [v["kind"] for v in saver.written] == ["case", "ring"]
    t = [rng.integers(0, 255, (2, 4, 4, 3), dtype=np.uint8) for _ in range(3)]
    r = ring([(45.0, t[0], t[0]), (-90.0, t[1], t[1]), (0.0, t[2], t[2])])
    assert (r[:, :4, :4] == t[1]).all() and (r[:, 4:, 8:] == t[0]).all()  # sorted by yaw
    assert side_by_side(t[0], t[1]).shape == (2, 4, 8, 3)
