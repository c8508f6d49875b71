"""Checkpoint files written atomically, so an interrupted save never leaves a truncated checkpoint."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from ggtalker.core.atomic import write_bytes


def save_atomic(obj: Any, path: str | Path) -> Path:
    """``torch.save(obj)`` to ``path`` through a temporary sibling and a rename; returns the path."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return write_bytes(path, buf.getvalue())
