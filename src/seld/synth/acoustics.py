"""Room-acoustic parameters measured on impulse responses (ISO 3382 style), for the record and the tests.

- Energy decay curve: Schroeder's backward integral of the squared response, per octave band
  (:func:`~seld.synth.filters.octave_filter`), in dB below its start.
- T30 / T20 / EDT: 60 dB over the least-squares slope of the curve between -5 and -35 dB, -5 and -25 dB,
  0 and -10 dB.
- DRR: energy within 2.5 ms of the direct path's peak over the energy after it (broadband), in dB.

The responses are noise-free, so no noise compensation is needed; they are finite, which bends the very end
of the curve down (a response cut 45 dB down lowers T30 by about 2 %).
"""

from __future__ import annotations

import numpy as np

from seld.synth.filters import BANDS, octave_filter

__all__ = ["decay_time", "energy_decay_db", "measure_response", "direct_to_reverberant", "summarize"]

#: half-width of the direct-path window of the DRR (seconds)
DIRECT_WINDOW = 0.0025


def decay_time(t: np.ndarray, edc_db: np.ndarray, lo: float, hi: float) -> float:
    """60 dB over the least-squares slope (dB/s) of ``edc_db`` [T] at times ``t`` [T] where the curve lies in
    [lo, hi] dB; NaN when the curve never gets that low or the slope is not a decay."""
    edc_db = np.asarray(edc_db, dtype=np.float64)
    if not np.any(edc_db <= lo):
        return float("nan")
    first = int(np.argmax(edc_db <= hi))
    last = int(np.argmax(edc_db <= lo))
    sel = slice(first, last + 1)
    if last - first < 2:
        return float("nan")
    slope = np.polyfit(np.asarray(t, dtype=np.float64)[sel], edc_db[sel], 1)[0]
    return float(-60.0 / slope) if slope < 0 else float("nan")


def energy_decay_db(x: np.ndarray) -> np.ndarray:
    """Schroeder energy decay curve [..., N] of responses [..., N], in dB below the total energy."""
    e = np.square(np.asarray(x, dtype=np.float64))
    edc = np.cumsum(e[..., ::-1], axis=-1)[..., ::-1]
    total = edc[..., :1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return 10 * np.log10(np.maximum(edc / np.where(total > 0, total, 1.0), 1e-300))


def direct_to_reverberant(x: np.ndarray, fs: int, direct: int | None = None) -> float:
    """DRR (dB) of a response [N]: energy within :data:`DIRECT_WINDOW` of the direct path (the sample
    ``direct``, or the largest magnitude) over the energy after that window."""
    x = np.asarray(x, dtype=np.float64)
    n0 = int(np.argmax(np.abs(x))) if direct is None else int(direct)
    half = int(round(DIRECT_WINDOW * fs))
    lo, hi = max(n0 - half, 0), n0 + half + 1
    direct_e = float(np.sum(x[lo:hi] ** 2))
    late = float(np.sum(x[hi:] ** 2))
    return float(10 * np.log10(direct_e / late)) if late > 0 and direct_e > 0 else float("inf")


def measure_response(x: np.ndarray, fs: int, bands=BANDS, direct: int | None = None) -> dict:
    """T30, T20 and EDT per octave band (s; NaN where unmeasurable, e.g. bands above Nyquist) and the DRR (dB)
    of one omnidirectional response [N]."""
    x = np.asarray(x, dtype=np.float64)
    t = np.arange(len(x)) / fs
    out = {"bands": [float(b) for b in bands], "t30": [], "t20": [], "edt": []}
    for centre in bands:
        if centre / np.sqrt(2.0) >= fs / 2:
            db = np.full(len(x), np.nan)
        else:
            db = energy_decay_db(octave_filter(x, centre, fs))
        out["t30"].append(decay_time(t, db, -35.0, -5.0))
        out["t20"].append(decay_time(t, db, -25.0, -5.0))
        out["edt"].append(decay_time(t, db, -10.0, 0.0))
    out["drr_db"] = direct_to_reverberant(x, fs, direct)
    return out


def summarize(measurements: list[dict]) -> dict:
    """Median over positions of each per-band figure, and the DRR's median, minimum and maximum."""
    if not measurements:
        return {}
    out = {"bands": measurements[0]["bands"], "positions": len(measurements)}
    for key in ("t30", "t20", "edt"):
        values = np.array([m[key] for m in measurements], dtype=np.float64)
        with np.errstate(all="ignore"):
            med = np.nanmedian(values, axis=0) if np.any(np.isfinite(values)) else values[0]
        out[key] = [None if not np.isfinite(v) else round(float(v), 4) for v in np.atleast_1d(med)]
    drr = np.array([m["drr_db"] for m in measurements], dtype=np.float64)
    drr = drr[np.isfinite(drr)]
    out["drr_db"] = ({"median": round(float(np.median(drr)), 2), "min": round(float(drr.min()), 2),
                      "max": round(float(drr.max()), 2)} if len(drr) else None)
    return out
