"""Audio features for the Audio-Expression prior: one interface (:class:`AudioEncoder`), several encoders.

``build_encoder({"kind": "logmel"})`` is the built-in default; ``{"kind": "wav2vec2", "path": ...}`` and
``{"kind": "hubert", ...}`` are the real path (local weights only, see :mod:`ggtalker.audio.hf`).
"""

from __future__ import annotations

from typing import Any

from ggtalker.audio.features import FEATURE_HZ, AudioEncoder, LogMelEncoder, align_to_frames, band_statistics, log_mel

__all__ = ["AudioEncoder", "LogMelEncoder", "align_to_frames", "band_statistics", "log_mel", "build_encoder", "FEATURE_HZ"]


def build_encoder(cfg: dict[str, Any] | None = None) -> AudioEncoder:
    """An encoder from a config ``{"kind": "logmel"|"wav2vec2"|"hubert", ...options}``."""
    cfg = dict(cfg or {"kind": "logmel"})
    kind = cfg.pop("kind", "logmel")
    if kind == "logmel":
        return LogMelEncoder(**cfg)
    if kind in ("wav2vec2", "hubert"):
        from ggtalker.audio.hf import HFAudioEncoder

        return HFAudioEncoder(kind=kind, **cfg)
    raise ValueError(f"unknown audio encoder kind {kind!r}; choose logmel, wav2vec2 or hubert")
