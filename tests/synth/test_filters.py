"""DC removal and the octave-band split shared by room responses and sound clips."""

from __future__ import annotations

import numpy as np
import pytest

from seld.synth.filters import BANDS, band_weights, highpass, interpolate_bands, octave_filter, remove_dc

FS = 24000


def test_remove_dc_takes_out_offset_and_drift_and_leaves_the_sound():
    t = np.arange(2 * FS) / FS
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    clip = (tone + 0.2 + 0.1 * np.sin(2 * np.pi * 1.5 * t)).astype(np.float32)   # offset and a 1.5 Hz drift
    out = remove_dc(clip, FS)
    assert out.dtype == np.float32 and out.shape == clip.shape
    assert abs(float(np.mean(out))) < 1e-3
    freqs = np.fft.rfftfreq(len(out), 1 / FS)

    def infrasound(x):
        spectrum = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
        return spectrum[freqs < 5].sum() / spectrum.sum()

    assert infrasound(clip) > 0.3 and infrasound(out) < 1e-3           # what is left is the ends' transient
    core = slice(FS // 2, 3 * FS // 2)                        # the tone itself is untouched
    np.testing.assert_allclose(out[core], tone[core], atol=2e-3)


def test_response_highpass_is_zero_phase_and_clears_the_infrasound():
    x = np.zeros(FS)
    x[FS // 2] = 1.0
    y = highpass(x, FS, 20.0, 4)
    assert np.argmax(np.abs(y)) == FS // 2 and y[FS // 2] > 0.99         # the impulse stays where it was
    np.testing.assert_allclose(y[FS // 2 - 200:FS // 2], y[FS // 2 + 200:FS // 2:-1], atol=1e-9)   # symmetric
    gain = np.abs(np.fft.rfft(y, 8 * FS))
    freqs = np.fft.rfftfreq(8 * FS, 1 / FS)
    assert gain[np.argmin(np.abs(freqs - 5))] < 1e-4 and gain[np.argmin(np.abs(freqs - 10))] < 5e-3
    assert gain[np.argmin(np.abs(freqs - 50))] > 0.99


def test_band_weights_split_unity_and_interpolate_between_centres():
    w = band_weights(1024, FS)
    assert w.shape == (len(BANDS), 513)
    np.testing.assert_allclose(w.sum(0), 1.0, atol=1e-12)
    freqs = np.fft.rfftfreq(1024, 1 / FS)
    values = np.log2(np.asarray(BANDS))                                  # log-frequency itself
    inside = (freqs >= BANDS[0]) & (freqs <= BANDS[-1])
    np.testing.assert_allclose(interpolate_bands(values, 1024, FS)[inside], np.log2(freqs[inside]), atol=1e-9)


@pytest.mark.parametrize("centre", [500.0, 2000.0])
def test_octave_filter_passes_its_band_and_stops_the_neighbours(centre):
    t = np.arange(FS) / FS
    for f, low, high in ((centre, 0.9, 1.01), (centre / 4, 0.0, 0.01), (centre * 4, 0.0, 0.01)):
        y = octave_filter(np.sin(2 * np.pi * f * t), centre, FS)[FS // 2:]
        assert low <= np.sqrt(2 * np.mean(y**2)) <= high, f
