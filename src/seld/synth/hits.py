"""Events made of real single hits: footsteps, hand claps, knocks, bells, phone rings, drum grooves, strums.

Packages hold single footsteps, claps or drum strokes, not the events a SELD model hears (a person walking
past, a round of clapping, knocking on a door, someone playing). These rhythms place copies of recorded hits
at human timings, with the small jitter in time and level that real performers have, so the event is made of
real sound and only its timing is drawn. Each rhythm is a function ``(rng, n_kinds) -> [(time s, hit kind,
gain)]``; :func:`sequence` mixes the hits at those times, each a variant of its take (another recording of
the same step or stroke) drawn at random.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

__all__ = ["RHYTHMS", "load_hit", "load_hits", "onsets", "sequence", "footsteps", "claps", "knocks", "rings",
           "phone", "drums", "strums"]

Onsets = list[tuple[float, int, float]]

_FRAME = 0.005      # seconds per frame for trimming a hit
_MAX_HIT = 2.5      # seconds kept of one hit (a guitar strum rings for about 2 s)


@lru_cache(maxsize=512)
def load_hit(path: str, fs: int) -> np.ndarray:
    """A recorded hit as float64 mono at ``fs``, trimmed to its sound (40 dB below the peak frame), peak 1."""
    return _trim(_read(path, fs), fs, path)


@lru_cache(maxsize=128)
def load_hits(path: str, fs: int) -> tuple[np.ndarray, ...]:
    """The single hits of a recording of several (a recorded knock on a door, a bell struck twice): the
    recording cut at its onsets (:func:`onsets`), each piece trimmed and normalised like :func:`load_hit`."""
    x = _read(path, fs)
    cuts = [*onsets(x, fs), len(x)]
    return tuple(_trim(x[a:b], fs, path) for a, b in zip(cuts[:-1], cuts[1:]))


def onsets(x: np.ndarray, fs: int, rise_db: float = 12.0, floor_db: float = 30.0, gap: float = 0.08) -> list[int]:
    """Sample indices where hits start: frames whose level jumps ``rise_db`` above the quietest of the 20 ms
    before, within ``floor_db`` of the loudest frame, at least ``gap`` seconds after the previous onset (the
    first is the start of the sound)."""
    db = _frame_db(x, fs)
    hop = max(int(_FRAME * fs), 1)
    back = max(int(0.02 / _FRAME), 1)
    loud = db > db.max() - floor_db
    found = [int(np.flatnonzero(loud)[0])]
    for t in range(back, len(db)):
        if loud[t] and db[t] - db[t - back:t].min() > rise_db and t - found[-1] >= gap / _FRAME:
            found.append(t)
    # an onset frame can hold the end of the hit before: start each cut one frame earlier
    return [max(t - 1, 0) * hop if i else t * hop for i, t in enumerate(found)]


def _frame_db(x: np.ndarray, fs: int) -> np.ndarray:
    hop = max(int(_FRAME * fs), 1)
    n = max(len(x) // hop, 1)
    return 10 * np.log10(np.mean(np.resize(x, n * hop).reshape(n, hop) ** 2, axis=1) + 1e-20)


def _read(path: str, fs: int) -> np.ndarray:
    """A recording as float64 mono at ``fs``."""
    import soundfile as sf
    from math import gcd
    from scipy.signal import resample_poly

    audio, sr = sf.read(path, dtype="float64", always_2d=True)
    x = audio.mean(axis=1)
    if sr != fs:
        g = gcd(int(sr), int(fs))
        x = resample_poly(x, fs // g, int(sr) // g)
    return x


def _trim(x: np.ndarray, fs: int, path: str) -> np.ndarray:
    """``x`` trimmed to 40 dB below its loudest frame (at most :data:`_MAX_HIT`), peak 1, faded out; read-only."""
    hop = max(int(_FRAME * fs), 1)
    db = _frame_db(x, fs)
    active = np.flatnonzero(db > db.max() - 40)
    x = x[active[0] * hop:min((active[-1] + 1) * hop, active[0] * hop + int(_MAX_HIT * fs))]
    peak = np.abs(x).max()
    if not np.isfinite(peak) or peak == 0:
        raise ValueError(f"{path}: silent or not finite")
    fade = min(hop, len(x) // 4)
    x = x / peak
    x[len(x) - fade:] *= np.linspace(1, 0, fade)
    x.setflags(write=False)
    return x


def sequence(takes: list[list[np.ndarray]], onsets: Onsets, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Mix a recording of ``takes[kind]`` (one of its variants, drawn) times ``gain`` at each ``(time, kind,
    gain)``; float32, ending when the last hit has rung out."""
    chosen = [(int(t * fs), takes[k][int(rng.integers(len(takes[k])))], gain) for t, k, gain in onsets]
    out = np.zeros(max(start + len(x) for start, x, _ in chosen))
    for start, x, gain in chosen:
        out[start:start + len(x)] += gain * x
    return out.astype(np.float32)


