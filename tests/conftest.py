"""Shared fixtures: every test gets its own data cache, torch stays on few threads."""

import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # One cache per test session keeps generated clips shared between tests but out of ~/.cache.
    root = tmp_path_factory.getbasetemp() / "ggcache"
    monkeypatch.setenv("GGTALKER_CACHE", str(root))
    yield
