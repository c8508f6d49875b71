"""The model zoo: small checkpoints committed under ``ggtalker/zoo/<name>/``, loaded by name.

Each entry is a folder ``ggtalker/zoo/<name>/`` holding ``card.json`` and the checkpoint file(s)::

    card.json = {"name", "file": "model.pt", "sha256", "recipe": "<the one command that reproduces it>",
                 "data": "<training data recipe>", "steps": int, "device": "<where it was trained>",
                 "metrics": {...}, "created": "<date>"}

:func:`save_entry` writes the card with the checksum; :func:`load_path` verifies it before use.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

ZOO_DIR = Path(__file__).resolve().parent


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def names() -> list[str]:
    """Names of the zoo entries present."""
    return sorted(p.parent.name for p in ZOO_DIR.glob("*/card.json"))


def card(name: str) -> dict[str, Any]:
    """The card of ``name``; KeyError lists what exists."""
    path = ZOO_DIR / name / "card.json"
    if not path.is_file():
        raise KeyError(f"no zoo entry {name!r}; present: {', '.join(names()) or '(none)'}")
    return json.loads(path.read_text())


def load_path(name: str) -> Path:
    """Path of the checkpoint file of ``name``, after checking its sha256 against the card."""
    c = card(name)
    path = ZOO_DIR / name / c["file"]
    if not path.is_file():
        raise FileNotFoundError(f"zoo entry {name!r}: checkpoint {path} missing (git lfs? partial clone?)")
    digest = sha256(path)
    if digest != c["sha256"]:
        raise ValueError(
            f"zoo entry {name!r}: {path} is corrupt or was replaced (sha256 {digest[:12]}…, its card "
            f"{path.parent / 'card.json'} says {c['sha256'][:12]}…); restore the committed file with "
            f"`git checkout -- {_repo_relative(path)}`, or rebuild the entry with: {c.get('recipe', '(no recipe)')}")
    return path


def _repo_relative(path: Path) -> str:
    try:
        return str(path.relative_to(ZOO_DIR.parent.parent))
    except ValueError:
        return str(path)


def save_entry(name: str, checkpoint: Path, recipe: str, data: str, steps: int, device: str,
               metrics: dict[str, Any] | None = None, root: Path | None = None, **extra: Any) -> Path:
    """Copy ``checkpoint`` into the zoo as ``<root>/<name>/`` with a card; returns the card path."""
    import datetime
    import shutil

    dest = (root or ZOO_DIR) / name
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / Path(checkpoint).name
    if Path(checkpoint).resolve() != target.resolve():
        shutil.copy2(checkpoint, target)
    c = {"name": name, "file": target.name, "sha256": sha256(target), "recipe": recipe, "data": data,
         "steps": steps, "device": device, "metrics": metrics or {},
         "created": datetime.date.today().isoformat(), **extra}
    (dest / "card.json").write_text(json.dumps(c, indent=1))
    return dest / "card.json"
