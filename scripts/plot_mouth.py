"""Plot predicted vs ground-truth mouth openness over time for one OOD clip of the audio_prior suite.

    python scripts/plot_mouth.py --out mouth.png [--family unseen_language] [--case 0] [--zoo a2e_synthtalk]

Also draws the regressor and the energy baseline, and prints each curve's Pearson r and the LVE-free
openness RMSE.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="mouth.png")
    ap.add_argument("--family", default="unseen_language")
    ap.add_argument("--case", type=int, default=0)
    ap.add_argument("--zoo", default="a2e_synthtalk")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    torch.set_num_threads(2)
    from baselines.a2e_energy import EnergyBaseline
    from ggtalker.a2e.prior import A2EPrior
    from ggtalker.synth.audio_prior import audio_prior_cases
    from ggtalker.core.clip import read_clip
    from ggtalker.metrics.params import mouth_openness
    from ggtalker.zoo import load_path

    case = [c for c in audio_prior_cases("smoke", families=[args.family], per_family=args.case + 1)][args.case]
    clip = read_clip(case.target)
    gt = mouth_openness(clip.params)
    curves = {
        f"A2E diffusion ({args.zoo})": A2EPrior.from_zoo(args.zoo).predict(clip.audio, clip.fps, clip.n_frames, seed=args.seed),
        "A2E regressor": A2EPrior.from_zoo("a2e_regressor_synthtalk").predict(clip.audio, clip.fps, clip.n_frames),
        "energy baseline": EnergyBaseline.load(load_path("a2e_energy_synthtalk")).predict(clip.audio, clip.fps, clip.n_frames),
    }
    t = np.arange(clip.n_frames) / clip.fps
    fig, (ax, axa) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot(t, gt, "k", lw=2.2, label="ground truth")
    for name, params in curves.items():
        o = mouth_openness(params)
        r = np.corrcoef(o, gt)[0, 1] if o.std() > 1e-8 else 0.0
        rmse = float(np.sqrt(np.mean((o - gt) ** 2)))
        print(f"{name}: r = {r:.3f}, RMSE = {rmse:.4f}")
        ax.plot(t, o, lw=1.2, label=f"{name} (r={r:.2f})")
    ax.set(ylabel="mouth openness", title=f"{clip.id}: {clip.meta.get('voice')} — {clip.meta.get('text', '')[:70]}")
    ax.legend(fontsize=8, loc="upper right")
    axa.plot(np.arange(len(clip.audio)) / 16000, clip.audio, lw=0.3, color="0.4")
    axa.set(xlabel="time (s)", ylabel="audio")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
