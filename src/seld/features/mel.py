"""Mel scales and the triangular mel filterbank, written out so that no audio library is needed at run time.

Two mel scales are in use in SELD front ends:

- ``htk``: ``mel = 2595 log10(1 + f / 700)``. PSELDNets gets it from torchaudio's ``MelScale`` default
  (``mel_scale='htk'``) even though it asks for Slaney *normalisation*.
- ``slaney`` (Auditory Toolbox, librosa's default): linear below 1 kHz (``f / (200 / 3)``), logarithmic above
  (27 mels per factor 6.4). The DCASE baselines use it through ``librosa.filters.mel(sr, n_fft, 64)``.

The filterbank is built the way librosa and torchaudio both build it: ``n_mels + 2`` points equally spaced on
the mel scale from ``fmin`` to ``fmax``, converted back to Hz, one triangle per consecutive triple of points
evaluated at the FFT bin frequencies ``k * sample_rate / n_fft``; with ``norm='slaney'`` each triangle is
scaled by ``2 / (f[i + 2] - f[i])`` so that it has unit area (constant energy per band). It is returned as
``[n_fft // 2 + 1, n_mels]`` so that ``power @ fb`` gives mel power.

Two constructions of the same matrix:

- :func:`mel_filterbank` computes in float64 (the exact values; librosa's up to its final cast).
- :func:`mel_filterbank_torchaudio` repeats torchaudio's ``melscale_fbanks`` operation by operation in float32
  (bin frequencies from ``torch.linspace(0, sample_rate // 2, n_freqs)``, mel points from a float32
  ``linspace`` between mels computed in double precision, float32 conversions back to Hz, slopes and
  normalisation), so it gives torchaudio's ``MelScale.fb`` bit for bit on the same CPU (the Slaney scale's float32
  exp may differ in the last bit on another CPU); it differs from the float64 matrix by
  a few float32 ulps (about 4e-8 absolute at 24 kHz), which moves a log-mel by up to about 5e-4 dB in quiet
  bins. PSELDNets' front end uses torchaudio's.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from seld.errors import ConfigError

__all__ = ["MEL_SCALES", "hz_to_mel", "mel_to_hz", "mel_filterbank", "mel_filterbank_torchaudio"]

log = logging.getLogger(__name__)

MEL_SCALES = ("htk", "slaney")

_SLANEY_F_SP = 200.0 / 3.0  # Hz per mel below the break
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = math.log(6.4) / 27.0


def _check_scale(scale: str) -> None:
    if scale not in MEL_SCALES:
        raise ConfigError(f"unknown mel scale {scale!r}; choose one of {', '.join(MEL_SCALES)}")


def hz_to_mel(freq, scale: str = "htk") -> np.ndarray:
    """Frequencies in Hz to mels on the ``htk`` or ``slaney`` scale (float64 array)."""
    _check_scale(scale)
    f = np.asarray(freq, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / _SLANEY_F_SP
    logpart = _SLANEY_MIN_LOG_MEL + np.log(np.maximum(f, _SLANEY_MIN_LOG_HZ) / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return np.where(f >= _SLANEY_MIN_LOG_HZ, logpart, linear)


def mel_to_hz(mel, scale: str = "htk") -> np.ndarray:
    """Mels on the ``htk`` or ``slaney`` scale to Hz (float64 array); inverse of :func:`hz_to_mel`."""
    _check_scale(scale)
    m = np.asarray(mel, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _SLANEY_F_SP * m
    logpart = _SLANEY_MIN_LOG_HZ * np.exp(_SLANEY_LOGSTEP * (np.maximum(m, _SLANEY_MIN_LOG_MEL) - _SLANEY_MIN_LOG_MEL))
    return np.where(m >= _SLANEY_MIN_LOG_MEL, logpart, linear)


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    scale: str = "htk",
    norm: str | None = "slaney",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Triangular mel filterbank ``[n_fft // 2 + 1, n_mels]`` (see the module docstring).

    ``fmax=None`` means ``sample_rate / 2``. ``norm`` is ``'slaney'`` (unit-area triangles) or ``None`` (peak 1).
    Equal to ``librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
    htk=scale == 'htk', norm=norm).T`` and to torchaudio's ``melscale_fbanks`` with the same settings.
    """
    fmax = _check_settings(sample_rate, n_mels, fmin, fmax, scale, norm)
    fft_freqs = np.arange(n_fft // 2 + 1, dtype=np.float64) * sample_rate / n_fft
    mels = np.linspace(hz_to_mel(fmin, scale), hz_to_mel(fmax, scale), n_mels + 2)
    edges = mel_to_hz(mels, scale)  # [n_mels + 2]
    width = np.diff(edges)  # [n_mels + 1]
    ramps = edges[:, None] - fft_freqs[None, :]  # [n_mels + 2, n_freqs]
    rising = -ramps[:-2] / width[:-1, None]
    falling = ramps[2:] / width[1:, None]
    fb = np.maximum(0.0, np.minimum(rising, falling))  # [n_mels, n_freqs]
    if norm == "slaney":
        fb *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    _warn_empty(np.flatnonzero(fb.max(axis=1) == 0.0).tolist(), n_mels, n_fft)
    return torch.from_numpy(np.ascontiguousarray(fb.T)).to(dtype)


def mel_filterbank_torchaudio(
    sample_rate: int,
    n_fft: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    scale: str = "htk",
    norm: str | None = "slaney",
) -> torch.Tensor:
    """The filterbank ``[n_fft // 2 + 1, n_mels]`` of :func:`mel_filterbank` computed in float32 exactly as
    torchaudio's ``melscale_fbanks(n_fft // 2 + 1, fmin, fmax, n_mels, sample_rate, norm, scale)`` does
    (module docstring): equal to ``torchaudio.transforms.MelScale(...).fb`` bit for bit on the same CPU."""
    fmax = _check_settings(sample_rate, n_mels, fmin, fmax, scale, norm)
    cpu = torch.device("cpu")
    all_freqs = torch.linspace(0, sample_rate // 2, n_fft // 2 + 1, dtype=torch.float32, device=cpu)
    m_min, m_max = (float(hz_to_mel(f, scale)) for f in (fmin, fmax))  # double precision, as math.log10 is
    m_pts = torch.linspace(m_min, m_max, n_mels + 2, dtype=torch.float32, device=cpu)
    if scale == "htk":
        f_pts = 700.0 * (10.0 ** (m_pts / 2595.0) - 1.0)
    else:
        f_pts = _SLANEY_F_SP * m_pts
        upper = m_pts >= _SLANEY_MIN_LOG_MEL
        f_pts[upper] = _SLANEY_MIN_LOG_HZ * torch.exp(_SLANEY_LOGSTEP * (m_pts[upper] - _SLANEY_MIN_LOG_MEL))
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)  # [n_freqs, n_mels + 2]
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = torch.max(torch.zeros(1), torch.min(down, up))
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2: n_mels + 2] - f_pts[:n_mels])).unsqueeze(0)
    _warn_empty(torch.nonzero(fb.max(dim=0).values == 0.0).flatten().tolist(), n_mels, n_fft)
    return fb


def _check_settings(sample_rate: int, n_mels: int, fmin: float, fmax: float | None, scale: str,
                    norm: str | None) -> float:
    """Validate a filterbank's settings; returns ``fmax`` (``None``: Nyquist)."""
    _check_scale(scale)
    fmax = sample_rate / 2.0 if fmax is None else float(fmax)
    if n_mels < 1:
        raise ConfigError(f"n_mels must be at least 1 (got {n_mels})")
    if not 0.0 <= fmin < fmax <= sample_rate / 2.0:
        raise ConfigError(f"need 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2:g} Hz (got fmin={fmin}, "
                          f"fmax={fmax})")
    if norm not in (None, "slaney"):
        raise ConfigError(f"unknown mel norm {norm!r}; choose 'slaney' or None")
    return fmax


def _warn_empty(empty: list[int], n_mels: int, n_fft: int) -> None:
    if empty:
        log.warning("mel filters %s cover no FFT bin (n_mels=%d too many for n_fft=%d); they stay zero",
                    empty, n_mels, n_fft)
