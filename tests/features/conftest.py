"""Shared pieces of the front-end tests: an independent float64 STFT (librosa, the test-only oracle) and
small test signals built from explicit generators."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest


@pytest.fixture(scope="session")
def librosa():
    return pytest.importorskip("librosa")


@pytest.fixture(scope="session")
def oracle(librosa):
    """Float64 reference computations written with numpy and librosa, independent of seld.features."""

    def stft(audio, n_fft, hop, win=None, window="hann", center=True, pad_mode="reflect"):
        """[C, N] -> complex [C, T, n_fft // 2 + 1], one librosa.stft per channel."""
        return np.stack([
            librosa.stft(np.asarray(ch, dtype=np.float64), n_fft=n_fft, hop_length=hop, win_length=win,
                         window=window, center=center, pad_mode=pad_mode).T
            for ch in audio
        ])

    def power_to_db(power, top_db=None):
        """librosa.power_to_db on each channel's [T, F] map."""
        return np.stack([librosa.power_to_db(p, ref=1.0, amin=1e-10, top_db=top_db) for p in power])

    return SimpleNamespace(stft=stft, power_to_db=power_to_db, librosa=librosa)


def noise(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Gaussian test audio from a generator seeded by the test (float64)."""
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.fixture
def make_noise():
    return noise
