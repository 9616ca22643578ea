"""The late part of a room response: diffuse noise whose energy per band follows the room's decay model.

Image sources give a room's early sound exactly, but they get expensive fast (their number grows with the
cube of time) and, being specular, they miss the energy that furniture and rough surfaces scatter. So the
image sources stop at :meth:`Room.horizon <seld.synth.rooms.Room.horizon>` and the rest is statistical, as in
gpuRIR's diffuse model or the tail of a hybrid ray tracer:

- its power per octave band is that of :class:`~seld.synth.decay.DecayModel`: the scattered (diffuse) power
  from the direct sound on, plus the specular power the image sources leave out after the horizon (rising
  over the images' crossfade, so that the sum keeps the model's energy);
- it is a diffuse field: independent complex Gaussian STFT coefficients mixed by a square root of the
  formats' diffuse coherence (:func:`seld.synth.noise.diffuse_field`), so FOA's channels, the rigid-sphere
  capsules and open arrays are correlated as in a real diffuse field, and all formats hear one field;
- its level is absolute: a power P (pyroomacoustics' units: an image of amplitude a arriving in 1 s adds a^2)
  becomes a per-bin gain sqrt(P N / (2 fs)) (:func:`seld.synth.noise.diffuse_field`), so the tail continues
  the energy of the images where they stop;
- it starts with the first reflection (the direct sound arrives alone) and has no DC.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np

from seld.synth.arrays import SpatialFormat
from seld.synth.filters import interpolate_bands
from seld.synth.noise import _NFFT, diffuse_field, frame_times
from seld.synth.rooms import CROSSFADE, Room

__all__ = ["tail_power", "late_tail", "tail_seed"]


def specular_share(room: Room, times: np.ndarray) -> np.ndarray:
    """Share [T] of the specular power that the tail carries at ``times``: 0 before the images' crossfade,
    1 after the horizon (the complement of the images' fade in :func:`seld.synth.rooms.image_sources`)."""
    if room.ism_until is None:
        return np.zeros(len(times))
    left = np.clip((room.horizon() - np.asarray(times, dtype=np.float64)) / CROSSFADE, 0.0, 1.0)
    return np.cos(0.5 * np.pi * left) ** 2


def tail_power(room: Room, times: np.ndarray, onset: float) -> np.ndarray:
    """Power [T, B] of the tail at ``times`` seconds after emission, its diffuse part starting at ``onset``
    seconds (the first reflection: nothing is scattered before)."""
    times = np.asarray(times, dtype=np.float64)
    spec, diffuse = room.decay_model().power(times)
    diffuse = diffuse * (times >= onset)[:, None]
    return diffuse + spec * specular_share(room, times)[:, None]


def tail_seed(room: Room, xyz, fs: int) -> int:
    """Seed of the tail at the position ``xyz`` (relative to the array): a hash of the room, the position and
    the sample rate, so that a position's response is the same whichever worker computes it."""
    blob = json.dumps({"room": room.to_dict(), "xyz": np.round(np.asarray(xyz, float), 4).tolist(), "fs": fs},
                      sort_keys=True)
    return int(hashlib.sha1(blob.encode()).hexdigest()[:15], 16)


def late_tail(room: Room, formats: Sequence[SpatialFormat], fs: int, n_samples: int, onset: float,
              rng: np.random.Generator) -> np.ndarray | None:
    """The tail float32 [C_all, n_samples] over the stacked channels of ``formats`` (None when it is silent,
    e.g. in an anechoic room), silent before ``onset`` seconds after emission (the first reflection)."""
    times = frame_times(n_samples, fs)
    power = tail_power(room, times, onset)
    if not np.any(power > 0):
        return None
    # interpolated across bands in log-power (decay rates blend linearly), so that a slowly decaying band does
    # not take over its neighbours' octaves late in the decay
    floor = 1e-30 * float(power.max())
    gain2 = np.exp(interpolate_bands(np.log(np.maximum(power, floor)), _NFFT, fs)) * (_NFFT / (2.0 * fs))
    gain2[gain2 <= floor * (_NFFT / (2.0 * fs)) * 1.0001] = 0.0
    gain2[:, 0] = 0.0                                          # no DC
    x = diffuse_field(rng, list(formats), n_samples, fs, room.c, np.sqrt(gain2))
    start = min(int(np.ceil(onset * fs)), n_samples)
    x[:, :start] = 0.0                                         # frames are 21 ms wide: keep the tail causal
    return x
