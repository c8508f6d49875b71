"""The processed-data layout of ER-NeRF, RAD-NeRF and TalkingGaussian (AD-NeRF's preprocessing): reader and writer.

Layout (``data/<ID>/`` after their ``data_utils/process.py``)::

    <ID>.mp4                 25 fps, ~512x512
    aud.wav                  16 kHz mono
    ori_imgs/<i>.jpg         original frames; <i>.lms: 68x2 landmarks, text (np.savetxt '%f')
    gt_imgs/<i>.jpg          frames with the background replaced by bc.jpg (what their meters compare with)
    parsing/<i>.png          colour-coded face parsing (see PARSING_COLOURS)
    torso_imgs/<i>.png       RGBA torso + neck in-paint (not read: a training input of theirs, not ground truth)
    bc.jpg                   static background
    track_params.pt          3DMM tracking: {'euler', 'trans', 'exp', 'id', 'focal', ...} (torch tensors)
    au.csv                   OpenFace 2.2 FeatureExtraction output (AU45_r used for blinks)
    transforms_train.json    {focal_len, cx, cy, frames: [{img_id, aud_id, transform_matrix}]}
    transforms_val.json      same for the test split: the last 1/11 of frames (int(n * 10 / 11) is the cut)

``transform_matrix`` is camera-to-world with OpenGL camera axes; see :mod:`ggtalker.data.real.cameras`.
The image size is ``(h, w)`` when the json has them, else ``(2 * cy, 2 * cx)`` (as their loaders do).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
from tqdm.auto import tqdm

from ggtalker.core.audio import SAMPLE_RATE, load_audio, save_audio
from ggtalker.core.clip import MASK_BACKGROUND, MASK_HEAD, MASK_TORSO, Cameras, Clip, ClipError
from ggtalker.data.real.cameras import cv_w2c_to_gl_c2w, gl_c2w_to_cv_w2c
from ggtalker.data.real.frames import fit_audio

FPS = 25.0
#: Their train/test cut: frames [0, int(n * 10 / 11)) train, the rest test.
TRAIN_FRACTION = 10 / 11

#: Parsing colours as stored in the PNG files, read as RGB. AD-NeRF-family ``face_parsing/test.py`` paints the
#: 19 BiSeNet (CelebAMask-HQ) classes as arrays [255,0,0] (classes 1-13 and 17-18: skin, brows, eyes, glasses,
#: ears, earring, nose, mouth, lips, hair, hat), [0,255,0] (14-15: neck, necklace), [0,0,255] (16: cloth),
#: white for background, and writes them with cv2.imwrite, which treats arrays as BGR. So in the file (RGB) the
#: head is blue, the neck green, the clothes red. ``process.py`` reads them back with cv2 (BGR) and tests
#: ``seg[..., 0] == 255`` for the head, which is the same pixels.
PARSING_COLOURS: dict[tuple[int, int, int], tuple[str, int]] = {
    (0, 0, 255): ("head", MASK_HEAD),
    (0, 255, 0): ("neck", MASK_TORSO),
    (255, 0, 0): ("torso", MASK_TORSO),
    (255, 255, 255): ("background", MASK_BACKGROUND),
}
#: A parsing PNG with more than this share of pixels in none of PARSING_COLOURS was made with another palette.
MAX_UNKNOWN_PARSING = 0.01


def split_index(n: int) -> int:
    """The first test frame of an ``n``-frame video under their rule, ``int(n * 10 / 11)``."""
    return int(n * TRAIN_FRACTION)


# ------------------------------------------------------------------------------------------------ reading

def read_transforms(path: Path) -> dict[str, Any]:
    """Load and check a ``transforms_*.json``; ClipError names the file and the problem."""
    if not path.is_file():
        raise ClipError(f"{path}: missing (a processed folder needs transforms_train.json and transforms_val.json)")
    try:
        tf = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ClipError(f"{path}: not valid JSON ({e})") from e
    for key in ("focal_len", "cx", "cy", "frames"):
        if key not in tf:
            raise ClipError(f"{path}: missing key {key!r}")
    if not isinstance(tf["frames"], list) or not tf["frames"]:
        raise ClipError(f"{path}: 'frames' must be a non-empty list")
    for i, f in enumerate(tf["frames"]):
        if "img_id" not in f or "transform_matrix" not in f:
            raise ClipError(f"{path}: frames[{i}] needs 'img_id' and 'transform_matrix'")
        m = np.asarray(f["transform_matrix"], dtype=np.float64)
        if m.shape != (4, 4) or not np.isfinite(m).all():
            raise ClipError(f"{path}: frames[{i}].transform_matrix must be a finite 4x4 matrix, got shape {m.shape}")
    return tf


def decode_parsing(rgb: np.ndarray, where: str = "parsing") -> np.ndarray:
    """Colour-coded parsing ``(H, W, 3)`` uint8 → our labels ``(H, W)`` uint8 (0 bg, 1 head, 2 torso incl. neck)."""
    labels = np.zeros(rgb.shape[:2], np.uint8)
    known = np.zeros(rgb.shape[:2], bool)
    for colour, (_, label) in PARSING_COLOURS.items():
        hit = np.all(rgb[..., :3] == colour, axis=-1)
        labels[hit] = label
        known |= hit
    unknown = 1.0 - known.mean()
    if unknown > MAX_UNKNOWN_PARSING:
        raise ClipError(
            f"{where}: {unknown:.1%} of pixels have colours outside the AD-NeRF-family palette "
            f"{sorted(PARSING_COLOURS)} (RGB); was it written by another face parser?"
        )
    return labels


def encode_parsing(labels: np.ndarray) -> np.ndarray:
    """Our labels ``(H, W)`` → their colour-coded parsing ``(H, W, 3)`` uint8 (neck is not separated: torso)."""
    rgb = np.full(labels.shape + (3,), 255, np.uint8)
    rgb[labels == MASK_HEAD] = (0, 0, 255)
    rgb[labels == MASK_TORSO] = (255, 0, 0)
    return rgb


def read_lms(path: Path) -> np.ndarray:
    """One ``<i>.lms`` file → ``(68, 2)`` float32 pixels."""
    try:
        lms = np.loadtxt(path, dtype=np.float32, ndmin=2)
    except ValueError as e:
        raise ClipError(f"{path}: not a 68x2 text landmark file ({e})") from e
    if lms.shape != (68, 2):
        raise ClipError(f"{path}: expected 68 rows of 'x y', got shape {lms.shape}")
    return lms


def _read_image(path: Path) -> np.ndarray:
    if not path.is_file():
        raise ClipError(f"{path}: missing")
    try:
        img = iio.imread(path)
    except Exception as e:  # imageio raises per-plugin error types
        raise ClipError(f"{path}: cannot read image ({e})") from e
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, -1)
    return img[..., :3]


def read_processed(root: str | Path, split: str = "val", images: str = "gt_imgs", max_frames: int | None = None,
                   landmarks: bool = True, masks: bool = True, track_params: bool = True,
                   world_scale: float = 1.0) -> Clip:
    """Read one split of a processed folder as a clip.

    Args:
        root: the ``data/<ID>`` folder.
        split: ``train`` or ``val`` (their test split).
        images: ``gt_imgs`` (background replaced by bc.jpg: what ER-NeRF/RAD-NeRF/TalkingGaussian score against)
            or ``ori_imgs`` (the original frames: SyncTalk's ``--portrait`` numbers).
        max_frames: keep only the first frames of the split (smoke runs).
        landmarks, masks, track_params: read ``.lms`` / ``parsing`` / ``track_params.pt`` + ``au.csv`` when present.
        world_scale: tracker units → metres, multiplies camera translations.

    Returns:
        A clip at 25 fps with cameras converted to OpenCV world-to-camera; params (when tracked) are named
        ``track_euler`` (N,3), ``track_trans`` (N,3), ``track_exp`` (N,D) and ``au45`` (N,1): their own spaces,
        not our FLAME-like head parameters.
    """
    root = Path(root)
    if not root.is_dir():
        raise ClipError(f"{root}: processed folder not found")
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    if images not in ("gt_imgs", "ori_imgs"):
        raise ValueError(f"images must be 'gt_imgs' or 'ori_imgs', got {images!r}")
    tf_path = root / f"transforms_{split}.json"
    tf = read_transforms(tf_path)
    frames_meta = tf["frames"][:max_frames] if max_frames else tf["frames"]
    ids = [int(f["img_id"]) for f in frames_meta]
    aud_ids = [int(f.get("aud_id", f["img_id"])) for f in frames_meta]
    if aud_ids != list(range(aud_ids[0], aud_ids[0] + len(aud_ids))):
        raise ClipError(f"{tf_path}: aud_id must run consecutively (one audio frame per video frame)")
    n = len(ids)
    width = int(tf.get("w", round(2 * tf["cx"])))
    height = int(tf.get("h", round(2 * tf["cy"])))

    K = np.array([[tf["focal_len"], 0, tf["cx"]], [0, tf["focal_len"], tf["cy"]], [0, 0, 1]], np.float32)
    w2c = gl_c2w_to_cv_w2c(np.stack([np.asarray(f["transform_matrix"]) for f in frames_meta]), world_scale)
    cams = Cameras(np.repeat(K[None], n, 0), w2c)

    frames = np.empty((n, height, width, 3), np.uint8)
    for k, i in enumerate(tqdm(ids, desc=f"read {root.name}/{split}", unit="frame", leave=False)):
        img = _read_image(root / images / f"{i}.jpg")
        if img.shape[:2] != (height, width):
            raise ClipError(f"{root / images / f'{i}.jpg'}: size {img.shape[1]}x{img.shape[0]}, but {tf_path.name} "
                            f"implies {width}x{height}")
        frames[k] = img

    wav = root / "aud.wav"
    if not wav.is_file():
        raise ClipError(f"{wav}: missing (the processed folder's 16 kHz audio)")
    try:
        full_audio = load_audio(wav)
    except (FileNotFoundError, ValueError) as e:
        raise ClipError(str(e)) from e
    a0 = int(round(aud_ids[0] / FPS * SAMPLE_RATE))
    audio = fit_audio(full_audio[a0:], n, FPS)

    lms = _read_landmarks(root, ids) if landmarks else None
    labels = _read_masks(root, ids, height, width) if masks else None
    params = _read_track_params(root, ids) if track_params else {}
    return Clip(
        fps=FPS, cameras=cams, width=width, height=height, frames=frames, audio=audio, params=params,
        masks=labels, landmarks=lms, id=f"{root.name}_{split}",
        meta={"identity": root.name, "source": "processed", "root": str(root), "split": split, "images": images,
              "img_ids": [ids[0], ids[-1]], "world_units": "tracker" if world_scale == 1.0 else "scaled"},
    ).validate(where=str(root))


def _read_landmarks(root: Path, ids: list[int]) -> np.ndarray | None:
    paths = [root / "ori_imgs" / f"{i}.lms" for i in ids]
    present = [p.is_file() for p in paths]
    if not any(present):
        return None
    if not all(present):
        missing = [str(p) for p, ok in zip(paths, present) if not ok]
        raise ClipError(f"{root}: {len(missing)} of {len(paths)} landmark files missing, e.g. {missing[:3]} "
                        "(their landmark step skips frames without a detected face; pass landmarks=False to skip)")
    return np.stack([read_lms(p) for p in paths])


def _read_masks(root: Path, ids: list[int], height: int, width: int) -> np.ndarray | None:
    if not (root / "parsing").is_dir():
        return None
    out = np.empty((len(ids), height, width), np.uint8)
    for k, i in enumerate(ids):
        p = root / "parsing" / f"{i}.png"
        rgb = _read_image(p)
        if rgb.shape[:2] != (height, width):
            raise ClipError(f"{p}: size {rgb.shape[1]}x{rgb.shape[0]}, expected {width}x{height}")
        out[k] = decode_parsing(rgb, where=str(p))
    return out


def _read_track_params(root: Path, ids: list[int]) -> dict[str, np.ndarray]:
    params: dict[str, np.ndarray] = {}
    tp = root / "track_params.pt"
    if tp.is_file():
        import torch

        try:
            d = torch.load(tp, map_location="cpu", weights_only=True)
        except Exception as e:  # pickle / zip errors vary by torch version
            raise ClipError(f"{tp}: cannot load ({e})") from e
        for key in ("euler", "trans", "exp"):
            if key in d:
                v = np.asarray(d[key], np.float32).reshape(len(d[key]), -1)
                if max(ids) >= len(v):
                    raise ClipError(f"{tp}: {key!r} has {len(v)} frames, transforms reference frame {max(ids)}")
                params[f"track_{key}"] = v[ids]
    au = root / "au.csv"
    if au.is_file():
        import pandas as pd

        df = pd.read_csv(au)
        df.columns = [c.strip() for c in df.columns]  # OpenFace writes ' AU45_r' with a leading space
        if "AU45_r" not in df.columns:
            raise ClipError(f"{au}: no AU45_r column (is it OpenFace FeatureExtraction output?)")
        v = df["AU45_r"].to_numpy(np.float32)
        if max(ids) >= len(v):
            raise ClipError(f"{au}: {len(v)} rows, transforms reference frame {max(ids)}")
        params["au45"] = v[ids][:, None]
    return params


# ------------------------------------------------------------------------------------------------ writing

def transforms_dict(cameras: Cameras, width: int, height: int, img_ids: list[int] | np.ndarray,
                    world_scale: float = 1.0) -> dict[str, Any]:
    """A ``transforms_*.json`` body for our cameras (the first camera's intrinsics; they use one focal length).

    Raises ValueError when intrinsics vary, are anisotropic, or the principal point is off-centre, since their
    format cannot say so (they take the image size as ``2 * (cx, cy)`` unless ``h``/``w`` are given: we give them).
    """
    K = cameras.K
    if not np.allclose(K, K[:1], atol=1e-3):
        raise ValueError("the processed layout holds one intrinsic matrix; these cameras' intrinsics vary")
    fx, fy = float(K[0, 0, 0]), float(K[0, 1, 1])
    if abs(fx - fy) > 1e-3 * fx:
        raise ValueError(f"the processed layout holds one focal length; got fx={fx}, fy={fy}")
    c2w = cv_w2c_to_gl_c2w(cameras.w2c, world_scale)
    return {
        "focal_len": fx, "cx": float(K[0, 0, 2]), "cy": float(K[0, 1, 2]), "h": int(height), "w": int(width),
        "frames": [{"img_id": int(i), "aud_id": int(i), "transform_matrix": m.tolist()} for i, m in zip(img_ids, c2w)],
    }


def write_processed(clip: Clip, root: str | Path, name: str | None = None, world_scale: float = 1.0,
                    split: bool = True) -> Path:
    """Write a clip in the processed layout: what the loader needs, plus ``<ID>.mp4`` for their own preprocessing.

    Writes ``<ID>.mp4`` (with audio), ``aud.wav``, ``ori_imgs/<i>.jpg``, ``gt_imgs/<i>.jpg`` (the same frames:
    we have no separately estimated background), ``ori_imgs/<i>.lms`` when the clip has landmarks,
    ``parsing/<i>.png`` when it has masks, and ``transforms_train.json``/``transforms_val.json`` split by their
    rule (``split=False`` puts every frame in both). It does not write what needs their models (bc.jpg,
    torso_imgs, track_params.pt, au.csv, audio features): their ``process.py`` makes those from ``<ID>.mp4``.
    """
    from ggtalker.core.video import write_video

    if clip.frames is None or clip.audio is None:
        raise ValueError(f"{clip.id}: write_processed needs frames and audio")
    root = Path(root)
    name = name or root.name
    for sub in ("ori_imgs", "gt_imgs") + (("parsing",) if clip.masks is not None else ()):
        (root / sub).mkdir(parents=True, exist_ok=True)
    write_video(root / f"{name}.mp4", clip.frames, clip.fps, audio=clip.audio)
    save_audio(root / "aud.wav", clip.audio)
    for i, img in enumerate(tqdm(clip.frames, desc=f"write {name}", unit="frame", leave=False)):
        iio.imwrite(root / "ori_imgs" / f"{i}.jpg", img, quality=95)
        iio.imwrite(root / "gt_imgs" / f"{i}.jpg", img, quality=95)
        if clip.landmarks is not None:
            np.savetxt(root / "ori_imgs" / f"{i}.lms", clip.landmarks[i], "%f")
        if clip.masks is not None:
            iio.imwrite(root / "parsing" / f"{i}.png", encode_parsing(clip.masks[i]))
    n = clip.n_frames
    if split and n < 2:
        raise ValueError(f"{clip.id}: splitting needs at least 2 frames, got {n}")
    cut = split_index(n) if split else n
    ids = np.arange(n)
    parts = {"train": ids[:cut], "val": ids[cut:] if split else ids}
    for part, sel in parts.items():
        body = transforms_dict(clip.cameras[sel], clip.width, clip.height, sel, world_scale)
        (root / f"transforms_{part}.json").write_text(json.dumps(body, indent=1))
    return root
