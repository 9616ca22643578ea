"""The mel filterbank written in seld.features.mel against librosa.filters.mel (the test-only oracle)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.features import hz_to_mel, mel_filterbank, mel_to_hz

# Float64 construction on both sides: differences are round-off of the bin frequencies (k * sr / n_fft here,
# rfftfreq in librosa), far below the 1e-4 asked of every front end.
ATOL = 1e-9

CASES = [
    # sample_rate, n_fft, n_mels, fmin, fmax, htk, norm
    (24000, 1024, 64, 20.0, None, True, "slaney"),  # PSELDNets
    (32000, 1024, 64, 20.0, None, True, "slaney"),  # PSELDNets, L3DAS22
    (24000, 1024, 64, 0.0, None, False, "slaney"),  # DCASE baselines (librosa defaults)
    (48000, 2048, 128, 50.0, 14000.0, False, None),
    (16000, 512, 40, 0.0, 8000.0, True, None),
]


@pytest.mark.parametrize("sr, n_fft, n_mels, fmin, fmax, htk, norm", CASES)
def test_matches_librosa(librosa, sr, n_fft, n_mels, fmin, fmax, htk, norm):
    ours = mel_filterbank(sr, n_fft, n_mels, fmin, fmax, "htk" if htk else "slaney", norm, dtype=torch.float64)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm,
                              dtype=np.float64).T
    assert ours.shape == (n_fft // 2 + 1, n_mels)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=0, atol=ATOL * max(1.0, np.abs(ref).max()))


def test_pseldnets_filterbank_properties():
    """HTK spacing with Slaney area normalisation: unit-area triangles, first band starting at 20 Hz."""
    fb = mel_filterbank(24000, 1024, 64, 20.0, None, "htk", "slaney", dtype=torch.float64).numpy()
    freqs = np.arange(513) * 24000 / 1024
    edges = mel_to_hz(np.linspace(hz_to_mel(20.0), hz_to_mel(12000.0), 66))
    # A triangle of peak 2/(f[i+2]-f[i]) over [f[i], f[i+2]] has unit area; on a 23.4-Hz grid the Riemann sum
    # of the wider bands is close to 1 (the narrowest bands are only a few bins wide).
    area = fb.sum(axis=0) * (freqs[1] - freqs[0])
    np.testing.assert_allclose(area[20:], 1.0, atol=0.02)
    assert fb[freqs < 20.0].max() == 0.0 and fb[:, 0][freqs > edges[2]].max() == 0.0
    assert (fb.max(axis=0) > 0).all()


@pytest.mark.parametrize("scale", ["htk", "slaney"])
def test_scale_round_trip_and_librosa(librosa, scale):
    f = np.array([0.0, 20.0, 440.0, 999.9, 1000.0, 1000.1, 6000.0, 12000.0, 16000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f, scale), scale), f, atol=1e-9)
    np.testing.assert_allclose(hz_to_mel(f, scale), librosa.hz_to_mel(f, htk=scale == "htk"), atol=1e-9)


@pytest.mark.parametrize("kwargs", [
    dict(fmin=20.0, fmax=13000.0),  # above Nyquist
    dict(fmin=500.0, fmax=400.0),
    dict(scale="bark"),
    dict(norm="area"),
    dict(n_mels=0),
])
def test_bad_settings_raise_config_error(kwargs):
    args = dict(sample_rate=24000, n_fft=1024, n_mels=64) | kwargs
    with pytest.raises(ConfigError):
        mel_filterbank(**args)


def test_empty_filters_are_reported(caplog):
    with caplog.at_level("WARNING", logger="seld.features.mel"):
        fb = mel_filterbank(8000, 64, 64)
    assert "cover no FFT bin" in caplog.text
    assert (fb.max(dim=0).values == 0).any()
