"""ggtalker-bench: GGTalker and a reproducible talking-head benchmark."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (configs under eval/conf, zoo checkpoints under ggtalker/zoo).
REPO_ROOT = Path(__file__).resolve().parent.parent
