"""DCASE2020 / DCASE2021 baseline FOA inputs against a float64 numpy/librosa computation of their formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.features import create_frontend, intensity_vectors
from seld.geometry import angular_distance, polar_to_unit

ATOL32 = 1e-4  # float32 audio against the float64 oracle (see test_logmel_iv.py)


def baseline_features(oracle, audio, year):
    """The 2020/2021 baseline computation for one FOA clip [4, N] (W, Y, Z, X) at 24 kHz: [7, N // 480, 64]."""
    lib = oracle.librosa
    spec = oracle.stft(audio, 1024, 480, 960, "hann", True, "constant")[:, : audio.shape[-1] // 480]
    fb = lib.filters.mel(sr=24000, n_fft=1024, n_mels=64, dtype=np.float64).T
    logmel = oracle.power_to_db(np.abs(spec) ** 2 @ fb, top_db=80.0)
    w = spec[0]
    iv_x, iv_y, iv_z = (np.real(np.conj(w) * spec[ch]) for ch in (3, 1, 2))
    if year == 2020:
        normal = np.sqrt(iv_x**2 + iv_y**2 + iv_z**2) + 1e-8
    else:
        normal = 1e-8 + (np.abs(spec[0]) ** 2 + np.abs(spec[1]) ** 2 + np.abs(spec[2]) ** 2
                         + np.abs(spec[3]) ** 2) / 2.0
    iv = np.stack([iv_x / normal @ fb, iv_y / normal @ fb, iv_z / normal @ fb])
    return np.concatenate([logmel, iv])


@pytest.mark.parametrize("year", [2020, 2021])
def test_baseline_matches_reference(oracle, make_noise, year):
    audio = make_noise(20 + year, (2, 4, 24000))
    audio[1, :, 6000:12000] *= 1e-6  # a quiet stretch reaches the 80-dB floor
    fe = create_frontend(f"logmel_iv_dcase{year}")
    ref = np.stack([baseline_features(oracle, a, year) for a in audio])
    ours = fe(torch.from_numpy(audio).float()).numpy()
    assert ours.shape == ref.shape == (2, 7, 50, 64)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL32)
    np.testing.assert_allclose(fe(torch.from_numpy(audio)).numpy(), ref, rtol=0, atol=1e-8)


@pytest.mark.parametrize("azi, ele", [(0, 0), (90, 0), (-135, 30), (60, -45)])
@pytest.mark.parametrize("year", [2020, 2021])
def test_intensity_is_xyz_and_points_at_plane_wave(make_noise, year, azi, ele):
    """Channels 4-6 are Cartesian x, y, z; a plane wave makes every bin a unit vector under both normalisations
    (2021: the half total power of an SN3D plane wave is |W|^2), so each band is the filter's weight sum."""
    x, y, z = polar_to_unit(azi, ele)
    s = make_noise(30, (12000,))
    audio = torch.from_numpy(np.stack([s, y * s, z * s, x * s])[None]).float()
    fe = create_frontend(f"logmel_iv_dcase{year}")
    xyz = fe(audio)[0, 4:7].permute(1, 2, 0).numpy()  # [T, 64, (x, y, z)]
    norms = np.linalg.norm(xyz, axis=-1)
    fb_sums = fe.constant("mel_fb", audio).sum(dim=0).numpy()
    live = fb_sums > 0  # Slaney bands all have weight, but keep the check honest
    err = angular_distance(xyz[:, live] / norms[:, live, None], polar_to_unit(azi, ele))
    assert err.max() < 0.05
    np.testing.assert_allclose(norms, np.broadcast_to(fb_sums, norms.shape), rtol=1e-3)


def test_per_bin_norms_in_a_diffuse_field(make_noise):
    """Without the mel projection (identity filterbank): 2020 makes every bin a unit vector; 2021's norm is at
    most 1 (|Re(W* P)| <= |W| |P| <= (|W|^2 + |P|^2) / 2) and well below it for independent channel noise."""
    audio = torch.from_numpy(make_noise(40, (1, 4, 12000)))
    spec = create_frontend("logmel_iv_dcase2021").spectrum(audio)
    eye = torch.eye(spec.shape[-1], dtype=torch.float64)
    n20 = intensity_vectors(spec, eye, "unit", 1e-8, "xyz").norm(dim=1)
    n21 = intensity_vectors(spec, eye, "half_power", None, "xyz").norm(dim=1)
    torch.testing.assert_close(n20, torch.ones_like(n20), rtol=0, atol=1e-6)
    assert n21.max() <= 1.0 + 1e-9 and n21.mean() < 0.6


def test_functional_order_is_a_permutation():
    g = torch.Generator().manual_seed(3)
    spec = torch.complex(torch.randn(2, 4, 5, 513, generator=g), torch.randn(2, 4, 5, 513, generator=g))
    fb = torch.rand(513, 64, generator=g)
    yzx = intensity_vectors(spec, fb, "half_power")
    xyz = intensity_vectors(spec, fb, "half_power", order="xyz")
    torch.testing.assert_close(xyz, yzx[:, [2, 0, 1]])
    with pytest.raises(ConfigError, match="channel order"):
        intensity_vectors(spec, fb, order="zyx")
    with pytest.raises(ConfigError, match="channel order"):
        create_frontend("logmel_iv_dcase2021", iv_order="acn")
