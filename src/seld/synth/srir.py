"""Spatial room impulse responses of a room at its positions, and its ambient noise, cached on disk.

A :class:`ResponseSet` holds, for every position of a room's :class:`~seld.synth.trajectories.PositionSet`,
the response of each requested format, plus a stretch of the room's diffuse ambient noise heard by all those
formats at once (scenes play random excerpts of it, as the DCASE generator does with recorded ambience).
Simulated sets are stored under ``<cache>/<key>/``: ``meta.json``, one ``<format>-<hash>-field<hashes>.npy``
[P, C, L] float32 per format (the formats share one diffuse tail, so the set is in the name),
``acoustics-<hashes>.json`` (what the responses measure) and ``ambience-<hashes>.npy`` [C_all, N] float32
(float16 values: see :func:`make_ambience`; stored wide so that scenes add it without a conversion), where the
key hashes everything they depend on. Scenes memory-map them, so many worker processes share one copy and a scene
reads only what it uses. This reuse is where the synthesiser's speed comes from (``benchmarks/synth_speed.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seld.synth.arrays import Ambisonics, Omni, SpatialFormat, get_format
from seld.synth.acoustics import measure_response, summarize
from seld.synth.files import ensure_dir, read_json, write_json, write_npy
from seld.synth.filters import RESPONSE_HIGHPASS, highpass
from seld.synth.noise import diffuse_noise
from seld.synth.rooms import Room, image_sources
from seld.synth.tail import late_tail, tail_seed
from seld.synth.trajectories import PositionSet

__all__ = ["ResponseSet", "simulate_responses", "make_ambience", "split_channels", "SrirCache", "RENDER_VERSION",
           "measure_set"]

log = logging.getLogger(__name__)

#: bump when the rendering changes, so that stale caches are not reused
RENDER_VERSION = 2


@dataclass
class ResponseSet:
    """Responses [P, C, L] per format name, at ``positions`` (relative to the array centre).

    ``room`` is the simulated room (``None`` for measured responses); ``formats`` gives each format's model;
    ``c`` is the speed of sound; ``ambience`` is the room's diffuse noise [C, N] per format (or ``None``).
    """

    positions: PositionSet
    responses: dict[str, np.ndarray]
    fs: int
    c: float = 343.0
    room: Room | None = None
    formats: dict[str, SpatialFormat] = field(default_factory=dict)
    ambience: dict[str, np.ndarray] | None = None

    def __post_init__(self):
        for name, arr in self.responses.items():
            if arr.ndim != 3 or arr.shape[0] != len(self.positions):
                raise ValueError(f"responses of {name!r} have shape {arr.shape}, expected "
                                 f"[{len(self.positions)}, channels, samples]")
        if not self.formats:
            self.formats = {name: get_format(name) for name in self.responses}

    @property
    def n_samples(self) -> int:
        return max(arr.shape[2] for arr in self.responses.values())

    def get(self, fmt: str, index: int) -> np.ndarray:
        """Response float32 [C, L] of format ``fmt`` at position ``index``."""
        return np.asarray(self.responses[fmt][index], dtype=np.float32)

    def omni_source(self) -> str | None:
        """Name of a format whose first channel is omnidirectional (FOA W or ``omni``), if any."""
        for name, fmt in self.formats.items():
            if isinstance(fmt, (Ambisonics, Omni)) and name in self.responses:
                return name
        return None


def simulate_responses(room: Room, positions: PositionSet, formats: Sequence[SpatialFormat], fs: int,
                       exact_until: float | None = 0.1, progress: Callable[[int], None] | None = None,
                       field: Sequence[SpatialFormat] | None = None) -> dict[str, np.ndarray]:
    """Responses float32 [P, C, L] of each format at every position (one image-source run per position).

    A response is the image sources up to the room's horizon (:func:`~seld.synth.rooms.image_sources`) plus
    the late tail (:func:`~seld.synth.tail.late_tail`), high-passed (zero phase, 20 Hz, 4th order:
    :func:`~seld.synth.filters.highpass`) so that it has no DC. The tail is one diffuse field heard by all
    the formats of ``field`` (default: ``formats``), of which ``formats`` are returned: give the whole set
    when computing only some of its formats, and they match the others.
    """
    n = int(np.ceil(room.ir_len * fs))
    field = list(formats) if field is None else list(field)
    missing = [f.name for f in formats if f not in field]
    if missing:
        raise ValueError(f"formats {missing} are not in the field's formats")
    out = {f.name: np.zeros((len(positions), f.channels, n), dtype=np.float32) for f in formats}
    array = np.asarray(room.array, dtype=float)
    offsets = dict(zip([f.name for f in field], np.cumsum([0] + [f.channels for f in field])))
    for i, rel in enumerate(positions.xyz):
        images = image_sources(room, array + rel, fs, exact_until)
        # nothing is scattered before the first reflection arrives
        first = float(np.partition(images.dist, 1)[1]) if len(images) > 1 else float(np.linalg.norm(rel))
        tail = late_tail(room, field, fs, n, first / room.c, np.random.default_rng(tail_seed(room, rel, fs)))
        m = min(n, images.n_samples)
        for f in formats:
            resp = np.zeros((f.channels, n)) if tail is None else tail[offsets[f.name]:offsets[f.name] + f.channels]
            resp = np.asarray(resp, dtype=np.float64)
            resp[:, :m] += f.srir(images)[:, :m]
            out[f.name][i] = highpass(resp, fs, *RESPONSE_HIGHPASS)
        if progress is not None:
            progress(i + 1)
    return out


def make_ambience(formats: Sequence[SpatialFormat], fs: int, c: float, exponent: float, seconds: float,
                  seed: int) -> np.ndarray:
    """Diffuse noise float16 [C_all, N] over the channels of all ``formats`` (in order), unit power on the
    first channel of the first format."""
    parts = diffuse_noise(np.random.default_rng(seed), list(formats), int(round(seconds * fs)), fs, c, exponent)
    noise = np.concatenate(parts)
    noise /= np.sqrt(np.mean(np.square(noise[0], dtype=np.float64)))
    return noise.astype(np.float16)


def split_channels(signals: np.ndarray, formats: Sequence[SpatialFormat]) -> dict[str, np.ndarray]:
    """Views of [C_all, N] per format name, the formats' channels being stacked in order."""
    offsets = np.cumsum([0] + [f.channels for f in formats])
    return {f.name: signals[a:a + f.channels] for f, a in zip(formats, offsets)}


