"""SELDnet's magnitude + phase input against seld-net's frame loop and the DCASE2019 librosa STFT."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.features import MagPhase, create_frontend

# Magnitudes of unit noise and phases in radians, float32 vs float64. A bin's phase error is about the STFT's
# absolute round-off (~1e-6 of the largest bin) divided by |X|, so phases are compared where |X| is above 1e-3
# of the largest bin (all but a handful of bins).
ATOL32 = 1e-4
ATOL64 = 1e-8


def seldnet_frames(audio: np.ndarray, n_fft: int = 512) -> np.ndarray:
    """seld-net's `_spectrogram`: uncentred frames, np.hanning, FFT norm='ortho', bins 0..n_fft/2-1.

    audio [C, N] -> complex [C, T, n_fft / 2] with every full frame.
    """
    hop = n_fft // 2
    n_frames = (audio.shape[1] - n_fft) // hop + 1
    window = np.hanning(n_fft)
    frames = np.stack([audio[:, i * hop: i * hop + n_fft] * window for i in range(n_frames)], axis=1)
    return np.fft.fft(frames, n=n_fft, axis=-1, norm="ortho")[..., : n_fft // 2]


def assert_magphase_close(ours: np.ndarray, spec: np.ndarray, atol: float) -> None:
    c = spec.shape[1]
    np.testing.assert_allclose(ours[:, :c], np.abs(spec), rtol=0, atol=atol)
    reliable = np.abs(spec) > 1e-3 * np.abs(spec).max()
    diff = np.angle(np.exp(1j * (ours[:, c:] - np.angle(spec))))  # wrap: -pi and pi are the same phase
    assert np.abs(diff[reliable]).max() < atol


def test_seldnet_matches_frame_loop(make_noise):
    audio = make_noise(40, (2, 4, 44100 // 2))
    spec = np.stack([seldnet_frames(a) for a in audio])
    fe = create_frontend("magphase")
    for dtype, atol in ((torch.float64, ATOL64), (torch.float32, ATOL32)):
        ours = fe(torch.from_numpy(audio).to(dtype)).numpy()
        assert ours.shape == (2, 8, spec.shape[2], 256)
        assert_magphase_close(ours, spec, atol)
    assert fe.n_frames(audio.shape[-1]) == spec.shape[2]


def test_dcase2019_matches_librosa(oracle, make_noise):
    audio = make_noise(41, (1, 4, 48000))
    spec = oracle.stft(audio[0], 2048, 960, 1920, "hann", True, "reflect")[None, :, : 48000 // 960, 1:]
    ours = create_frontend("magphase_dcase2019")(torch.from_numpy(audio).float()).numpy()
    assert ours.shape == (1, 8, 50, 1024)
    assert_magphase_close(ours, spec, ATOL32)


def test_keras_layout_matches_seldnet_reshape(make_noise):
    """seld-net saves [|X| (bin, ch), angle (bin, ch)] per frame and reads it back as [bins, 2C]."""
    audio = make_noise(42, (1, 4, 4096))
    spec = seldnet_frames(audio[0])  # [C, T, F]
    flat = np.concatenate([np.abs(spec).transpose(1, 2, 0).reshape(spec.shape[1], -1),
                           np.angle(spec).transpose(1, 2, 0).reshape(spec.shape[1], -1)], axis=1)
    expected = flat.reshape(spec.shape[1], 256, 8).transpose(2, 0, 1)  # [2C, T, F] as the network saw it
    ours = MagPhase(keras_layout=True)(torch.from_numpy(audio))[0].numpy()
    np.testing.assert_allclose(ours, expected, atol=ATOL64)


def test_circular_array_and_settings():
    fe = MagPhase(in_channels=8)
    assert fe(torch.zeros(1, 8, 2048)).shape == (1, 16, 7, 256)
    with pytest.raises(ConfigError):
        MagPhase(bin_start=10, bin_stop=5)
