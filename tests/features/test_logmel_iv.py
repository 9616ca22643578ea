"""FOA log-mel + intensity vectors against a float64 numpy/librosa computation, and on plane waves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.features import LogMelIV, create_frontend, intensity_vectors
from seld.geometry import angular_distance, polar_to_unit

# Log-mel in dB and unit-normalised IV of float32 audio against a float64 oracle: round-off in the float32 STFT
# is ~1e-6 relative, i.e. ~1e-5 dB; 1e-4 is the target asked of every front end.
ATOL32 = 1e-4
ATOL64 = 1e-8


def reference_logmel_iv(oracle, audio, sr, n_fft, hop, win, pad_mode, fmin, htk, iv_norm, top_db):
    """The PSELDNets / DCASE front end written directly with librosa and numpy in float64.

    audio: [4, N] FOA (W, Y, Z, X). Returns [7, T, 64].
    """
    lib = oracle.librosa
    spec = oracle.stft(audio, n_fft, hop, win, "hann", True, pad_mode)  # [4, T, F]
    fb = lib.filters.mel(sr=sr, n_fft=n_fft, n_mels=64, fmin=fmin, fmax=sr / 2, htk=htk, norm="slaney",
                         dtype=np.float64).T
    logmel = oracle.power_to_db(np.abs(spec) ** 2 @ fb, top_db=top_db)
    w, p = spec[0], spec[1:]
    iv = np.real(np.conj(w)[None] * p)  # Y, Z, X
    if iv_norm == "unit":
        iv = iv / (np.sqrt((iv**2).sum(axis=0, keepdims=True)) + np.finfo(np.float32).eps)
    else:
        iv = iv / (1e-8 + np.abs(w) ** 2 + (np.abs(p) ** 2).sum(axis=0) / 3.0)[None]
    return np.concatenate([logmel, iv @ fb], axis=0)


def plane_wave(signal: np.ndarray, azi: float, ele: float) -> np.ndarray:
    """SN3D ACN FOA (W, Y, Z, X) of a plane wave from (azi, ele) degrees."""
    x, y, z = polar_to_unit(azi, ele)
    return np.stack([signal, y * signal, z * signal, x * signal])


def test_pseldnets_front_end_matches_reference(oracle, make_noise):
    """The float64 construction of window and filterbank is the oracle's to 1e-8 in float64; the default
    (torchaudio's float32 construction, PSELDNets' values: test_pseldnets_frontend_torchaudio.py) stays within
    the float32 target."""
    audio = make_noise(10, (2, 4, 24000))
    fe = create_frontend("logmel_iv")
    ref = np.stack([reference_logmel_iv(oracle, a, 24000, 1024, 240, 1024, "reflect", 20.0, True, "unit", None)
                    for a in audio])
    ours64 = create_frontend("logmel_iv", constants="float64")(torch.from_numpy(audio)).numpy()
    assert ours64.shape == ref.shape == (2, 7, 101, 64)
    np.testing.assert_allclose(ours64, ref, rtol=0, atol=ATOL64)
    ours32 = fe(torch.from_numpy(audio).float()).numpy()
    assert ours32.dtype == np.float32
    np.testing.assert_allclose(ours32, ref, rtol=0, atol=ATOL32)


def test_l3das22_front_end_matches_reference(oracle, make_noise):
    audio = make_noise(11, (1, 4, 16000))
    fe = create_frontend("logmel_iv", sample_rate=32000)
    ref = reference_logmel_iv(oracle, audio[0], 32000, 1024, 320, 1024, "reflect", 20.0, True, "unit", None)
    np.testing.assert_allclose(fe(torch.from_numpy(audio).float()).numpy()[0], ref, rtol=0, atol=ATOL32)


def test_dcase_baseline_front_end_matches_reference(oracle, make_noise):
    """DCASE2022-2024: hop 480, window 960, Slaney mel from 0 Hz, top_db 80, energy IV, N // hop frames."""
    audio = make_noise(12, (1, 4, 24000))
    audio[..., 9000:15000] *= 1e-6  # a quiet stretch, so that the 80-dB floor is reached
    fe = create_frontend("logmel_iv_dcase")
    ref = reference_logmel_iv(oracle, audio[0], 24000, 1024, 480, 960, "constant", 0.0, False, "energy", 80.0)
    ref = ref[:, : 24000 // 480]
    ours = fe(torch.from_numpy(audio).float()).numpy()[0]
    assert ours.shape == ref.shape == (7, 50, 64)
    assert (ref[:4] == ref[:4].max(axis=(1, 2), keepdims=True) - 80.0).any()
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL32)