def _jitter(rng: np.random.Generator, period: float, n: int, spread: float) -> np.ndarray:
    """``n`` onset times ``period`` apart, each late or early by a normal ``spread`` share of the period."""
    times = np.arange(n) * period + rng.normal(0, spread * period, n)
    return np.maximum.accumulate(np.maximum(times - times.min(), 0))


def footsteps(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """3-10 steps at 1.5-2.2 steps per second on one floor (hit kinds alternate between feet when there are
    several takes), 4 % timing jitter, approaching or leaving: the level ramps by up to 10 dB."""
    n = int(rng.integers(3, 11))
    times = _jitter(rng, 1 / rng.uniform(1.5, 2.2), n, 0.04)
    ramp = np.linspace(0, rng.uniform(-10, 10), n) + rng.normal(0, 1.5, n)
    kinds = rng.permutation(n_kinds)[np.arange(n) % min(n_kinds, 4)]
    return [(float(t), int(k), float(10 ** (g / 20))) for t, k, g in zip(times, kinds, ramp)]


def claps(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """One to four people clapping 2-6 times a second for 1-5 s, at least 4 claps each (6 % jitter, each a little
    out of step)."""
    seconds = rng.uniform(1.0, 5.0)
    out = []
    for _ in range(int(rng.choice([1, 1, 1, 2, 3, 4]))):
        rate = rng.uniform(2.0, 6.0)
        start = rng.uniform(0, 0.3)
        kind = int(rng.integers(n_kinds))
        times = start + _jitter(rng, 1 / rate, max(int((seconds - start) * rate), 4), 0.06)
        out += [(float(t), kind, float(10 ** (rng.normal(0, 2) / 20))) for t in times]
    return out


def knocks(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """2-5 knocks 4-8 per second (the last often a little louder), sometimes knocked again after a pause."""
    out, at = [], 0.0
    kind = int(rng.integers(n_kinds))
    for _ in range(1 + int(rng.uniform() < 0.3)):
        n = int(rng.integers(2, 6))
        times = at + _jitter(rng, 1 / rng.uniform(4.0, 8.0), n, 0.08)
        gains = 10 ** (rng.normal(0, 2, n) / 20)
        out += [(float(t), kind, float(g)) for t, g in zip(times, gains)]
        at = times[-1] + rng.uniform(0.8, 2.0)
    return out


def rings(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """A bell struck one to four times, 0.3-1.5 s apart (a hand bell, a cowbell, a bicycle bell)."""
    kind = int(rng.integers(n_kinds))
    times = np.cumsum(np.r_[0.0, rng.uniform(0.3, 1.5, int(rng.integers(0, 4)))])
    return [(float(t), kind, float(10 ** (rng.normal(0, 1.5) / 20))) for t in times]


def phone(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """A telephone ringing one to three times: the whole recorded ring, again every 3-6 s (its cadence)."""
    kind = int(rng.integers(n_kinds))
    times = np.arange(int(rng.integers(1, 4))) * rng.uniform(3.0, 6.0)
    return [(float(t), kind, 1.0) for t in times]


def drums(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """A drum groove of 1-4 bars at 70-150 bpm: 2-4 kit pieces, each on its own repeating 16-step pattern
    (the first piece on the beats), with a human 10 ms timing spread and accents on the beats."""
    tempo = rng.uniform(70, 150)
    step = 60 / tempo / 4
    bars = int(rng.integers(1, 5))
    pieces = rng.choice(n_kinds, size=min(int(rng.integers(2, 5)), n_kinds), replace=False)
    out = []
    for i, piece in enumerate(pieces):
        density = 0.25 if i == 0 else rng.uniform(0.15, 0.6)
        pattern = rng.uniform(size=16) < density
        pattern[0] |= i == 0
        if i == 0:
            pattern[::4] = True
        for k in np.flatnonzero(np.tile(pattern, bars)):
            accent = 1.0 if k % 4 == 0 else rng.uniform(0.5, 0.8)
            out.append((float(max(k * step + rng.normal(0, 0.01), 0)), int(piece), float(accent)))
    return out


def strums(rng: np.random.Generator, n_kinds: int) -> Onsets:
    """Strumming one or two chords: 2-8 strums at 1-4 per second (each strum a recorded take)."""
    n = int(rng.integers(2, 9))
    times = _jitter(rng, 1 / rng.uniform(1.0, 4.0), n, 0.05)
    chords = rng.choice(n_kinds, size=min(2, n_kinds), replace=False)
    return [(float(t), int(chords[(i * len(chords)) // n]), float(10 ** (rng.normal(0, 2) / 20)))
            for i, t in enumerate(times)]


#: rhythm name -> onset maker
RHYTHMS: dict[str, Callable[[np.random.Generator, int], Onsets]] = {
    "footsteps": footsteps, "claps": claps, "knocks": knocks, "rings": rings, "phone": phone, "drums": drums,
    "strums": strums,
}
