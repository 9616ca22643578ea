"""Procedural sound events for the classes that have few or no real clips offline.

Physically motivated recipes (modal synthesis of struck objects, stochastic bubbles, source-filter voices),
each a function ``(rng, fs) -> float32 mono signal`` drawn from a seeded generator, so a bank built twice
with the same seed is identical. Levels are arbitrary: the bank normalises every clip.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.signal

__all__ = ["GENERATORS", "modal_hit", "water_tap", "door", "knock", "laughter", "clapping", "footsteps",
           "telephone", "bell", "domestic"]


def _t(n: int, fs: int) -> np.ndarray:
    return np.arange(n) / fs


def modal_hit(rng: np.random.Generator, fs: int, freqs, decays, gains, length: float,
              excitation: float = 0.002) -> np.ndarray:
    """A struck object: damped sinusoids (frequency Hz, decay time s, gain) excited by a short noise burst."""
    n = int(length * fs)
    t = _t(n, fs)
    out = np.zeros(n)
    for f, d, g in zip(freqs, decays, gains):
        if f < fs / 2:
            out += g * np.exp(-t / d) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    burst = rng.standard_normal(max(int(excitation * fs), 1)) * np.hanning(max(int(excitation * fs), 1))
    return scipy.signal.fftconvolve(out, burst)[:n]


def _bandpass(x: np.ndarray, lo: float, hi: float, fs: int, order: int = 2) -> np.ndarray:
    sos = scipy.signal.butter(order, [lo, min(hi, 0.45 * fs)], btype="band", fs=fs, output="sos")
    return scipy.signal.sosfilt(sos, x)


def _fade(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` with linear fades of ``n`` samples at both ends (no clicks)."""
    x = np.array(x, dtype=np.float64)
    n = min(n, len(x) // 2)
    if n > 0:
        x[:n] *= np.linspace(0, 1, n)
        x[-n:] *= np.linspace(1, 0, n)
    return x


def _place(events: list[tuple[int, np.ndarray]], n: int) -> np.ndarray:
    out = np.zeros(n)
    for start, x in events:
        end = min(start + len(x), n)
        if end > start:
            out[start:end] += x[:end - start]
    return out


def water_tap(rng: np.random.Generator, fs: int) -> np.ndarray:
    """Running water: band-passed turbulence plus many small bubbles (decaying sinusoids with rising pitch)."""
    seconds = rng.uniform(2.0, 8.0)
    n = int(seconds * fs)
    t = _t(n, fs)
    flow = _bandpass(rng.standard_normal(n), rng.uniform(300, 800), rng.uniform(5000, 9000), fs)
    flow *= 0.5 + 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(0.2, 1.5) * t)) / 2
    rate = rng.uniform(60, 250)
    bubbles = []
    for start in rng.uniform(0, seconds, int(rate * seconds)):
        f0 = rng.uniform(600, 3500)
        dur = rng.uniform(0.004, 0.02)
        tb = _t(int(dur * 6 * fs), fs)
        chirp = f0 * (1 + rng.uniform(0.5, 3.0) * tb / dur * 0.1)
        bubbles.append((int(start * fs), rng.uniform(0.2, 1.0) * np.exp(-tb / dur)
                        * np.sin(2 * np.pi * np.cumsum(chirp) / fs)))
    x = 0.3 * flow / (np.std(flow) + 1e-12) + _place(bubbles, n)
    return _fade(x, int(0.1 * fs)).astype(np.float32)               # the tap is turned on and off


def door(rng: np.random.Generator, fs: int) -> np.ndarray:
    """A door or cupboard: optional hinge creak, then the slam of a wooden panel and the latch click."""
    parts = []
    at = 0.0
    if rng.uniform() < 0.6:                                             # creak: stick-slip pulses
        dur = rng.uniform(0.3, 1.2)
        period = rng.uniform(0.004, 0.015)
        pulses = np.cumsum(period * (1 + 0.3 * rng.standard_normal(int(dur / period) + 1)).clip(0.3))
        train = np.zeros(int(dur * fs) + 1)
        train[(pulses[pulses < dur] * fs).astype(int)] = 1.0
        creak = sum(_bandpass(train, f * 0.9, f * 1.1, fs) for f in rng.uniform(400, 2500, 3))
        parts.append((0, creak * np.hanning(len(creak))))
        at = dur + rng.uniform(0.05, 0.4)
    modes = rng.uniform(70, 700, int(rng.integers(4, 9)))
    slam = modal_hit(rng, fs, modes, rng.uniform(0.03, 0.15, len(modes)), rng.uniform(0.3, 1.0, len(modes)), 0.6,
                     excitation=0.004)
    latch = modal_hit(rng, fs, rng.uniform(2000, 6000, 3), rng.uniform(0.005, 0.02, 3), np.ones(3), 0.1)
    parts.append((int(at * fs), slam))
    parts.append((int((at + rng.uniform(0.0, 0.03)) * fs), 0.4 * latch))
    return _place(parts, int((at + 0.8) * fs)).astype(np.float32)


