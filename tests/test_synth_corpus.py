"""Corpus mode: planned recipes render once into a recipe-hashed cache and are listed in a manifest."""

import json
import os

from ggtalker.core.clip import read_clip
from ggtalker.synth.corpus import build_corpus
from ggtalker.synth.splits import TRAIN_IDENTITIES


def test_build_corpus_renders_once_and_reuses(tmp_path):
    kw = dict(identities=1, sentences_per_identity=1, size=32, out=tmp_path, workers=1, views=("orbit",))
    paths = build_corpus(**kw)
    assert len(paths) == 1
    clip = read_clip(paths[0])
    assert clip.meta["identity_seed"] == TRAIN_IDENTITIES[0] and clip.meta["role"] == "train"
    yaw = clip.cameras.yaw_pitch_deg()[:, 0]
    assert yaw.max() - yaw.min() > 20  # the orbit camera sweeps round the head
    mtime = os.path.getmtime(paths[0] / "clip.json")
    assert build_corpus(**kw) == paths and os.path.getmtime(paths[0] / "clip.json") == mtime
    manifest = json.loads(next(tmp_path.glob("corpus-*.json")).read_text())
    assert manifest["clips"] == [str(paths[0].relative_to(tmp_path))]