@pytest.mark.parametrize("azi, ele", [(0, 0), (90, 0), (-135, 30), (60, -45), (170, 80)])
@pytest.mark.parametrize("name", ["logmel_iv", "logmel_iv_dcase"])
def test_intensity_vector_points_at_plane_wave(make_noise, name, azi, ele):
    source = make_noise(13, (12000,))
    audio = torch.from_numpy(plane_wave(source, azi, ele)[None]).float()
    iv = create_frontend(name)(audio)[0, 4:7]  # [3 (Y, Z, X), T, 64]
    xyz = torch.stack([iv[2], iv[0], iv[1]], dim=-1).numpy()  # per TF bin, (x, y, z)
    err = angular_distance(xyz / np.linalg.norm(xyz, axis=-1, keepdims=True), polar_to_unit(azi, ele))
    assert err.max() < 0.05  # degrees; exact up to float32 round-off
    norms = np.linalg.norm(xyz, axis=-1)
    fb_sums = create_frontend(name).constant("mel_fb", iv).sum(dim=0).numpy()
    # 'unit': every bin is a unit vector, so the band's vector is the filter's weight sum; 'energy': 3/4 of it.
    scale = 1.0 if name == "logmel_iv" else 0.75
    np.testing.assert_allclose(norms, scale * np.broadcast_to(fb_sums, norms.shape), rtol=1e-4)


def test_two_sources_in_separate_bands(make_noise):
    """A low-band source on the left and a high-band source above: each band's IV points at its source."""
    rng_sig = make_noise(14, (2, 12000))
    low = np.convolve(rng_sig[0], np.ones(16) / 16, mode="same")  # mostly below ~1.5 kHz
    high = rng_sig[1] - np.convolve(rng_sig[1], np.ones(16) / 16, mode="same")  # mostly above
    audio = plane_wave(low, 90, 0) + plane_wave(high, 0, 90)
    iv = create_frontend("logmel_iv")(torch.from_numpy(audio[None]).float())[0, 4:7].mean(dim=1)  # [3, 64]
    xyz = torch.stack([iv[2], iv[0], iv[1]], dim=-1).numpy()
    assert angular_distance(xyz[5] / np.linalg.norm(xyz[5]), polar_to_unit(90, 0)) < 10
    assert angular_distance(xyz[-5] / np.linalg.norm(xyz[-5]), polar_to_unit(0, 90)) < 10


def test_channel_order_and_shapes():
    fe = LogMelIV()
    audio = torch.zeros(3, 4, 4800)
    audio[:, 1] = 1e-3 * torch.randn(3, 4800, generator=torch.Generator().manual_seed(0))  # only Y carries signal
    out = fe(audio)
    assert out.shape == (3, 7, 21, 64) and (fe.out_channels, fe.n_features) == (7, 64)
    loud = out[:, :4].mean(dim=(0, 2, 3))
    assert int(loud.argmax()) == 1 and torch.all(out[:, 4:] == 0)  # W is silent, so no intensity


def test_functional_rejects_unknown_normalisation():
    spec = torch.zeros(1, 4, 2, 513, dtype=torch.complex64)
    with pytest.raises(ConfigError):
        intensity_vectors(spec, torch.zeros(513, 64), normalization="dcase2021")
    with pytest.raises(ConfigError):
        LogMelIV(in_channels=8)