def knock(rng: np.random.Generator, fs: int) -> np.ndarray:
    """Knocking on a door, box or table, 2-6 hits 3-8 per second: with knuckles (a hard, short contact that
    rings the panel's modes at 100-2000 Hz) or, half the time, with the fist or the flat of the hand (a softer,
    longer contact that mostly moves the whole panel or box: a booming thump at 60-300 Hz under a weaker knock)."""
    if rng.uniform() < 0.5:
        modes = rng.uniform(100, 2000, int(rng.integers(3, 9)))
        decays = rng.uniform(0.01, 0.06, len(modes))
        level = rng.uniform(0.3, 1.0, len(modes))
        contact, ring = 0.002, 0.25
    else:
        body, panel = rng.uniform(60, 300, int(rng.integers(2, 5))), rng.uniform(300, 1800, int(rng.integers(2, 6)))
        modes = np.r_[body, panel]
        decays = np.r_[rng.uniform(0.03, 0.15, len(body)), rng.uniform(0.01, 0.05, len(panel))]
        level = np.r_[rng.uniform(0.6, 1.0, len(body)), rng.uniform(0.1, 0.6, len(panel))]
        contact, ring = rng.uniform(0.002, 0.012), 0.4
    hits, at = [], 0.0
    for _ in range(int(rng.integers(2, 7))):
        gains = level * rng.uniform(0.6, 1.0)
        hits.append((int(at * fs), modal_hit(rng, fs, modes * rng.uniform(0.97, 1.03), decays, gains, ring,
                                             excitation=contact)))
        at += 1.0 / rng.uniform(3.0, 8.0)
    return _place(hits, int((at + ring) * fs)).astype(np.float32)


def _formants(x: np.ndarray, fs: int, formants) -> np.ndarray:
    out = np.zeros_like(x)
    for f, bw, g in formants:
        b, a = scipy.signal.iirpeak(f, f / bw, fs=fs)
        out += g * scipy.signal.lfilter(b, a, x)
    return out


def laughter(rng: np.random.Generator, fs: int) -> np.ndarray:
    """Laughter: a series of breathy "ha" syllables with falling pitch, source-filter synthesis."""
    f0 = rng.uniform(150, 330)
    syllables, at = [], 0.0
    vowel = [(rng.uniform(650, 850), 80, 1.0), (rng.uniform(1100, 1400), 100, 0.5), (rng.uniform(2400, 2800), 150, 0.2)]
    for k in range(int(rng.integers(3, 9))):
        dur = rng.uniform(0.08, 0.16)
        n = int(dur * fs)
        pitch = f0 * (1 - 0.04 * k) * np.linspace(1.05, 0.95, n)
        phase = np.cumsum(pitch) / fs
        pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float)          # glottal pulse train
        voiced = _formants(pulses, fs, vowel) + 0.05 * rng.standard_normal(n)
        breath = _bandpass(rng.standard_normal(int(0.05 * fs)), 1000, 6000, fs) * 0.2
        env = np.hanning(n) * (1 - 0.08 * k)
        syllables.append((int(at * fs), breath * np.hanning(len(breath))))
        syllables.append((int((at + 0.04) * fs), voiced * env))
        at += 1.0 / rng.uniform(4.0, 6.0)
    return _place(syllables, int((at + 0.2) * fs)).astype(np.float32)


def _clap(rng: np.random.Generator, fs: int) -> np.ndarray:
    n = int(rng.uniform(0.03, 0.08) * fs)
    x = _bandpass(rng.standard_normal(n), rng.uniform(600, 1200), rng.uniform(2500, 5000), fs)
    return x * np.exp(-_t(n, fs) / rng.uniform(0.006, 0.02))


def clapping(rng: np.random.Generator, fs: int, clap: np.ndarray | None = None) -> np.ndarray:
    """Hand claps: one to eight clappers at 2-6 claps per second with jitter (``clap``: a recorded clap)."""
    seconds = rng.uniform(1.5, 6.0)
    hits = []
    for _ in range(int(rng.choice([1, 1, 2, 3, 8]))):
        rate, at = rng.uniform(2.0, 6.0), rng.uniform(0, 0.3)
        while at < seconds:
            one = clap if clap is not None else _clap(rng, fs)
            hits.append((int(at * fs), one * rng.uniform(0.6, 1.0)))
            at += (1 + 0.08 * rng.standard_normal()) / rate
    return _place(hits, int((seconds + 0.2) * fs)).astype(np.float32)


def footsteps(rng: np.random.Generator, fs: int, step: np.ndarray | None = None) -> np.ndarray:
    """Walking: heel and toe impacts at 1.6-2.2 steps per second, approaching or leaving (level ramp)."""
    seconds = rng.uniform(2.0, 8.0)
    rate = rng.uniform(1.6, 2.2)
    floor = rng.uniform(60, 200, 4)
    hits, at = [], rng.uniform(0, 0.2)
    while at < seconds:
        heel = step if step is not None else modal_hit(rng, fs, floor, rng.uniform(0.02, 0.05, 4),
                                                      rng.uniform(0.5, 1.0, 4), 0.15, excitation=0.006)
        toe = modal_hit(rng, fs, floor * 2.5, rng.uniform(0.01, 0.03, 4), rng.uniform(0.2, 0.5, 4), 0.1)
        level = np.interp(at, [0, seconds], rng.uniform(0.3, 1.0, 2))
        hits.append((int(at * fs), level * heel))
        hits.append((int((at + rng.uniform(0.06, 0.12)) * fs), level * 0.5 * toe))
        at += (1 + 0.05 * rng.standard_normal()) / rate
    return _place(hits, int((seconds + 0.3) * fs)).astype(np.float32)


