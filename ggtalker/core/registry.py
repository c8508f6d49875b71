"""Lazy, config-driven registries (in the manner of lm-evaluation-harness' registry).

A registry maps a name to a *spec*: a YAML file ``<conf_dir>/<name>.yaml`` holding at
least ``target: "package.module:Attr"`` and optional ``params``. Nothing is imported
until :meth:`Registry.build` is called, so listing methods never imports torch-heavy
code, and adding an entry is one Python file plus one YAML file with no edit elsewhere.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

from ggtalker import REPO_ROOT

CONF_DIR = REPO_ROOT / "eval" / "conf"


def import_target(target: str) -> Any:
    """Import ``"pkg.module:Attr"`` (or ``"pkg.module.Attr"``) and return the attribute."""
    if ":" in target:
        module_name, attr = target.split(":", 1)
    else:
        module_name, _, attr = target.rpartition(".")
    if not module_name:
        raise ValueError(f"target {target!r} must look like 'package.module:Attr'")
    module = importlib.import_module(module_name)
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as e:
            raise ImportError(f"{module_name!r} has no attribute {attr!r} (target {target!r})") from e
    return obj


class Registry:
    """Names → specs, read from one folder of YAML files.

    Args:
        kind: what is registered ("method", "suite", "metric"), used in messages.
        conf_dir: folder with one ``<name>.yaml`` per entry.
    """

    def __init__(self, kind: str, conf_dir: Path | None = None) -> None:
        self.kind = kind
        self.conf_dir = Path(conf_dir) if conf_dir is not None else CONF_DIR / kind
        self._extra: dict[str, dict] = {}

    def names(self) -> list[str]:
        """Sorted names of every registered entry."""
        files = {p.stem for p in self.conf_dir.glob("*.yaml")} if self.conf_dir.is_dir() else set()
        return sorted(files | set(self._extra))

    def register(self, name: str, target: str, **params: Any) -> None:
        """Register an entry in code (tests, notebooks). Refuses to shadow an existing name."""
        if name in self.names():
            raise KeyError(f"{self.kind} {name!r} is already registered")
        self._extra[name] = {"name": name, "target": target, "params": params}

    def spec(self, name: str) -> dict:
        """The spec of ``name`` as a plain dict; a KeyError lists what exists."""
        if name in self._extra:
            return dict(self._extra[name])
        path = self.conf_dir / f"{name}.yaml"
        if not path.is_file():
            raise KeyError(
                f"unknown {self.kind} {name!r}; registered {self.kind}s: {', '.join(self.names()) or '(none)'}"
            )
        conf = OmegaConf.load(path)
        # Hydra's defaults list (a method's preset per scale, ``${scale}``) is composition, not the spec.
        conf.pop("defaults", None)
        spec = OmegaConf.to_container(conf, resolve=True)
        if not isinstance(spec, dict) or "target" not in spec:
            raise ValueError(f"{path}: a {self.kind} spec needs a 'target: module:Attr' key")
        spec.setdefault("name", name)
        return spec

    def build(self, name_or_spec: str | Mapping | DictConfig, **overrides: Any) -> Any:
        """Instantiate an entry: ``target(**params, **overrides)``.

        ``name_or_spec`` is a registered name or an already-loaded spec (hydra's group node).
        """
        if isinstance(name_or_spec, str):
            spec = self.spec(name_or_spec)
        elif isinstance(name_or_spec, DictConfig):
            spec = OmegaConf.to_container(name_or_spec, resolve=True)
        else:
            spec = dict(name_or_spec)
        factory = import_target(spec["target"])
        params = dict(spec.get("params") or {})
        params.update(overrides)
        obj = factory(**params)
        if hasattr(obj, "name") and spec.get("name"):
            try:
                obj.name = spec["name"]
            except AttributeError:
                pass
        return obj


METHODS = Registry("method")
SUITES = Registry("suite")
METRICS = Registry("metric")
