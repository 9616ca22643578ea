"""Shoebox rooms: their parameters, how they are drawn from ranges, and their image sources.

The image-source method is the one of pyroomacoustics (``ShoeBox.image_source_model``); only its list of
images is used, and every spatial format is then rendered from it by :mod:`seld.synth.arrays`.

A room's acoustics are given per octave band (:data:`~seld.synth.filters.BANDS`): wall absorption (drawn
from pyroomacoustics' material database, :mod:`seld.synth.materials`), scattering (the share of reflected
energy that leaves the specular path) and air absorption (ISO 9613-1 at the room's temperature and
humidity). Image sources are computed up to ``ism_until`` seconds; later sound comes from the statistical
tail of :mod:`seld.synth.tail`, whose energy follows the decay model of :mod:`seld.synth.decay`.

A drawn room aims at a reverberation time: the materials' absorption is scaled until the model's T30,
averaged over the 500 Hz and 1 kHz bands, is the drawn target; ``rt60`` records that aim and ``t30`` the
model's T30 in every band. What the rendered responses measure is written next to the dataset
(:func:`seld.synth.acoustics.measure_response`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from seld.errors import ConfigError
from seld.synth.acoustics import decay_time
from seld.synth.decay import DecayModel, air_attenuation, completeness_distance, order_for_distance
from seld.synth.filters import BANDS
from seld.synth.images import ImageSet
from seld.synth.materials import absorption_of, draw_materials

__all__ = ["WALLS", "Room", "RoomRanges", "sample_room", "sabine_absorption", "image_sources", "speed_of_sound",
           "scattering_profile", "MID_BANDS"]

log = logging.getLogger(__name__)

#: wall order of pyroomacoustics' ShoeBox: x = 0, x = Lx, y = 0, y = Ly, z = 0, z = Lz
WALLS = ("west", "east", "south", "north", "floor", "ceiling")
#: the bands whose mean T30 is a room's reverberation time (500 Hz and 1 kHz)
MID_BANDS = (2, 3)
#: time over which the last image sources fade out and the specular part of the tail fades in (seconds)
CROSSFADE = 0.02


def speed_of_sound(temperature: float) -> float:
    """Speed of sound in dry air (m/s) at ``temperature`` degrees Celsius (pyroomacoustics' formula)."""
    return 331.4 + 0.6 * temperature


def _per_band(value, what: str) -> tuple:
    """A number, or one number per band, as a tuple of floats (a number stays a 1-tuple)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return (float(arr),)
    if arr.shape != (len(BANDS),):
        raise ConfigError(f"{what} must be one number or {len(BANDS)} (one per band {BANDS}), got {value}")
    return tuple(float(v) for v in arr)


@dataclass(frozen=True)
class Room:
    """A shoebox room with the array in it.

    Attributes:
        size: (Lx, Ly, Lz) in metres; the room spans [0, L] on each axis.
        absorption: energy absorption of each wall in :data:`WALLS` order: one number per wall (the same in
            every band) or one tuple of :data:`~seld.synth.filters.BANDS` values per wall.
        array: array centre in room coordinates (metres).
        temperature: air temperature (Celsius), sets the speed of sound and the air absorption.
        max_order: highest reflection order of the image-source model (a cap: with ``ism_until``, the order
            that makes the images complete up to that time is used when it is lower).
        ir_len: length of the rendered responses (seconds).
        rt60: the reverberation time the room was drawn for (model T30 at 500 Hz-1 kHz), for the record.
        noise_exponent: colour of the room's ambient noise, power spectrum 1/f^exponent (0 white, 1 pink).
        humidity: relative humidity (percent), for the air absorption.
        air_absorption: whether sound loses energy in the air (ISO 9613-1).
        scattering: share of the reflected energy scattered out of the specular path, one number or one per
            band; it feeds the diffuse part of the tail.
        ism_until: seconds of image sources; after that, the specular part of the sound comes from the tail.
            ``None``: image sources up to ``ir_len`` (or as far as ``max_order`` reaches), no specular tail.
        materials: names of the wall materials (for the record).
        t30: the decay model's T30 per band (seconds), for the record.
    """

    size: tuple[float, float, float]
    absorption: tuple
    array: tuple[float, float, float]
    temperature: float = 20.0
    max_order: int = 30
    ir_len: float = 0.5
    rt60: float | None = None
    noise_exponent: float = 1.0
    humidity: float = 50.0
    air_absorption: bool = True
    scattering: float | tuple = 0.0
    ism_until: float | None = None
    materials: tuple[str, ...] = ()
    t30: tuple[float, ...] | None = None

    def __post_init__(self):
        size = np.asarray(self.size, dtype=float)
        if size.shape != (3,) or np.any(~np.isfinite(size)) or np.any(size <= 0):
            raise ConfigError(f"room size must be three positive lengths in metres, got {self.size}")
        try:
            alpha = self.absorption_bands()
        except (ValueError, TypeError):
            alpha = None
        if alpha is None or not np.all((alpha > 0.0) & (alpha <= 1.0)):
            raise ConfigError(f"room absorption must be six coefficients in (0, 1] (or six tuples of {len(BANDS)}, "
                              f"one per band {BANDS}), got {self.absorption}")
        s = np.asarray(self.scattering, dtype=float)
        if s.ndim > 1 or (s.ndim == 1 and s.shape != (len(BANDS),)) or np.any((s < 0) | (s >= 1)):
            raise ConfigError(f"scattering must be in [0, 1), one number or one per band, got {self.scattering}")
        if not self.contains(np.asarray(self.array, dtype=float)[None, :], margin=0.05)[0]:
            raise ConfigError(f"array centre {self.array} is not inside the room {self.size}")
        if self.max_order < 0 or self.ir_len <= 0:
            raise ConfigError(f"max_order must be >= 0 and ir_len > 0, got {self.max_order}, {self.ir_len}")
        if self.ism_until is not None and self.ism_until <= 0:
            raise ConfigError(f"ism_until must be positive seconds or None, got {self.ism_until}")
        if not 0 <= self.humidity <= 100:
            raise ConfigError(f"humidity is a percentage, got {self.humidity}")

    @property
    def c(self) -> float:
        return speed_of_sound(self.temperature)

    def contains(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Bool [N]: which room-coordinate points [N, 3] are at least ``margin`` metres from every wall."""
        p = np.asarray(points, dtype=float).reshape(-1, 3)
        size = np.asarray(self.size, dtype=float)
        return np.all((p >= margin) & (p <= size - margin), axis=1)

    # ------------------------------------------------------------------------------------------ per band
    def absorption_bands(self) -> np.ndarray:
        """Energy absorption [6, B] of the walls per band."""
        rows = [np.broadcast_to(np.asarray(a, dtype=np.float64), (len(BANDS),)) for a in self.absorption]
        if len(rows) != 6:
            raise ValueError("six walls")
        return np.stack(rows)

    def scattering_bands(self) -> np.ndarray:
        """Scattering coefficient [B] per band."""
        return np.broadcast_to(np.asarray(self.scattering, dtype=np.float64), (len(BANDS),)).copy()

    def air_bands(self) -> np.ndarray:
        """Energy attenuation of the air per metre [B] per band (zeros without air absorption)."""
        if not self.air_absorption:
            return np.zeros(len(BANDS))
        return air_attenuation(BANDS, self.temperature, self.humidity)

    def decay_model(self) -> DecayModel:
        """The room's energy decay model (:mod:`seld.synth.decay`), computed once per room."""
        return _decay_model(self)

    def ism_order(self) -> int:
        """Reflection order of the image sources: ``max_order``, or less when ``ism_until`` needs less."""
        if self.ism_until is None:
            return self.max_order
        return min(self.max_order, order_for_distance(self.size, self.ism_until * self.c))

    def horizon(self) -> float:
        """Seconds of image sources: up to ``ism_until`` but no later than where the order leaves gaps (and
        ``ir_len``); ``ir_len`` when ``ism_until`` is None."""
        if self.ism_until is None:
            return self.ir_len
        return min(self.ism_until, completeness_distance(self.size, self.ism_order()) / self.c, self.ir_len)

    # ------------------------------------------------------------------------------------------- storage
    def to_dict(self) -> dict:
        def plain(v):
            return [plain(x) for x in v] if isinstance(v, (tuple, list)) else v

        return {k: plain(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "Room":
        def tup(v):
            return tuple(tup(x) for x in v) if isinstance(v, (list, tuple)) else v

        d = dict(d)
        defaults = {"temperature": 20.0, "max_order": 30, "ir_len": 0.5, "rt60": None, "noise_exponent": 1.0,
                    "humidity": 50.0, "air_absorption": True, "scattering": 0.0, "ism_until": None, "materials": (),
                    "t30": None}
        kwargs = {k: tup(d.get(k, v)) for k, v in defaults.items()}
        return cls(size=tup(d["size"]), absorption=tup(d["absorption"]), array=tup(d["array"]), **kwargs)


@lru_cache(maxsize=64)
def _decay_model(room: Room) -> DecayModel:
    return DecayModel(room.size, room.absorption_bands(), room.scattering_bands(), room.air_bands(), room.c)


def sabine_absorption(size, rt60: float, c: float = 343.0) -> tuple[float, int]:
    """Uniform wall absorption and image order that give ``rt60`` seconds in a room of ``size`` (Sabine)."""
    import pyroomacoustics as pra

    try:
        absorption, order = pra.inverse_sabine(rt60, list(size), c=c)
    except ValueError as err:
        raise ConfigError(f"no absorption gives RT60 {rt60:.2f} s in a {size} m room ({err}); use a shorter "
                          "RT60 or a smaller room") from None
    return float(absorption), int(order)


def scattering_profile(at_1khz: float) -> np.ndarray:
    """Scattering per band [B] of a furnished room with ``at_1khz`` at 1 kHz: rising as f^0.3 (like
    pyroomacoustics' "classroom tables", 0.2 at 125 Hz to 0.6 at 8 kHz), within [0.1, 0.9]."""
    return np.clip(at_1khz * (np.asarray(BANDS) / 1000.0) ** 0.3, 0.1, 0.9)


@dataclass(frozen=True)
class RoomRanges:
    """Ranges rooms are drawn from (uniformly, each bound inclusive).

    ``rt60`` is the range of the aimed reverberation time (T30 at 500 Hz-1 kHz of the decay model); the walls'
    materials are drawn (:mod:`seld.synth.materials`) and their absorption scaled to meet it. ``scattering``
    is the range of the scattering coefficient at 1 kHz (see :func:`scattering_profile`). ``array_frac``
    places the array centre at that fraction of each room dimension. Image sources cover ``ism_until``
    seconds (at most ``max_order`` reflections), the tail the rest. The response length is the longest T30
    of the 500 Hz-4 kHz bands plus 50 ms, at most ``max_ir_len``. ``noise_exponent`` is the colour range of
    the rooms' ambient noise (see :class:`Room`).
    """

    size_min: tuple[float, float, float] = (4.0, 4.0, 2.5)
    size_max: tuple[float, float, float] = (10.0, 8.0, 4.0)
    rt60: tuple[float, float] = (0.2, 0.8)
    temperature: tuple[float, float] = (15.0, 30.0)
    humidity: tuple[float, float] = (30.0, 70.0)
    scattering: tuple[float, float] = (0.2, 0.6)
    array_frac: tuple[float, float] = (0.4, 0.6)
    max_order: int = 50
    ism_until: float = 0.1
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


#: material draws compared per room (see :func:`_ranked`)
CANDIDATES = 16
#: largest absorption a scaled material may reach
MAX_ABSORPTION = 0.99
#: realistic rooms: bass ratio (T30 at 125-250 Hz over 500 Hz-1 kHz) at most this, and T30s in the 500 Hz-4 kHz
#: bands that change by at most this share when a direct sound 10 dB above the reverberation is added (a decay
#: that bends, e.g. fast at first under an absorbing ceiling and slow later between hard walls, measures a
#: T30 that depends on where the source is)
MAX_BASS_RATIO = 1.6
MAX_BEND = 0.05


def _scaled(alpha: np.ndarray, factor: float) -> np.ndarray:
    """Absorption with its -ln(1 - alpha) multiplied by ``factor`` (0 < alpha < 1 stays true)."""
    return np.minimum(1.0 - (1.0 - alpha) ** factor, MAX_ABSORPTION)


def _mid_t30(size, alpha, scattering, air, c) -> float:
    """Mid-band T30 of a coarse decay model (4096 directions, within about 1 % of the fine one)."""
    mid = list(MID_BANDS)
    model = DecayModel(size, alpha[:, mid], scattering[mid], air[mid], c, n_dirs=4096, n_bins=128)
    return float(np.mean(model.decay_times()))


def realism(model: DecayModel) -> tuple[float, float, np.ndarray]:
    """(bass ratio, bend, T30 per band) of a room's decay model: the bass ratio is the T30 at 125-250 Hz over
    the T30 at 500 Hz-1 kHz; the bend is the largest relative change of T30 in the 500 Hz-4 kHz bands when a
    direct sound 10 dB above all the reverberant energy is added in front of the decay."""
    t, db = model.curve(floor_db=-40.0)
    t30 = np.array([decay_time(t, db[:, b], -35.0, -5.0) for b in range(db.shape[1])])
    near = db - 10 * np.log10(11.0)                        # the curve once 10x its energy arrived at t = 0
    bend = max(abs(decay_time(t, near[:, b], -35.0, -5.0) / t30[b] - 1) for b in (2, 3, 4, 5))
    mid = float(np.mean(t30[list(MID_BANDS)]))
    return float(np.mean(t30[:2]) / mid), float(bend), t30


def _ranked(size, alphas, scattering, air, c, target: float) -> list[int]:
    """Candidate materials in the order they are tried: first those with a realistic bass ratio and a
    straight decay (:data:`MAX_BASS_RATIO`, :data:`MAX_BEND`), nearest the target first (the least scaling),
    then the others, those that miss the limits least first."""
    costs = []
    for alpha in alphas:
        bass, bend, t30 = realism(DecayModel(size, alpha, scattering, air, c, n_dirs=4096, n_bins=128))
        mid = float(np.mean(t30[list(MID_BANDS)]))
        if not (np.isfinite(bass) and np.isfinite(bend) and np.isfinite(mid)):
            costs.append((True, np.inf, np.inf))
            continue
        excess = max(0.0, np.log(bass / MAX_BASS_RATIO)) + max(0.0, bend - MAX_BEND)
        costs.append((excess > 0, excess, abs(np.log(mid / target))))
    return sorted(range(len(alphas)), key=lambda i: costs[i])


def _aim(size, alpha, scattering, air, c, target: float) -> np.ndarray | None:
    """``alpha`` scaled (see :func:`_scaled`) so that the mid-band T30 is ``target`` within 0.5 %, or None."""
    lo, hi = 1 / 30, 30.0
    t_lo = _mid_t30(size, _scaled(alpha, lo), scattering, air, c)
    t_hi = _mid_t30(size, _scaled(alpha, hi), scattering, air, c)
    if not t_hi <= target <= t_lo:
        return None
    # T falls with the factor roughly as a power: search in log-log, keeping the bracket
    x_lo, x_hi, y_lo, y_hi = np.log(lo), np.log(hi), np.log(t_lo), np.log(t_hi)
    y_t = np.log(target)
    for _ in range(40):
        x = x_lo + (y_t - y_lo) * (x_hi - x_lo) / (y_hi - y_lo)
        x = min(max(x, x_lo + 0.05 * (x_hi - x_lo)), x_hi - 0.05 * (x_hi - x_lo))
        y = np.log(_mid_t30(size, _scaled(alpha, np.exp(x)), scattering, air, c))
        if abs(y - y_t) < 0.005:
            return _scaled(alpha, np.exp(x))
        if y > y_t:
            x_lo, y_lo = x, y
        else:
            x_hi, y_hi = x, y
    return None


def sample_room(rng: np.random.Generator, ranges: RoomRanges, attempts: int = 50) -> Room:
    """Draw a room from ``ranges``: size, target reverberation time, and materials (:func:`_ranked`) scaled to
    meet it that keep a realistic bass ratio and a straight decay; everything is redrawn when none of the four
    best candidates does."""
    size_min = np.asarray(ranges.size_min, float)
    size_max = np.asarray(ranges.size_max, float)
    if np.any(size_min <= 0) or np.any(size_max < size_min):
        raise ConfigError(f"room sizes must satisfy 0 < size_min <= size_max, got {ranges.size_min} and "
                          f"{ranges.size_max}")
    if ranges.rt60[0] <= 0 or ranges.rt60[1] < ranges.rt60[0]:
        raise ConfigError(f"the RT60 range must satisfy 0 < min <= max, got {ranges.rt60}")
    for _ in range(attempts):
        size = tuple(float(v) for v in np.round(rng.uniform(size_min, np.maximum(size_max, size_min)), 3))
        target = round(_uniform(rng, ranges.rt60), 3)
        temperature = round(_uniform(rng, ranges.temperature), 1)
        humidity = round(_uniform(rng, ranges.humidity), 1)
        frac = rng.uniform(ranges.array_frac[0], ranges.array_frac[1], size=3)
        array = tuple(float(v) for v in np.round(frac * np.asarray(size), 3))
        colour = round(_uniform(rng, ranges.noise_exponent), 3)
        scattering = np.round(scattering_profile(_uniform(rng, ranges.scattering)), 3)
        candidates = [draw_materials(rng) for _ in range(CANDIDATES)]
        c = speed_of_sound(temperature)
        air = air_attenuation(BANDS, temperature, humidity)
        alphas = [np.stack([absorption_of(m) for m in mats]) for mats in candidates]
        for best in _ranked(size, alphas, scattering, air, c, target)[:4]:
            alpha = _aim(size, alphas[best], scattering, air, c, target)
            if alpha is None:
                continue
            alpha = np.clip(np.round(alpha, 4), 1e-4, 1.0)
            bass, bend, t30 = realism(DecayModel(size, alpha, scattering, air, c))
            if bass <= MAX_BASS_RATIO and bend <= MAX_BEND:
                break
        else:
            continue
        ir_len = round(min(ranges.max_ir_len, float(np.nanmax(t30[2:6])) + 0.05), 3)
        return Room(size=size, absorption=tuple(tuple(float(v) for v in row) for row in alpha), array=array,
                    temperature=temperature, max_order=ranges.max_order, ir_len=ir_len,
                    rt60=round(float(np.mean(t30[list(MID_BANDS)])), 3), noise_exponent=colour, humidity=humidity,
                    air_absorption=True, scattering=tuple(float(v) for v in scattering),
                    ism_until=ranges.ism_until, materials=candidates[best],
                    t30=tuple(round(float(v), 4) for v in t30))
    raise ConfigError(f"could not draw a room of {ranges.size_min}-{ranges.size_max} m with a reverberation time in "
                      f"{ranges.rt60} s in {attempts} attempts; use a longer RT60 range or smaller rooms")


def image_sources(room: Room, source, fs: int, exact_until: float | None = 0.1) -> ImageSet:
    """Image sources (pyroomacoustics ISM) of a source at room coordinates ``source``, seen from the array.

    Images later than :meth:`Room.horizon` are dropped, those in its last :data:`CROSSFADE` seconds fade out
    (their energy falls as the tail's specular part rises); the direct path never fades. Per band, an
    image's amplitude is the product of its walls' reflection factors, the specular share (1 - s)^(n/2) of n
    reflections, and the air's attenuation over its path (:attr:`ImageSet.gains`; ``None`` when all bands are
    equal). The set's ``n_samples`` spans the horizon plus room for the band filters' ringing.
    """
    import pyroomacoustics as pra

    source = np.asarray(source, dtype=float)
    if not room.contains(source[None, :], margin=0.0)[0]:
        raise ConfigError(f"source position {source.tolist()} is outside the room {room.size}")
    alpha = room.absorption_bands()
    materials = {w: pra.Material({"coeffs": [float(a) for a in alpha[i]], "center_freqs": list(BANDS)})
                 for i, w in enumerate(WALLS)}
    sim = pra.ShoeBox(list(room.size), fs=fs, materials=materials, max_order=room.ism_order(), air_absorption=False)
    sim.add_microphone(np.asarray(room.array, dtype=float))
    sim.add_source(source)
    sim.image_source_model()
    src = sim.sources[0]
    visible = np.asarray(sim.visibility[0][0], dtype=bool)
    rel = src.images[:, visible].T.astype(np.float64) - np.asarray(room.array, dtype=float)[None, :]
    damping = src.damping[:len(BANDS), visible].T.astype(np.float64)          # [K, B]
    orders = np.asarray(src.orders, dtype=np.float64)[visible]
    dist = np.sqrt(np.sum(rel**2, axis=1))
    horizon = room.horizon()
    keep = (dist < horizon * room.c) | (orders == 0)                           # the direct path always
    rel, damping, orders, dist = rel[keep], damping[keep], orders[keep], dist[keep]

    gains = damping * (1.0 - room.scattering_bands()[None, :]) ** (orders[:, None] / 2)
    gains *= np.exp(-0.5 * room.air_bands()[None, :] * dist[:, None])
    if room.ism_until is not None:
        fade = np.clip((horizon - dist / room.c) / CROSSFADE, 0.0, 1.0)        # 1 before the crossfade
        fade = np.where(orders == 0, 1.0, np.sin(0.5 * np.pi * fade))           # energy: sin^2 + cos^2 = 1
        gains *= fade[:, None]
    flat = np.allclose(gains, gains[:, :1], rtol=1e-12, atol=0.0)
    beta = gains[:, 0].copy() if flat else np.sqrt(np.mean(gains**2, axis=1))
    n_total = int(np.ceil(room.ir_len * fs))
    ringing = 0.0 if flat else 0.03
    n = min(n_total, int(np.ceil((max(horizon, float(dist.max(initial=0.0)) / room.c) + ringing) * fs)) + 128)
    return ImageSet(rel, beta, c=room.c, fs=fs, n_samples=n, exact_until=exact_until,
                    gains=None if flat else gains)
