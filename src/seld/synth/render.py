"""Render a scene plan into multichannel audio (every requested format) and its labels.

Each event's dry clip (played faster or slower where the plan shifts its pitch) is convolved with the room response of its position. A moving event changes position
from one 100 ms frame to the next: the signal is split into runs of frames with the same position, each run
weighted by a window that is 1 inside the run and fades over one frame (raised cosine) into its neighbours,
so that the windows of consecutive runs sum to one; each windowed piece is convolved with its own response
and the results are added (a time-variant convolution with cross-fades between responses). The label of a
frame is the direction and distance of the position used for that frame, so labels follow the motion
exactly. An excerpt of the room's diffuse ambient noise is added at the planned SNR and the whole scene
is scaled to the target peak.

Speed (``benchmarks/synth_speed.py``): a piece is convolved with the responses of all formats at once, by FFT
overlap-add with batched transforms and a block size chosen per piece; the scene is mixed, noised and scaled
in one float32 buffer, in place.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import scipy.fft
from scipy.signal import resample_poly

from seld.errors import ConfigError
from seld.formats.events import Events
from seld.synth.bank import Bank
from seld.synth.scenes import FRAME, RATE_DENOMINATOR, EventPlan, ScenePlan
from seld.synth.srir import ResponseSet

__all__ = ["render_scene", "frame_activity", "dry_signal", "change_rate", "spatialize"]


def dry_signal(event: EventPlan, bank: Bank, index: dict[str, int]) -> np.ndarray:
    """The event's clip pieces, back to back, at its playback rate, with its gain (float32)."""
    parts = [bank.load(index[cid])[start:start + length] for cid, start, length in event.pieces]
    signal = np.concatenate(parts, dtype=np.float32)
    if event.rate != 1.0:
        signal = change_rate(signal, event.rate, event.length)
    signal *= np.float32(10 ** (event.gain_db / 20))
    return signal


def change_rate(signal: np.ndarray, rate: float, length: int) -> np.ndarray:
    """``signal`` played ``rate`` times faster (polyphase resampling by the ratio :func:`playback_rate` chose),
    cut or padded to ``length`` samples (float32)."""
    ratio = Fraction(1.0 / rate).limit_denominator(RATE_DENOMINATOR)
    out = resample_poly(signal, ratio.numerator, ratio.denominator).astype(np.float32, copy=False)
    return np.pad(out[:length], (0, max(length - len(out), 0)))


def frame_activity(signal: np.ndarray, onset: int, first_frame: int, n_frames: int, hop: int,
                   activity_db: float) -> np.ndarray:
    """Bool [n_frames]: scene frames ``first_frame + j`` where the signal (starting at scene sample ``onset``)
    has energy within ``activity_db`` of its loudest frame."""
    edges = np.clip(np.arange(first_frame, first_frame + n_frames + 1) * hop - onset, 0, len(signal))
    counts = np.diff(edges)
    energy = np.zeros(n_frames)
    full = np.flatnonzero(counts)          # frames that overlap the signal: one contiguous range
    if len(full):
        sums = np.add.reduceat(np.square(signal[:edges[full[-1] + 1]], dtype=np.float64), edges[full])
        energy[full] = sums / counts[full]
    top = energy.max()
    return (energy > 0) & (energy >= top * 10 ** (-activity_db / 10)) if top > 0 else np.zeros(n_frames, bool)


def _run_window(length: int, centre_a: float, centre_b: float, hop: int, first: bool,
                last: bool) -> tuple[int, np.ndarray]:
    """(start, weights) of a run of frames whose centres span [centre_a, centre_b], in event samples."""
    start = 0 if first else max(int(np.ceil(centre_a - hop)), 0)
    stop = length if last else min(int(np.floor(centre_b + hop)) + 1, length)
    t = np.arange(start, stop, dtype=np.float64)
    w = np.ones(len(t))
    if not first:
        rise = t < centre_a
        w[rise] = 0.5 - 0.5 * np.cos(np.pi * (t[rise] - (centre_a - hop)) / hop)
    if not last:
        fall = t > centre_b
        w[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - centre_b) / hop)
    return start, w.astype(np.float32)


