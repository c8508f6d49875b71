"""Render the reduced full-resolution cases of scripts/gpu/eval_gpu_batch.sh once, in parallel workers.

A file, not a heredoc: spawned workers re-import the main module, which stdin cannot provide.
"""

import os

from ggtalker.synth.sources import cross_identity, novel_view, ood_audio, self_reenact

if __name__ == "__main__":
    kw = dict(n_identities=int(os.environ.get("NID", "2")), n_test=1, test_seconds=4, train_seconds=12)
    ood_audio("full", families=["noise_10db", "reverb", "telephone", "unseen_voice", "unseen_language"], **kw)
    novel_view("full", views=[[0, 0], [30, 0], [60, 0], [90, 0], [-45, 0], [0, 30]], **kw)
    self_reenact("full", **{**kw, "n_test": 2})
    cross_identity("full", **{**kw, "n_test": 2})
    print("cases ready")
