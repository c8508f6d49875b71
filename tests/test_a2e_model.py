"""The A2E network and diffusion: a training step learns, sampling honours imposed values, checkpoints round-trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ggtalker.a2e.diffusion import Diffusion, cosine_alpha_bar, motion_loss
from ggtalker.a2e.model import A2EConfig, A2ENet
from ggtalker.a2e.prior import A2EPrior, blink_schedule, param_slice

torch.set_num_threads(1)  # the test machine is shared; thread contention costs more than it gains

TINY = dict(audio_dim=12, n_styles=2, d_model=32, n_heads=2, n_layers=1, audio_layers=1, window=16, prev=4, dropout=0.0)


def _batch(b: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    audio = torch.randn(b, 20, 12, generator=g)
    # A learnable target: motion is a fixed linear function of the (current frames') audio.
    x0 = audio[:, 4:] @ torch.randn(12, 19, generator=g) * 0.3
    return {"x0": x0, "audio": audio, "prev": torch.zeros(b, 4, 19), "prev_mask": torch.zeros(b, dtype=torch.bool),
            "style": torch.tensor([1, 2, 1, 2][:b])}


@pytest.mark.parametrize("regress", [False, True])
def test_training_steps_decrease_the_loss_on_a_tiny_batch(regress):
    torch.manual_seed(0)
    net, diff = A2ENet(A2EConfig(**TINY)), Diffusion(100)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    b = _batch()

    def loss_at(seed: int) -> float:
        with torch.no_grad():
            return float(diff.training_loss(net, **b, regress=regress, generator=torch.Generator().manual_seed(seed)))

    before = np.mean([loss_at(s) for s in range(4)])
    for step in range(40):
        loss = diff.training_loss(net, **b, regress=regress, generator=torch.Generator().manual_seed(100 + step))
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = np.mean([loss_at(s) for s in range(4)])
    assert after < 0.6 * before, (before, after)


def test_motion_loss_penalises_jitter_beyond_l2():
    target = torch.zeros(1, 10, 3)
    smooth, jitter = torch.full((1, 10, 3), 0.1), 0.1 * (-1.0) ** torch.arange(10.0)[None, :, None].expand(1, 10, 3)
    assert motion_loss(smooth, target) < motion_loss(jitter, target)  # same L2, different velocity error


def test_schedule_is_monotone():
    ab = cosine_alpha_bar(100)
    assert ab.shape == (100,) and torch.all(ab[1:] < ab[:-1]) and 0 < ab[-1] < ab[0] <= 1


def test_sampling_imposes_known_values_and_depends_on_the_seed():
    torch.manual_seed(0)
    net, diff = A2ENet(A2EConfig(**TINY)).eval(), Diffusion(100)
    b = _batch(1)
    known = torch.full((1, 16, 19), 0.5)
    mask = torch.zeros(1, 16, 19, dtype=torch.bool)
    mask[..., 13:] = True
    args = (net, b["audio"], b["prev"], b["prev_mask"], b["style"])
    x1 = diff.sample(*args, n=16, steps=4, known=known, known_mask=mask, generator=torch.Generator().manual_seed(1))
    x2 = diff.sample(*args, n=16, steps=4, known=known, known_mask=mask, generator=torch.Generator().manual_seed(2))
    x1b = diff.sample(*args, n=16, steps=4, known=known, known_mask=mask, generator=torch.Generator().manual_seed(1))
    assert torch.all(x1[..., 13:] == 0.5)
    assert torch.equal(x1, x1b) and not torch.allclose(x1[..., :13], x2[..., :13])


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    cfg = A2EConfig(**{**TINY, "audio_dim": 2 * 8 * 3})
    prior = A2EPrior(A2ENet(cfg), Diffusion(100), {"kind": "logmel", "n_mels": 8, "context": 1}, np.zeros(19),
                     np.ones(19), ["a", "b"], steps=3)
    audio = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    path = prior.save(tmp_path / "a2e.pt", half=False)
    again = A2EPrior.load(path)
    p1, p2 = prior.predict(audio, 25, style="b", seed=3), again.predict(audio, 25, style="b", seed=3)
    assert set(p1) == {"expr", "jaw", "blink", "pose"} and p1["expr"].shape == (25, 10)
    for k in p1:
        np.testing.assert_allclose(p1[k], p2[k], atol=1e-5)
    with pytest.raises(KeyError, match="unknown style"):
        prior.predict(audio, 25, style="nobody")


def test_blink_schedule_rate():
    n, fps = 25 * 120, 25.0
    count = lambda b: int(((b[1:, 0] >= 0.5) & (b[:-1, 0] < 0.5)).sum())  # noqa: E731
    slow, fast = count(blink_schedule(n, fps, 6, seed=0)), count(blink_schedule(n, fps, 30, seed=0))
    assert 4 <= slow <= 24 and 40 <= fast <= 90 and blink_schedule(n, fps, 0).max() == 0
    assert param_slice("blink") == slice(11, 13)


def test_refitted_one_cycle_schedule_anneals_at_its_new_end():
    """fit_minutes shortens a run after its speed probe: the schedule must still warm up and anneal in full."""
    from ggtalker.train.a2e import refit_schedule

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=1000, pct_start=0.05)
    for _ in range(100):
        opt.step(), sched.step()
    sched = refit_schedule(opt, 1e-3, total=300, done=100)
    lrs = []
    for _ in range(199):  # steps 101..299: the last step OneCycleLR allows is total - 1
        opt.step(), sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert max(lrs) <= 1e-3 * (1 + 1e-6)
    assert lrs[-1] < 1e-3 * 1e-3  # annealed to the floor at the new end, not left mid-cycle
    assert all(b <= a + 1e-12 for a, b in zip(lrs, lrs[1:]))  # past the warm-up (15 steps of 300): only decays
