"""Replay: scenes that follow given label files (classes, onsets, sources, trajectories) with bank clips.

Every label file (any DCASE format :func:`seld.formats.read_labels` reads) becomes one scene with the same
relative name. Each run of consecutive frames of one (class, source) becomes an event: clips of that class
are played back to back for exactly those frames, from the direction the labels give in each frame, at the
labelled distance (or, without one, a distance drawn per event), pulled in along the same direction when the
room is too small. Label files that share a ``room<N>`` token share a simulated room, so real scene
statistics (polyphony, durations, motion) meet synthetic audio. Labels are written for every replayed frame.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from seld.errors import ConfigError, FormatError, InputError
from seld.formats import read_labels
from seld.synth.bank import Bank
from seld.synth.dataset import REPLAY, ROOM, DatasetPlan, rng_for
from seld.synth.presets import SynthConfig
from seld.synth.rooms import Room, sample_room
from seld.synth.scenes import FRAME, EventPlan, ScenePlan, class_pool
from seld.synth.trajectories import PositionSet

__all__ = ["plan_replay", "fit_in_room"]

log = logging.getLogger(__name__)

_MIN_DIST = 0.5
#: longest scene replayed (seconds)
MAX_REPLAY_SECONDS = 3600.0


def fit_in_room(room: Room, rel: np.ndarray, margin: float) -> np.ndarray:
    """``rel`` (relative to the array), moved towards the array along its direction until it is at least
    ``margin`` from every wall (never closer than 0.5 m to the array)."""
    rel = np.asarray(rel, dtype=float)
    dist = float(np.linalg.norm(rel))
    u = rel / dist
    array, size = np.asarray(room.array), np.asarray(room.size)
    limits = np.where(u > 0, (size - margin - array) / np.where(u > 0, u, 1.0),
                      np.where(u < 0, (margin - array) / np.where(u < 0, u, 1.0), np.inf))
    reach = float(np.min(limits))
    return u * max(min(dist, reach), _MIN_DIST)


def _runs(frames: np.ndarray) -> list[np.ndarray]:
    """Split sorted frame indices into runs of consecutive frames (index arrays into ``frames``)."""
    cut = np.flatnonzero(np.diff(frames) > 1) + 1
    return np.split(np.arange(len(frames)), cut)


def _pieces(rng: np.random.Generator, bank: Bank, clips: list[int], length: int) -> list[tuple[str, int, int]]:
    """Clips of one class back to back, filling ``length`` samples."""
    out, left = [], length
    while left > 0:
        info = bank.clips[clips[int(rng.integers(len(clips)))]]
        n = int(round(info.duration * bank.sample_rate))
        take = min(n, left)
        start = int(rng.integers(n - take + 1)) if n > take else 0
        out.append((info.id, start, take))
        left -= take
    return out


def plan_replay(bank: Bank, config: SynthConfig, seed: int, metadata_dir: str | Path) -> DatasetPlan:
    """Rooms, positions and scene plans that replay the label files under ``metadata_dir``."""
    root = Path(metadata_dir)
    if not root.is_dir():
        raise InputError(root, "replay folder not found", "give a folder of DCASE label files (*.csv)")
    files = sorted(root.rglob("*.csv"))
    if not files:
        raise InputError(root, "no label files (*.csv) in this folder", "give a folder of DCASE label files")
    fs = bank.sample_rate
    hop = int(round(FRAME * fs))
    keys = []
    for path in files:
        token = re.search(r"room(\d+)", path.stem)
        keys.append(f"room{int(token.group(1))}" if token else path.relative_to(root).as_posix())
    numbers = {k: i + 1 for i, k in enumerate(sorted(set(keys), key=lambda k: (len(k), k)))}
    rooms = {n: sample_room(rng_for(seed, ROOM, n), config.rooms) for n in numbers.values()}
    points: dict[int, dict[tuple, int]] = {n: {} for n in rooms}
    pools = {split: None for split in ("train", "test")}
    scenes = []
    for i, (path, key) in enumerate(zip(files, keys)):
        events = read_labels(path)
        if abs(events.frame_len - FRAME) > 1e-9:
            events = events.to_frame_len(FRAME)
        if events.num_frames() * FRAME > MAX_REPLAY_SECONDS:
            raise FormatError(path, None, f"the labels reach frame {events.num_frames() - 1} of 100 ms "
                              f"({events.num_frames() * FRAME:g} s); replay renders scenes of up to "
                              f"{MAX_REPLAY_SECONDS:g} s",
                              "check the frame numbers, or cut the file into shorter scenes")
        if len(events) and events.cls.max() >= len(bank.classes):
            raise FormatError(path, None, f"class {events.cls.max()} is not one of the bank's {len(bank.classes)} "
                              "classes", "replay labels whose class list matches the bank's")
        name = path.relative_to(root).with_suffix("").as_posix()
        split = "test" if "test" in name.lower() else "train"
        if pools[split] is None:
            pools[split] = class_pool(bank, config.scenes, split)
        pool = pools[split]
        number = numbers[key]
        room = rooms[number]
        rng = rng_for(seed, REPLAY, i)
        plans = []
        for cls, track in sorted(set(zip(events.cls.tolist(), events.track.tolist()))):
            if cls not in pool:
                raise ConfigError(f"{path}: class {bank.classes[cls]} has no {split} clips in the bank {bank.root}; "
                                  "add clips of it to the bank")
            rows = np.flatnonzero((events.cls == cls) & (events.track == track))
            rows = rows[np.unique(events.frame[rows], return_index=True)[1]]     # one row per frame
            for run in _runs(events.frame[rows]):
                sel = rows[run]
                first = int(events.frame[sel[0]])
                dist = (events.dist[sel] if events.dist is not None
                        else np.full(len(sel), rng.uniform(*config.positions.dist)))
                index = []
                for xyz, d in zip(events.xyz[sel], dist):
                    rel = tuple(np.round(fit_in_room(room, xyz * d, config.positions.wall_margin), 3))
                    index.append(points[number].setdefault(rel, len(points[number])))
                lo, hi = config.scenes.class_level_db.get(bank.classes[cls], config.scenes.level_db)
                plans.append(EventPlan(cls, track, first * hop, _pieces(rng, bank, pool[cls], len(sel) * hop),
                                       round(float(rng.uniform(lo, hi)), 3), first, index, label_all=True))
        n_frames = events.num_frames() if len(events) else int(round(config.scenes.duration / FRAME))
        fold = re.search(r"fold(\d+)", path.stem)
        ov = int(np.bincount(events.frame).max()) if len(events) else 0
        snr = None if config.scenes.snr_db is None else round(float(rng.uniform(*config.scenes.snr_db)), 2)
        scenes.append(ScenePlan(name, int(fold.group(1)) if fold else 1, number, ov, n_frames * hop, fs,
                                sorted(plans, key=lambda e: (e.onset, e.cls, e.track)), snr,
                                round(float(rng.uniform()), 6)))
    positions = {}
    for number, table in points.items():
        if not table:
            table[tuple(np.round(fit_in_room(room=rooms[number], rel=np.array([1.0, 0.0, 0.0]),
                                             margin=config.positions.wall_margin), 3))] = 0
        positions[number] = PositionSet(np.array(list(table)))
    log.info("replay: %d scenes in %d rooms, %d positions", len(scenes), len(rooms),
             sum(len(p) for p in positions.values()))
    return DatasetPlan(rooms, positions, scenes)
