"""SALSA-lite against the reference computation written in numpy, its zeroing quirk, and delayed signals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.features import SalsaLite, create_frontend, salsa_lite_bins

# The algorithm is checked in float64 (1e-8). In float32 the STFT's round-off is ~1e-6 of the frame's largest
# bin, so a single linear-frequency bin in a 40-dB dip of random noise (no mel averaging here) is off by up to
# ~1e-3 dB; path differences (|x| < 0.04 m) stay within 1e-4 m.
ATOL64 = 1e-8
ATOL32_DB = 2e-3
ATOL32_M = 1e-4


def reference_salsa_lite(oracle, audio, sr=24000, n_fft=1024, hop=480, win=960, pad_mode="constant",
                         fmin_doa=50, fmax_doa=2000, fmax_spectra=9000):
    """The DCASE2024 baseline's `_get_salsalite`, rewritten: crop to lower:cutoff, THEN zero from upper."""
    spec = oracle.stft(audio, n_fft, hop, win, "hann", True, pad_mode)[:, : audio.shape[-1] // hop]  # [C, T, F]
    lower = max(1, int(np.floor(fmin_doa * n_fft / sr)))
    upper = int(np.floor(min(fmax_doa, sr // 2) * n_fft / sr))
    cutoff = int(np.floor(fmax_spectra * n_fft / sr))
    k = np.arange(n_fft // 2 + 1)
    k[0] = 1
    delta = 2 * np.pi * sr / (n_fft * 343)
    phase = np.angle(spec[1:] * np.conj(spec[:1])) / (delta * k)
    phase = phase[..., lower:cutoff]
    phase[..., upper:] = 0
    log_power = oracle.power_to_db(np.abs(spec) ** 2)[..., lower:cutoff]
    return np.concatenate([log_power, phase])


def test_baseline_bins():
    assert salsa_lite_bins(24000, 1024, 50, 2000, 9000) == (2, 85, 384)
    assert salsa_lite_bins(24000, 512, 50, 2000, 9000) == (1, 42, 192)  # thomeou/SALSA's n_fft
    with pytest.raises(ConfigError):
        salsa_lite_bins(24000, 1024, 50, 10000, 9000)


def test_matches_reference(oracle, make_noise):
    audio = make_noise(30, (2, 4, 12000))
    fe = create_frontend("salsa_lite")
    ref = np.stack([reference_salsa_lite(oracle, a) for a in audio])
    ours = fe(torch.from_numpy(audio)).numpy()
    assert ours.shape == ref.shape == (2, 7, 25, 382) and (fe.out_channels, fe.n_features) == (7, 382)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL64)
    ours32 = fe(torch.from_numpy(audio).float()).numpy()
    np.testing.assert_allclose(ours32[:, :4], ref[:, :4], rtol=0, atol=ATOL32_DB)
    np.testing.assert_allclose(ours32[:, 4:], ref[:, 4:], rtol=0, atol=ATOL32_M)


def test_zeroing_quirk(make_noise):
    """Quirk on: phase kept up to original bin lower + upper - 1 = 86; off: up to upper - 1 = 84."""
    audio = torch.from_numpy(make_noise(31, (1, 4, 12000))).float()
    with_quirk = create_frontend("salsa_lite")(audio)[0, 4:]
    fixed = create_frontend("salsa_lite", zeroing_quirk=False)(audio)[0, 4:]
    nonzero = lambda x: (x != 0).any(dim=(0, 1)).nonzero().flatten() + 2  # original bin numbers  # noqa: E731
    assert int(nonzero(with_quirk).max()) == 86 and int(nonzero(fixed).max()) == 84
    torch.testing.assert_close(with_quirk[..., :83], fixed[..., :83])


def test_phase_is_the_path_difference():
    """Tones at bin centres reach mic m tau_m = d_m / c later than mic 0: at each tone's bin the feature is
    -d_m metres (the phase of a delayed stationary tone is shifted by exactly -2 pi f tau_m)."""
    path_diff = np.array([0.0, 0.01, -0.025, 0.04])  # metres; < 0.086 m keeps 2 kHz phases below pi
    tone_bins = np.array([10, 30, 50, 70, 84])  # up to 1968.75 Hz, inside the DOA band
    phases = np.random.default_rng(33).uniform(0, 2 * np.pi, tone_bins.size)
    t = np.arange(12000) / 24000
    f = tone_bins * 24000 / 1024
    mics = np.stack([np.cos(2 * np.pi * f[:, None] * (t - d / 343.0) + phases[:, None]).sum(axis=0)
                     for d in path_diff])
    feats = SalsaLite(zeroing_quirk=False)(torch.from_numpy(mics[None]).float())[0, 4:]  # [3, T, 382]
    at_tones = feats[:, 3:-3, tone_bins - 2].numpy()  # interior frames, cropped index = bin - lower_bin
    expected = np.broadcast_to(-path_diff[1:, None, None], at_tones.shape)
    np.testing.assert_allclose(at_tones, expected, rtol=0, atol=1e-4)
