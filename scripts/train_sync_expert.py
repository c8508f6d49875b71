#!/usr/bin/env python
"""Train the SynthTalk sync expert and (with --zoo) ship it as ``ggtalker/zoo/sync_expert_synthtalk``.

    python scripts/train_sync_expert.py --n-train 24 --n-test 16 --steps 1500 --zoo        # CPU smoke size
    python scripts/train_sync_expert.py --n-train 400 --n-test 100 --steps 20000 --device cuda --zoo  # full

Renders (and caches) SynthTalk clips, trains, measures separation on held-out clips (aligned vs audio
delayed by 5 frames; see scripts/eval_sync_expert.py) and writes ``<out>/sync_expert.pt`` and
``<out>/separation.json``. With ``--zoo`` the checkpoint and its measured separation go into the zoo card.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ggtalker.metrics.sync_expert import ZOO_NAME  # noqa: E402
from ggtalker.metrics.sync_expert_train import load_prepared, separation, sync_clips, train  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-train", type=int, default=24, help="training clips (rendered once, cached)")
    ap.add_argument("--n-test", type=int, default=16, help="held-out clips (unseen identities and sentences)")
    ap.add_argument("--size", type=int, default=224, help="render size of the clips")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--width", type=int, default=32, help="channel multiplier of the towers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=1, help="processes rendering clips")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared machine)")
    ap.add_argument("--out", default="outputs/sync_expert")
    ap.add_argument("--zoo", action="store_true", help=f"save as zoo entry {ZOO_NAME}")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    _, train_data = load_prepared(sync_clips("train", args.n_train, args.size, args.seed, args.workers))
    test_clips, _ = load_prepared(sync_clips("test", args.n_test, args.size, args.seed, args.workers))
    t0 = time.perf_counter()
    model, losses = train(train_data, args.steps, args.batch, args.lr, args.seed, args.device, args.width)
    train_s = time.perf_counter() - t0
    model = model.cpu()
    ckpt = out / "sync_expert.pt"
    model.save(str(ckpt))
    sep = separation(model, test_clips, shift=5)
    report = {"separation_5f": sep["fraction"], "n_test": sep["n"], "train_s": round(train_s, 1),
              "final_loss": float(np.mean(losses[-50:])), "steps": args.steps, "n_train_clips": args.n_train,
              "n_train_windows": int(sum(len(d.video) for d in train_data)), "details": sep}
    (out / "separation.json").write_text(json.dumps(report, indent=1))
    print(f"separation (aligned conf > 5-frame-shifted conf): {sep['fraction']:.3f} of {sep['n']} held-out clips; "
          f"final loss {report['final_loss']:.3f}; train {train_s:.0f} s")
    if args.zoo:
        from ggtalker.zoo import save_entry

        cmd = "python scripts/train_sync_expert.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        card = save_entry(
            ZOO_NAME, ckpt, recipe=cmd, steps=args.steps, device=f"{args.device} ({torch.__version__})",
            data=f"SynthTalk sync_clips(train, n={args.n_train}, size={args.size}, seed={args.seed}); test n={args.n_test}",
            metrics={"separation_5f": sep["fraction"], "n_test": sep["n"], "final_loss": report["final_loss"]},
            architecture=model.config,
        )
        print(f"wrote {card}")
    return report


if __name__ == "__main__":
    main()
