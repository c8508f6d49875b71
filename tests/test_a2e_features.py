"""Audio features: shapes, frame alignment, the HF loading path and the missing-weights error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ggtalker.audio import FEATURE_HZ, LogMelEncoder, align_to_frames, band_statistics, build_encoder, log_mel
from ggtalker.core.audio import SAMPLE_RATE


def _burst(seconds: float, onset_s: float) -> np.ndarray:
    """Silence with a 200 ms tone burst starting at ``onset_s``."""
    a = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    i0 = int(onset_s * SAMPLE_RATE)
    t = np.arange(int(0.2 * SAMPLE_RATE)) / SAMPLE_RATE
    a[i0 : i0 + len(t)] = 0.5 * np.sin(2 * np.pi * 440 * t)
    return a


def test_log_mel_is_50hz():
    m = log_mel(np.zeros(SAMPLE_RATE * 2, np.float32))
    assert m.shape == (2 * FEATURE_HZ + 1, 80)


def test_mel_filters_match_transformers():
    from transformers.audio_utils import mel_filter_bank

    from ggtalker.audio.features import mel_filters

    ref = mel_filter_bank(num_frequency_bins=513, num_mel_filters=80, min_frequency=40.0, max_frequency=7600.0,
                          sampling_rate=SAMPLE_RATE, norm="slaney", mel_scale="slaney")
    np.testing.assert_allclose(mel_filters(1024, 80, 40.0, 7600.0).numpy(), ref, rtol=1e-4, atol=1e-7)


def test_logmel_encoder_shape_and_normalisation():
    enc = LogMelEncoder(n_mels=40, context=1)
    rng = np.random.default_rng(0)
    f = enc.encode(rng.normal(0, 0.1, SAMPLE_RATE * 3).astype(np.float32), n_frames=75)
    assert f.shape == (75, enc.dim) == (75, 2 * 40 * 3)
    assert torch.isfinite(f).all()
    # Per-utterance normalisation: loudness changes do not change the features.
    a = rng.normal(0, 0.1, SAMPLE_RATE * 2).astype(np.float32) * np.linspace(0.2, 1, SAMPLE_RATE * 2, dtype=np.float32)
    np.testing.assert_allclose(enc.encode(a, 50), enc.encode(a * 0.25, 50), atol=1e-3)


def test_prior_normalisation_pools_utterance_and_corpus_statistics():
    rng = np.random.default_rng(1)
    corpus = [rng.normal(0, 0.1, SAMPLE_RATE).astype(np.float32) * rng.uniform(0.2, 1) for _ in range(4)]
    mean, var = band_statistics(corpus, n_mels=40)
    raw = torch.cat([log_mel(a, 40) for a in corpus])
    np.testing.assert_allclose(mean, raw.mean(0).numpy(), rtol=1e-4)
    np.testing.assert_allclose(var, raw.var(0, unbiased=False).numpy(), rtol=1e-3)
    clip = corpus[0][: SAMPLE_RATE // 2]
    m = log_mel(clip, 40)
    own = LogMelEncoder(n_mels=40, context=0).normalise(m)
    # No prior weight: exactly the utterance's own standardisation.
    weightless = LogMelEncoder(n_mels=40, context=0, norm="prior", prior_mean=mean, prior_var=var, prior_frames=0)
    np.testing.assert_allclose(weightless.normalise(m), own, atol=1e-4)
    # An overwhelming prior: the corpus statistics alone.
    heavy = LogMelEncoder(n_mels=40, context=0, norm="prior", prior_mean=mean, prior_var=var, prior_frames=1e7)
    expect = (m - torch.tensor(mean)) / (torch.tensor(var).sqrt() + 1e-3)
    np.testing.assert_allclose(heavy.normalise(m), expect, atol=1e-3)
    # The statistics are part of the encoder's name (the feature cache is keyed by it) and the checkpoint's config.
    other = build_encoder({"kind": "logmel", "n_mels": 40, "norm": "prior", "prior_mean": [0.0] * 40, "prior_var": var})
    assert other.name != weightless.name != "logmel40c0"
    with pytest.raises(ValueError, match="prior_mean"):
        LogMelEncoder(norm="prior")


def test_spec_augment_masks_bands_and_frames_only_where_drawn():
    enc = LogMelEncoder(n_mels=20, context=1)
    x = torch.ones(3, 30, enc.dim)
    out = enc.augment(x, torch.Generator().manual_seed(0), freq_masks=1, freq_width=5, time_masks=1, time_width=4)
    assert out.shape == x.shape and torch.equal(x, torch.ones_like(x))  # the input is left alone
    per_band = out.reshape(3, 30, 2, 20, 3)
    for i in range(3):
        rows = (per_band[i] == 0).all(dim=(1, 2, 3))  # frames masked whole
        band_zero = (per_band[i][~rows] == 0).all(dim=(0, 1, 3)) if (~rows).any() else torch.zeros(20, dtype=torch.bool)
        assert rows.sum() <= 4 and band_zero.sum() <= 5
        # everything not in a masked frame or band is untouched
        keep = per_band[i][~rows][:, :, ~band_zero]
        assert torch.equal(keep, torch.ones_like(keep))
    again = enc.augment(x, torch.Generator().manual_seed(0), freq_masks=1, freq_width=5, time_masks=1, time_width=4)
    assert torch.equal(out, again)


@pytest.mark.parametrize("fps", [25.0, 30.0])
def test_alignment_puts_the_onset_in_the_right_video_frame(fps):
    onset = 1.0
    enc = LogMelEncoder(n_mels=40, context=0)
    n = int(2 * fps)
    energy = enc.encode(_burst(2.0, onset), n, fps)[:, :40].mean(1)
    first_loud = int(torch.nonzero(energy > energy.min() + 0.5 * (energy.max() - energy.min()))[0])
    assert abs(first_loud - onset * fps) <= 1


def test_align_at_25fps_takes_the_two_covering_frames():
    feats = torch.arange(20, dtype=torch.float32)[:, None]  # 50 Hz frame j has value j
    out = align_to_frames(feats, n_frames=10, fps=25.0)
    np.testing.assert_allclose(out.numpy(), np.arange(20).reshape(10, 2))


def test_align_pads_short_audio_with_the_edge_frame():
    out = align_to_frames(torch.ones(3, 4), n_frames=5, fps=25.0)
    assert out.shape == (5, 8) and torch.all(out == 1)


@pytest.mark.parametrize("kind", ["wav2vec2", "hubert"])
def test_hf_encoder_loads_a_saved_tiny_model(tmp_path, kind):
    from transformers import HubertConfig, HubertModel, Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(0)
    cfg_cls, model_cls = (Wav2Vec2Config, Wav2Vec2Model) if kind == "wav2vec2" else (HubertConfig, HubertModel)
    # The real conv front-end (stride 320 = 50 Hz) with a tiny transformer: the same format as the real files.
    cfg = cfg_cls(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                  conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    model_cls(cfg).save_pretrained(tmp_path / "tiny")
    enc = build_encoder({"kind": kind, "path": str(tmp_path / "tiny")})
    audio = np.random.default_rng(0).normal(0, 0.1, SAMPLE_RATE * 2).astype(np.float32)
    raw = enc.features_50hz(audio)
    assert abs(len(raw) - 2 * FEATURE_HZ) <= 1
    f = enc.encode(audio, n_frames=50)
    assert f.shape == (50, enc.dim) == (50, 32)


def test_hf_encoder_missing_weights_says_how_to_supply_them(tmp_path):
    from ggtalker.audio.hf import MissingWeightsError

    with pytest.raises(MissingWeightsError, match="save_pretrained"):
        build_encoder({"kind": "wav2vec2", "path": str(tmp_path / "nowhere")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingWeightsError, match="no config.json"):
        build_encoder({"kind": "hubert", "path": str(tmp_path / "empty")})
