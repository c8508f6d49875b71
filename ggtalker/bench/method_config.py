"""A method's configuration as a leaderboard row names it: the resolved spec, its hash and its label.

A row is keyed by ``(method, scale, config_hash)``, ``config_hash`` being a short hash of the resolved
method spec ``{target, params}`` (:func:`config_hash`, the run folder's :func:`~ggtalker.bench.resume.digest`),
so a sweep over a parameter yields one row per value. The ``label`` names what differs from the registered
default at that scale (``talking_gaussian[steps=5]``); the registered default's label is the method name.

The registered default at a scale is the YAML's ``params`` with ``eval/conf/preset/<method>/<scale>.yaml``
merged over them (:func:`registered_spec`). Hydra merges the same file while it composes (the method YAML's
defaults list names it), so ``scale=full`` takes the method's full budget with nothing typed, and
``--cfg job`` prints it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

from ggtalker import zoo
from ggtalker.bench.resume import digest
from ggtalker.core.registry import CONF_DIR, METHODS

#: Hex digits of the row's config hash.
HASH_LEN = 8
#: Hex digits of a zoo entry's sha256 kept in the row (summary.json keeps all 64).
ZOO_SHA_LEN = 16
#: Per method, per scale: ``<PRESET_DIR>/<method>/<scale>.yaml``, the params that scale merges over the YAML's.
PRESET_DIR = CONF_DIR / "preset"
#: YAML key listing parameters the row's label leaves out because they name the method already
#: (``precomputed``'s ``label``, which is the row's method, and its ``dir``); they still enter the hash.
LABEL_OMITS_KEY = "label_omits"


def method_spec(node: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a method config that determines its results: ``{target, params}`` (no name, presets)."""
    if isinstance(node, DictConfig):  # plain containers hash alike however the config was built
        node = OmegaConf.to_container(node, resolve=True)
    return {"target": str(node["target"]), "params": copy.deepcopy(dict(node.get("params") or {}))}


def config_hash(node: Mapping[str, Any]) -> str:
    """Short hash of :func:`method_spec` of ``node``: the row key besides method and scale."""
    return digest(method_spec(node), HASH_LEN)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``, nested dicts key by key."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else copy.deepcopy(v)
    return out


def preset(node: Mapping[str, Any], scale: str) -> dict[str, Any]:
    """A config built in code's own ``presets[<scale>]`` (parameters over ``params`` at that scale), ``{}`` when
    it has none. Registered methods keep theirs in files: :func:`registered_preset`."""
    return dict((node.get("presets") or {}).get(str(scale)) or {})


def _load_preset(path: Path) -> dict[str, Any]:
    # A preset file may start from others, as hydra would merge them: one of its folder (``defaults: [full]``)
    # or another method's by its absolute path into the same package (``- /preset/ggtalker/smoke@_here_``).
    data = OmegaConf.to_container(OmegaConf.load(path), resolve=True) or {}
    out: dict[str, Any] = {}
    for base in data.pop("defaults", []) or []:
        if base == "_self_":
            continue
        name, _, package = str(base).partition("@")
        if package not in ("", "_here_"):
            raise ValueError(f"{path}: defaults entry {base!r}: a preset can only start from one merged in place")
        target = CONF_DIR / f"{name.lstrip('/')}.yaml" if name.startswith("/") else path.with_name(f"{name}.yaml")
        out = merge(out, _load_preset(target))
    return merge(out, data)


def registered_preset(yaml_name: str, scale: str) -> dict[str, Any]:
    """``eval/conf/preset/<yaml_name>/<scale>.yaml`` (what the method's defaults list merges over its params
    at that scale), ``{}`` when there is none."""
    path = PRESET_DIR / str(yaml_name) / f"{scale}.yaml"
    return _load_preset(path) if path.is_file() else {}


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"adapt": {"steps_uv": 30}}`` → ``{"adapt.steps_uv": 30}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def apply_preset(node: Mapping[str, Any], yaml_params: Mapping[str, Any], scale: str) -> tuple[dict, dict]:
    """Resolve ``node``'s params at ``scale``: ``presets[scale]`` over the YAML's ``params``, and a value
    typed on the command line (one that differs from the YAML's) over both.

    Returns ``(params, applied)``: the resolved params and the preset's values that were applied (dotted
    keys). A typed value equal to the YAML default cannot be told from no value: the preset wins there.
    """
    params = dict(node.get("params") or {})
    typed = {k for k, v in flatten(params).items() if flatten(yaml_params).get(k, object()) != v}
    applied = {k: v for k, v in flatten(preset(node, scale)).items()
               if k not in typed and not any(k.startswith(t + ".") for t in typed)}
    out = params
    for k, v in applied.items():
        out = merge(out, _nest(k, v))
    return out, applied


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    head, _, rest = dotted.partition(".")
    return {head: _nest(rest, value) if rest else value}


def registered_spec(yaml_name: str, scale: str) -> dict[str, Any] | None:
    """The registered default of ``yaml_name`` at ``scale`` (``params`` with :func:`registered_preset` over
    them), or None when no method of that name is registered."""
    if yaml_name not in METHODS.names():
        return None
    spec = METHODS.spec(yaml_name)
    over = registered_preset(yaml_name, scale) or preset(spec, scale)
    return {"target": str(spec["target"]), "params": merge(spec.get("params") or {}, over)}


def method_params(name: str, scale: str, overrides: list[str]) -> dict[str, Any]:
    """The method's registered default at ``scale`` (:func:`registered_spec`), then dotted ``key=value``
    overrides (values parsed as YAML, as on hydra's command line)."""
    spec = registered_spec(name, scale) or METHODS.spec(name)  # the latter raises, listing the registered names
    return merge(spec["params"], OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides))))


def default_hash(yaml_name: str, scale: str) -> str | None:
    """:func:`config_hash` of the registered default, or None for an unregistered name."""
    spec = registered_spec(yaml_name, scale)
    return None if spec is None else config_hash(spec)


def _show(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def row_label(method_name: str, yaml_name: str, node: Mapping[str, Any], scale: str) -> str:
    """``method[key=value,...]`` naming the params that differ from the registered default at ``scale``,
    sorted by key; just ``method`` for the default (or a method with nothing registered to compare with)."""
    default = registered_spec(yaml_name, scale)
    if default is None:
        return method_name
    spec = method_spec(node)
    omit = set((METHODS.spec(yaml_name).get(LABEL_OMITS_KEY) or ()))
    mine, ref = flatten(spec["params"]), flatten(default["params"])
    diffs = [f"{k}={_show(mine.get(k))}" for k in sorted(set(mine) | set(ref))
             if k.split(".")[0] not in omit and mine.get(k) != ref.get(k)]
    if spec["target"] != default["target"]:
        diffs.insert(0, f"target={spec['target']}")
    return f"{method_name}[{','.join(diffs)}]" if diffs else method_name


def zoo_entries(info: Any) -> dict[str, str]:
    """``{entry: sha256}`` of every zoo entry named by a string anywhere in ``info`` (a ``describe()``)."""
    present = set(zoo.names())
    found: dict[str, str] = {}

    def walk(v: Any) -> None:
        if isinstance(v, Mapping):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, str) and v in present:
            found[v] = str(zoo.card(v)["sha256"])

    walk(info)
    return dict(sorted(found.items()))


def zoo_column(entries: Mapping[str, str]) -> str:
    """The row's ``zoo`` cell: ``name:sha256[:16]`` joined by ``;`` ('' when the method names none)."""
    return ";".join(f"{k}:{v[:ZOO_SHA_LEN]}" for k, v in entries.items())
