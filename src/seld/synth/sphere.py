"""Scattering of a plane wave by a rigid sphere: the response of a pressure capsule on its surface.

The DCASE / STARSS23 tetrahedral array (an Eigenmike em32 subset) is described by (STARSS23 README)::

    H(gamma, w) = 1/(kR)^2 * sum_{n=0}^{N} i^(n-1) / h_n'^(2)(kR) * (2n+1) * P_n(cos gamma),   k = w / c

with gamma the angle between the capsule and the direction of arrival, h_n^(2) the spherical Hankel function
of the second kind and P_n the Legendre polynomial. The formula uses the exp(+i w t) convention, the one of
numpy's inverse FFT, so it is used as is (no conjugate): the capsule facing the source then leads the centre.
Splitting the sum into per-order terms H_n(w) * P_n(cos gamma) lets a whole room response be scattered at
once: weight each image by P_n(cos gamma), build one impulse train per order, filter by H_n and sum.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import spherical_jn, spherical_yn

__all__ = ["legendre", "modal_response", "modal_response_fft", "plane_wave_response"]


def legendre(order: int, x: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Legendre polynomials P_0..P_order at ``x`` [...]: array [order + 1, ...] (Bonnet's recurrence)."""
    x = np.asarray(x, dtype=dtype)
    out = np.empty((order + 1, *x.shape), dtype=dtype)
    out[0] = 1.0
    if order >= 1:
        out[1] = x
    for n in range(1, order):
        out[n + 1] = ((2 * n + 1) * x * out[n] - n * out[n - 1]) / (n + 1)
    return out


def modal_response(order: int, kr: np.ndarray) -> np.ndarray:
    """Per-order terms H_n(kR) = (2n+1) i^(n-1) / ((kR)^2 h_n'^(2)(kR)), complex [order + 1, F].

    At kR = 0 the limit is used (1 for n = 0, 0 above); terms too small to represent are 0.
    """
    kr = np.asarray(kr, dtype=np.float64)
    out = np.zeros((order + 1, kr.size), dtype=np.complex128)
    pos = kr > 0
    x = kr[pos]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for n in range(order + 1):
            dh = spherical_jn(n, x, derivative=True) - 1j * spherical_yn(n, x, derivative=True)
            term = (2 * n + 1) * (1j ** (n - 1)) / (x**2 * dh)
            out[n, pos] = np.where(np.isfinite(term), term, 0.0)
    out[0, ~pos] = 1.0
    return out


@lru_cache(maxsize=16)
def modal_response_fft(order: int, radius: float, nfft: int, fs: int, c: float) -> np.ndarray:
    """:func:`modal_response` on the bins of a real FFT of length ``nfft`` (cached: one per room and array)."""
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
    resp = modal_response(order, 2 * np.pi * freqs * radius / c)
    resp.setflags(write=False)
    return resp


def plane_wave_response(dirs: np.ndarray, capsules: np.ndarray, radius: float, order: int, freqs: np.ndarray,
                        c: float) -> np.ndarray:
    """Complex [D, M, F] response of capsules (unit vectors [M, 3]) to plane waves from ``dirs`` [D, 3]."""
    modes = modal_response(order, 2 * np.pi * np.asarray(freqs, dtype=np.float64) * radius / c)   # [N+1, F]
    cos = np.clip(np.asarray(dirs, dtype=np.float64) @ np.asarray(capsules, dtype=np.float64).T, -1.0, 1.0)
    return np.einsum("ndm,nf->dmf", legendre(order, cos), modes)
