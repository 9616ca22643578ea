"""The synthesis job: plan a whole dataset from a seed, then compute room responses and render scenes.

Everything random is drawn from generators seeded by (seed, stream, index), so the plan of scene i does not
depend on how many scenes, shards or workers there are: ``--shard K/N`` keeps every N-th scene (starting at
the K-th), ``--workers`` spreads rooms and scenes over processes, and any combination writes the same files.
Finished scenes are skipped, so an interrupted job is resumed by running it again. Each room used gets a record
``rooms/room<N>.json`` next to the scenes: what it is and what its responses measure (T30 per octave band, EDT,
direct-to-reverberant ratio).
"""

from __future__ import annotations

import hashlib
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from seld.errors import ConfigError
from seld.synth.arrays import Ambisonics, Omni, SpatialFormat, get_format
from seld.synth.bank import Bank
from seld.synth.measured import MeasuredRoom
from seld.synth.presets import SynthConfig
from seld.synth.render import render_scene
from seld.synth.rooms import Room, sample_room
from seld.synth.scenes import ScenePlan, class_pool, sample_scene
from seld.synth.files import ensure_dir, write_json
from seld.synth.filters import BANDS
from seld.synth.srir import SrirCache, make_ambience, measure_set, simulate_responses
from seld.synth.trajectories import PositionSet, make_positions
from seld.synth.workers import TaskQueue, worker_pool
from seld.synth.writer import DatasetWriter, package_versions

__all__ = ["DatasetPlan", "plan_dataset", "synthesize", "parse_shard", "response_formats", "output_names",
           "rng_for", "room_record"]

log = logging.getLogger(__name__)

#: independent random streams
ROOM, POSITIONS, SCENE, REPLAY = 1, 2, 3, 4

Progress = Callable[[str, int, int], None]


def rng_for(seed: int, stream: int, index: int) -> np.random.Generator:
    """The generator of item ``index`` of random ``stream`` (the same on every machine)."""
    return np.random.default_rng([int(seed), stream, int(index)])