class SrirCache:
    """Simulated response sets on disk, one folder per (room, positions, sample rate, renderer settings)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @staticmethod
    def key(room: Room, positions: PositionSet, fs: int, exact_until: float | None) -> str:
        blob = json.dumps({"room": room.to_dict(), "positions": positions.to_dict(), "fs": fs,
                           "exact_until": exact_until, "version": RENDER_VERSION}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]

    @staticmethod
    def _format_key(fmt: SpatialFormat) -> str:
        desc = json.dumps(fmt.describe(), sort_keys=True)
        return f"{fmt.name}-{hashlib.sha1(desc.encode()).hexdigest()[:8]}"

    def _joined(self, formats: Sequence[SpatialFormat]) -> str:
        return hashlib.sha1("|".join(self._format_key(f) for f in formats).encode()).hexdigest()[:8]

    def _files(self, entry: Path, formats: Sequence[SpatialFormat], ambience_seconds: float) -> tuple[dict, Path]:
        # a response's tail is one diffuse field over all the formats: the set is part of its name
        joined = self._joined(formats)
        files = {f.name: entry / f"{self._format_key(f)}-field{joined}.npy" for f in formats}
        return files, entry / f"ambience-{joined}-{ambience_seconds:g}s.npy"

    def missing(self, room: Room, positions: PositionSet, formats: Sequence[SpatialFormat], fs: int,
                exact_until: float | None = 0.1, ambience_seconds: float = 60.0) -> tuple[list[SpatialFormat], bool]:
        """The formats whose responses are not cached yet, and whether the ambience is missing."""
        files, ambience = self._files(self.root / self.key(room, positions, fs, exact_until), formats,
                                      ambience_seconds)
        return [f for f in formats if not files[f.name].is_file()], ambience_seconds > 0 and not ambience.is_file()

    def ambience_seed(self, room: Room, positions: PositionSet, formats: Sequence[SpatialFormat], fs: int,
                      exact_until: float | None, ambience_seconds: float) -> int:
        """Seed of the room's ambient noise: a hash of what it belongs to (the same on every machine)."""
        key = self.key(room, positions, fs, exact_until)
        _, ambience = self._files(self.root / key, formats, ambience_seconds)
        return int(hashlib.sha1(ambience.name.encode() + key.encode()).hexdigest()[:15], 16)

    def store(self, room: Room, positions: PositionSet, formats: Sequence[SpatialFormat], fs: int,
              exact_until: float | None, ambience_seconds: float, responses: dict[str, np.ndarray] | None = None,
              ambience: np.ndarray | None = None) -> None:
        """Write responses [P, C, L] per format name (computed elsewhere, e.g. in worker processes) and/or the
        ambience [C_all, N] of all ``formats``."""
        entry = ensure_dir(self.root / self.key(room, positions, fs, exact_until))
        if not (entry / "meta.json").is_file():
            write_json(entry / "meta.json", {"room": room.to_dict(), "positions": positions.to_dict(), "fs": fs,
                                             "exact_until": exact_until, "version": RENDER_VERSION})
        files, ambience_file = self._files(entry, formats, ambience_seconds)
        for f in formats:
            if responses is not None and f.name in responses:
                write_npy(files[f.name], responses[f.name])
                write_json(entry / f"{self._format_key(f)}.json", f.describe())
        if ambience is not None:
            write_npy(ambience_file, np.asarray(ambience, dtype=np.float32))

    def load(self, room: Room, positions: PositionSet, formats: Sequence[SpatialFormat], fs: int,
             exact_until: float | None = 0.1, ambience_seconds: float = 60.0,
             progress: Callable[[int], None] | None = None) -> ResponseSet:
        """The response set, computing (and storing) only what the cache does not hold yet.

        ``ambience_seconds`` of diffuse noise are made for the room (0: none); scenes longer than that hear
        it wrap around.
        """
        todo, no_ambience = self.missing(room, positions, formats, fs, exact_until, ambience_seconds)
        if todo:
            log.info("simulating %d positions x %s", len(positions), ",".join(f.name for f in todo))
        fresh = simulate_responses(room, positions, todo, fs, exact_until, progress, field=formats) if todo else None
        noise = None
        if no_ambience:
            seed = self.ambience_seed(room, positions, formats, fs, exact_until, ambience_seconds)
            noise = make_ambience(formats, fs, room.c, room.noise_exponent, ambience_seconds, seed)
        if todo or no_ambience:
            self.store(room, positions, formats, fs, exact_until, ambience_seconds, fresh, noise)
        files, ambience_file = self._files(self.root / self.key(room, positions, fs, exact_until), formats,
                                           ambience_seconds)
        ambience = split_channels(np.load(ambience_file, mmap_mode="r"), formats) if ambience_seconds > 0 else None
        responses = {name: np.load(path, mmap_mode="r") for name, path in files.items()}
        return ResponseSet(positions, responses, fs, room.c, room, {f.name: f for f in formats}, ambience)

    def acoustics(self, room: Room, positions: PositionSet, formats: Sequence[SpatialFormat], fs: int,
                  exact_until: float | None = 0.1) -> dict:
        """What the room's cached responses measure (:func:`measure_set`), computed once and kept next to them
        (``acoustics-<formats>.json``); the responses must be cached."""
        entry = self.root / self.key(room, positions, fs, exact_until)
        path = entry / f"acoustics-{self._joined(formats)}.json"
        if path.is_file():
            return read_json(path)
        files, _ = self._files(entry, formats, 0.0)
        responses = ResponseSet(positions, {name: np.load(p, mmap_mode="r") for name, p in files.items()}, fs,
                                room.c, room, {f.name: f for f in formats})
        result = measure_set(responses)
        write_json(path, result)
        return result


def measure_set(responses: ResponseSet, max_positions: int = 16) -> dict:
    """T30, T20 and EDT per octave band (median over positions) and the DRR (median, min, max) measured on the
    omnidirectional channel (FOA W or omni; else the first channel of the first format) at up to
    ``max_positions`` positions spread over the set (:mod:`seld.synth.acoustics`)."""
    name = responses.omni_source() or next(iter(responses.responses))
    count = len(responses.positions)
    picks = np.unique(np.round(np.linspace(0, count - 1, min(max_positions, count))).astype(int))
    measured = [measure_response(responses.get(name, int(p))[0], responses.fs) for p in picks]
    return {"measured_on": f"{name} channel 0", **summarize(measured)}
