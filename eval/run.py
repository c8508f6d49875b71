"""Evaluate one method on one suite: ``python eval/run.py method=ggtalker suite=ood_audio``.

Sweeps: ``python eval/run.py -m method=ground_truth,static suite=smoke`` (add
``hydra/launcher=joblib`` to run them in parallel, or ``hydra/launcher=submitit_slurm`` on a cluster).
"""

import hydra
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    from ggtalker.bench.runner import run

    run(cfg)


if __name__ == "__main__":
    main()
