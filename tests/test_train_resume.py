"""Each trainer resumes exactly: a run stopped after its checkpoint at step N, resumed to 2N, ends bit-identical
to 2N steps straight (weights, optimizer, schedule, losses), and it refuses to overwrite or invent a state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ggtalker.gaussians.data import FrameSet, frameset
from ggtalker.gaussians.inpainter import BodyInpainter
from ggtalker.train.checkpoint import TrainingState
from tiny_head import tiny_clip, tiny_prior

torch.set_num_threads(1)
N = 2  # steps before the interruption; every run trains 2N


class _Interrupted(Exception):
    """The machine was taken away."""


@pytest.fixture
def interrupt_after_checkpoint(monkeypatch):
    """Make the next training run stop right after it saved its state at step ``N``."""
    save = TrainingState.maybe_save

    def maybe_save(self, step, **extra):
        save(self, step, **extra)
        if step == N:
            raise _Interrupted

    def arm():
        monkeypatch.setattr(TrainingState, "maybe_save", maybe_save)

    def disarm():
        monkeypatch.setattr(TrainingState, "maybe_save", save)

    return arm, disarm


def _saved(path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def _assert_same_state(a: dict, b: dict) -> None:
    """Two saved training states hold the same step, tensors and logs (timings aside)."""
    assert a["step"] == b["step"] == 2 * N

    def same(x, y):
        if isinstance(x, torch.Tensor):
            assert torch.equal(x, y)
        elif isinstance(x, dict):
            assert x.keys() == y.keys()
            for k in x:
                if k != "s":  # seconds since the run started: a resumed run's clock restarts
                    same(x[k], y[k])
        elif isinstance(x, (list, tuple)):
            assert len(x) == len(y)
            for u, v in zip(x, y):
                same(u, v)
        else:
            assert x == y

    same(a["modules"], b["modules"])
    same({k: v for k, v in a["extra"].items() if k != "cfg"}, {k: v for k, v in b["extra"].items() if k != "cfg"})


def _identities() -> dict[str, FrameSet]:
    """Two tiny identities of three frames each."""
    return {f"id{i}": frameset([tiny_clip(tiny_prior(), 3, seed=i)]) for i in range(2)}


def test_e2v_trainer_resumes_exactly(tmp_path, interrupt_after_checkpoint):
    from ggtalker.train.e2v import E2VTrainConfig, train_e2v

    arm, disarm = interrupt_after_checkpoint
    ids = _identities()
    cfg = E2VTrainConfig(steps=2 * N, batch=2, ckpt_every=N, log_every=1)
    train_e2v(tiny_prior(0), ids, cfg, progress=False, state_path=tmp_path / "straight.pt")
    arm()
    with pytest.raises(_Interrupted):
        train_e2v(tiny_prior(0), ids, cfg, progress=False, state_path=tmp_path / "resumed.pt")
    disarm()
    assert _saved(tmp_path / "resumed.pt")["step"] == N
    with pytest.raises(SystemExit, match="--resume"):  # never silently over an existing state
        train_e2v(tiny_prior(0), ids, cfg, progress=False, state_path=tmp_path / "resumed.pt")
    # A fresh process: other initial weights, which the state replaces.
    log = train_e2v(tiny_prior(1), ids, cfg, progress=False, state_path=tmp_path / "resumed.pt", resume=True)
    assert [r["step"] for r in log] == list(range(1, 2 * N + 1))
    _assert_same_state(_saved(tmp_path / "straight.pt"), _saved(tmp_path / "resumed.pt"))


def test_inpainter_trainer_resumes_exactly(tmp_path, interrupt_after_checkpoint):
    from ggtalker.train.inpainter import train_inpainter

    arm, disarm = interrupt_after_checkpoint
    ids = _identities()

    def run(path, seed=0, resume=False):
        torch.manual_seed(seed)
        return train_inpainter(BodyInpainter(width=4), ids, steps=2 * N, batch=2, progress=False, state_path=path,
                               resume=resume, ckpt_every=N)

    run(tmp_path / "straight.pt")
    arm()
    with pytest.raises(_Interrupted):
        run(tmp_path / "resumed.pt")
    disarm()
    run(tmp_path / "resumed.pt", seed=1, resume=True)
    _assert_same_state(_saved(tmp_path / "straight.pt"), _saved(tmp_path / "resumed.pt"))


def test_sync_expert_trainer_resumes_exactly(tmp_path, interrupt_after_checkpoint):
    from ggtalker.metrics.sync_expert import CROP_H, CROP_W
    from ggtalker.train.sync_expert import Prepared, train

    arm, disarm = interrupt_after_checkpoint
    g = torch.Generator().manual_seed(0)
    data = [Prepared(torch.rand(4, 3, 5, CROP_H, CROP_W, generator=g), torch.randn(4, 1, 13, 20, generator=g))
            for _ in range(2)]

    def run(path, resume=False):
        return train(data, steps=2 * N, batch=4, width=4, state_path=path, resume=resume, ckpt_every=N)

    _, straight = run(tmp_path / "straight.pt")
    arm()
    with pytest.raises(_Interrupted):
        run(tmp_path / "resumed.pt")
    disarm()
    _, resumed = run(tmp_path / "resumed.pt", resume=True)
    assert resumed == straight
    _assert_same_state(_saved(tmp_path / "straight.pt"), _saved(tmp_path / "resumed.pt"))


def test_a2e_trainer_resumes_exactly(tmp_path, interrupt_after_checkpoint):
    from ggtalker.core.audio import SAMPLE_RATE
    from ggtalker.train.a2e import config, train
    from ggtalker.train.a2e_corpus import FPS, Corpus

    arm, disarm = interrupt_after_checkpoint
    rng = np.random.default_rng(0)
    frames = [40, 48]  # two utterances, each longer than one window
    audio = [rng.normal(0, 0.1, int(n / FPS * SAMPLE_RATE)) for n in frames]
    corpus = Corpus(root=tmp_path / "corpus", audio=(np.concatenate(audio) * 32767).astype(np.int16),
                    audio_off=np.cumsum([0] + [len(a) for a in audio]),
                    params=rng.uniform(0, 1, (sum(frames), 19)).astype(np.float32), frame_off=np.cumsum([0] + frames),
                    style=np.array([1, 2]), language=np.array(["en", "de"]))
    corpus.root.mkdir()
    tiny = ["d_model=32", "n_layers=1", "audio_layers=1", "n_heads=2", "window=20", "prev=4", "batch=2",
            f"steps={2 * N}", f"ckpt_every={N}", "threads=1", "diffusion_steps=50"]
    train(config([*tiny, f"out={tmp_path / 'straight'}"]), corpus)
    arm()
    with pytest.raises(_Interrupted):
        train(config([*tiny, f"out={tmp_path / 'resumed'}"]), corpus)
    disarm()
    train(config([*tiny, f"out={tmp_path / 'resumed'}", "resume=true"]), corpus)
    _assert_same_state(_saved(tmp_path / "straight" / "train_state.pt"), _saved(tmp_path / "resumed" / "train_state.pt"))
