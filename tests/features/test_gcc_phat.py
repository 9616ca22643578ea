"""Log-mel + GCC-PHAT against the DCASE baseline's computation written in numpy, and on delayed signals."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.features import LogMelGcc, create_frontend, gcc_phat

# GCC-PHAT values lie in [-1, 1]; float32 round-off of the phases gives ~1e-6.
ATOL32 = 1e-4


def reference_gcc(spec: np.ndarray, n_lags: int) -> np.ndarray:
    """spec [C, T, F] -> [pairs, T, n_lags], the baseline's loop: irfft(exp(j angle(conj(X_m) X_n)))."""
    out = []
    for m, n in combinations(range(spec.shape[0]), 2):
        cc = np.fft.irfft(np.exp(1j * np.angle(np.conj(spec[m]) * spec[n])))
        out.append(np.concatenate([cc[:, -n_lags // 2:], cc[:, : n_lags // 2]], axis=-1))
    return np.stack(out)


def test_dcase_baseline_matches_reference(oracle, make_noise):
    audio = make_noise(20, (2, 4, 12000))
    fe = create_frontend("logmel_gcc")
    lib = oracle.librosa
    fb = lib.filters.mel(sr=24000, n_fft=1024, n_mels=64, dtype=np.float64).T  # librosa defaults, as the baseline
    refs = []
    for a in audio:
        spec = oracle.stft(a, 1024, 480, 960, "hann", True, "constant")[:, : 12000 // 480]
        logmel = oracle.power_to_db(np.abs(spec) ** 2 @ fb, top_db=80.0)
        refs.append(np.concatenate([logmel, reference_gcc(spec, 64)]))
    ref = np.stack(refs)
    ours = fe(torch.from_numpy(audio).float()).numpy()
    assert ours.shape == ref.shape == (2, 10, 25, 64)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL32)


@pytest.mark.parametrize("delay", [-7, 0, 3, 20])
def test_peak_at_the_inter_mic_delay(make_noise, delay):
    """Mic n hears mic m's signal `delay` samples later: the GCC-PHAT of pair (m, n) peaks at lag +delay."""
    source = make_noise(21, (14000,))
    mics = np.stack([np.roll(source, d) for d in (0, delay, 2 * delay)])[None]  # 3 mics
    fe = LogMelGcc(in_channels=3, n_mels=64)
    gcc = fe(torch.from_numpy(mics).float())[0, 3:, 5:-5].mean(dim=1)  # [3 pairs, 64 lags], interior frames
    lags = torch.arange(-32, 32)
    expected = {(0, 1): delay, (0, 2): 2 * delay, (1, 2): delay}
    for p, pair in enumerate(combinations(range(3), 2)):
        if abs(expected[pair]) < 32:
            assert int(lags[gcc[p].argmax()]) == expected[pair]


def test_zero_cross_spectrum_counts_as_phase_zero():
    """np.angle(0) = 0, so a silent pair gives the irfft of all ones: a unit impulse at lag 0."""
    spec = torch.zeros(1, 2, 1, 513, dtype=torch.complex64)
    cc = gcc_phat(spec, 64)[0, 0, 0]
    assert cc[32] == pytest.approx(1.0) and torch.allclose(cc[torch.arange(64) != 32], torch.zeros(63), atol=1e-7)


def test_settings_checked():
    with pytest.raises(ConfigError):
        LogMelGcc(in_channels=1)
    with pytest.raises(ConfigError):
        LogMelGcc(n_mels=63)
    assert LogMelGcc(in_channels=8).out_channels == 8 + 28
