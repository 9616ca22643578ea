"""Impulse trains of image sources: fractional delays against pyroomacoustics', late arrivals, offsets."""

from __future__ import annotations

import numpy as np
import pytest

from seld.synth.images import FRACTIONAL_TAPS, ImageSet, fractional_delay_matrix


def test_exact_delays_are_pyroomacoustics_windowed_sinc():
    from pyroomacoustics.utilities import fractional_delay

    delays = np.array([100.0, 123.25, 200.7])
    mat = fractional_delay_matrix(delays, 400).toarray()
    half = (FRACTIONAL_TAPS - 1) // 2
    for k, d in enumerate(delays):
        whole = int(np.floor(d))
        expected = np.zeros(400)
        expected[whole - half:whole + half + 1] = fractional_delay(d - whole)
        np.testing.assert_allclose(mat[:, k], expected, atol=1e-6)


def test_late_delays_are_rounded_single_samples_and_outside_is_dropped():
    mat = fractional_delay_matrix(np.array([10.3, 250.4, 250.6, 999.0]), 300, exact_until=100.0).toarray()
    assert np.count_nonzero(mat[:, 1]) == 1 and mat[250, 1] == 1.0
    assert mat[251, 2] == 1.0
    assert not mat[:, 3].any()                       # beyond the response length
    assert np.count_nonzero(mat[:, 0]) > 1           # early: a sinc, clipped at sample 0
    np.testing.assert_allclose(mat[:, 0].sum(), 1.0, atol=0.02)


def test_trains_sum_weighted_impulses_and_offsets_move_the_listener():
    xyz = np.array([[3.43, 0.0, 0.0], [0.0, 6.86, 0.0]])
    images = ImageSet(xyz, np.array([1.0, 0.5]), c=343.0, fs=1000, n_samples=64, exact_until=0.0)
    out = images.trains(np.array([[1.0, 2.0], [3.0, 0.0]]))
    assert out.shape == (2, 64)
    assert out[0, 10] == 1.0 and out[0, 20] == 2.0 and out[1, 10] == 3.0 and out[1, 20] == 0.0
    np.testing.assert_allclose(images.amp, [1.0 / 3.43, 0.5 / 6.86])
    moved = images.trains(np.ones((1, 2)), offset=np.array([0.343, 0.0, 0.0]))
    assert moved[0, 9] == 1.0 and moved[0, 20] == 1.0   # 0.343 m closer to the first image: 1 ms earlier


def test_image_at_the_centre_is_rejected():
    with pytest.raises(ValueError):
        ImageSet(np.zeros((1, 3)), np.ones(1), 343.0, 24000, 10)
