"""Diffuse ambient noise: its coherence across channels and formats matches the diffuse-field model."""

from __future__ import annotations

import numpy as np
import scipy.signal

from seld.synth.arrays import get_format
from seld.synth.noise import diffuse_coherence, diffuse_noise

FS = 24000


def test_foa_and_omni_hear_one_diffuse_field():
    fmts = [get_format("foa"), get_format("omni")]
    foa, omni = diffuse_noise(np.random.default_rng(0), fmts, 4 * FS, FS, 343.0, exponent=0.0)
    np.testing.assert_allclose(omni[0], foa[0], atol=1e-4 * np.abs(foa[0]).max())   # W is the omni signal
    power = np.mean(foa**2, axis=1)
    np.testing.assert_allclose(power[1:] / power[0], 1 / 3, rtol=0.08)               # SN3D diffuse field
    corr = np.corrcoef(foa)
    assert np.abs(corr[np.triu_indices(4, 1)]).max() < 0.05


def test_mic_coherence_follows_the_rigid_sphere_model_and_the_spectrum_its_exponent():
    fmt = get_format("mic")
    (mic,) = diffuse_noise(np.random.default_rng(1), [fmt], 8 * FS, FS, 343.0, exponent=1.0)
    freqs, coh = scipy.signal.coherence(mic[0], mic[1], fs=FS, nperseg=512)
    model = diffuse_coherence([fmt], freqs, 343.0)
    expected = np.abs(model[:, 0, 1]) ** 2 / (model[:, 0, 0].real * model[:, 1, 1].real)
    band = (freqs > 100) & (freqs < 10000)
    assert np.abs(coh[band] - expected[band]).max() < 0.12
    assert expected[np.argmin(np.abs(freqs - 200))] > 0.9 and expected[np.argmin(np.abs(freqs - 6000))] < 0.3
    f, psd = scipy.signal.welch(mic[0], fs=FS, nperseg=1024)
    ratio = 10 * np.log10(psd[np.argmin(np.abs(f - 250))] / psd[np.argmin(np.abs(f - 1000))])
    assert abs(ratio - 6.0) < 1.5                                                   # 1/f: 6 dB per two octaves
