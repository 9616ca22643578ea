"""Rigid-sphere capsule responses: Legendre recurrence, low/high-frequency limits, and the Legendre-split
rendering of room responses against the closed-form plane-wave response."""

from __future__ import annotations

import numpy as np
import scipy.special

from seld.geometry import polar_to_unit
from seld.synth.arrays import DCASE_RADIUS, get_format
from seld.synth.images import ImageSet
from seld.synth.sphere import legendre, modal_response, plane_wave_response

C = 343.0


def test_legendre_matches_scipy():
    x = np.linspace(-1, 1, 41)
    table = legendre(12, x)
    for n in range(13):
        np.testing.assert_allclose(table[n], scipy.special.eval_legendre(n, x), atol=1e-12)


def test_capsule_gain_is_unity_at_low_and_about_six_db_on_axis_at_high_frequency():
    freqs = np.array([50.0, 1000.0, 8000.0])
    front = plane_wave_response(np.array([[1.0, 0, 0]]), np.array([[1.0, 0, 0]]), DCASE_RADIUS, 30, freqs, C)
    side = polar_to_unit(140.0, 0.0)[None, :]          # in the shadow (not at 180 deg: the bright spot)
    back = plane_wave_response(side, np.array([[1.0, 0, 0]]), DCASE_RADIUS, 30, freqs, C)
    db_front = 20 * np.log10(np.abs(front[0, 0]))
    db_back = 20 * np.log10(np.abs(back[0, 0]))
    assert abs(db_front[0]) < 0.05 and abs(db_back[0]) < 0.05      # a small sphere does not disturb low f
    assert 1.0 < db_front[1] < 3.0                                  # pressure build-up on the lit side
    assert 4.5 < db_front[2] < 6.5                                  # towards pressure doubling (+6 dB)
    assert db_back[2] < db_front[2] - 8.0                           # shadow behind the sphere


def test_modal_terms_have_the_right_low_frequency_limit():
    terms = modal_response(4, np.array([0.0, 1e-3]))
    np.testing.assert_allclose(terms[:, 0], [1, 0, 0, 0, 0])
    np.testing.assert_allclose(terms[:, 1], [1, 0, 0, 0, 0], atol=2e-3)


def test_legendre_split_rendering_equals_the_plane_wave_response():
    """One far image: the rendered capsule signals equal the closed-form response delayed and attenuated."""
    fs, n = 24000, 1024
    direction = polar_to_unit(70.0, -20.0)
    dist = 5.3
    images = ImageSet(direction[None, :] * dist, np.ones(1), C, fs, n, exact_until=None)
    mic = get_format("mic")
    rendered = mic.srir(images)
    nfft = 8 * n
    freqs = np.fft.rfftfreq(nfft, 1 / fs)
    resp = mic.plane_wave(direction[None, :], freqs, C)[0]                    # [4, F]
    delay = np.exp(-2j * np.pi * freqs * dist / C) / dist
    # compared below 11 kHz: the renderer's 81-tap windowed sinc rolls off in the last kHz before Nyquist
    band = freqs < 11000.0
    reference = np.fft.irfft(resp * delay[None, :] * band, nfft)[:, :n]
    ours = np.fft.irfft(np.fft.rfft(rendered, nfft, axis=1) * band, nfft)[:, :n]
    err = np.linalg.norm(ours - reference) / np.linalg.norm(reference)
    assert err < 0.005, err
