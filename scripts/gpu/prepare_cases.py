"""The reduced full-resolution suites of scripts/gpu/eval_gpu_batch.sh: defined here once, rendered here.

    python scripts/gpu/prepare_cases.py                        # render every suite's cases, in parallel workers
    python scripts/gpu/prepare_cases.py --overrides ood_audio  # the hydra overrides that run the same cases

``NID`` (environment, default 2) sets the number of test identities. A file, not a heredoc: spawned
workers re-import the main module, which stdin cannot provide.
"""

import argparse
import os

from ggtalker.synth import sources

FAMILIES = ["noise_10db", "reverb", "telephone", "unseen_voice", "unseen_language"]
VIEWS = [[0, 0], [30, 0], [60, 0], [90, 0], [-45, 0], [0, 30]]
#: LPIPS/FID/LSE need weights the GPU machine lacks, LMD/CSIM dlib's model files (too large to carry).
TALK_METRICS = ["psnr", "psnr_face", "ssim", "ssim_face", "ms_ssim", "sync", "mouth_corr", "expr_mse"]
#: Per suite: source params beyond the common sizes, and the metrics.
SUITES = {
    "ood_audio": ({"n_test": 1, "families": FAMILIES},
                  ["psnr", "psnr_face", "ssim", "ssim_face", "sync", "mouth_corr", "expr_mse"]),
    "novel_view": ({"n_test": 1, "views": VIEWS}, ["psnr", "ssim", "psnr_face", "ssim_face"]),
    "self_reenact": ({"n_test": 2}, TALK_METRICS),
    "cross_identity": ({"n_test": 2}, TALK_METRICS),
}


def source_params(suite: str) -> dict:
    """The source params of ``suite``'s reduced cases."""
    common = {"n_identities": int(os.environ.get("NID", "2")), "test_seconds": 4, "train_seconds": 12}
    return {**common, **SUITES[suite][0]}


def _value(v) -> str:
    return "[" + ",".join(_value(x) for x in v) + "]" if isinstance(v, list) else str(v)


def overrides(suite: str) -> str:
    """Hydra overrides of ``eval/run.py`` that evaluate exactly the cases :func:`main` renders."""
    if suite not in SUITES:
        raise SystemExit(f"no reduced size for suite {suite!r}; have {sorted(SUITES)}")
    parts = [f"++suite.params.source.params.{k}={_value(v)}" for k, v in source_params(suite).items()]
    return " ".join(parts + [f"suite.params.metrics={_value(SUITES[suite][1])}"])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--overrides", metavar="SUITE", help="print the hydra overrides of SUITE and exit")
    a = ap.parse_args()
    if a.overrides:
        print(overrides(a.overrides))
    else:
        # PREP_SUITES (environment) limits the rendering to the suites a call evaluates (warm-up time on a fresh machine).
        for suite in os.environ.get("PREP_SUITES", " ".join(SUITES)).split():
            getattr(sources, suite)("full", **source_params(suite))
        print("cases ready")