def _blocks(n_x: int, n_h: int, channels: int) -> tuple[int, int, int]:
    """(blocks, step, FFT size) of the cheapest overlap-add split of ``n_x`` samples convolved with ``channels``
    responses of ``n_h`` samples: per block one forward and ``channels`` inverse transforms, plus ``channels``
    forward transforms of the responses, costed as size * log2(size)."""
    best = None
    for count in range(1, 17):
        step = -(-n_x // count)
        size = scipy.fft.next_fast_len(step + n_h - 1, real=True)
        cost = (count * (1 + channels) + channels) * size * np.log2(size)
        if best is None or cost < best[0]:
            best = (cost, count, step, size)
    return best[1], best[2], best[3]


def _add_convolved(x: np.ndarray, h: np.ndarray, out: np.ndarray, at: int) -> None:
    """Add the linear convolution of mono ``x`` with each row of ``h`` [C, L] into ``out`` [C, N] from sample
    ``at`` on (cut at the end of ``out``).

    FFT convolution by overlap-add (:func:`_blocks`): each block of ``x`` is transformed once for all channels,
    and the responses once per call, in batched transforms.
    """
    n_h = h.shape[1]
    n = min(len(x) + n_h - 1, out.shape[1] - at)
    if n <= 0:
        return
    count, step, size = _blocks(len(x), n_h, h.shape[0])
    frames = np.zeros((count, step), np.float32)
    frames.reshape(-1)[:len(x)] = x
    spec = scipy.fft.rfft(frames, size, axis=1)[:, None, :] * scipy.fft.rfft(h, size, axis=1)
    wet = scipy.fft.irfft(spec, size, axis=2)                        # [blocks, C, size]
    for k in range(count):
        m = min(size, n - k * step)
        if m <= 0:
            break
        out[:, at + k * step:at + k * step + m] += wet[k, :, :m]


def spatialize(signal: np.ndarray, onset: int, first_frame: int, positions: list[int], hop: int,
               response: Callable[[int], np.ndarray], out: np.ndarray) -> None:
    """Add ``signal`` (starting at scene sample ``onset``) heard from ``positions[j]`` in frame
    ``first_frame + j`` into ``out`` [C, N]; ``response(p)`` gives the [C, L] response of position p."""
    pos = np.asarray(positions)
    if (pos == pos[0]).all():                      # a static event: one run, no cross-fade
        _add_convolved(signal, response(int(pos[0])), out, onset)
        return
    cut = np.flatnonzero(np.diff(pos)) + 1
    starts, stops = np.concatenate([[0], cut]), np.concatenate([cut, [len(pos)]])
    for r, (ja, jb) in enumerate(zip(starts, stops - 1)):
        centre_a = (first_frame + ja + 0.5) * hop - onset
        centre_b = (first_frame + jb + 0.5) * hop - onset
        seg_start, w = _run_window(len(signal), centre_a, centre_b, hop, r == 0, r == len(starts) - 1)
        if not len(w):
            continue
        _add_convolved(signal[seg_start:seg_start + len(w)] * w, response(int(pos[ja])), out, onset + seg_start)


def _wrapped(start: int, n: int, length: int) -> list[tuple[int, int, int]]:
    """(source start, destination start, count) pieces that read ``n`` samples of a ``length``-sample loop
    from ``start`` on, wrapping around its end."""
    pieces, at, done = [], start % length, 0
    while done < n:
        take = min(n - done, length - at)
        pieces.append((at, done, take))
        done, at = done + take, 0
    return pieces


def _add_noise(out: np.ndarray, pool: np.ndarray, pieces: list[tuple[int, int, int]], gain: np.float32,
               chunk: int = 1 << 15) -> None:
    """``out`` [C, n] += ``gain`` * the excerpt of ``pool`` [C, N] given by ``pieces``, in chunks small enough
    to stay in cache (no float32 copy of the whole excerpt; older caches hold the ambience as float16)."""
    buf = np.empty((out.shape[0], chunk), np.float32)
    for src, dst, take in pieces:
        for k in range(0, take, chunk):
            m = min(chunk, take - k)
            np.multiply(pool[:, src + k:src + k + m], gain, out=buf[:, :m], dtype=np.float32)
            out[:, dst + k:dst + k + m] += buf[:, :m]


def _power(x: np.ndarray, spans: list[tuple[int, int]]) -> float:
    """Mean square (float64) of ``x`` [C, N] over the sample ranges ``spans``."""
    total = sum(float(np.sum(np.square(x[:, a:b], dtype=np.float64))) for a, b in spans)
    count = sum(b - a for a, b in spans) * x.shape[0]
    return total / count if count else 0.0


def render_scene(plan: ScenePlan, bank: Bank, responses: ResponseSet, formats: list[str],
                 activity_db: float = 40.0, peak: float = 0.5) -> tuple[dict[str, np.ndarray], Events]:
    """Audio float32 [C, N] per format name and the scene's labels (:class:`Events`, 100 ms frames).

    The SNR is measured on the omnidirectional channel (FOA W or ``omni``; without one, on the mean over the
    channels of the first format) over the frames where some event is labelled.
    """
    fs, n = plan.fs, plan.n_samples
    hop = int(round(FRAME * fs))
    n_frames = -(-n // hop)
    omni = responses.omni_source()
    names = list(formats) + ([omni] if omni is not None and omni not in formats else [])
    offsets = np.cumsum([0] + [responses.formats[name].channels for name in names])
    length = responses.n_samples
    out = np.zeros((offsets[-1], n), np.float32)

    def response(p: int) -> np.ndarray:
        resp = np.zeros((offsets[-1], length), np.float32)
        for name, a in zip(names, offsets):
            r = responses.get(name, p)
            resp[a:a + r.shape[0], :r.shape[1]] = r
        return resp

    index = {c.id: i for i, c in enumerate(bank.clips)}
    dirs, dist = responses.positions.dirs, responses.positions.dist
    rows: list[tuple[int, int, int, int]] = []
    busy = np.zeros(n_frames, bool)
    for ev in plan.events:
        signal = dry_signal(ev, bank, index)
        n_ev = len(ev.positions)
        active = (np.ones(n_ev, bool) if ev.label_all
                  else frame_activity(signal, ev.onset, ev.first_frame, n_ev, hop, activity_db))
        spatialize(signal, ev.onset, ev.first_frame, ev.positions, hop, response, out)
        for j in np.flatnonzero(active):
            frame = ev.first_frame + j
            if frame < n_frames:
                rows.append((frame, ev.cls, ev.track, ev.positions[j]))
                busy[frame] = True

    if plan.snr_db is not None:
        if responses.ambience is None:
            raise ConfigError("these room responses come without ambient noise; set the SNR to none (--snr none)")
        loop = next(iter(responses.ambience.values())).shape[1]
        pieces = _wrapped(int(plan.noise_offset * loop), n, loop)
        ref_name, ref_rows = (omni, slice(0, 1)) if omni is not None else (names[0], slice(None))
        ref_noise = responses.ambience[ref_name][ref_rows]
        ref = slice(offsets[names.index(ref_name)], offsets[names.index(ref_name)] + ref_noise.shape[0])
        edges = np.flatnonzero(np.diff(np.concatenate([[False], busy, [False]])))
        p_sig = _power(out[ref], [(a * hop, min(b * hop, n)) for a, b in zip(edges[::2], edges[1::2])])
        p_noise = _power(ref_noise, [(a, a + m) for a, _, m in pieces])
        p_sig = p_sig if p_sig > 0 else 1e-6          # a scene without events still gets its ambience
        gain = np.float32(np.sqrt(p_sig / p_noise / 10 ** (plan.snr_db / 10)))
        for name, a in zip(names, offsets):
            _add_noise(out[a:a + responses.formats[name].channels], responses.ambience[name], pieces, gain)

    audio = {name: out[a:a + responses.formats[name].channels] for name, a in zip(names, offsets) if name in formats}
    top = max(max(float(x.max()), -float(x.min())) for x in audio.values())
    scale = np.float32(peak / top) if top > 0 else np.float32(1.0)
    for x in audio.values():
        x *= scale

    if rows:
        frame, cls, track, pos = (np.asarray(v) for v in zip(*rows))
        events = Events(frame, cls, track, dirs[pos], dist[pos], FRAME, n_frames).sorted()
    else:
        events = Events.empty(FRAME, n_frames, with_dist=True)
    return audio, events
