"""Fit the phoneme-free energy → mouth baseline (:mod:`baselines.a2e_energy`) on the A2E corpus (closed form).

    python -m ggtalker.train.energy scale=smoke out=/tmp/energy.npz [zoo=a2e_energy_synthtalk]
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import OmegaConf

from baselines.a2e_energy import EnergyBaseline
from ggtalker.train.a2e_corpus import FPS, build_corpus
from ggtalker.zoo import save_entry


def main(argv: list[str] | None = None) -> None:
    cfg = OmegaConf.merge({"scale": "smoke", "out": "outputs/a2e_energy.npz", "zoo": None, "zoo_root": None,
                           "seed": 0, "workers": 2},
                          OmegaConf.from_dotlist(sys.argv[1:] if argv is None else argv))
    corpus = build_corpus(str(cfg.scale), seed=int(cfg.seed), workers=int(cfg.workers))
    items = range(len(corpus))
    model = EnergyBaseline.fit([corpus.item_audio(k) for k in items],
                               [corpus.params[corpus.frame_off[k] : corpus.frame_off[k + 1]] for k in items], FPS)
    path = model.save(cfg.out)
    print(f"wrote {path}")
    if cfg.zoo:
        save_entry(str(cfg.zoo), path, recipe=f"python -m ggtalker.train.energy scale={cfg.scale}",
                   data=f"SynthTalk A2E corpus '{cfg.scale}' ({len(corpus)} performances)", steps=0,
                   device="cpu (closed-form ridge regression)", root=Path(cfg.zoo_root) if cfg.zoo_root else None)


if __name__ == "__main__":
    main()
