"""The real path: wav2vec 2.0 / HuBERT through transformers, offline, from a local folder or the HF cache.

No weights ship with this project and none can be downloaded by it: :class:`HFAudioEncoder` only reads
files already on disk (``local_files_only=True``; ``HF_HUB_OFFLINE=1`` is set before loading). Supply
them with, on a machine that has internet::

    python -c "from transformers import AutoModel, AutoFeatureExtractor as F; \
      AutoModel.from_pretrained('facebook/wav2vec2-large-xlsr-53').save_pretrained('w2v'); \
      F.from_pretrained('facebook/wav2vec2-large-xlsr-53').save_pretrained('w2v')"

then copy the folder here and pass its path (``audio_encoder.path=/path/to/w2v``), or copy the HF cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ggtalker.audio.features import AudioEncoder

#: Default hub ids per kind (wav2vec 2.0 is the paper's encoder).
DEFAULT_IDS = {"wav2vec2": "facebook/wav2vec2-large-xlsr-53", "hubert": "facebook/hubert-large-ls960-ft"}
#: Longest chunk fed to the transformer at once (seconds): attention cost grows quadratically.
CHUNK_S = 20.0


class MissingWeightsError(FileNotFoundError):
    """The encoder's weights are not on disk; the message says how to supply them."""


class HFAudioEncoder(AudioEncoder):
    """wav2vec 2.0 or HuBERT hidden states as frame-aligned features.

    Args:
        kind: ``wav2vec2`` or ``hubert``.
        path: a local folder written by ``save_pretrained`` or a hub id already in the local HF cache.
        layer: which hidden state (``-1`` = last; wav2vec 2.0 talking-head work uses the last).
        device: torch device.
    """

    def __init__(self, kind: str = "wav2vec2", path: str | None = None, layer: int = -1, device: str = "cpu") -> None:
        if kind not in DEFAULT_IDS:
            raise ValueError(f"audio encoder kind must be one of {sorted(DEFAULT_IDS)}, got {kind!r}")
        self.kind, self.layer, self.device = kind, layer, device
        self.path = str(path or DEFAULT_IDS[kind])
        self.model = _load(kind, self.path).to(device).eval()
        self.dim = 2 * int(self.model.config.hidden_size)
        self.name = f"{kind}:{Path(self.path).name}:L{layer}"

    @torch.no_grad()
    def features_50hz(self, audio16k: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(audio16k, dtype=np.float32))
        # The feature extractor's zero-mean unit-variance normalisation, per utterance (what the checkpoints expect).
        x = (x - x.mean()) / (x.std() + 1e-7)
        chunk = int(CHUNK_S * 16_000)
        outs = []
        for i in range(0, max(len(x), 1), chunk):
            piece = x[i : i + chunk]
            if len(piece) < 400:  # the conv front-end needs one 25 ms receptive field
                piece = torch.nn.functional.pad(piece, (0, 400 - len(piece)))
            h = self.model(piece[None].to(self.device), output_hidden_states=True).hidden_states[self.layer][0]
            outs.append(h.float().cpu())
        return torch.cat(outs)

    def describe(self) -> dict:
        return {"name": self.name, "dim": self.dim, "kind": self.kind, "path": self.path, "layer": self.layer}


def _load(kind: str, path: str) -> torch.nn.Module:
    from transformers import HubertModel, Wav2Vec2Model

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cls = Wav2Vec2Model if kind == "wav2vec2" else HubertModel
    local = Path(path)
    if local.exists() and not (local / "config.json").is_file():
        raise MissingWeightsError(f"{local}: not a transformers model folder (no config.json); {_how(kind)}")
    try:
        return cls.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as e:
        raise MissingWeightsError(f"{kind} weights {path!r} are not on this machine ({e.__class__.__name__}); "
                                  f"{_how(kind)}") from e


def _how(kind: str) -> str:
    return (f"supply them: on a machine with internet run `AutoModel.from_pretrained('{DEFAULT_IDS[kind]}')"
            f".save_pretrained('<dir>')`, copy <dir> here and pass audio_encoder.path=<dir> "
            "(or copy the Hugging Face cache into $HF_HOME); or use the built-in encoder audio_encoder.kind=logmel")
