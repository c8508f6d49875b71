"""Training state that resumes exactly: modules (model, optimizer, scheduler), step, RNG states and logs.

Training that takes several GPU runs saves this every ``every`` steps and at the end; ``--resume`` (or
``resume=true``) restores all of it, so that N steps then a resume to 2N give what 2N steps straight give.
The RNG states saved are torch's global generator (dropout, initialisation, diffusion noise), CUDA's when it
is in use, and every named generator a trainer draws its batches from (``torch.Generator`` or numpy's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from ggtalker.core.checkpoint import save_atomic

FORMAT = "ggtalker-train-state/1"


class Stateful(Protocol):
    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> Any: ...


class TrainingState:
    """The resumable state of one training run, stored at ``path``.

    Args:
        path: the state file (``OUT/<model>_state.pt``).
        every: save every this many steps (0: only when :meth:`save` is called).
        modules: ``{name: object with state_dict/load_state_dict}``: model(s), optimizer, scheduler.
        generators: ``{name: torch.Generator | numpy.random.Generator}`` the trainer draws from.
        restore_rng: restore the RNG states on :meth:`load` (False for DDP ranks other than 0, whose
            streams are not the saved one's).
    """

    def __init__(self, path: str | Path, every: int, modules: dict[str, Stateful],
                 generators: dict[str, torch.Generator | np.random.Generator] | None = None,
                 restore_rng: bool = True) -> None:
        self.path, self.every, self.modules = Path(path), int(every), modules
        self.generators = generators or {}
        self.restore_rng = restore_rng

    def begin(self, resume: bool) -> tuple[int, dict[str, Any]]:
        """``(step, extra)`` to start from: the saved ones with ``resume``, else ``(0, {})``.

        Refuses to start over a saved state without ``resume`` (that would overwrite it) and to resume from
        nothing, each with the fix.
        """
        if resume:
            if not self.path.is_file():
                raise SystemExit(f"{self.path}: no training state to resume (drop --resume to start afresh)")
            return self.load()
        if self.path.is_file():
            raise SystemExit(f"{self.path} exists: pass --resume (resume=true) to continue it, or write to another output")
        return 0, {}

    def save(self, step: int, **extra: Any) -> Path:
        """Write the state after ``step`` steps, with ``extra`` (losses, logs, config) beside it."""
        rng: dict[str, Any] = {"torch": torch.get_rng_state(), "generators": {}}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        for name, g in self.generators.items():
            rng["generators"][name] = g.get_state() if isinstance(g, torch.Generator) else g.bit_generator.state
        return save_atomic({"format": FORMAT, "step": int(step), "rng": rng, "extra": extra,
                            "modules": {k: m.state_dict() for k, m in self.modules.items()}}, self.path)

    def maybe_save(self, step: int, **extra: Any) -> None:
        """:meth:`save` when ``step`` is a multiple of ``every``."""
        if self.every > 0 and step % self.every == 0:
            self.save(step, **extra)

    def load(self) -> tuple[int, dict[str, Any]]:
        """Restore modules (and RNG states) from the file; returns ``(step, extra)``."""
        st = torch.load(self.path, map_location="cpu", weights_only=False)
        if not isinstance(st, dict) or st.get("format") != FORMAT:
            raise SystemExit(f"{self.path}: not a {FORMAT} training state (written by an older trainer? start afresh)")
        missing = sorted(set(self.modules) - set(st["modules"]))
        if missing:
            raise SystemExit(f"{self.path}: holds no state for {missing}; it is another model's training state")
        for name, m in self.modules.items():
            m.load_state_dict(st["modules"][name])
        if self.restore_rng:
            torch.set_rng_state(st["rng"]["torch"])
            if "cuda" in st["rng"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(st["rng"]["cuda"])
            for name, g in self.generators.items():
                saved = st["rng"]["generators"][name]
                if isinstance(g, torch.Generator):
                    g.set_state(saved)
                else:
                    g.bit_generator.state = saved
        return st["step"], st["extra"]
