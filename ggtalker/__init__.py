"""ggtalker-bench: GGTalker and a reproducible talking-head benchmark.

``from ggtalker import Talker`` is the model (:mod:`ggtalker.talker`), loaded on first use so that importing a
subpackage (the benchmark, the synthetic world) does not import it.
"""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (configs under eval/conf, zoo checkpoints under ggtalker/zoo).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: The model's public names, resolved from :mod:`ggtalker.talker` on first access.
_TALKER_NAMES = ("A2EAdaptConfig", "AdaptConfig", "HeadAdaptConfig", "Identity", "Talk", "TalkChunk", "Talker")


def __getattr__(name: str):
    if name in _TALKER_NAMES:
        import ggtalker.talker

        return getattr(ggtalker.talker, name)
    raise AttributeError(f"module 'ggtalker' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_TALKER_NAMES])