@dataclass
class DatasetPlan:
    """Rooms (by number: simulated :class:`Room` or :class:`MeasuredRoom`), their positions, and every
    scene of the dataset."""

    rooms: dict[int, Room | MeasuredRoom]
    positions: dict[int, PositionSet]
    scenes: list[ScenePlan] = field(default_factory=list)


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"K/N"`` (1 <= K <= N) as (K, N); ``None`` is the whole job (1, 1)."""
    if text is None:
        return 1, 1
    try:
        k, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise ConfigError(f"--shard must look like K/N (e.g. 2/8), got {text!r}") from None
    if not 1 <= k <= n:
        raise ConfigError(f"--shard K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def response_formats(formats: tuple[str, ...] | list[str]) -> list[SpatialFormat]:
    """Formats to simulate: the requested ones, plus an omni channel when none of them has one (the SNR and
    level reference)."""
    out = [get_format(f) for f in formats]
    names = [f.name for f in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"a format is requested twice: {', '.join(formats)}")
    if not any(isinstance(f, (Ambisonics, Omni)) for f in out):
        out.append(get_format("omni"))
    return out


def output_names(config: SynthConfig) -> list[str]:
    """Folder names of the formats written (``array:FILE`` formats are named after the file)."""
    return [get_format(f).name for f in config.formats]


def plan_dataset(bank: Bank, config: SynthConfig, seed: int,
                 measured: dict[int, tuple[MeasuredRoom, PositionSet]] | None = None) -> DatasetPlan:
    """Rooms, positions and scene plans of a dataset (cheap: no audio is touched).

    ``measured``: measured rooms (with their positions) used instead of ``config.n_rooms`` simulated ones.
    """
    if measured:
        rooms = {r: m for r, (m, _) in measured.items()}
        positions = {r: p for r, (_, p) in measured.items()}
    else:
        rooms = {r: sample_room(rng_for(seed, ROOM, r), config.rooms) for r in range(1, config.n_rooms + 1)}
        positions = {r: make_positions(rng_for(seed, POSITIONS, r), room, config.positions)
                     for r, room in rooms.items()}
    n_rooms = len(rooms)
    n_test_rooms = max(1, int(round(n_rooms * config.test_fraction))) if config.test_fraction > 0 else 0
    n_test_rooms = min(n_test_rooms, n_rooms - 1)
    train_rooms = list(range(1, n_rooms - n_test_rooms + 1))
    test_rooms = list(range(n_rooms - n_test_rooms + 1, n_rooms + 1))
    n_test = int(round(config.n_scenes * config.test_fraction)) if test_rooms else 0
    pools = {"train": class_pool(bank, config.scenes, "train")}
    if n_test:
        pools["test"] = class_pool(bank, config.scenes, "test")
    plan = DatasetPlan(rooms, positions)
    mixes: dict[int, int] = {}
    for i in range(config.n_scenes):
        test = i >= config.n_scenes - n_test
        fold, room_list = (2, test_rooms) if test else (1, train_rooms)
        j = i - (config.n_scenes - n_test) if test else i
        room = room_list[j % len(room_list)]
        mixes[room] = mixes.get(room, 0) + 1
        ov = config.ov[i % len(config.ov)]
        name = f"fold{fold}_room{room}_mix{mixes[room]:03d}"
        plan.scenes.append(sample_scene(rng_for(seed, SCENE, i), bank, pools["test" if test else "train"],
                                        positions[room], config.scenes, name=name, fold=fold, room=room, ov=ov))
    return plan


def _current_generation(generation: dict) -> dict:
    """A manifest's generation as this version writes it: its config read and written again, so that settings
    added since it was made appear with their defaults."""
    return {**generation, "config": SynthConfig.from_dict(generation["config"]).to_dict()}


def _bank_fingerprint(bank: Bank) -> dict:
    digest = hashlib.sha1((bank.root / "manifest.csv").read_bytes()).hexdigest()
    return {"name": bank.root.name, "manifest_sha1": digest, "sample_rate": bank.sample_rate,
            "classes": list(bank.classes.names), "clips": len(bank)}


# --------------------------------------------------------------------------------------------- worker side
@lru_cache(maxsize=2)
def _bank(path: str) -> Bank:
    return Bank(path)


def _ambience_seconds(config: SynthConfig) -> float:
    return config.ambience if config.scenes.snr_db is not None else 0.0


@lru_cache(maxsize=4)
def _responses(cache: str, room_json: str, positions_json: str, fs: int, exact_until, formats: tuple[str, ...],
               ambience: float):
    desc = json.loads(room_json)
    if "measured" in desc:
        return MeasuredRoom(desc["measured"], desc["format"]).load(cache, fs, ambience)
    positions = PositionSet.from_dict(json.loads(positions_json))
    return SrirCache(cache).load(Room.from_dict(desc), positions, response_formats(formats), fs, exact_until,
                                 ambience)


def _room_part(args) -> tuple[int, str, int, object]:
    """Worker: the responses of a slice of a room's positions (``srir``), or the room's ambience."""
    kind, number, room_json, positions_json, index, fs, exact_until, formats, names, ambience, seed = args
    room = Room.from_dict(json.loads(room_json))
    positions = PositionSet.from_dict(json.loads(positions_json))
    fmts = response_formats(formats)
    if kind == "ambience":
        return number, kind, 0, make_ambience(fmts, fs, room.c, room.noise_exponent, ambience, seed)
    todo = [f for f in fmts if f.name in names]
    return number, kind, int(index[0]), simulate_responses(room, PositionSet(positions.xyz[index]), todo, fs,
                                                            exact_until, field=fmts)


def _room_tasks(plan: DatasetPlan, numbers: list[int], cache: SrirCache, config: SynthConfig, fs: int,
                workers: int) -> tuple[list, dict]:
    """What the cache lacks for these simulated rooms, as :func:`_room_part` tasks (each room's positions spread
    over the workers; each position is computed on its own, so the split does not change the result), and per
    room that has any, the record :func:`_room_part_done` fills."""
    formats = tuple(config.formats)
    fmts = response_formats(formats)
    ambience = _ambience_seconds(config)
    tasks, parts = [], {}
    for r in numbers:
        room, positions = plan.rooms[r], plan.positions[r]
        todo, no_ambience = cache.missing(room, positions, fmts, fs, config.exact_until, ambience)
        args = (json.dumps(room.to_dict(), sort_keys=True), json.dumps(positions.to_dict(), sort_keys=True))
        chunks = np.array_split(np.arange(len(positions)), min(len(positions), 4 * workers)) if todo else []
        for index in chunks:
            tasks.append(("srir", r, *args, index, fs, config.exact_until, formats, [f.name for f in todo], 0.0, 0))
        if no_ambience:                           # the longest parts: handed out first, so no worker idles at the end
            seed = cache.ambience_seed(room, positions, fmts, fs, config.exact_until, ambience)
            tasks.insert(0, ("ambience", r, *args, None, fs, config.exact_until, formats, [], ambience, seed))
        if chunks or no_ambience:
            parts[r] = {"left": len(chunks) + no_ambience, "srir": {}, "ambience": None}
    return tasks, parts


def _room_part_done(result, parts: dict, plan: DatasetPlan, cache: SrirCache, config: SynthConfig,
                    fs: int) -> int | None:
    """Keep a finished :func:`_room_part`; when it was the room's last, store the room in the cache, free its
    parts and return its number."""
    number, kind, first, value = result
    part = parts[number]
    part["left"] -= 1
    if kind == "ambience":
        part["ambience"] = value
    else:
        part["srir"][first] = value
    if part["left"]:
        return None
    blocks = [part["srir"][k] for k in sorted(part["srir"])]
    responses = {name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]} if blocks else None
    cache.store(plan.rooms[number], plan.positions[number], response_formats(config.formats), fs,
                config.exact_until, _ambience_seconds(config), responses, part["ambience"])
    del parts[number]
    return number


def room_record(number: int, plan: DatasetPlan, cache: str | Path, config: SynthConfig, fs: int) -> dict:
    """What ``rooms/room<N>.json`` holds: the room (geometry, materials, what it was drawn to do) and what its
    responses measure (:func:`seld.synth.srir.measure_set`); the room's responses must be in the cache."""
    room = plan.rooms[number]
    if isinstance(room, MeasuredRoom):
        responses = room.load(cache, fs, 0.0)
        return {"room": number, "kind": "measured", "source": room.to_dict(), "measured": measure_set(responses)}
    formats = response_formats(config.formats)
    measured = SrirCache(cache).acoustics(room, plan.positions[number], formats, fs, config.exact_until)
    return {"room": number, "kind": "simulated", "bands_hz": list(BANDS),
            "aimed": {"rt60": room.rt60, "t30": None if room.t30 is None else list(room.t30)},
            "measured": measured, "description": room.to_dict()}


