"""Where generated data (rendered clips, corpora, features) is cached."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$GGTALKER_CACHE`` or ``~/.cache/ggtalker-bench``."""
    return Path(os.environ.get("GGTALKER_CACHE", Path.home() / ".cache" / "ggtalker-bench"))
