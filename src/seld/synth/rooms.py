"""Shoebox rooms: their parameters, how they are drawn from ranges, and their image sources.

The image-source method is the one of pyroomacoustics (``ShoeBox.image_source_model``); only its list of
images is used, and every spatial format is then rendered from it by :mod:`seld.synth.arrays`. Absorption is
frequency-independent and may differ per wall; it is derived from a target RT60 by Sabine's formula.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from seld.errors import ConfigError
from seld.synth.images import ImageSet

__all__ = ["WALLS", "Room", "RoomRanges", "sample_room", "sabine_absorption", "image_sources", "speed_of_sound"]

log = logging.getLogger(__name__)

#: wall order of pyroomacoustics' ShoeBox: x = 0, x = Lx, y = 0, y = Ly, z = 0, z = Lz
WALLS = ("west", "east", "south", "north", "floor", "ceiling")


def speed_of_sound(temperature: float) -> float:
    """Speed of sound in dry air (m/s) at ``temperature`` degrees Celsius (pyroomacoustics' formula)."""
    return 331.4 + 0.6 * temperature


@dataclass(frozen=True)
class Room:
    """A shoebox room with the array in it.

    Attributes:
        size: (Lx, Ly, Lz) in metres; the room spans [0, L] on each axis.
        absorption: energy absorption coefficient of each wall, in :data:`WALLS` order.
        array: array centre in room coordinates (metres).
        temperature: air temperature (Celsius), sets the speed of sound.
        max_order: highest reflection order of the image-source model.
        ir_len: length of the rendered responses (seconds); later arrivals are dropped.
        rt60: the Sabine RT60 the absorption was derived from (seconds), for the record.
        noise_exponent: colour of the room's ambient noise, power spectrum 1/f^exponent (0 white, 1 pink).
    """

    size: tuple[float, float, float]
    absorption: tuple[float, float, float, float, float, float]
    array: tuple[float, float, float]
    temperature: float = 20.0
    max_order: int = 30
    ir_len: float = 0.5
    rt60: float | None = None
    noise_exponent: float = 1.0

    def __post_init__(self):
        size = np.asarray(self.size, dtype=float)
        if size.shape != (3,) or np.any(~np.isfinite(size)) or np.any(size <= 0):
            raise ConfigError(f"room size must be three positive lengths in metres, got {self.size}")
        if len(self.absorption) != 6 or not all(0.0 < a <= 1.0 for a in self.absorption):
            raise ConfigError(f"room absorption must be six coefficients in (0, 1], got {self.absorption}")
        if not self.contains(np.asarray(self.array, dtype=float)[None, :], margin=0.05)[0]:
            raise ConfigError(f"array centre {self.array} is not inside the room {self.size}")
        if self.max_order < 0 or self.ir_len <= 0:
            raise ConfigError(f"max_order must be >= 0 and ir_len > 0, got {self.max_order}, {self.ir_len}")

    @property
    def c(self) -> float:
        return speed_of_sound(self.temperature)

    def contains(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Bool [N]: which room-coordinate points [N, 3] are at least ``margin`` metres from every wall."""
        p = np.asarray(points, dtype=float).reshape(-1, 3)
        size = np.asarray(self.size, dtype=float)
        return np.all((p >= margin) & (p <= size - margin), axis=1)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "Room":
        return cls(size=tuple(d["size"]), absorption=tuple(d["absorption"]), array=tuple(d["array"]),
                   temperature=d.get("temperature", 20.0), max_order=d.get("max_order", 30),
                   ir_len=d.get("ir_len", 0.5), rt60=d.get("rt60"), noise_exponent=d.get("noise_exponent", 1.0))


def sabine_absorption(size, rt60: float, c: float = 343.0) -> tuple[float, int]:
    """Uniform wall absorption and image order that give ``rt60`` seconds in a room of ``size`` (Sabine)."""
    import pyroomacoustics as pra

    try:
        absorption, order = pra.inverse_sabine(rt60, list(size), c=c)
    except ValueError as err:
        raise ConfigError(f"no absorption gives RT60 {rt60:.2f} s in a {size} m room ({err}); use a shorter "
                          "RT60 or a smaller room") from None
    return float(absorption), int(order)


@dataclass(frozen=True)
class RoomRanges:
    """Ranges rooms are drawn from (uniformly, each bound inclusive).

    ``wall_spread`` varies the absorption of each wall by up to that fraction around the Sabine value while
    keeping the total absorption (hence the RT60) unchanged. ``array_frac`` places the array centre at that
    fraction of each room dimension. The response length is ``rt60 + 50 ms``, at most ``max_ir_len``.
    ``noise_exponent`` is the colour range of the rooms' ambient noise (see :class:`Room`).
    """

    size_min: tuple[float, float, float] = (4.0, 4.0, 2.5)
    size_max: tuple[float, float, float] = (10.0, 8.0, 4.0)
    rt60: tuple[float, float] = (0.2, 0.8)
    temperature: tuple[float, float] = (15.0, 30.0)
    array_frac: tuple[float, float] = (0.4, 0.6)
    wall_spread: float = 0.5
    max_order: int = 50
    max_ir_len: float = 1.0
    noise_exponent: tuple[float, float] = (0.5, 1.5)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "RoomRanges":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def _uniform(rng: np.random.Generator, bounds) -> float:
    lo, hi = bounds
    return float(lo if hi <= lo else rng.uniform(lo, hi))


def sample_room(rng: np.random.Generator, ranges: RoomRanges, attempts: int = 50) -> Room:
    """Draw a room from ``ranges``; sizes are redrawn when the RT60 is impossible in them (Sabine)."""
    size_min = np.asarray(ranges.size_min, float)
    size_max = np.asarray(ranges.size_max, float)
    if np.any(size_min <= 0) or np.any(size_max < size_min):
        raise ConfigError(f"room sizes must satisfy 0 < size_min <= size_max, got {ranges.size_min} and "
                          f"{ranges.size_max}")
    last = None
    for _ in range(attempts):
        size = tuple(float(v) for v in np.round(rng.uniform(size_min, np.maximum(size_max, size_min)), 3))
        rt60 = round(_uniform(rng, ranges.rt60), 3)
        temperature = round(_uniform(rng, ranges.temperature), 1)
        frac = rng.uniform(ranges.array_frac[0], ranges.array_frac[1], size=3)
        array = tuple(float(v) for v in np.round(frac * np.asarray(size), 3))
        spread = rng.uniform(1.0 - ranges.wall_spread, 1.0 + ranges.wall_spread, size=6)
        colour = round(_uniform(rng, ranges.noise_exponent), 3)
        try:
            mean, order = sabine_absorption(size, rt60, speed_of_sound(temperature))
        except ConfigError as err:
            last = err
            continue
        lx, ly, lz = size
        area = np.array([ly * lz, ly * lz, lx * lz, lx * lz, lx * ly, lx * ly])
        alpha = mean * spread * (area.sum() / np.sum(area * spread))
        if np.any(alpha >= 0.99) or np.any(alpha <= 0.005):
            alpha = np.full(6, mean)
        return Room(size=size, absorption=tuple(float(a) for a in np.round(alpha, 5)), array=array,
                    temperature=temperature, max_order=min(order, ranges.max_order),
                    ir_len=round(min(ranges.max_ir_len, rt60 + 0.05), 3), rt60=rt60, noise_exponent=colour)
    raise ConfigError(f"could not draw a possible room from {ranges} in {attempts} attempts ({last})")


def image_sources(room: Room, source, fs: int, exact_until: float | None = 0.1) -> ImageSet:
    """Image sources (pyroomacoustics ISM) of a source at room coordinates ``source``, seen from the array.

    Images arriving later than ``room.ir_len`` are dropped.
    """
    import pyroomacoustics as pra

    source = np.asarray(source, dtype=float)
    if not room.contains(source[None, :], margin=0.0)[0]:
        raise ConfigError(f"source position {source.tolist()} is outside the room {room.size}")
    materials = {w: pra.Material(float(a)) for w, a in zip(WALLS, room.absorption)}
    sim = pra.ShoeBox(list(room.size), fs=fs, materials=materials, max_order=room.max_order,
                      air_absorption=False)
    sim.add_microphone(np.asarray(room.array, dtype=float))
    sim.add_source(source)
    sim.image_source_model()
    src = sim.sources[0]
    visible = np.asarray(sim.visibility[0][0], dtype=bool)
    rel = src.images[:, visible].T.astype(np.float64) - np.asarray(room.array, dtype=float)[None, :]
    beta = src.damping[0, visible].astype(np.float64)
    n = int(np.ceil(room.ir_len * fs))
    keep = np.sqrt(np.sum(rel**2, axis=1)) < room.ir_len * room.c
    return ImageSet(rel[keep], beta[keep], c=room.c, fs=fs, n_samples=n, exact_until=exact_until)
