"""Suite sources over real data: ``fn(scale, seed, **params) -> list[Case]``, clips cached on disk.

Clips are written once under ``cache_root()/real/<kind>/<key>/`` where ``key`` hashes the source path, its
files' sizes and modification times, and the loader settings, so editing the data or the settings makes new clips.
Training clips are stored as H.264 (``frames.mp4``, small; the source is lossy already), test targets as PNGs
(lossless: the ground truth is not degraded a second time).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

from ggtalker.core.cache import cache_root
from ggtalker.core.case import Case
from ggtalker.core.clip import Clip, read_clip, write_clip
from ggtalker.data.real.processed import read_processed
from ggtalker.data.real.video_folder import list_videos, load_video, split_video, video_clip

LOADER_VERSION = 2
#: Smoke scale: seconds on a CPU. Caps on frames per split, and a smaller size for videos.
SMOKE_TRAIN_FRAMES, SMOKE_TEST_FRAMES, SMOKE_SIZE = 50, 25, 128


def _need_root(root: str | None, suite: str, what: str) -> Path:
    if not root:
        raise ValueError(
            f"the {suite} suite needs your data: pass suite.params.source.params.root=/path/to/{what} "
            f"(see docs/real-data-and-adapters.md)"
        )
    p = Path(root).expanduser().resolve()
    if not p.exists():
        raise FileNotFoundError(f"{p}: not found (suite {suite}, suite.params.source.params.root)")
    return p


def _fingerprint(paths: list[Path], settings: dict[str, Any]) -> str:
    h = hashlib.sha1(json.dumps({"v": LOADER_VERSION, **settings}, sort_keys=True).encode())
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def _cached(path: Path, make: Callable[[], Clip], video: bool) -> Path:
    if not (path / "clip.json").is_file():
        write_clip(make(), path, video=video, overwrite=True)
    return path


def video_folder_cases(scale: str = "smoke", seed: int = 0, root: str | None = None, test_seconds: float = 10.0,
                       size: int = 512, fps: float = 25.0, track: bool = True) -> list[Case]:
    """One case per video in ``root``: train on all but the last ``test_seconds``, test on those.

    With ``track`` (default), a video without ``<stem>.params.npz`` side files is tracked
    (:func:`ggtalker.track.pipeline.tracked_clip`: face crop, head fit, masks, landmarks; cached by content), so
    its clips carry params, cameras, masks and landmarks; ``track=False`` keeps the plain centre crop with the
    pinhole guess. Every video is tracked before any case is returned, so a video with no face or several
    stops the run with one error naming it before any method starts.
    Smoke scale keeps the first 2 s of the training part and the first 1 s of the test part at 128x128.
    ``seed`` does not change real data (the split is fixed); it is accepted for the source interface.
    """
    root_p = _need_root(root, "real_video", "a folder of videos")
    vids = list_videos(root_p)
    if scale == "smoke":
        size = min(size, SMOKE_SIZE)
    settings = {"kind": "video", "scale": scale, "test_seconds": test_seconds, "size": size, "fps": fps}
    if track:
        from ggtalker.track.pipeline import tracker_fingerprint

        settings["track"] = tracker_fingerprint()
    side = [q for v in vids for q in v.parent.glob(v.stem + ".*") if q != v]
    base = cache_root() / "real" / "video" / _fingerprint(vids + side, settings)
    cases = []
    for vid in vids:
        folder = base / vid.stem
        train_p, test_p = folder / "train", folder / "test"
        if not ((train_p / "clip.json").is_file() and (test_p / "clip.json").is_file()):
            if track and not vid.with_name(vid.stem + ".params.npz").is_file():
                whole = _tracked(vid, size, fps)
                n = whole.n_frames
                n_test = int(round(test_seconds * fps))
                if n_test <= 0 or n_test >= n:
                    raise ValueError(f"{vid}: cannot hold out {test_seconds} s of a {n / fps:.2f} s video")
                stop = start = n - n_test
                end = n
                part = lambda a, b, name: _part(whole, a, b, name)  # noqa: E731
            else:
                v = load_video(vid, size=size, fps=fps)
                stop, start = split_video(v, test_seconds)
                end = len(v.frames)
                part = lambda a, b, name: video_clip(v, a, b, name)  # noqa: E731
            if scale == "smoke":
                stop, end = min(stop, SMOKE_TRAIN_FRAMES), min(end, start + SMOKE_TEST_FRAMES)
            _cached(train_p, lambda: part(0, stop, "train"), video=True)
            _cached(test_p, lambda: part(start, end, "test"), video=False)
        cases.append(Case(id=vid.stem, identity=vid.stem, train=[train_p], target=test_p,
                          tags={"source": "video_folder"}))
    return cases


def _tracked(vid: Path, size: int, fps: float) -> Clip:
    """The tracked clip of ``vid`` (tracked at 512², cached by content) at ``size``²."""
    from ggtalker.track.pipeline import TrackSettings, rescale_clip, tracked_clip

    return rescale_clip(read_clip(tracked_clip(vid, settings=TrackSettings(fps=fps))), size)


def _part(whole: Clip, start: int, stop: int, part: str) -> Clip:
    c = whole.slice(start, stop)
    c.id = f"{whole.id}_{part}"
    c.meta = {**whole.meta, "identity": whole.id, "source": "video_folder+track", "part": part,
              "frames": [start, stop]}
    return c


def processed_folders(root: Path) -> list[Path]:
    """``root`` itself when it is a processed folder, else its sub-folders that are (sorted)."""
    if (root / "transforms_train.json").is_file() or (root / "transforms_val.json").is_file():
        return [root]
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / "transforms_val.json").is_file())
    if not found:
        raise FileNotFoundError(f"{root}: neither a processed folder (transforms_train.json, transforms_val.json) "
                                "nor a folder of them")
    return found


def processed_cases(scale: str = "smoke", seed: int = 0, root: str | None = None, images: str = "gt_imgs",
                    world_scale: float = 1.0) -> list[Case]:
    """One case per processed folder: train on ``transforms_train.json``, test on ``transforms_val.json``.

    Smoke scale keeps the first 50 training and 25 test frames (full size).
    """
    root_p = _need_root(root, "real_processed", "data/<ID> (or a folder of them)")
    cases = []
    for folder in processed_folders(root_p):
        settings = {"kind": "processed", "scale": scale, "images": images, "world_scale": world_scale}
        files = [p for p in (folder / "transforms_train.json", folder / "transforms_val.json", folder / "aud.wav")
                 if p.exists()]
        base = cache_root() / "real" / "processed" / _fingerprint(files, settings) / folder.name
        smoke = scale == "smoke"
        train_p = _cached(base / "train", lambda: read_processed(
            folder, "train", images, SMOKE_TRAIN_FRAMES if smoke else None, world_scale=world_scale), video=True)
        test_p = _cached(base / "test", lambda: read_processed(
            folder, "val", images, SMOKE_TEST_FRAMES if smoke else None, world_scale=world_scale), video=False)
        cases.append(Case(id=folder.name, identity=folder.name, train=[train_p], target=test_p,
                          tags={"source": "processed", "images": images}))
    return cases
