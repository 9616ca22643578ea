"""Test signals with known directions for the augmentation tests, and direction read-back from audio.

FOA: a noise burst plane-wave encoded (ACN/SN3D), read back with the active intensity vector mean(W * [X, Y, Z]).
MIC: a far-field plane wave on the tetrahedral capsules (``seld.synth.arrays``: open array = pure delays, or the
rigid sphere), read back from the inter-capsule delays (cross-spectrum phase slope below 1.5 kHz, where the
phase does not wrap on a 4.2 cm array) and a least-squares fit of the direction to the six pair delays.
"""

from __future__ import annotations

import numpy as np
import torch

from seld.data.batch import LabelledBatch
from seld.formats.events import Events
from seld.geometry import normalize, polar_to_unit
from seld.synth.arrays import DCASE_CAPSULES, DCASE_RADIUS, get_format

FS = 24000
N_SAMPLES = 12000          # 0.5 s
N_FRAMES = 5               # label frames of 100 ms
SPEED_OF_SOUND = 343.0


def random_directions(n: int, seed: int) -> np.ndarray:
    """Unit vectors [n, 3] uniform on the sphere."""
    rng = np.random.default_rng(seed)
    return normalize(rng.standard_normal((n, 3)))


def foa_plane_waves(dirs: np.ndarray, seed: int = 0, n: int = N_SAMPLES) -> torch.Tensor:
    """[B, 4, n] float32: independent noise bursts encoded as plane waves from unit vectors ``dirs`` [B, 3]."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((len(dirs), 1, n))
    gains = np.stack([np.ones(len(dirs)), dirs[:, 1], dirs[:, 2], dirs[:, 0]], axis=1)[:, :, None]
    return torch.as_tensor(s * gains, dtype=torch.float32)


def intensity_direction(audio) -> np.ndarray:
    """Unit vectors [B, 3] of the active intensity of FOA audio [B, 4, N] (W, Y, Z, X)."""
    a = np.asarray(audio, dtype=np.float64)
    w = a[:, 0]
    vec = np.stack([(w * a[:, 3]).mean(-1), (w * a[:, 1]).mean(-1), (w * a[:, 2]).mean(-1)], axis=1)
    return normalize(vec)


def mic_plane_waves(dirs: np.ndarray, fmt: str = "mic-open", seed: int = 0, n: int = N_SAMPLES,
                    f_max: float = 3000.0) -> torch.Tensor:
    """[B, 4, n] float32: band-limited noise (50 Hz .. f_max) reaching the DCASE tetrahedral capsules as a
    far-field plane wave from each of ``dirs`` [B, 3] (``fmt``: ``mic-open`` free field or ``mic`` rigid
    sphere). Built in the frequency domain, so delays are exact (circular)."""
    rng = np.random.default_rng(seed)
    freqs = np.fft.rfftfreq(n, 1.0 / FS)
    spec = rng.standard_normal((len(dirs), len(freqs))) + 1j * rng.standard_normal((len(dirs), len(freqs)))
    spec[:, (freqs < 50.0) | (freqs > f_max)] = 0.0
    band = (freqs >= 50.0) & (freqs <= f_max)
    resp = np.zeros((len(dirs), 4, len(freqs)), dtype=np.complex128)
    resp[:, :, band] = get_format(fmt).plane_wave(dirs, freqs[band], SPEED_OF_SOUND)
    return torch.as_tensor(np.fft.irfft(spec[:, None, :] * resp, n, axis=-1), dtype=torch.float32)


def capsule_positions() -> np.ndarray:
    caps = np.asarray(DCASE_CAPSULES)
    return DCASE_RADIUS * polar_to_unit(caps[:, 0], caps[:, 1])


def mic_direction(audio, f_lo: float = 100.0, f_hi: float = 1500.0) -> np.ndarray:
    """Unit vectors [B, 3]: least-squares direction from the six capsule-pair delays of MIC audio [B, 4, N]."""
    a = np.asarray(audio, dtype=np.float64)
    n = a.shape[-1]
    freqs = np.fft.rfftfreq(n, 1.0 / FS)
    spec = np.fft.rfft(a, axis=-1)
    band = (freqs >= f_lo) & (freqs <= f_hi)
    f = freqs[band]
    pos = capsule_positions()
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    geometry = np.stack([pos[i] - pos[j] for i, j in pairs]) / SPEED_OF_SOUND      # [6, 3]
    out = np.zeros((len(a), 3))
    for b in range(len(a)):
        lags = []
        for i, j in pairs:
            cross = spec[b, i, band] * np.conj(spec[b, j, band])
            w = np.abs(cross)
            phase = np.angle(cross)
            lags.append(np.sum(w * f * phase) / (2 * np.pi * np.sum(w * f * f)))   # lead_i - lead_j (s)
        u, *_ = np.linalg.lstsq(geometry, np.asarray(lags), rcond=None)
        out[b] = u
    return normalize(out)


def one_event_per_item(dirs: np.ndarray, n_frames: int = N_FRAMES, cls=None) -> list[Events]:
    """An event of class ``cls[b]`` (default b % 3) active in every frame of item b, from ``dirs[b]``."""
    out = []
    for b, u in enumerate(dirs):
        c = b % 3 if cls is None else cls[b]
        out.append(Events(np.arange(n_frames), np.full(n_frames, c), np.zeros(n_frames, np.int64),
                          np.repeat(u[None, :], n_frames, axis=0), None, 0.1, n_frames))
    return out


def make_events(seed: int, polyphony: int, n_frames: int = N_FRAMES, num_classes: int = 5,
                with_dist: bool = False) -> Events:
    """Random events whose largest frame polyphony is exactly ``polyphony`` (0: empty table)."""
    rng = np.random.default_rng(seed)
    if polyphony == 0:
        return Events.empty(0.1, n_frames, with_dist)
    frame, cls, track = [], [], []
    peak = rng.integers(n_frames)
    for t in range(n_frames):
        k = polyphony if t == peak else int(rng.integers(0, polyphony + 1))
        for j in range(k):
            frame.append(t)
            cls.append(int(rng.integers(num_classes)))
            track.append(j)
    xyz = random_directions(len(frame), seed + 1000)
    dist = rng.uniform(0.5, 4.0, len(frame)) if with_dist else None
    return Events(np.array(frame), np.array(cls), np.array(track), xyz, dist, 0.1, n_frames)


def feature_batch(polyphonies, seed: int = 0, channels: int = 7, t_frames: int = 50, bins: int = 64,
                  soft: bool = False) -> LabelledBatch:
    """A batch of positive random features [B, C, T, F] (so that masked zeros are recognisable) with random
    events of the given polyphonies; with ``soft`` every row gets a distinct activity in (0, 1]."""
    g = torch.Generator().manual_seed(seed)
    feats = torch.rand((len(polyphonies), channels, t_frames, bins), generator=g) + 0.5
    events = [make_events(seed * 100 + i, p, n_frames=t_frames // 10) for i, p in enumerate(polyphonies)]
    activity = [np.linspace(1.0, 0.2, len(ev)) if soft and len(ev) else None for ev in events]
    return LabelledBatch(audio=None, events=events, activity=activity, array="foa", features=feats)


def wave_batch(polyphonies, seed: int = 0, array: str = "foa") -> LabelledBatch:
    """A batch of 4-channel noise audio [B, 4, N] with random events of the given polyphonies."""
    g = torch.Generator().manual_seed(seed)
    audio = torch.randn((len(polyphonies), 4, 2400), generator=g)
    events = [make_events(seed * 100 + i, p) for i, p in enumerate(polyphonies)]
    return LabelledBatch(audio=audio, events=events, activity=[None] * len(events), array=array)


def events_equal(a: Events, b: Events) -> bool:
    return a.equals(b) and a.n_frames == b.n_frames
