"""Finding a metric's pretrained weights on disk, never over the network.

Backbones such as AlexNet (LPIPS), Inception (FID) or SyncNet normally download on first use. A
download here would hang or fail, so every metric resolves its file first — an explicit path, an
environment variable, or the standard torch hub cache — and reports ``unavailable`` with the exact
place to put the file when none exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def hub_checkpoints_dir() -> Path:
    """torch hub's checkpoint cache: ``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/...``).

    Computed on each call (not at import) so a test or user can set ``TORCH_HOME`` late.
    """
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join(Path.home(), ".cache")), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints"


@dataclass(frozen=True)
class WeightSpec:
    """Where a weight file may be found and how a user obtains it.

    Attributes:
        what: human name (``"AlexNet trunk for LPIPS"``).
        filename: the file's standard name (``alexnet-owt-7be5be79.pth``).
        env: environment variable that may hold an explicit path.
        hub_cache: whether the torch hub checkpoint cache is a standard place for it.
        source: where the file officially comes from (URL or package), for the message.
    """

    what: str
    filename: str
    env: str
    hub_cache: bool = True
    source: str = ""

    def candidates(self, path: str | os.PathLike | None = None) -> list[Path]:
        """Places looked at, in order: the explicit ``path``, ``$<env>``, the hub cache."""
        out: list[Path] = []
        if path:
            out.append(Path(path).expanduser())
        if os.environ.get(self.env):
            out.append(Path(os.environ[self.env]).expanduser())
        if self.hub_cache:
            out.append(hub_checkpoints_dir() / self.filename)
        return out

    def resolve(self, path: str | os.PathLike | None = None) -> Path | None:
        """The first existing candidate file, or None. An explicit path that is missing is not skipped
        silently: it counts as missing (the user asked for that file)."""
        if path and not Path(path).expanduser().is_file():
            return None
        for c in self.candidates(path):
            if c.is_file():
                return c
        return None

    def missing_message(self, path: str | os.PathLike | None = None) -> str:
        """Why the file is unavailable and exactly how to supply it."""
        looked = ", ".join(str(c) for c in self.candidates(path)) or f"no path given, ${self.env} unset"
        how = f"put {self.filename} at {hub_checkpoints_dir() / self.filename}" if self.hub_cache else ""
        how = f"{how + ' or ' if how else ''}set {self.env}=/path/to/{self.filename}"
        src = f" (official source: {self.source})" if self.source else ""
        return f"{self.what} weights not found (looked at {looked}); {how}{src}"