def write_room_record(out: Path, number: int, plan: DatasetPlan, cache: str | Path, config: SynthConfig,
                      fs: int) -> None:
    """Write ``out/rooms/room<N>.json`` (:func:`room_record`) unless it is there."""
    path = out / "rooms" / f"room{number}.json"
    if not path.is_file():
        ensure_dir(path.parent)
        write_json(path, room_record(number, plan, cache, config, fs))


def _scene_task(args) -> str:
    bank_dir, out, cache, room_json, positions_json, config_json, plan_dict = args
    config = SynthConfig.from_dict(json.loads(config_json))
    plan = ScenePlan.from_dict(plan_dict)
    responses = _responses(cache, room_json, positions_json, plan.fs, config.exact_until, config.formats,
                           _ambience_seconds(config))
    names = output_names(config)
    audio, events = render_scene(plan, _bank(bank_dir), responses, names, config.scenes.activity_db, config.peak)
    DatasetWriter(out, names, config.audio).write_scene(plan, audio, events)
    return plan.name


def synthesize(bank_dir: str | Path, out: str | Path, config: SynthConfig, seed: int = 0, workers: int = 1,
               shard: tuple[int, int] = (1, 1), replay: str | Path | None = None,
               cache: str | Path | None = None, progress: Progress | None = None,
               measured: list[str | Path] | None = None) -> dict:
    """Make (or resume) a dataset in ``out`` from the bank at ``bank_dir``; returns a summary dict.

    ``replay``: a folder of label files whose scenes are re-rendered (see :mod:`seld.synth.replay`).
    ``cache``: where room responses are kept (default ``out/srir_cache``; share it between datasets and
    shards made with the same rooms to compute them once).
    ``measured``: SOFA files or IR folders (see :mod:`seld.synth.measured`) used as the rooms instead of
    simulated ones; they hold the single format of ``config.formats``.
    ``workers``: processes rendering rooms and scenes (:func:`~seld.synth.workers.worker_pool`); the output does
    not depend on it.
    """
    start = time.perf_counter()
    bank = Bank(bank_dir)
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    response_formats(config.formats)          # fail early on unknown formats
    with contextlib.ExitStack() as stack:
        cache_root = str(Path(cache) if cache is not None else Path(out) / "srir_cache")
        if replay is not None:
            from seld.synth.replay import plan_replay

            if measured:
                raise ConfigError("--replay needs simulated rooms (it places sources anywhere); drop --measured")
            plan = plan_replay(bank, config, seed, replay)
        elif measured:
            if len(config.formats) != 1:
                raise ConfigError(f"measured responses hold one format; use --formats with one of them, not "
                                  f"{','.join(config.formats)}")
            rooms = {}
            for r, path in enumerate(measured, start=1):
                room = MeasuredRoom(str(path), config.formats[0])
                rooms[r] = (room, room.load(cache_root, bank.sample_rate, 0.0).positions)
            plan = plan_dataset(bank, config, seed, measured=rooms)
        else:
            plan = plan_dataset(bank, config, seed)
        writer = DatasetWriter(out, output_names(config), config.audio)
        writer.write_manifest({
            "generation": {"config": config.to_dict(), "seed": int(seed), "bank": _bank_fingerprint(bank),
                           "replay": None if replay is None else Path(replay).name,
                           "measured": [Path(m).name for m in measured or []]},
            "layout": {"audio": {f: f"{f}/<name>.{config.audio}" for f in output_names(config)},
                       "labels": "metadata/<name>.csv (dcase2024: frame,class,source,azi,ele,dist_cm)",
                       "plans": "plans/<name>.json (the plan's room is rooms/room<room>.json)",
                       "rooms": "rooms/room<N>.json: geometry, materials, the aimed and the measured T30 per octave "
                                "band, EDT and direct-to-reverberant ratio",
                       "classes": list(bank.classes.names),
                       "sample_rate": bank.sample_rate},
            "versions": package_versions(),
        }, current=_current_generation)
        k, n = shard
        mine = [s for i, s in enumerate(plan.scenes) if i % n == k - 1]
        todo = [s for s in mine if not writer.is_done(s.name)]
        room_json = {r: json.dumps(room.to_dict(), sort_keys=True) for r, room in plan.rooms.items()}
        pos_json = {r: json.dumps(p.to_dict(), sort_keys=True) for r, p in plan.positions.items()}
        needed = sorted({s.room for s in todo})
        for r in needed:                           # measured rooms: converted once, here (their ambience too)
            if isinstance(plan.rooms[r], MeasuredRoom):
                plan.rooms[r].load(cache_root, bank.sample_rate, _ambience_seconds(config))
        cache = SrirCache(cache_root)
        room_tasks, parts = _room_tasks(plan, [r for r in needed if isinstance(plan.rooms[r], Room)], cache,
                                        config, bank.sample_rate, workers)
        # the workers start now, as copies of this process with all it has imported and planned
        pool = stack.enter_context(worker_pool(workers)) if workers > 1 else None
        tasks = TaskQueue(pool, progress,
                          {"rooms": len(room_tasks), "scenes": len(todo)})
        for task in room_tasks:                  # rooms first; each room's scenes follow once it is stored
            tasks.submit("rooms", _room_part, task)
        config_json = json.dumps(config.to_dict())
        scene_tasks = {r: [] for r in needed}
        for s in todo:
            scene_tasks[s.room].append((str(bank.root), str(out), cache_root, room_json[s.room], pos_json[s.room],
                                        config_json, s.to_dict()))

        def room_ready(r: int) -> None:
            write_room_record(Path(out), r, plan, cache_root, config, bank.sample_rate)
            for task in scene_tasks[r]:
                tasks.submit("scenes", _scene_task, task)

        for r in needed:
            if r not in parts:
                room_ready(r)
        for phase, result in tasks:
            if phase == "rooms":
                r = _room_part_done(result, parts, plan, cache, config, bank.sample_rate)
                if r is not None:
                    room_ready(r)
        built = len({t[1] for t in room_tasks})
    return {"scenes": len(plan.scenes), "in_shard": len(mine), "skipped": len(mine) - len(todo),
            "rendered": len(todo), "rooms_built": built, "seconds": time.perf_counter() - start, "out": str(out)}

