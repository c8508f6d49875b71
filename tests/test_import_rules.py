"""The arrows between packages point one way, read from the source (every import, function-level ones too).

foundations (core, zoo) ← audio, render ← the model's parts (a2e, gaussians) ← the model (talker) ← the
tracker (track) ← data sources (synth, data) ← the harness (bench) ← metrics ← methods, baselines ← training.
A package may import its own modules and those of lower layers; packages of one layer do not import each
other. So a researcher can import the model with none of the benchmark or the synthetic world loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ggtalker import REPO_ROOT

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core", "zoo"}),
    frozenset({"audio", "render"}),
    frozenset({"a2e", "gaussians"}),
    frozenset({"talker"}),
    frozenset({"track"}),
    frozenset({"synth", "data"}),
    frozenset({"bench"}),
    frozenset({"metrics"}),
    frozenset({"methods", "baselines"}),
    frozenset({"train"}),
)
LAYER = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
#: The thin callers of the model: they may reach the model only through ggtalker.talker.
THIN_CALLERS = ("scripts/talk.py", "scripts/adapt_identity.py", "scripts/gpu/bench_pipeline.py",
                "ggtalker/methods/ggtalker.py")
MODEL_INTERNALS = ("a2e", "gaussians", "render")
#: What ``from ggtalker import X`` means: the root package holds the repository root and, lazily, the model.
ROOT_NAMES = {"REPO_ROOT": "core", "__version__": "core",
              **{n: "talker" for n in ("A2EAdaptConfig", "AdaptConfig", "HeadAdaptConfig", "Identity", "Talk",
                                       "TalkChunk", "Talker")}}


def _package(module: str) -> str | None:
    """The layered package of a dotted module name (``baselines.x`` → baselines, ``ggtalker.a2e.x`` → a2e)."""
    parts = module.split(".")
    if parts[0] == "baselines":
        return "baselines"
    if parts[0] == "ggtalker" and len(parts) > 1:
        return parts[1]
    return None


def imports(path: Path, root: Path = REPO_ROOT) -> list[tuple[int, str, list[str]]]:
    """``(line, module, imported names)`` of every import statement in ``path``, relative ones resolved."""
    here = list(path.relative_to(root).parts[:-1])  # the package a relative import of level 1 names
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            out.append((node.lineno, base, [a.name for a in node.names]))
    return out


def _targets(module: str, names: list[str]) -> set[str]:
    """The layered packages an import reaches (none for the standard library and third parties)."""
    if module == "ggtalker":
        return {ROOT_NAMES.get(n, n) for n in names}  # `from ggtalker import zoo` names a package
    pkg = _package(module)
    return set() if pkg is None else {pkg}


def violations() -> list[str]:
    bad = []
    files = sorted((REPO_ROOT / "ggtalker").rglob("*.py")) + sorted((REPO_ROOT / "baselines").rglob("*.py"))
    for path in files:
        rel = path.relative_to(REPO_ROOT)
        if rel.as_posix() == "ggtalker/__init__.py":
            continue  # the root's lazy attributes are the public entry points
        own = _package(".".join(rel.with_suffix("").parts))
        if own not in LAYER:
            bad.append(f"{rel}: package {own!r} is in no layer of tests/test_import_rules.py")
            continue
        for line, module, names in imports(path):
            for target in _targets(module, names):
                if target == own:
                    continue
                if target not in LAYER:
                    bad.append(f"{rel}:{line} imports {module} ({target}: in no layer)")
                elif LAYER[target] >= LAYER[own]:
                    bad.append(f"{rel}:{line} ({own}) imports {module} ({target}), which is not below it")
    return bad


def test_every_import_points_down() -> None:
    bad = violations()
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_thin_callers_reach_the_model_only_through_the_talker() -> None:
    bad = []
    for rel in THIN_CALLERS:
        for line, module, names in imports(REPO_ROOT / rel):
            if _package(module) in MODEL_INTERNALS:
                bad.append(f"{rel}:{line} imports {module}")
    assert not bad, "model wiring outside ggtalker.talker:\n" + "\n".join(bad)


def test_the_checker_sees_function_level_and_relative_imports(tmp_path) -> None:
    src = tmp_path / "ggtalker" / "a2e" / "x.py"
    src.parent.mkdir(parents=True)
    src.write_text("def f():\n    from ggtalker.synth.params import pack\n    from ..bench import toy\n")
    found = [(m, n) for _, m, n in imports(src, tmp_path)]
    assert found == [("ggtalker.synth.params", ["pack"]), ("ggtalker.bench", ["toy"])]
    assert {t for m, n in found for t in _targets(m, n)} == {"synth", "bench"}
