"""How the sound energy of a shoebox room decays, per octave band: the model behind the late tail and the aim.

**Specular part.** The image sources of a shoebox fill space with one image per room volume V. An image at
distance r = c t in direction u has met about r |u_i| / L_i walls across axis i, so its energy (amplitude
beta / r, pyroomacoustics' convention) is r^-2 exp(-r K(u)) with

    K(u) = sum_i |u_i| (a_i + sigma) / L_i + m,   a_i = -(ln(1 - alpha_i0) + ln(1 - alpha_i1)) / 2,

the two walls across axis i averaged, sigma = -ln(1 - s) the energy the scattering coefficient s takes out of
the specular reflection, m the air's attenuation per metre. The power arriving at the array is therefore

    P_spec(t) = (4 pi c / V) * G * mean over directions u of exp(-c t K(u)),

where G = prod_i (1 + AM_i / GM_i) / 2 accounts for the images that met one wall of an axis once more than the
other (half of them; AM and GM are the arithmetic and geometric means of the two walls' reflectances 1 - alpha),

which matches the energy of pyroomacoustics' images to within the spread of single arrivals (1.5 dB over 20 ms
windows, 0.5 dB on average: ``tests/synth/test_acoustics.py``) and, unlike Sabine's or Eyring's formula, keeps
the slow decay of the directions that graze absorbing surfaces (two hard walls facing each other under an
absorbing ceiling ring long).

**Scattered part.** Of the energy a reflection does not absorb, the fraction s leaves the specular path and
joins a diffuse field, which then loses energy at Eyring's rate with the mean absorption of all surfaces:

    dP_d/dt = sum_u eta(u) P_spec,u(t) - delta_d P_d,   delta_d = c S (-ln(1 - mean alpha)) / (4 V) + c m.

Both parts are sums of exponentials, so the energy decay curve (Schroeder's backward integral) is closed-form
and a room's reverberation time per band (T30: the slope between -5 and -35 dB, as measured) costs a few
milliseconds; :func:`seld.synth.rooms.sample_room` scales the drawn materials' absorption until the model's
mid-frequency T30 is the target.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from seld.synth.acoustics import decay_time
from seld.synth.filters import BANDS

__all__ = ["DecayModel", "air_attenuation", "completeness_distance", "order_for_distance"]


def air_attenuation(freqs, temperature: float, humidity: float, pressure_kpa: float = 101.325) -> np.ndarray:
    """Energy attenuation of air per metre (``m`` in exp(-m d)) at ``freqs`` Hz: ISO 9613-1 with the
    temperature in Celsius and the relative humidity in percent."""
    f = np.asarray(freqs, dtype=np.float64)
    t = temperature + 273.15
    t0, t01, pr = 293.15, 273.16, 101.325
    pa = pressure_kpa / pr
    psat = 10 ** (-6.8346 * (t01 / t) ** 1.261 + 4.6151)
    h = humidity * psat / pa                                  # molar concentration of water vapour, percent
    fr_o = pa * (24 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = pa * (t / t0) ** -0.5 * (9 + 280 * h * np.exp(-4.170 * ((t / t0) ** (-1 / 3) - 1)))
    db_per_m = 8.686 * f**2 * (1.84e-11 / pa * (t / t0) ** 0.5 + (t / t0) ** -2.5 * (
        0.01275 * np.exp(-2239.1 / t) / (fr_o + f**2 / fr_o) + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f**2 / fr_n)))
    return db_per_m * np.log(10) / 10


def completeness_distance(size, order: int) -> float:
    """Distance (m) up to which image sources of reflection order <= ``order`` are all there is: an image
    met n_i walls across axis i lies at least (n_i - 1) L_i away along it, and sum n_i > order."""
    inv = np.sqrt(np.sum(1.0 / np.asarray(size, dtype=np.float64) ** 2))
    return max(order - 2, 0) / inv


def order_for_distance(size, distance: float) -> int:
    """Smallest reflection order whose images are complete up to ``distance`` metres."""
    inv = np.sqrt(np.sum(1.0 / np.asarray(size, dtype=np.float64) ** 2))
    return int(np.ceil(distance * inv)) + 2


@lru_cache(maxsize=4)
def _directions(n: int) -> np.ndarray:
    """|u| [n, 3] of n nearly uniform unit vectors (the model depends on direction only through |u_i|)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = np.pi * (1.0 + 5**0.5) * i
    r = np.sqrt(1.0 - z**2)
    out = np.abs(np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1))
    out.setflags(write=False)
    return out


