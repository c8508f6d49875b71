"""Named scales: ``scale=X`` picks the method's preset while hydra composes (so ``--cfg job`` shows what runs)
and the suite's sizes for X."""

import pytest

from ggtalker.bench.method_config import default_hash, registered_preset, registered_spec
from ggtalker.bench.preflight import PreflightError
from ggtalker.bench.regress import compose_cfg
from ggtalker.bench.suite import SCALES
from ggtalker.core.registry import CONF_DIR, METHODS, SUITES

FULL_ADAPT = {"steps_uv": 1500, "steps_joint": 1500, "steps_inpaint": 150, "batch": 8, "max_side": 512,
              "one_optimizer": True, "lr_final": 0.1, "center_pose": True, "correction_units": "tracker",
              "lr_params": 0.3, "lr_params_final": 0.02}
#: full-2id keeps the first head's budget, with which its leaderboard rows were run.
FULL_2ID_ADAPT = {"steps_uv": 300, "steps_joint": 100, "steps_inpaint": 150, "batch": 4, "max_side": 256}


def test_composed_config_at_full_scale_holds_the_full_budget():
    cfg = compose_cfg("ggtalker", "novel_view", ["scale=full"])
    p = cfg.method.params
    assert dict(p.adapt) == FULL_ADAPT and p.adapt_a2e.steps == 50 and p.adapt_a2e.lr == 5e-5
    assert (p.max_train_frames, p.chunk, p.progress, p.e2v) == (150, 32, False, "e2v_synthtalk_v2") and cfg.scale == "full"
    assert "presets" not in cfg.method  # nothing left for the runner to apply: the composed config is what runs
    smoke = compose_cfg("ggtalker", "novel_view").method.params
    assert smoke.adapt.steps_uv == 200 and smoke.e2v == "e2v_synthtalk_v2" and "chunk" not in smoke  # preset/ggtalker/smoke.yaml
    assert compose_cfg("ggtalker", "smoke").scale == "smoke"
    # The reduced GPU scale keeps the first head's budget; a typed value wins over the preset.
    assert dict(compose_cfg("ggtalker", "novel_view", ["scale=full-2id"]).method.params.adapt) == FULL_2ID_ADAPT
    typed = compose_cfg("ggtalker", "novel_view", ["scale=full", "method.params.adapt.steps_uv=7"]).method.params
    assert typed.adapt.steps_uv == 7 and typed.adapt.steps_joint == 1500


def test_cfg_job_prints_the_full_budget():
    """``python eval/run.py method=ggtalker suite=novel_view scale=full --cfg job`` (the command itself)."""
    import subprocess
    import sys

    import yaml

    from ggtalker import REPO_ROOT

    p = subprocess.run([sys.executable, str(REPO_ROOT / "eval" / "run.py"), "method=ggtalker", "suite=novel_view",
                        "scale=full", "--cfg", "job"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert yaml.safe_load(p.stdout)["method"]["params"]["adapt"] == FULL_ADAPT


def test_every_preset_file_belongs_to_a_method_yaml_that_names_it():
    for d in (CONF_DIR / "preset").iterdir():
        assert d.name in METHODS.names()
        text = (CONF_DIR / "method" / f"{d.name}.yaml").read_text()
        assert f"optional /preset/{d.name}@params: ${{scale}}" in text
        for f in d.glob("*.yaml"):
            assert f.stem in SCALES
    assert registered_preset("ggtalker", "full-2id") != registered_preset("ggtalker", "full") != {}
    assert registered_spec("ggtalker", "full")["params"]["adapt"] == FULL_ADAPT
    assert registered_spec("ggtalker", "full-2id")["params"]["adapt"] == FULL_2ID_ADAPT
    # The ablations start from ggtalker's full configuration.
    for name in ("ggtalker_nocolor", "ggtalker_noinpaint", "ggtalker_noprior"):
        assert registered_spec(name, "full")["params"]["adapt"] == FULL_ADAPT
        assert registered_spec(name, "full-2id")["params"]["adapt"]["steps_uv"] == 300


def test_suite_scales_size_the_cases():
    suite = SUITES.build("ood_audio").at_scale("full-2id")
    params = suite.source["params"]
    assert (params["n_identities"], params["train_seconds"], params["test_seconds"], params["n_test"]) == (2, 12, 4, 1)
    assert "lpips" not in suite.metrics and "mouth_corr" in suite.metrics
    assert suite.base_scale("full-2id") == "full" and suite.at_scale("full-2id").at_scale("full-2id") == suite
    smoke = SUITES.build("ood_audio").at_scale("smoke")
    assert smoke.source["params"] == {"families": None} and "lse" in smoke.metrics
    with pytest.raises(ValueError, match="no sizes for scale=full-2id"):
        SUITES.build("real_video").base_scale("full-2id")
    with pytest.raises(PreflightError, match="must be one of smoke, full, full-2id"):
        compose_cfg("static", "smoke", ["scale=huge"])


def test_every_registered_default_is_what_hydra_composes():
    """``registered_spec`` (used by the fit diagnostic, adapt_identity.py and the rows' default hashes) reads the
    preset files itself: at every scale it must give the params ``eval/run.py`` composes, for every method,
    including presets that start from another method's (the ablations' smoke presets)."""
    from omegaconf import OmegaConf

    from ggtalker.bench.method_config import PRESET_DIR

    with_presets = [n for n in METHODS.names() if (PRESET_DIR / n).is_dir()]
    assert {"ggtalker", "ggtalker_noprior", "talking_gaussian"} <= set(with_presets)
    for name in with_presets:
        for scale in SCALES:
            composed = OmegaConf.to_container(compose_cfg(name, "novel_view", [f"scale={scale}"]).method.params,
                                              resolve=True)
            assert registered_spec(name, scale)["params"] == composed, (name, scale)
