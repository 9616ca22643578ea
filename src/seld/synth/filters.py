"""Filters shared by the room responses and the sound bank: DC removal and the octave-band split.

- :func:`highpass`: a zero-phase Butterworth high-pass, as pyroomacoustics applies to every room impulse
  response (its ``rir_hpf_*`` constants: 2nd order at 10 Hz, run forwards and backwards), so that responses
  carry no DC: an image-source response otherwise sums to hundreds of times its direct path at 0 Hz. Room
  responses use 4th order at 20 Hz (:data:`RESPONSE_HIGHPASS`): pyroomacoustics' filter still leaves about 3 %
  of a small room's energy below 20 Hz, this one 0.1 %, and it takes 0.3 dB at 30 Hz, nothing above 50 Hz.
- :func:`remove_dc`: pyroomacoustics' filter for sound clips (their mean and sub-audio drift), for banks.
- :func:`band_weights`: a partition of unity over FFT bins, one smooth weight per octave band (triangles in
  log-frequency between band centres), used to give image sources and the late tail per-band spectra.
- :func:`octave_filter`: ISO-style octave-band filters for measuring decays (:mod:`seld.synth.acoustics`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.signal

__all__ = ["BANDS", "HIGHPASS_HZ", "RESPONSE_HIGHPASS", "highpass", "remove_dc", "band_weights", "interpolate_bands",
           "octave_filter"]

#: octave-band centre frequencies (Hz) of wall absorption, scattering and air absorption (pyroomacoustics')
BANDS = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
#: cut-off of the DC-removing high-pass of clips (pyroomacoustics' ``rir_hpf_fc``)
HIGHPASS_HZ = 10.0
#: (cut-off Hz, order) of the high-pass of room responses
RESPONSE_HIGHPASS = (20.0, 4)


@lru_cache(maxsize=16)
def _highpass_sos(fs: int, cutoff: float, order: int) -> np.ndarray:
    return scipy.signal.butter(order, cutoff, btype="highpass", fs=fs, output="sos")


def highpass(x: np.ndarray, fs: int, cutoff: float = HIGHPASS_HZ, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth high-pass along the last axis (float64 out); the defaults are pyroomacoustics' RIR
    filter."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1] == 0:
        return x
    # sosfiltfilt pads with an odd extension of 3 * (2 * sections + 1) samples; shorter signals get less
    pad = min(x.shape[-1] - 1, 3 * (2 * len(_highpass_sos(fs, cutoff, order)) + 1))
    return scipy.signal.sosfiltfilt(_highpass_sos(fs, cutoff, order), x, axis=-1, padlen=pad)


def remove_dc(x: np.ndarray, fs: int, cutoff: float = HIGHPASS_HZ) -> np.ndarray:
    """A sound clip [N] (or [..., N]) without its DC offset and sub-audio drift, in its own dtype.

    The mean is taken out first (a constant offset would otherwise leave the filter's start-up transient at
    the ends), then the 10 Hz zero-phase high-pass removes what drifts.
    """
    x = np.asarray(x)
    out = highpass(x - np.mean(x, axis=-1, keepdims=True, dtype=np.float64), fs, cutoff)
    return out.astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64)


@lru_cache(maxsize=32)
def band_weights(n_fft: int, fs: int, bands: tuple[float, ...] = BANDS) -> np.ndarray:
    """Weights float64 [B, n_fft // 2 + 1]: how much of each rfft bin belongs to each band.

    Triangles in log-frequency between neighbouring centres; below the first centre everything is the first
    band's, above the last the last's. The weights sum to one at every bin, so a quantity equal in every band
    comes out unchanged, and per-band values are interpolated linearly in log-frequency between centres.
    """
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    logf = np.log2(np.maximum(freqs, 1e-3))
    centres = np.log2(np.asarray(bands, dtype=np.float64))
    out = np.zeros((len(bands), len(freqs)))
    for b in range(len(bands)):
        w = np.ones(len(freqs))
        if b > 0:
            w = np.where(logf < centres[b], np.clip((logf - centres[b - 1]) / (centres[b] - centres[b - 1]), 0, 1), w)
        if b < len(bands) - 1:
            w = np.where(logf > centres[b], np.clip((centres[b + 1] - logf) / (centres[b + 1] - centres[b]), 0, 1), w)
        out[b] = w
    out.setflags(write=False)
    return out


def interpolate_bands(values: np.ndarray, n_fft: int, fs: int) -> np.ndarray:
    """Per-band values [..., B] spread over rfft bins [..., n_fft // 2 + 1] (see :func:`band_weights`)."""
    return np.asarray(values, dtype=np.float64) @ band_weights(n_fft, fs)


@lru_cache(maxsize=32)
def _octave_sos(centre: float, fs: int) -> np.ndarray:
    lo, hi = centre / np.sqrt(2.0), centre * np.sqrt(2.0)
    if hi >= 0.98 * fs / 2:
        return scipy.signal.butter(6, lo, btype="highpass", fs=fs, output="sos")
    return scipy.signal.butter(3, [lo, hi], btype="bandpass", fs=fs, output="sos")


def octave_filter(x: np.ndarray, centre: float, fs: int) -> np.ndarray:
    """``x`` [..., N] filtered into the octave band around ``centre`` Hz (6th-order Butterworth band-pass, run
    forwards only, as decay measurements do: a backward pass would smear the decay into earlier times). A band
    reaching past Nyquist keeps everything above its lower edge."""
    return scipy.signal.sosfilt(_octave_sos(float(centre), int(fs)), np.asarray(x, dtype=np.float64), axis=-1)