def _compress(k: np.ndarray, inject: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directions [D, B] grouped per band into ``n_bins`` bins of log(k): (k, inject, weight) [n_bins, B],
    empty bins with weight 0."""
    d, n_bands = k.shape
    out_k, out_i, out_w = (np.zeros((n_bins, n_bands)) for _ in range(3))
    logk = np.log(np.maximum(k, 1e-300))
    for b in range(n_bands):
        lo, hi = logk[:, b].min(), logk[:, b].max()
        idx = np.minimum(((logk[:, b] - lo) / max(hi - lo, 1e-12) * n_bins).astype(np.int64), n_bins - 1)
        count = np.bincount(idx, minlength=n_bins)
        full = count > 0
        out_w[:, b] = count / d
        out_k[full, b] = np.bincount(idx, k[:, b], n_bins)[full] / count[full]
        out_i[full, b] = np.bincount(idx, inject[:, b], n_bins)[full] / count[full]
        out_k[~full, b] = 1.0
    return out_k, out_i, out_w


class DecayModel:
    """Energy decay of a shoebox room per band (see the module docstring).

    Args:
        size: (Lx, Ly, Lz) metres.
        absorption: energy absorption [6, B] of the walls (pyroomacoustics' order) per band (or [6]: the same
            in every band).
        scattering: scattering coefficient per band [B] (or one number).
        air: air attenuation per metre per band [B] (or one number).
        c: speed of sound.
        n_dirs: directions the mean over u is taken on.
        n_bins: directions with nearly the same loss ``k`` are merged into this many groups per band (their
            weights summed, the losses and injection rates averaged), which makes the model's cost independent
            of ``n_dirs``; 0 keeps every direction.
    """

    def __init__(self, size, absorption, scattering=0.0, air=0.0, c: float = 343.0, n_dirs: int = 32768,
                 n_bins: int = 384):
        self.size = np.asarray(size, dtype=np.float64)
        absorption = np.asarray(absorption, dtype=np.float64)
        if absorption.ndim == 1:
            absorption = np.repeat(absorption[:, None], len(BANDS), axis=1)
        n_bands = absorption.shape[1]
        self.absorption = absorption
        self.scattering = np.broadcast_to(np.asarray(scattering, dtype=np.float64), (n_bands,)).copy()
        self.air = np.broadcast_to(np.asarray(air, dtype=np.float64), (n_bands,)).copy()
        self.c = float(c)
        lx, ly, lz = self.size
        self.volume = lx * ly * lz
        area = np.array([ly * lz, ly * lz, lx * lz, lx * lz, lx * ly, lx * ly])
        self.area = area.sum()
        alpha = np.clip(absorption, 0.0, 1.0 - 1e-9)
        s = np.clip(self.scattering, 0.0, 1.0 - 1e-9)
        a_axis = -(np.log1p(-alpha[0::2]) + np.log1p(-alpha[1::2])) / 2          # [3, B]
        sigma = -np.log1p(-s)                                                   # [B]
        inv = _directions(n_dirs) / self.size[None, :]                          # [D, 3] walls met per metre
        #: energy lost per metre of travel along each direction [D, B]
        self.k = inv @ (a_axis + sigma[None, :]) + self.air[None, :]
        kept = np.exp(-a_axis)                                                  # reflected share per axis
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(s[None, :] > 0, s * kept / (1.0 - kept * (1.0 - s)), 0.0)
        #: rate (1/s) at which each direction's specular power turns into diffuse power [D, B]
        self.inject = self.c * (inv @ ((a_axis + sigma[None, :]) * share))
        self.weight = np.full(self.k.shape, 1.0 / len(self.k))
        if n_bins:
            self.k, self.inject, self.weight = _compress(self.k, self.inject, n_bins)
        mean_alpha = np.clip((area[:, None] * alpha).sum(0) / self.area, 0.0, 1.0 - 1e-9)
        #: decay rate (1/s) of the diffuse field's power [B]
        self.diffuse_rate = self.c * (self.area / (4 * self.volume) * -np.log1p(-mean_alpha) + self.air)
        # images that met an axis' walls an odd number of times met one of them once more: averaged over the two
        # sides, their energy is the mean of the walls' reflectances times the geometric mean's power, one
        # image in two on each axis (1 when both walls are alike)
        kept_w = 1.0 - alpha
        mean = (kept_w[0::2] + kept_w[1::2]) / 2
        geo = np.sqrt(kept_w[0::2] * kept_w[1::2])
        parity = np.prod((1.0 + mean / np.maximum(geo, 1e-300)) / 2, axis=0)       # [B]
        #: power of the image sources at t = 0 per band [B] (pyroomacoustics' amplitude convention): 4 pi c / V
        #: times the odd-reflection factor
        self.p0 = 4 * np.pi * self.c / self.volume * parity

    def _terms(self) -> tuple[np.ndarray, np.ndarray]:
        """(c k [J, B], 1 / (delta_d - c k) [J, B]): the directions' decay rates, nudged by at most 0.1 % of
        the diffuse rate where they would equal it, and the factor their injection is divided by."""
        ck = self.c * self.k
        rate = self.diffuse_rate[None, :]
        gap = rate - ck
        close = np.abs(gap) < 1e-3 * rate
        ck = np.where(close, rate - np.where(gap >= 0, 1e-3, -1e-3) * rate, ck)
        return ck, 1.0 / (rate - ck)

    def power(self, t) -> tuple[np.ndarray, np.ndarray]:
        """(specular, diffuse) power [T, B] arriving at time ``t`` [T] seconds after emission."""
        t = np.asarray(t, dtype=np.float64)
        ck, inv_gap = self._terms()
        decay = np.exp(-ck[None] * t[:, None, None])                          # [T, J, B]
        spec = np.einsum("tjb,jb->tb", decay, self.weight)
        grow = self.weight * self.inject * inv_gap                            # (e^-ckt - e^-dt) / (d - ck)
        diffuse = np.einsum("tjb,jb->tb", decay, grow) - np.exp(-self.diffuse_rate[None, :] * t[:, None]) * grow.sum(0)
        return self.p0 * spec, self.p0 * diffuse

    def schroeder(self, t) -> np.ndarray:
        """Energy [T, B] arriving after time ``t`` [T] (the backward integral of both parts)."""
        t = np.asarray(t, dtype=np.float64)
        ck, inv_gap = self._terms()
        decay = np.exp(-ck[None] * t[:, None, None])                          # [T, J, B]
        grow = self.weight * self.inject * inv_gap
        late = np.einsum("tjb,jb->tb", decay, (self.weight + grow) / ck)
        late -= np.exp(-self.diffuse_rate[None, :] * t[:, None]) * grow.sum(0) / self.diffuse_rate[None, :]
        return self.p0 * late

    def curve(self, points: int = 300, floor_db: float = -40.0) -> tuple[np.ndarray, np.ndarray]:
        """(times [T], energy decay curve in dB [T, B]) from 0 until every band is ``floor_db`` down."""
        slow = float(np.min(np.minimum(self.diffuse_rate, self.c * np.sum(self.weight * self.k, axis=0))))
        t_max = 1.2 * 13.8 / max(slow, 1e-3)
        for _ in range(12):
            t = np.linspace(0.0, t_max, points)
            edc = self.schroeder(t)
            db = 10 * np.log10(np.maximum(edc / edc[:1], 1e-300))
            if np.all(db[-1] <= floor_db):
                break
            t_max *= 2
        return t, db

    def decay_times(self, lo: float = -35.0, hi: float = -5.0) -> np.ndarray:
        """Decay time per band (s): 60 dB over the least-squares slope of the decay curve between ``hi`` and
        ``lo`` dB (T30 by default, as a measurement fits it)."""
        t, db = self.curve(floor_db=lo - 5)
        return np.array([decay_time(t, db[:, b], lo, hi) for b in range(db.shape[1])])
