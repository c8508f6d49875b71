"""Evaluate one method on one suite: ``python eval/run.py method=ggtalker suite=ood_audio``.

Sweeps: ``python eval/run.py -m method=ground_truth,static suite=smoke`` (add
``hydra/launcher=joblib`` to run them in parallel, or ``hydra/launcher=submitit_slurm`` on a cluster).

A bad input (a setting, a method parameter, a case, a clip) is refused with one line per problem on stderr
and exit status 2, no traceback; ``HYDRA_FULL_ERROR=1`` shows the traceback as well.
"""

import os
import sys
from pathlib import Path

# The code of the tree this script is in, never another checkout's: an editable install elsewhere would
# otherwise supply its ggtalker (and its zoo and its commit) to this tree's configs.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

import ggtalker  # noqa: E402

if ggtalker.REPO_ROOT != ROOT:
    sys.exit(f"error: {__file__} imports ggtalker from {ggtalker.REPO_ROOT}, not from its own tree {ROOT}; "
             "unset PYTHONPATH or run the other checkout's eval/run.py")


def _refuse(e: BaseException) -> None:
    """Print an expected error's message alone and exit 2 (or re-raise it with ``HYDRA_FULL_ERROR=1``)."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise e
    text = e.args[0] if isinstance(e, KeyError) and e.args else str(e)  # KeyError's str() adds quotes
    print(f"error: {text}", file=sys.stderr)
    sys.exit(2)


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    from ggtalker.bench.runner import EXPECTED_ERRORS, run

    try:
        run(cfg)
    except EXPECTED_ERRORS as e:
        _refuse(e)


if __name__ == "__main__":
    from ggtalker.bench.config_check import check_overrides
    from ggtalker.bench.preflight import PreflightError

    # Before hydra composes: it would refuse `method.params.bogus=1` with "Key 'params' is not in struct".
    problems = check_overrides(sys.argv[1:])
    if problems:
        _refuse(PreflightError.of(problems))
    main()