def telephone(rng: np.random.Generator, fs: int) -> np.ndarray:
    """A ringing telephone: an electromechanical bell ringer or an electronic two-tone trill, 1-3 rings."""
    rings = []
    at = 0.0
    mechanical = rng.uniform() < 0.5
    f1, f2 = rng.uniform(700, 1200), rng.uniform(1000, 2000)
    for _ in range(int(rng.integers(1, 4))):
        on = rng.uniform(1.0, 2.0)
        n = int(on * fs)
        t = _t(n, fs)
        if mechanical:                                   # a clapper striking two bells 20-25 times a second
            strikes = np.zeros(n)
            strikes[(np.arange(0, on, 1 / rng.uniform(20, 25)) * fs).astype(int)] = 1.0
            partials = [(f1, 1.0), (f1 * 2.76, 0.5), (f1 * 5.4, 0.25), (f2, 0.8), (f2 * 2.76, 0.4)]
            kernel = sum(g * np.exp(-_t(int(0.2 * fs), fs) / 0.05) * np.sin(2 * np.pi * f * _t(int(0.2 * fs), fs))
                         for f, g in partials)
            x = scipy.signal.fftconvolve(strikes, kernel)[:n]
        else:                                            # tones alternating 16-20 times a second
            square = np.sign(np.sin(2 * np.pi * rng.uniform(16, 20) * t))
            x = np.where(square > 0, np.sin(2 * np.pi * f1 * t), np.sin(2 * np.pi * f2 * t))
        rings.append((int(at * fs), _fade(x, int(0.01 * fs))))
        at += on + rng.uniform(1.5, 4.0)
    return _place(rings, int((at - 1.0) * fs)).astype(np.float32)


def bell(rng: np.random.Generator, fs: int) -> np.ndarray:
    """A struck bell (hotel, glass, bicycle or chime): inharmonic partials with long exponential decays."""
    base = rng.uniform(500, 3000)
    ratios = np.array([1.0, 2.0, 2.4, 3.0, 4.5, 5.33, 6.9]) * rng.uniform(0.97, 1.03, 7)
    decays = rng.uniform(0.3, 2.0) / np.sqrt(ratios)
    length = float(decays.max() * 4)
    strikes = [0.0] + ([rng.uniform(0.08, 0.2)] if rng.uniform() < 0.3 else [])   # bicycle bells ring twice
    hits = [(int(s * fs), modal_hit(rng, fs, base * ratios, decays, rng.uniform(0.2, 1.0, 7), length, 0.0005))
            for s in strikes]
    return _place(hits, int((strikes[-1] + length) * fs)).astype(np.float32)


def domestic(rng: np.random.Generator, fs: int) -> np.ndarray:
    """Household machines: a fan, a vacuum cleaner or boiling water."""
    seconds = rng.uniform(3.0, 10.0)
    n = int(seconds * fs)
    t = _t(n, fs)
    kind = rng.choice(["fan", "vacuum", "boiling"])
    if kind == "fan":
        blade = rng.uniform(30, 90)
        x = sum(np.sin(2 * np.pi * blade * h * t) / h for h in range(1, 6))
        x = 0.3 * x + _bandpass(rng.standard_normal(n), 80, 3000, fs) * (1 + 0.2 * np.sin(2 * np.pi * 0.3 * t))
    elif kind == "vacuum":
        motor = rng.uniform(150, 400)
        x = sum(np.sin(2 * np.pi * motor * h * t) / h**0.5 for h in range(1, 8))
        x = 0.2 * x + 2.0 * _bandpass(rng.standard_normal(n), 500, 6000, fs)
    else:
        bubbles = [(int(s * fs), rng.uniform(0.2, 1.0) * np.exp(-_t(int(0.05 * fs), fs) / 0.01)
                    * np.sin(2 * np.pi * rng.uniform(150, 900) * _t(int(0.05 * fs), fs)))
                   for s in rng.uniform(0, seconds, int(rng.uniform(40, 120) * seconds))]
        x = _place(bubbles, n) + 0.3 * _bandpass(rng.standard_normal(n), 40, 400, fs)
    return _fade(x, int(0.3 * fs)).astype(np.float32)


#: class name (STARSS23) -> procedural recipe
GENERATORS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "clapping": clapping, "telephone": telephone, "laughter": laughter, "domestic_sounds": domestic,
    "footsteps": footsteps, "door": door, "water_tap": water_tap, "bell": bell, "knock": knock,
}
