"""Registries: every shipped config resolves, unknown names list what exists, collisions refused."""

import pytest

from ggtalker.core.registry import METHODS, METRICS, SUITES, Registry, import_target


def test_shipped_specs_resolve():
    for reg in (METHODS, SUITES, METRICS):
        assert reg.names(), f"no {reg.kind}s registered"
        for name in reg.names():
            spec = reg.spec(name)
            assert callable(import_target(spec["target"])), f"{reg.kind} {name}: {spec['target']}"


def test_every_metric_builds_without_network():
    for name in METRICS.names():
        m = METRICS.build(name)
        assert m.outputs, name
        reason = m.unavailable()
        assert reason is None or len(reason) > 20, f"{name}: an unavailable metric must say why and how to fix"


def test_unknown_name_lists_available():
    with pytest.raises(KeyError, match="static"):
        METHODS.spec("no_such_method")


def test_register_in_code_and_collision(tmp_path):
    reg = Registry("method", tmp_path)
    (tmp_path / "a.yaml").write_text("target: ggtalker.methods.reference:Static\n")
    reg.register("b", "ggtalker.methods.reference:GroundTruth")
    assert reg.names() == ["a", "b"]
    assert type(reg.build("b")).__name__ == "GroundTruth"
    with pytest.raises(KeyError, match="already registered"):
        reg.register("a", "ggtalker.methods.reference:Static")


def test_spec_without_target(tmp_path):
    (tmp_path / "x.yaml").write_text("params: {}\n")
    with pytest.raises(ValueError, match="target"):
        Registry("metric", tmp_path).spec("x")


def test_bad_target():
    with pytest.raises(ImportError, match="no attribute"):
        import_target("ggtalker.methods.reference:Nope")
