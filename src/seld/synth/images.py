"""Image sources seen from the array centre, and the impulse trains every spatial format is built from.

All formats (FOA, tetrahedral MIC, open arrays, omni) are rendered from one :class:`ImageSet`, so their
directions, delays and amplitudes agree by construction. A format only chooses per-image weights (an FOA
steering gain, a Legendre polynomial of the angle to a capsule) and, for open arrays, per-microphone delays;
:meth:`ImageSet.trains` turns the weights into sampled impulse trains with one sparse matrix product.

Delays are rendered with a Hann-windowed sinc (the fractional-delay filter of pyroomacoustics, centred on the
true arrival time) up to ``exact_until`` seconds, and rounded to the nearest sample after that: the late tail
is dense and diffuse, so sub-sample timing there changes nothing audible or measurable, and it makes the tail
cost one multiply-add per image instead of 81.

Walls absorb differently in each octave band, so an image has one amplitude per band (:attr:`ImageSet.gains`).
:meth:`ImageSet.render` then builds one impulse train per band and joins them in the frequency domain with
weights that sum to one (:func:`~seld.synth.filters.band_weights`): each image's spectrum is its band
amplitudes interpolated in log-frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.sparse

from seld.synth.filters import band_weights

__all__ = ["ImageSet", "FRACTIONAL_TAPS", "fractional_delay_matrix"]

#: length of the windowed-sinc fractional-delay filter (the pyroomacoustics default)
FRACTIONAL_TAPS = 81


def fractional_delay_matrix(delays: np.ndarray, n_samples: int, exact_until: float | None = None,
                            taps: int = FRACTIONAL_TAPS) -> scipy.sparse.csc_matrix:
    """Sparse [n_samples, K] matrix whose column k is an impulse delayed by ``delays[k]`` samples.

    Delays below ``exact_until`` (samples; ``None`` = all) get a ``taps``-long Hann-windowed sinc centred on the
    exact delay; later ones a single unit sample at the rounded delay. Samples outside [0, n_samples) are
    dropped. The matrix is built column by column in CSC order, so no sorting is needed.
    """
    delays = np.asarray(delays, dtype=np.float64)
    k = len(delays)
    exact = np.ones(k, bool) if exact_until is None else delays < exact_until
    per_col = np.where(exact, taps, 1)
    indptr = np.zeros(k + 1, np.int64)
    np.cumsum(per_col, out=indptr[1:])
    rows = np.empty(indptr[-1], np.int64)
    data = np.empty(indptr[-1], np.float32)

    # late images: one sample each, at the rounded delay
    late = ~exact
    late_at = indptr[:-1][late]
    rows[late_at] = np.rint(delays[late]).astype(np.int64)
    data[late_at] = 1.0

    # early images: a windowed sinc around the exact delay
    if exact.any():
        d = delays[exact]
        whole = np.floor(d).astype(np.int64)
        frac = d - whole
        half = (taps - 1) // 2
        offs = np.arange(taps) - half
        kernel = np.hanning(taps)[None, :] * np.sinc(offs[None, :] - frac[:, None])
        pos = (indptr[:-1][exact][:, None] + np.arange(taps)[None, :]).ravel()
        rows[pos] = (whole[:, None] + offs[None, :]).ravel()
        data[pos] = kernel.ravel()

    outside = (rows < 0) | (rows >= n_samples)
    if outside.any():
        data[outside] = 0.0
        np.clip(rows, 0, n_samples - 1, out=rows)
    return scipy.sparse.csc_matrix((data, rows, indptr), shape=(n_samples, k))


@dataclass
class ImageSet:
    """Image sources of one source position, relative to the array centre.

    Attributes:
        xyz: float64 [K, 3], image positions minus the array centre (metres).
        beta: float64 [K], product of the wall reflection coefficients met on the way (1 for the direct path).
        c: speed of sound (m/s).
        fs: sample rate of the responses.
        n_samples: length of the rendered responses.
        exact_until: seconds up to which arrivals get an exact fractional delay (``None``: all of them).
        gains: float64 [K, B], the reflection factor of each image in each band of
            :data:`~seld.synth.filters.BANDS` (``None``: ``beta`` in every band).
    """

    xyz: np.ndarray
    beta: np.ndarray
    c: float
    fs: int
    n_samples: int
    exact_until: float | None = 0.1
    gains: np.ndarray | None = None

    def __post_init__(self):
        self.xyz = np.asarray(self.xyz, dtype=np.float64).reshape(-1, 3)
        self.beta = np.asarray(self.beta, dtype=np.float64).ravel()
        if self.gains is not None:
            self.gains = np.asarray(self.gains, dtype=np.float64).reshape(len(self.beta), -1)
        self.dist = np.sqrt(np.sum(self.xyz**2, axis=1))
        if np.any(self.dist <= 0):
            raise ValueError("an image source coincides with the array centre")
        #: unit vectors [K, 3] from the array centre towards each image
        self.dirs = self.xyz / self.dist[:, None]
        #: free-field amplitude of each arrival, pyroomacoustics convention (beta / distance, no 1/(4 pi))
        self.amp = self.beta / self.dist
        self._centre: scipy.sparse.csc_matrix | None = None

    def __len__(self) -> int:
        return len(self.beta)

    def _limit(self) -> float | None:
        return None if self.exact_until is None else self.exact_until * self.fs

    def distances(self, offset: np.ndarray | None = None) -> np.ndarray:
        """Distances [K] from each image to the array centre, or to the point ``centre + offset`` (metres)."""
        if offset is None:
            return self.dist
        return np.sqrt(np.sum((self.xyz - np.asarray(offset, dtype=np.float64)[None, :]) ** 2, axis=1))

    def delays(self, offset: np.ndarray | None = None) -> np.ndarray:
        """Arrival times [K] in samples at the array centre, or at ``centre + offset``."""
        return self.distances(offset) * (self.fs / self.c)

    def trains(self, weights: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Impulse trains float32 [C, n_samples]: channel c is sum_k weights[c, k] * delta(t - delay_k).

        Delays are taken at the array centre (cached, shared by all centre-based formats) or at a microphone
        ``offset`` metres from it. Weights include the amplitude; callers multiply :attr:`amp` in themselves.
        """
        if offset is None:
            if self._centre is None:
                self._centre = fractional_delay_matrix(self.delays(), self.n_samples, self._limit())
            mat = self._centre
        else:
            mat = fractional_delay_matrix(self.delays(offset), self.n_samples, self._limit())
        w = np.ascontiguousarray(np.atleast_2d(weights).T, dtype=np.float32)
        return np.ascontiguousarray((mat @ w).T)

    def spectra(self, weights: np.ndarray, n_fft: int, offset: np.ndarray | None = None) -> np.ndarray:
        """Spectra complex [C, n_fft // 2 + 1] of channel c = sum_k weights[c, k] * g_k(f) * delta(t - delay_k),
        with g_k(f) the image's reflection factor (:attr:`beta`, or :attr:`gains` interpolated across bands).

        Weights hold the direction and distance part of the amplitude (e.g. an FOA gain over the distance).
        """
        weights = np.atleast_2d(weights)
        if self.gains is None:
            return scipy.fft.rfft(self.trains(weights * self.beta[None, :], offset), n_fft, axis=1)
        n_ch, n_bands = weights.shape[0], self.gains.shape[1]
        per_band = (weights[:, None, :] * self.gains.T[None, :, :]).reshape(n_ch * n_bands, -1)
        spec = scipy.fft.rfft(self.trains(per_band, offset), n_fft, axis=1).reshape(n_ch, n_bands, -1)
        return np.einsum("cbf,bf->cf", spec, band_weights(n_fft, self.fs).astype(np.float32))

    def render(self, weights: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Responses float32 [C, n_samples]: :meth:`spectra` of ``weights`` back in time."""
        if self.gains is None:
            return self.trains(np.atleast_2d(weights) * self.beta[None, :], offset)
        n_fft = scipy.fft.next_fast_len(self.n_samples, real=True)
        spec = self.spectra(weights, n_fft, offset)
        return np.ascontiguousarray(scipy.fft.irfft(spec, n_fft, axis=1)[:, :self.n_samples], dtype=np.float32)
