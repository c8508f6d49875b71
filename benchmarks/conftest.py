"""Shared setup of the CPU benchmarks: one torch thread, and the bench scripts' own setup functions.

Run on demand, not in CI (CI collects ``tests/`` only)::

    python -m pytest benchmarks --benchmark-only
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
import torch

from ggtalker import REPO_ROOT

# One thread: the medians then compare across machines and do not depend on what else is running.
torch.set_num_threads(1)


def bench_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (scripts/ is no package), so the benchmarks time what it times."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def rasterizer_script() -> ModuleType:
    return bench_script("bench_rasterizer")


@pytest.fixture(scope="session")
def a2e_script() -> ModuleType:
    return bench_script("bench_a2e")
