"""A run's settings checked before anything is built: seed, scale, device, overwrite, and the method's parameters.

Each setting has one check in :data:`SETTING_CHECKS`; method parameters are checked by name against the
method's constructor and by value against its type annotations (and against the YAML defaults' types inside
nested dicts). A bad value is refused in about a second with a line that names the setting, instead of
failing minutes later inside ``int()``, a training loop or ``torch.cuda``.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
import warnings
from typing import Any, Callable, Mapping, Union

from omegaconf import DictConfig, OmegaConf

from ggtalker.bench.suite import SCALES
from ggtalker.core.registry import CONF_DIR, METHODS, import_target

#: Parameters the runner passes to every method itself (from the top-level ``device=`` and ``seed=``).
RUNNER_PARAMS = ("device", "seed")
#: Videos per run when the config names none (``save_videos`` in eval/conf/config.yaml).
DEFAULT_SAVE_VIDEOS = 2
#: numpy's seed range.
SEED_RANGE = (0, 2**32 - 1)


def hydra_choice(cfg: DictConfig, group: str) -> str | None:
    """The config file hydra chose for ``group`` (``method=static`` → ``static``), or None outside hydra."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return str(HydraConfig.get().runtime.choices[group])
    except (ValueError, KeyError):
        pass
    try:
        return str(cfg.hydra.runtime.choices[group])
    except Exception:  # a config composed without hydra's node (plain OmegaConf in tests)
        return None


# -- top-level settings --------------------------------------------------------------------------

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_seed(v: Any) -> str | None:
    if not _is_int(v) or not SEED_RANGE[0] <= v <= SEED_RANGE[1]:
        return f"seed={v!r}: must be an integer in [{SEED_RANGE[0]}, {SEED_RANGE[1]}]"
    return None


def _check_scale(v: Any) -> str | None:
    return None if v in SCALES else f"scale={v!r}: must be one of {', '.join(SCALES)}"


def _check_bool(name: str) -> Callable[[Any], str | None]:
    return lambda v: None if isinstance(v, bool) else f"{name}={v!r}: must be true or false"


def _cuda(dev: Any) -> str | None:
    import torch

    with warnings.catch_warnings():  # torch warns "Found no NVIDIA driver" on stderr: the line below says it
        warnings.simplefilter("ignore")
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n == 0:
        return (f"device={dev}: CUDA is not available on this machine (torch.cuda.is_available() is False, "
                f"torch {torch.__version__}); use device=cpu")
    if dev.index is not None and dev.index >= n:
        return f"device={dev}: this machine has {n} CUDA device(s), cuda:0 to cuda:{n - 1}"
    return None


#: Per device type, None when usable here or why not.
DEVICE_CHECKS: dict[str, Callable[[Any], str | None]] = {"cpu": lambda dev: None, "cuda": _cuda}


def _check_device(v: Any) -> str | None:
    import torch

    try:
        dev = torch.device(str(v))
    except (RuntimeError, ValueError):
        return f"device={v!r}: not a device; use cpu, cuda or cuda:<index>"
    check = DEVICE_CHECKS.get(dev.type)
    if check is None:
        return f"device={v}: the runner supports {', '.join(DEVICE_CHECKS)}"
    return check(dev)


def _check_save_videos(v: Any) -> str | None:
    return None if _is_int(v) and v >= 0 else f"save_videos={v!r}: must be an integer >= 0 (videos of that many cases)"


def parse_shard(v: Any) -> tuple[int, int] | None:
    """``"k/n"`` → ``(k, n)`` with ``0 <= k < n``; None (no shard) for null. Raises ValueError otherwise."""
    if v is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(v))
    if m is None or not int(m[1]) < int(m[2]):
        raise ValueError(f"shard={v!r}: must be K/N with 0 <= K < N (this process takes identities K, K+N, ...)")
    return int(m[1]), int(m[2])


def _check_shard(v: Any) -> str | None:
    try:
        parse_shard(v)
    except ValueError as e:
        return str(e)
    return None


#: One check per top-level setting: value → None, or what is wrong with it.
SETTING_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "seed": _check_seed, "scale": _check_scale, "device": _check_device, "overwrite": _check_bool("overwrite"),
    "save_videos": _check_save_videos, "shard": _check_shard,
}


def check_settings(cfg: DictConfig) -> list[str]:
    """Problems with the top-level settings (:data:`SETTING_CHECKS`), all of them."""
    # A config without ``save_videos`` (built before it existed) takes the default, which passes.
    values = {"save_videos": DEFAULT_SAVE_VIDEOS, **{k: cfg.get(k) for k in SETTING_CHECKS if k in cfg}}
    return [p for key, check in SETTING_CHECKS.items() if (p := check(values.get(key))) is not None]


# -- method parameters ---------------------------------------------------------------------------

def accepted_parameters(factory: Any) -> tuple[dict[str, Any], bool]:
    """``({name: type hint}, open)``: the keyword parameters ``factory`` takes; ``open`` when it takes any name.

    A class's ``__init__(**kw)`` is taken to hand ``kw`` to its base (as every method here does), so the
    base's parameters are followed up the MRO.
    """
    is_class = isinstance(factory, type)
    inits = [k.__dict__["__init__"] for k in factory.__mro__ if "__init__" in k.__dict__ and k is not object] \
        if is_class else [factory]
    params: dict[str, Any] = {}
    for init in inits:
        try:
            hints = typing.get_type_hints(init)
        except Exception:  # an annotation that does not resolve: check the names only
            hints = {}
        open_kw = False
        for i, (name, p) in enumerate(inspect.signature(init).parameters.items()):
            if (is_class and i == 0) or p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind is p.VAR_KEYWORD:
                open_kw = True
                continue
            params.setdefault(name, hints.get(name, Any))
        if not open_kw:
            return params, False
    return params, True


