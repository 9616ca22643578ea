"""Spatially diffuse ambient noise, consistent across every format of a scene.

A diffuse field is sound arriving with equal power from all directions, independently. Its cross-spectral
matrix between all channels of all formats is Gamma(f) = mean over directions of a(f) a(f)^H, with a(f) the
formats' plane-wave responses (:meth:`SpatialFormat.plane_wave`). Drawing independent complex Gaussian STFT
coefficients, mixing them with a square root of Gamma(f) and overlap-adding gives noise with exactly that
coherence: the W channel of FOA, the capsules of the tetrahedral array and an open array then hear one and
the same field.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft

from seld.synth.arrays import SpatialFormat

__all__ = ["diffuse_noise", "diffuse_field", "frame_times", "split_formats", "fibonacci_sphere", "diffuse_coherence"]

_NFFT = 512
_CHUNK = 1024   # STFT frames generated at a time (bounds memory)


def fibonacci_sphere(n: int) -> np.ndarray:
    """``n`` nearly uniformly spread unit vectors [n, 3]."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = np.pi * (1.0 + 5**0.5) * i
    r = np.sqrt(1.0 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


@lru_cache(maxsize=8)
def _mixing(formats: tuple[SpatialFormat, ...], fs: int, c: float, nfft: int) -> np.ndarray:
    return _sqrt_psd(diffuse_coherence(list(formats), np.fft.rfftfreq(nfft, 1.0 / fs), c))


def diffuse_coherence(formats: list[SpatialFormat], freqs: np.ndarray, c: float, n_dirs: int = 600) -> np.ndarray:
    """Cross-spectral matrix [F, C, C] of a unit-power diffuse field over the channels of ``formats``."""
    dirs = fibonacci_sphere(n_dirs)
    resp = np.concatenate([f.plane_wave(dirs, freqs, c) for f in formats], axis=1)   # [D, C, F]
    return np.einsum("dcf,def->fce", resp, resp.conj()) / n_dirs


def _sqrt_psd(gamma: np.ndarray) -> np.ndarray:
    """M [F, C, C] with M M^H = gamma (eigen-decomposition; tiny negative eigenvalues clipped)."""
    w, v = np.linalg.eigh(gamma)
    return (v * np.sqrt(np.clip(w, 0.0, None))[:, None, :]).astype(np.complex64)


def diffuse_noise(rng: np.random.Generator, formats: list[SpatialFormat], n_samples: int, fs: int, c: float,
                  exponent: float = 1.0) -> list[np.ndarray]:
    """Diffuse noise float32 [C_f, n_samples] for each format, with a 1/f^exponent power spectrum.

    The overall level is arbitrary (scale it to the wanted SNR).
    """
    freqs = np.fft.rfftfreq(_NFFT, 1.0 / fs)
    shape = np.zeros(len(freqs), np.float32)
    shape[1:] = (np.maximum(freqs[1:], 20.0) / 1000.0) ** (-exponent / 2)
    return split_formats(diffuse_field(rng, formats, n_samples, fs, c, shape), formats)


def split_formats(signals: np.ndarray, formats: list[SpatialFormat]) -> list[np.ndarray]:
    """The channels [C_all, N] of stacked formats, one contiguous array per format."""
    parts, i = [], 0
    for f in formats:
        parts.append(np.ascontiguousarray(signals[i:i + f.channels]))
        i += f.channels
    return parts


def frame_times(n_samples: int, fs: int) -> np.ndarray:
    """Centres (seconds) of the STFT frames :func:`diffuse_field` synthesises ``n_samples`` from."""
    hop = _NFFT // 2
    return np.arange(n_samples // hop + 2) * hop / fs


def diffuse_field(rng: np.random.Generator, formats: list[SpatialFormat], n_samples: int, fs: int, c: float,
                  gains: np.ndarray) -> np.ndarray:
    """Diffuse noise float32 [C_all, n_samples] over the channels of all ``formats`` (stacked in order).

    ``gains`` shapes it per rfft bin of a :data:`_NFFT`-point STFT: [F] for a stationary spectrum, or
    [n_frames, F] per frame (:func:`frame_times`), to make it decay. A gain g adds 4 g^2 / _NFFT^2 to the
    power per sample of an omnidirectional channel (per bin other than 0 and Nyquist): independent complex
    Gaussian coefficients (variance 2) mixed by a square root of the diffuse coherence, inverse-transformed,
    windowed by a square-root Hann window and overlap-added at half a frame (the squared windows sum to one).
    """
    mix = _mixing(tuple(formats), fs, float(c), _NFFT)              # [F, C, C]
    n_bins, n_ch = mix.shape[0], mix.shape[1]
    hop = _NFFT // 2
    n_frames = n_samples // hop + 2
    gains = np.asarray(gains, dtype=np.float32)
    if gains.shape not in ((n_bins,), (n_frames, n_bins)):
        raise ValueError(f"gains must be [{n_bins}] or [{n_frames}, {n_bins}], got {gains.shape}")
    varying = gains.ndim == 2
    if not varying:
        mix = mix * gains[:, None, None]
    window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_NFFT) / _NFFT)).astype(np.float32)
    out = np.zeros((n_ch, (n_frames + 1) * hop), np.float32)
    for start in range(0, n_frames, _CHUNK):
        t = min(_CHUNK, n_frames - start)
        z = rng.standard_normal((n_bins, n_ch, 2 * t), dtype=np.float32).view(np.complex64)   # [F, C, t]
        if varying:
            z *= gains[start:start + t].T[:, None, :]
        y = np.einsum("fce,fet->fct", mix, z)       # per-bin mixing (plain C loop: no BLAS threads)
        frames = (scipy.fft.irfft(y, _NFFT, axis=0) * window[:, None, None]).transpose(1, 2, 0)   # [C, t, nfft]
        # overlap-add at half a frame: first halves land on hops k, second halves on hops k + 1
        ola = np.zeros((n_ch, t + 1, hop), np.float32)
        ola[:, :t] += frames[:, :, :hop]
        ola[:, 1:] += frames[:, :, hop:]
        out[:, start * hop:(start + t + 1) * hop] += ola.reshape(n_ch, -1)
    return out[:, hop:hop + n_samples]
