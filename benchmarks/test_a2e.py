"""The zoo audio prior's predict on CPU (scripts/bench_a2e.py's audio), 2 s of speech."""

from __future__ import annotations

import numpy as np
import pytest

from ggtalker.a2e.prior import A2EPrior

SECONDS, FPS = 2.0, 25.0


@pytest.fixture(scope="module")
def prior() -> A2EPrior:
    return A2EPrior.from_zoo("a2e_synthtalk")


def test_a2e_predict(benchmark, a2e_script, prior: A2EPrior) -> None:
    audio = a2e_script.bench_audio(SECONDS)
    # Seconds a call: a few rounds suffice, and the first (allocators, lazy encoder) is not counted.
    out = benchmark.pedantic(prior.predict, args=(audio,), kwargs={"fps": FPS, "seed": 0}, rounds=5, warmup_rounds=1)
    n = int(SECONDS * FPS)
    assert len(out["expr"]) == n
    assert all(np.isfinite(v).all() and len(v) == n for v in out.values() if isinstance(v, np.ndarray))