def _unknown(name: str, accepted: Mapping[str, Any], open_kw: bool, label: str) -> str | None:
    if name in RUNNER_PARAMS:
        return f"method.params.{name}: set {name}= at the top level (the runner passes it to every method)"
    if name in accepted or open_kw:
        return None
    names = ", ".join(n for n in accepted if n not in RUNNER_PARAMS) or "none"
    return f"{label} has no parameter {name!r} (its parameters: {names})"


#: Type-hint origins a config value can be checked against; other classes (Path, MethodSpec) are not checked.
_TYPE_CHECKS: dict[Any, Callable[[Any], bool]] = {
    int: _is_int,
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    bool: lambda v: isinstance(v, bool),
    # hydra reads `label=7` as a number: a number is a fine string.
    str: lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
    dict: lambda v: isinstance(v, Mapping),
    list: lambda v: isinstance(v, (list, tuple)),
    tuple: lambda v: isinstance(v, (list, tuple)),
    type(None): lambda v: v is None,
}


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, a) for a in typing.get_args(hint))
    check = _TYPE_CHECKS.get(origin or hint)
    return True if check is None else check(value)


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    return "null" if hint is type(None) else getattr(typing.get_origin(hint) or hint, "__name__", str(hint))


def _like_default(value: Any, default: Any, where: str) -> list[str]:
    """Values inside nested dicts must have their YAML default's type (``adapt.steps_uv=abc`` is refused)."""
    if isinstance(default, Mapping) and isinstance(value, Mapping):
        return [p for k in value if k in default for p in _like_default(value[k], default[k], f"{where}.{k}")]
    if default is None or isinstance(default, Mapping):
        return []
    kind = float if isinstance(default, float) else type(default)
    return [] if _fits(value, kind) else [f"{where}={value!r}: must be {_type_name(kind)} (default {default!r})"]


def check_method_params(spec: Mapping[str, Any], yaml_name: str | None = None) -> list[str]:
    """Problems with a resolved method config ``{target, params}``: unknown names, values of the wrong type.

    Args:
        spec: the method node (``OmegaConf.to_container(cfg.method)``).
        yaml_name: its YAML file's name, whose defaults give the types of values inside nested dicts.
    """
    label = f"method={yaml_name}" if yaml_name else f"method {spec.get('target')}"
    try:
        factory = import_target(str(spec["target"]))
    except (ImportError, ValueError, KeyError) as e:
        return [f"{label}: cannot import its target {spec.get('target')!r} ({e})"]
    accepted, open_kw = accepted_parameters(factory)
    given = dict(spec.get("params") or {})
    defaults = (METHODS.spec(yaml_name).get("params") or {}) if yaml_name in METHODS.names() else {}
    out = []
    for name, value in given.items():
        where = f"method.params.{name}"
        if (problem := _unknown(name, accepted, open_kw, label)) is not None:
            out.append(problem)
        elif name not in accepted:
            continue
        elif not _fits(value, accepted[name]):
            out.append(f"{where}={value!r}: must be {_type_name(accepted[name])}")
        elif name in defaults:
            out.extend(_like_default(value, defaults[name], where))
    return out


# -- command-line overrides, before hydra composes -----------------------------------------------

def _default_method() -> str:
    for entry in OmegaConf.load(CONF_DIR / "config.yaml").get("defaults", []):
        if isinstance(entry, Mapping) and "method" in entry:
            return str(entry["method"])
    return "ground_truth"


def check_overrides(argv: list[str]) -> list[str]:
    """Problems hydra would report unclearly: an unknown scale or method, or ``method.params.X=`` for an X the
    method lacks.

    (Hydra refuses a key its YAML does not hold with "Key 'params' is not in struct", which names neither
    the method nor its parameters.) Everything else is left to hydra and to :func:`check_method_params`.
    """
    pairs = [a.split("=", 1) for a in argv if "=" in a and not a.startswith("-")]
    choices = [v for k, v in pairs if k == "method"] or [_default_method()]
    params = [k[len("method.params."):] for k, _ in pairs if k.startswith("method.params.")]
    # A scale is a config group: hydra would say "Could not find 'scale/huge'" and list nothing.
    out = [p for k, v in pairs if k == "scale" for s in v.split(",") if (p := _check_scale(s)) is not None]
    for choice in {c for value in choices for c in value.split(",")}:
        try:
            spec = METHODS.spec(choice)
        except KeyError as e:
            out.append(f"method={choice}: {e.args[0]}")
            continue
        except ValueError as e:
            out.append(str(e))
            continue
        in_yaml = spec.get("params") or {}
        missing = [k for k in params if k.split(".")[0] not in in_yaml]
        if not missing:
            continue
        try:
            accepted, open_kw = accepted_parameters(import_target(str(spec["target"])))
        except (ImportError, ValueError) as e:
            out.append(f"method={choice}: cannot import its target {spec['target']!r} ({e})")
            continue
        for key in missing:
            out.append(_unknown(key.split(".")[0], accepted, open_kw, f"method={choice}")
                       or f"method.params.{key}: not in method={choice}'s YAML; write +method.params.{key}=<value> "
                          "to add it")
    return out
