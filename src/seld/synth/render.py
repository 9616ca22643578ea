"""Render a scene plan into multichannel audio (every requested format) and its labels.

Each event's dry clip is convolved with the room response of its position. A moving event changes position
from one 100 ms frame to the next: the signal is split into runs of frames with the same position, each run
weighted by a window that is 1 inside the run and fades over one frame (raised cosine) into its neighbours,
so that the windows of consecutive runs sum to one; each windowed piece is convolved with its own response
and the results are added (a time-variant convolution with cross-fades between responses). The label of a
frame is the direction and distance of the position used for that frame, so labels follow the motion
exactly. An excerpt of the room's diffuse ambient noise is added at the planned SNR and the whole scene
is scaled to the target peak.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.signal

from seld.errors import ConfigError
from seld.formats.events import Events
from seld.synth.bank import Bank
from seld.synth.scenes import FRAME, EventPlan, ScenePlan
from seld.synth.srir import ResponseSet

__all__ = ["render_scene", "frame_activity", "dry_signal", "spatialize"]


def dry_signal(event: EventPlan, bank: Bank, index: dict[str, int]) -> np.ndarray:
    """The event's clip pieces, back to back, with its gain (float32)."""
    parts = [bank.load(index[cid])[start:start + length] for cid, start, length in event.pieces]
    return (np.concatenate(parts) * np.float32(10 ** (event.gain_db / 20))).astype(np.float32)


def frame_activity(signal: np.ndarray, onset: int, first_frame: int, n_frames: int, hop: int,
                   activity_db: float) -> np.ndarray:
    """Bool [n_frames]: scene frames ``first_frame + j`` where the signal (starting at scene sample ``onset``)
    has energy within ``activity_db`` of its loudest frame."""
    energy = np.zeros(n_frames)
    for j in range(n_frames):
        a = max((first_frame + j) * hop - onset, 0)
        b = min((first_frame + j + 1) * hop - onset, len(signal))
        if b > a:
            energy[j] = np.mean(np.square(signal[a:b], dtype=np.float64))
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


def spatialize(signal: np.ndarray, onset: int, first_frame: int, positions: list[int], hop: int,
               response: Callable[[int], np.ndarray], out: np.ndarray) -> None:
    """Add ``signal`` (starting at scene sample ``onset``) heard from ``positions[j]`` in frame
    ``first_frame + j`` into ``out`` [C, N]; ``response(p)`` gives the [C, L] response of position p."""
    pos = np.asarray(positions)
    cut = np.flatnonzero(np.diff(pos)) + 1
    starts, stops = np.concatenate([[0], cut]), np.concatenate([cut, [len(pos)]])
    for r, (ja, jb) in enumerate(zip(starts, stops - 1)):
        centre_a = (first_frame + ja + 0.5) * hop - onset
        centre_b = (first_frame + jb + 0.5) * hop - onset
        seg_start, w = _run_window(len(signal), centre_a, centre_b, hop, r == 0, r == len(starts) - 1)
        if not len(w):
            continue
        wet = scipy.signal.oaconvolve((signal[seg_start:seg_start + len(w)] * w)[None, :], response(int(pos[ja])),
                                      axes=1)
        a = onset + seg_start
        b = min(a + wet.shape[1], out.shape[1])
        out[:, a:b] += wet[:, :b - a]


def _excerpt(pool: np.ndarray, start: int, n: int) -> np.ndarray:
    """``n`` samples [C, n] of ``pool`` [C, N] from ``start``, wrapping around its end."""
    length = pool.shape[1]
    pieces, at = [], start % length
    while n > 0:
        take = min(n, length - at)
        pieces.append(np.asarray(pool[:, at:at + take], dtype=np.float32))
        n, at = n - take, 0
    return np.concatenate(pieces, axis=1)


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
    out = np.zeros((offsets[-1], n + length), np.float32)

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
    out = out[:, :n]

    if plan.snr_db is not None:
        if responses.ambience is None:
            raise ConfigError("these room responses come without ambient noise; set the SNR to none (--snr none)")
        start = int(plan.noise_offset * next(iter(responses.ambience.values())).shape[1])
        noise = np.concatenate([_excerpt(responses.ambience[name], start, n) for name in names])
        if omni is not None:
            ref = slice(offsets[names.index(omni)], offsets[names.index(omni)] + 1)
        else:
            ref = slice(0, offsets[1])
        mask = np.repeat(busy, hop)[:n]
        p_sig = float(np.mean(np.square(out[ref][:, mask], dtype=np.float64))) if mask.any() else 0.0
        p_noise = float(np.mean(np.square(noise[ref], dtype=np.float64)))
        p_sig = p_sig if p_sig > 0 else 1e-6          # a scene without events still gets its ambience
        out += noise * np.float32(np.sqrt(p_sig / p_noise / 10 ** (plan.snr_db / 10)))

    audio = {name: out[a:a + responses.formats[name].channels] for name, a in zip(names, offsets) if name in formats}
    top = max(float(np.max(np.abs(x))) for x in audio.values())
    scale = np.float32(peak / top) if top > 0 else np.float32(1.0)
    audio = {name: x * scale for name, x in audio.items()}

    if rows:
        frame, cls, track, pos = (np.asarray(v) for v in zip(*rows))
        events = Events(frame, cls, track, dirs[pos], dist[pos], FRAME, n_frames).sorted()
    else:
        events = Events.empty(FRAME, n_frames, with_dist=True)
    return audio, events
