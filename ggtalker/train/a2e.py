"""Train the Audio-Expression prior (or its regressor twin) on the SynthTalk corpus.

    python -m ggtalker.train.a2e scale=smoke out=/tmp/a2e              # CPU, a couple of minutes
    python -m ggtalker.train.a2e scale=full out=OUT device=cuda        # one H200, minutes
    torchrun --nproc_per_node=2 -m ggtalker.train.a2e scale=full ...   # DDP over GPUs
    python -m ggtalker.train.a2e scale=smoke mode=regress out=/tmp/reg # the deterministic regressor

Arguments are ``key=value`` overrides of :data:`DEFAULTS` (OmegaConf dotlist). ``resume=true`` continues
from ``out/train_state.pt`` (weights, optimizer, schedule, step, RNG states, loss history; saved every
``ckpt_every`` steps), exactly as an uninterrupted run would (single process; under DDP the other ranks
draw fresh batches). Writes ``out/a2e.pt``
(fp16 weights, what the zoo ships), ``out/loss.png`` and ``out/log.json``; ``zoo=<name>`` also stores
the result as a zoo entry with its recipe.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf
from tqdm.auto import tqdm

from ggtalker.a2e.diffusion import Diffusion
from ggtalker.a2e.model import A2EConfig, A2ENet
from ggtalker.a2e.prior import A2EPrior, param_slice
from ggtalker.audio import band_statistics, build_encoder
from ggtalker.synth.recipes import WORLD_VERSION
from ggtalker.train.a2e_corpus import Corpus, WindowSampler, build_corpus, corpus_speakers, style_names
from ggtalker.train.checkpoint import TrainingState

#: Per-scale defaults; any key can be overridden on the command line.
DEFAULTS = {
    "smoke": {"corpus": "smoke", "d_model": 96, "n_layers": 2, "audio_layers": 1, "n_heads": 4,
              "steps": 400, "batch": 12, "lr": 2e-3, "threads": 1, "ckpt_every": 100},
    "full": {"corpus": "full", "d_model": 192, "n_layers": 6, "audio_layers": 2, "n_heads": 4,
             "steps": 6000, "batch": 64, "lr": 1e-3, "p_short": 0.3},
}
COMMON = {"scale": "smoke", "mode": "diffusion", "out": "outputs/a2e", "device": "cpu", "seed": 0, "workers": 2,
          # prior_frames 50 rather than 250: as good on clean validation speech, far better under noise
          # (docs/audio-prior.md has the comparison).
          "encoder": {"kind": "logmel", "norm": "prior", "prior_frames": 50},
          # SpecAugment is off: on the validation split (prior_frames 50) it was worse on clean speech (in-dist
          # 4.15 vs 3.89, unseen languages 5.30 vs 4.92 mm) for a little under noise (7.22 vs 7.74) and took
          # 473 s instead of 353 (docs/audio-prior.md). spec_augment.p=0.5 turns it on.
          "spec_augment": {"p": 0.0, "freq_masks": 2, "freq_width": 12, "time_masks": 2, "time_width": 6},
          "window": 100, "prev": 10, "ff_mult": 2, "dropout": 0.1, "p_drop": 0.1, "diffusion_steps": 500,
          # lip_samples: on the validation split (world 5) averaging the lips of 4 samples gave in-dist 3.80,
          # unseen languages 4.35, 5 dB noise 6.94 mm against one sample's 3.89 / 4.46 / 7.43; 8 were no better.
          "sample_steps": 8, "guidance": 1.5, "lip_samples": 4, "mouth_weight": 2.0, "p_short": 0.0, "ckpt_every": 500, "threads": 2, "zoo": None,
          "zoo_root": None, "max_minutes": None, "resume": False,
          # fit_minutes: time-boxed runs (candidates on a lent GPU) measure their speed over steps 50..100 and
          # shorten `steps` so that the one-cycle schedule still anneals within this many minutes.
          "fit_minutes": None}


def config(argv: list[str]) -> dict:
    """Defaults for the requested scale, overridden by ``key=value`` arguments."""
    cli = OmegaConf.from_dotlist(argv)
    scale = str(cli.get("scale", "smoke"))
    if scale not in DEFAULTS:
        raise SystemExit(f"scale must be one of {sorted(DEFAULTS)}, got {scale!r}")
    cfg = OmegaConf.merge(COMMON, DEFAULTS[scale], cli)
    if cfg.mode not in ("diffusion", "regress"):
        raise SystemExit(f"mode must be diffusion or regress, got {cfg.mode!r}")
    return OmegaConf.to_container(cfg, resolve=True)


def dim_weights(mouth_weight: float, m: int) -> torch.Tensor:
    """Loss weights ``(M,)``: the mouth (lip components, tongue, jaw) counts ``mouth_weight`` times."""
    w = torch.ones(m)
    w[0:5] = mouth_weight  # lip_round … lower_lip_depress
    w[9] = mouth_weight  # tongue_up
    w[param_slice("jaw")] = mouth_weight
    return w


def fit_encoder_cfg(encoder: dict, corpus) -> dict:
    """The encoder's constructor options, completed from the training corpus where they need it.

    ``norm: prior`` (the log-mel default) gets its band statistics from up to 400 corpus items (a fixed
    draw); what is returned is what the checkpoint stores, so inference normalises as training did.
    """
    enc = dict(encoder)
    if enc.get("kind", "logmel") != "logmel":
        for key in ("norm", "prior_frames"):  # log-mel options that the default config names; HF encoders
            enc.pop(key, None)                # normalise themselves
        return enc
    if enc.get("norm") == "prior" and "prior_mean" not in enc:
        pick = np.random.default_rng(0).choice(len(corpus), size=min(400, len(corpus)), replace=False)
        enc["prior_mean"], enc["prior_var"] = band_statistics([corpus.item_audio(k) for k in sorted(pick)],
                                                              enc.get("n_mels", 80))
    return enc


FIT_PROBE_STEPS = 50


def refit_schedule(opt: torch.optim.Optimizer, lr: float, total: int, done: int):
    """A one-cycle schedule over ``total`` steps, advanced past the ``done`` steps already taken."""
    for g in opt.param_groups:  # OneCycleLR re-reads these when it is built again
        g.pop("initial_lr", None), g.pop("max_lr", None), g.pop("min_lr", None)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.05)
    for _ in range(done):
        sched.step()
    return sched


def plot_losses(losses: list[float], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    y = np.asarray(losses)
    ax.plot(y, lw=0.5, alpha=0.4, label="batch")
    k = max(1, len(y) // 50)
    if len(y) >= k:
        ax.plot(np.arange(k - 1, len(y)), np.convolve(y, np.ones(k) / k, "valid"), label=f"mean of {k}")
    ax.set(xlabel="step", ylabel="loss", yscale="log", title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def train(cfg: dict, corpus: Corpus | None = None) -> Path:
    """Train per ``cfg`` (see :data:`DEFAULTS`); returns the path of the exported fp16 checkpoint.

    ``corpus`` replaces the SynthTalk corpus ``cfg["corpus"]`` (tests train on a tiny one).
    """
    ddp = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = 0
    if ddp:
        torch.distributed.init_process_group("nccl")
        rank = torch.distributed.get_rank()
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        cfg["device"] = f"cuda:{os.environ['LOCAL_RANK']}"
    if ddp and cfg.get("fit_minutes"):  # each rank would fit its own step count, and DDP would then hang
        raise SystemExit("fit_minutes is for single-process runs; give DDP runs an explicit steps=")
    torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(cfg["seed"] + rank)
    out = Path(cfg["out"])
    out.mkdir(parents=True, exist_ok=True)
    dev = cfg["device"]

    # Rank 0 builds the corpus and features first; the others then read them from the cache.
    if rank != 0:
        torch.distributed.barrier()
    corpus = corpus or build_corpus(cfg["corpus"], seed=cfg["seed"], workers=cfg["workers"])
    enc_cfg = fit_encoder_cfg(cfg["encoder"], corpus)
    encoder = build_encoder(enc_cfg)
    feats = corpus.features(encoder)
    if ddp and rank == 0:
        torch.distributed.barrier()
    mean = corpus.params.mean(0)
    std = np.maximum(corpus.params.std(0), 1e-3)  # pose translations barely move; avoid blowing them up
    names = style_names()
    net_cfg = A2EConfig(audio_dim=encoder.dim, n_styles=len(names), d_model=cfg["d_model"], n_heads=cfg["n_heads"],
                        n_layers=cfg["n_layers"], audio_layers=cfg["audio_layers"], ff_mult=cfg["ff_mult"],
                        dropout=cfg["dropout"], window=cfg["window"], prev=cfg["prev"])
    net = A2ENet(net_cfg).to(dev)
    diffusion = Diffusion(cfg["diffusion_steps"])
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=cfg["steps"], pct_start=0.05)
    weights = dim_weights(cfg["mouth_weight"], net_cfg.motion_dim).to(dev)
    aug = dict(cfg["spec_augment"])
    aug_p = float(aug.pop("p"))
    sampler = WindowSampler(corpus, feats, mean, std, cfg["window"], cfg["prev"], p_short=cfg["p_short"],
                            seed=cfg["seed"] * 1000 + rank)
    aug_gen = torch.Generator().manual_seed(cfg["seed"] * 1000 + rank)
    state = TrainingState(out / "train_state.pt", cfg["ckpt_every"] if rank == 0 else 0,
                          {"net": net, "opt": opt, "sched": sched}, {"sampler": sampler.rng, "spec_augment": aug_gen},
                          restore_rng=rank == 0)
    step, extra = state.begin(bool(cfg["resume"]))
    losses = extra.get("losses", [])
    if step:
        if extra["cfg"]["mode"] != cfg["mode"] or extra["net_cfg"] != net_cfg.to_dict():
            raise SystemExit(f"{state.path}: was trained with another mode/architecture; use a new out=")
        if extra["cfg"].get("fit_minutes"):  # the schedule was fitted to the first run's speed: keep its length
            cfg["steps"] = extra["cfg"]["steps"]
        if rank != 0:  # rank 0's streams were saved; the others must not replay their first batches
            sampler.rng = np.random.default_rng(cfg["seed"] * 1000 + rank + step)
            aug_gen.manual_seed(cfg["seed"] * 1000 + rank + step)
        print(f"resuming {state.path} at step {step}", file=sys.stderr)
    # The regressor never uses the null-audio token, which DDP must be told about.
    model = torch.nn.parallel.DistributedDataParallel(net, find_unused_parameters=cfg["mode"] == "regress") if ddp else net

    def save_state(every: bool = False) -> None:
        extra = {"losses": losses, "cfg": cfg, "net_cfg": net_cfg.to_dict()}
        if every:
            state.maybe_save(step, **extra)
        elif rank == 0:
            state.save(step, **extra)

    t0, step0 = time.perf_counter(), step
    net.train()
    bar = tqdm(total=cfg["steps"], initial=step, desc=f"a2e {cfg['mode']} ({cfg['scale']})", unit="step", disable=rank != 0)
    while step < cfg["steps"]:
        b = sampler.batch(cfg["batch"])
        if aug_p > 0:  # SpecAugment on a random part of the batch (the rest stays clean, as at inference)
            sel = torch.rand(len(b["audio"]), generator=aug_gen) < aug_p
            if sel.any():
                b["audio"][sel] = encoder.augment(b["audio"][sel], aug_gen, **aug)
        b = {k: v.to(dev, non_blocking=True) for k, v in b.items()}
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.startswith("cuda")):
            loss = diffusion.training_loss(model, b["x0"], b["audio"], b["prev"], b["prev_mask"], b["style"],
                                           p_drop=cfg["p_drop"], weights=weights, regress=cfg["mode"] == "regress")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        if cfg.get("fit_minutes") and step == step0 + FIT_PROBE_STEPS:
            t_probe = time.perf_counter()
        if cfg.get("fit_minutes") and step == step0 + 2 * FIT_PROBE_STEPS:
            # Speed over steps 50..100 (the first ones pay for CUDA's warm-up), applied to the minutes left.
            rate = FIT_PROBE_STEPS / (time.perf_counter() - t_probe)
            spent = time.perf_counter() - t0
            fitted = min(cfg["steps"], max(step + FIT_PROBE_STEPS, step + int(rate * (60 * cfg["fit_minutes"] - spent))))
            if fitted < cfg["steps"]:
                print(f"fit_minutes={cfg['fit_minutes']}: {fitted} steps instead of {cfg['steps']}", file=sys.stderr)
                cfg["steps"] = fitted
                sched = refit_schedule(opt, cfg["lr"], fitted, step)
                state.modules["sched"] = sched
                bar.total = fitted
        losses.append(loss.detach().item())
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
        save_state(every=True)
        if cfg.get("max_minutes") and time.perf_counter() - t0 > 60 * cfg["max_minutes"]:
            # A safety net for time-boxed machines: the state is saved, so re-running with resume=true goes on to `steps`.
            print(f"stopping at step {step}: max_minutes={cfg['max_minutes']} reached", file=sys.stderr)
            break
    bar.close()
    save_state()
    train_s = time.perf_counter() - t0
    if ddp:
        torch.distributed.destroy_process_group()
    if rank != 0:
        return out / "a2e.pt"

    net.eval()
    info = {"corpus": cfg["corpus"], "corpus_items": len(corpus), "corpus_frames": int(len(corpus.params)),
            "steps": step, "batch": cfg["batch"], "final_loss": float(np.mean(losses[-50:])), "seed": cfg["seed"]}
    prior = A2EPrior(net.cpu(), diffusion, encoder.describe() | {"kind": cfg["encoder"]["kind"]}, mean, std, names,
                     mode=cfg["mode"], steps=cfg["sample_steps"], guidance=cfg["guidance"], info=info,
                     lip_samples=cfg["lip_samples"])
    prior.encoder_cfg = enc_cfg  # the constructor options (with fitted statistics), not the description
    path = prior.save(out / "a2e.pt")
    plot_losses(losses, out / "loss.png", f"A2E {cfg['mode']} ({cfg['scale']}, {step} steps)")
    (out / "log.json").write_text(json.dumps({"cfg": cfg, "info": info, "train_s": train_s,
                                              "device": torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu"}, indent=1))
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB), loss {info['final_loss']:.4f}, {train_s:.0f} s")
    if cfg.get("zoo"):
        from ggtalker.zoo import save_entry

        recipe = "python -m ggtalker.train.a2e " + " ".join(f"{k}={v}" for k, v in _overrides(cfg).items())
        dev_name = torch.cuda.get_device_name() if dev.startswith("cuda") else f"cpu ({os.cpu_count()} cores visible)"
        card = save_entry(cfg["zoo"], path, recipe=recipe, data=f"SynthTalk A2E corpus '{cfg['corpus']}' "
                          f"({len(corpus)} performances, {len(corpus.params)} frames, training sentences; "
                          f"{corpus_speakers(cfg['corpus'])}; SynthTalk world {WORLD_VERSION})", steps=step, device=dev_name,
                          metrics={"final_loss": info["final_loss"]}, train_s=round(train_s, 1), mode=cfg["mode"],
                          scale=cfg["scale"], root=Path(cfg["zoo_root"]) if cfg.get("zoo_root") else None)
        print(f"zoo entry {card}")
    return path


def _overrides(cfg: dict) -> dict:
    base = {**COMMON, **DEFAULTS[cfg["scale"]]}
    keep = {k: v for k, v in cfg.items() if k in ("scale", "mode") or (k in base and base[k] != v and k not in ("out", "zoo", "zoo_root", "device", "workers", "threads", "max_minutes", "fit_minutes", "resume"))}
    return keep


def main(argv: list[str] | None = None) -> None:
    train(config(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
