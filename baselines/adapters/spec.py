"""Declarative specs of published talking-head methods (in the manner of nerfbaselines' ``*_spec.py``).

A spec is data: what the method is, where its code lives (and at which commit the spec was written), the
commands its README gives to preprocess, train and infer, what it needs that this project cannot supply, and
the numbers its paper reports. :class:`baselines.adapters.external.ExternalMethod` runs it.

Commands are lists of tokens; each token is formatted with the placeholders in :data:`PLACEHOLDERS`, then run
without a shell (paths with spaces stay one argument) in the user's checkout.
"""

from __future__ import annotations

import importlib
import pkgutil
import string
from dataclasses import dataclass, field

#: Every placeholder a command may use, and what the adapter puts there.
PLACEHOLDERS: dict[str, str] = {
    "python": "the interpreter of the method's environment (params.python)",
    "repo": "the user's checkout (params.repo)",
    "id": "the identity's name, made file-name safe",
    "data_dir": "the identity's input folder in the method's layout (e.g. <work>/data/<id>)",
    "data_root": "the parent of data_dir",
    "video": "the identity's training video, <data_dir>/<id>.mp4 (25 fps, audio muxed)",
    "ref_image": "the first training frame as PNG (one-shot methods)",
    "workspace": "the identity's model folder (<work>/<id>/model)",
    "checkpoint": "params.checkpoint (pretrained weights for methods that ship them)",
    "case_dir": "the case's folder (<work>/<id>/cases/<case>)",
    "audio": "the case's driving audio, <case_dir>/aud.wav (16 kHz mono)",
    "audio_stem": "<case_dir>/aud (feature extractors write <audio_stem>_hu.npy, ...)",
    "pose_json": "the case's cameras as a transforms json, <case_dir>/transforms_target.json",
    "n_frames": "the number of frames the case needs",
    "out_dir": "the case's output folder, <case_dir>/out",
    "openface": "params.openface, OpenFace 2.2's FeatureExtraction executable",
}

STATUSES = ("working", "reproducing", "not reproducing", "untested here")
LAYOUTS = ("talking_video", "reference")


@dataclass(frozen=True)
class Requirement:
    """Something the method needs before it can run.

    Attributes:
        kind: ``repo_file`` (a path inside the checkout), ``executable`` (the value of a param, or a name on
            PATH), ``param`` (a param that must be set).
        target: the path, executable/param name.
        what: a short description.
        how: how the user gets it (we cannot download it).
    """

    kind: str
    target: str
    what: str
    how: str


@dataclass(frozen=True)
class Reported:
    """A number the paper (or README) reports, with where it comes from."""

    dataset: str
    setting: str
    values: dict[str, float]
    source: str


@dataclass(frozen=True)
class MethodSpec:
    """A published method, declaratively.

    Attributes:
        id: registry-safe name (``er_nerf``).
        name, paper, venue, arxiv: identification.
        licence: as stated by the repository (or "unconfirmed here").
        repo_url: the official repository.
        commit: the commit the commands were read at, and how sure we are (see ``commit_note``).
        layout: ``talking_video`` (a per-identity video that its own preprocessing turns into data/<ID>/) or
            ``reference`` (a one-shot method: a reference video/image + driving audio).
        preprocess, train, infer: command lists (tokens with placeholders).
        output: glob (with placeholders) of the video the inference writes; the newest match is read back.
        requires: prerequisites checked by ``preflight()`` before any run.
        unsupplied: inputs this project cannot supply (licence-gated models, external tools, weights).
        reported: the paper's own numbers.
        status: one of :data:`STATUSES` (here: whether we have run it).
        notes: anything a user should know (which frames, which crop, what output resolution).
        output_exclude: regex; output files whose name matches are ignored (depth videos).
        env: environment variables the commands need (``PYTHONPATH=./``); relative paths are relative to the checkout.
    """

    id: str
    name: str
    paper: str
    venue: str
    arxiv: str
    licence: str
    repo_url: str
    commit: str
    commit_note: str
    layout: str
    preprocess: tuple[tuple[str, ...], ...]
    train: tuple[tuple[str, ...], ...]
    infer: tuple[tuple[str, ...], ...]
    output: str
    requires: tuple[Requirement, ...] = ()
    unsupplied: tuple[str, ...] = ()
    reported: tuple[Reported, ...] = ()
    status: str = "untested here"
    notes: str = ""
    output_exclude: str = "depth"
    env: dict[str, str] = field(default_factory=dict)

    def placeholders(self) -> set[str]:
        """Every placeholder its commands and output glob use."""
        names = set()
        for cmd in (*self.preprocess, *self.train, *self.infer, (self.output,)):
            for tok in cmd:
                names |= {f for _, f, _, _ in string.Formatter().parse(tok) if f}
        return names

    def check(self) -> "MethodSpec":
        """Raise ValueError on an unknown placeholder, layout, status or requirement kind."""
        unknown = self.placeholders() - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(f"spec {self.id}: unknown placeholders {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"spec {self.id}: layout {self.layout!r} not in {LAYOUTS}")
        if self.status not in STATUSES:
            raise ValueError(f"spec {self.id}: status {self.status!r} not in {STATUSES}")
        for r in self.requires:
            if r.kind not in ("repo_file", "executable", "param"):
                raise ValueError(f"spec {self.id}: requirement kind {r.kind!r} unknown")
        if not self.infer:
            raise ValueError(f"spec {self.id}: needs at least one inference command")
        return self


def load_spec(name: str) -> MethodSpec:
    """The ``SPEC`` of ``baselines.specs.<name>``; a KeyError lists the specs that exist."""
    try:
        module = importlib.import_module(f"baselines.specs.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"baselines.specs.{name}":
            raise
        raise KeyError(f"unknown method spec {name!r}; specs: {', '.join(spec_names())}") from e
    return module.SPEC.check()


def spec_names() -> list[str]:
    """Names of every spec module in :mod:`baselines.specs`."""
    import baselines.specs as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
