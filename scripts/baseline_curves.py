"""Convergence curves of an in-house baseline (issue 22): held-out loss against training steps, per identity.

    python scripts/baseline_curves.py --method talking_gaussian --identities 1 --steps 40 --every 10   # CPU smoke
    python scripts/baseline_curves.py --method nerf_talker --scale full --identities 3 --steps 3000 --every 50 \
        --device cuda --max-seconds 600 --resume

Each identity's adaptation clip (self_reenact's, at full scale its full-2id sizes) is split in time: the last
``--val-fraction`` of its frames are held out and scored with the method's own training loss and psnr_face at
step 0, every ``--every`` steps and the last. Rows (:data:`ggtalker.train.curves.COLUMNS`) are upserted into
``<out>/<method>.csv``; ``<out>/<method>_<scale>.png`` plots them and ``<out>/<method>_<scale>_summary.json`` holds
the plateau rule's step per identity and the budget it suggests. Training state is saved to
``<out>/state/`` every ``--checkpoint-every`` steps; ``--resume`` continues from it. See docs/baselines.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ggtalker.bench.fit_diagnostic import SIZES, suite_cases
from ggtalker.bench.method_config import method_params
from ggtalker.core.clip import read_clip
from ggtalker.core.registry import METHODS
from ggtalker.train.curves import TOL, WINDOW, plot, summarise, train_curve, write_summary

BASELINES = ("talking_gaussian", "nerf_talker", "wav2lip2d")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", choices=BASELINES, required=True)
    ap.add_argument("--scale", choices=sorted(SIZES), default="smoke")
    ap.add_argument("--identities", type=int, default=3)
    ap.add_argument("--only", type=int, nargs="*", default=None, metavar="K",
                    help="run only the K-th of those identities (0-based), so several jobs can share them")
    ap.add_argument("--steps", type=int, default=None, help="training steps (the method's steps parameter)")
    ap.add_argument("--every", type=int, default=None, help="evaluate the held-out frames every this many steps")
    ap.add_argument("--checkpoint-every", type=int, default=None,
                    help="save the training state every this many steps (default 5 × --every; 0: never)")
    ap.add_argument("--resume", action="store_true", help="continue each identity from its saved training state")
    ap.add_argument("--stop-after", type=int, default=None,
                    help="stop each identity after this many steps (checkpointed: --resume continues it)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="stop an identity at the first evaluation past this many training seconds")
    ap.add_argument("--val-fraction", type=float, default=0.2)
    ap.add_argument("--val-frames", type=int, default=12, help="held-out frames scored (evenly spread)")
    ap.add_argument("--tol", type=float, default=TOL)
    ap.add_argument("--window", type=float, default=WINDOW)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=None, help="override the frame size")
    ap.add_argument("--source", nargs="*", default=[], metavar="KEY=VALUE", help="suite source overrides")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="method param overrides")
    ap.add_argument("--label", default=None, help="the rows' method label (default: the method name)")
    ap.add_argument("--out", default="leaderboards/curves")
    ap.add_argument("--summary-only", action="store_true",
                    help="train nothing: rewrite the summary and plot from the CSV's rows (e.g. merged GPU rows)")
    a = ap.parse_args()
    label, out = a.label or a.method, Path(a.out)
    csv = out / f"{label}.csv"
    if a.steps is None and not a.summary_only:
        ap.error("--steps and --every are required (except with --summary-only)")
    params = method_params(a.method, a.scale, [*a.set, *([f"steps={a.steps}"] if a.steps else [])])
    method = METHODS.build({"target": METHODS.spec(a.method)["target"], "params": params, "name": a.method},
                           device=a.device, seed=a.seed)
    if a.summary_only:  # the settings are the ones the rows were trained with only when --steps/--set match
        write_outputs(a, label, out, pd.read_csv(csv), None, method.describe() if a.steps else None)
        return
    if a.every is None:
        ap.error("--steps and --every are required (except with --summary-only)")
    ckpt_every = 5 * a.every if a.checkpoint_every is None else a.checkpoint_every
    by_identity = suite_cases(a.scale, a.seed, a.identities, a.size, a.source)
    if a.only is not None:
        by_identity = {k: v for i, (k, v) in enumerate(by_identity.items()) if i in a.only}
    runs = {}
    for identity, cs in by_identity.items():
        train = [read_clip(p) for p in cs[0].train]
        if len(train) != 1:
            raise SystemExit(f"{identity}: {len(train)} adaptation clips; the split takes one")
        runs[identity] = run = train_curve(
            method, identity, train[0], csv, label=label, scale=a.scale, device=a.device, every=a.every,
            val_frames=a.val_frames, val_fraction=a.val_fraction,
            state_path=out / "state" / f"{label}_{a.scale}_{identity}.pt", checkpoint_every=ckpt_every,
            resume=a.resume, stop_after=a.stop_after, max_seconds=a.max_seconds)
        print(f"{label} {identity}: steps {run.start_step} -> {run.end_step}"
              + (" (stopped by --max-seconds)" if run.capped else ""))
    write_outputs(a, label, out, pd.read_csv(csv), runs, method.describe())


def write_outputs(a: argparse.Namespace, label: str, out: Path, df: pd.DataFrame, runs: dict | None,
                  info: dict | None) -> None:
    """The summary JSON and the plot of ``label``'s rows at ``a.scale`` (of the identities run, or all of them
    when ``runs`` is None), and the plateau per identity on stdout."""
    df = df[(df["method"] == label) & (df["scale"] == a.scale)]
    if runs is not None:
        df = df[df["identity"].isin(list(runs))]
    if df.empty:
        raise SystemExit(f"no {label} rows at scale {a.scale} in {out / f'{label}.csv'}")
    summary = {"method": label, "scale": a.scale, "device": ", ".join(sorted(df["device"].unique())),
               "steps": a.steps, "every": a.every, "max_seconds": a.max_seconds, "val_fraction": a.val_fraction,
               "val_frames": a.val_frames,
               "method_info": info, **summarise(df, runs, a.tol, a.window)}
    write_summary(out / f"{label}_{a.scale}_summary.json", summary)
    png = plot(df, summary, out / f"{label}_{a.scale}.png",
               f"{label} ({a.scale}, {summary['device']}): held-out loss")
    for ident, d in summary["identities"].items():
        print(f"{label} {ident}: plateau at step {d['plateau_step']} (best {d['best_val_loss']:.4f} at step "
              f"{d['best_step']}, last step {d['last_step']})")
    print(f"suggested steps: {summary['suggested_steps']}  ({summary['rule']})")
    print(f"rows: {out / f'{label}.csv'}  plot: {png}")


if __name__ == "__main__":
    main()
