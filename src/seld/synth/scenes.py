"""Scene plans: which clips play when, where, and how loud (pure data, drawn from a seeded generator).

A :class:`ScenePlan` is everything needed to render one scene: its events (clip pieces, onset, gain, the room
position in each 100 ms frame), its room and its noise. Plans are drawn by :func:`sample_scene` in the DCASE /
PSELDNets way: ``ov`` layers, in each of which events follow one another separated by random gaps, so that at
most ``ov`` events overlap. Each event's class is drawn uniformly (``class_balance="events"``, as the DCASE
generators do), or with odds inverse to the class's mean event length (``"time"``), so that classes of short
sounds (knocks, doors) are active about as long as music rather than a tenth of it. An event's clip may be
played faster or slower (``pitch_shift``), which multiplies the variants of a class with few recordings. Plans
are JSON-able; the writer stores each one next to the audio it produced.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction

import numpy as np

from seld.errors import ConfigError
from seld.geometry import angular_distance
from seld.synth.bank import Bank
from seld.synth.trajectories import PositionSet, sample_motion

__all__ = ["SceneRanges", "EventPlan", "ScenePlan", "sample_scene", "class_pool", "class_odds", "FRAME",
           "CLASS_BALANCE", "playback_rate"]

log = logging.getLogger(__name__)

#: label frame length (seconds)
FRAME = 0.1
#: how an event's class is drawn (see :class:`SceneRanges`)
CLASS_BALANCE = ("events", "time")
#: largest pitch shift of an event (semitones: a playback rate from 0.71 to 1.41)
MAX_PITCH_SHIFT = 6.0
#: a playback rate is a ratio of whole numbers up to this, so that resampling by it is exact (within 0.5 % of
#: the drawn pitch)
RATE_DENOMINATOR = 100


@dataclass(frozen=True)
class SceneRanges:
    """How scenes are drawn.

    Attributes:
        duration: scene length (seconds).
        gap: (min, max) silence between consecutive events of a layer (seconds); each layer also starts
            after a gap drawn from (0, max).
        max_event: clips longer than this are cut to a random piece of this length (seconds).
        min_event: an event with less room than this before the end of the scene is dropped (seconds).
        level_db: (min, max) event gain (dB) applied to the level-normalised bank clips.
        class_level_db: per-class (min, max) gains overriding ``level_db``, keyed by class name.
        moving_prob: probability that an event at least ``min_moving`` seconds long moves.
        min_moving: shorter events are static (seconds).
        speed: (min, max) speed of moving sources (m/s).
        snr_db: (min, max) ratio of event power to the room's diffuse ambient noise power on the omni
            channel, or ``None`` for no noise.
        activity_db: frames where a clip is this far below its loudest frame are not labelled.
        min_separation: a static source is placed at least this many degrees away from the sources that
            overlap it in time (when the room's positions allow it).
        classes: class names to use (``()``: every class of the bank that has clips).
        class_balance: ``"events"``: every class equally often; ``"time"``: every class equally long (odds
            inverse to the mean length of its clips, cut to ``max_event``).
        pitch_shift: each event's clip is played faster or slower by up to this many semitones (drawn uniformly;
            pitch and length change together, as with a smaller bell or a lighter door), so that a class with few
            recordings is heard in more variants; 0 plays clips as recorded.
        class_pitch_shift: per-class values overriding ``pitch_shift``, keyed by class name (e.g. 0 for speech,
            whose pitch tells the speaker's gender).
    """

    duration: float = 60.0
    gap: tuple[float, float] = (0.5, 5.0)
    max_event: float = 10.0
    min_event: float = 1.0
    level_db: tuple[float, float] = (-10.0, 0.0)
    class_level_db: dict = field(default_factory=dict)
    moving_prob: float = 0.5
    min_moving: float = 2.0
    speed: tuple[float, float] = (0.3, 1.5)
    snr_db: tuple[float, float] | None = (6.0, 30.0)
    activity_db: float = 40.0
    min_separation: float = 10.0
    classes: tuple[str, ...] = ()
    class_balance: str = "events"
    pitch_shift: float = 0.0
    class_pitch_shift: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.duration <= 0 or self.min_event <= 0 or self.max_event < self.min_event:
            raise ConfigError(f"need duration > 0 and 0 < min_event <= max_event, got {self.duration}, "
                              f"{self.min_event}, {self.max_event}")
        if self.gap[0] < 0 or self.gap[1] < self.gap[0]:
            raise ConfigError(f"gap range must satisfy 0 <= min <= max, got {self.gap}")
        if self.class_balance not in CLASS_BALANCE:
            raise ConfigError(f"class_balance must be one of {', '.join(CLASS_BALANCE)}, got {self.class_balance!r}")
        for name, semitones in [("", self.pitch_shift), *self.class_pitch_shift.items()]:
            if not 0.0 <= semitones <= MAX_PITCH_SHIFT:
                which = f" of class {name}" if name else ""
                raise ConfigError(f"the pitch shift{which} (--pitch) must be 0 to {MAX_PITCH_SHIFT:g} semitones, "
                                  f"got {semitones:g}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "SceneRanges":
        d = dict(d)
        for k in ("gap", "level_db", "speed", "snr_db", "classes"):
            if d.get(k) is not None:
                d[k] = tuple(d[k])
        d["class_level_db"] = {k: tuple(v) for k, v in d.get("class_level_db", {}).items()}
        return cls(**d)

    def semitones(self, name: str) -> float:
        """The largest pitch shift of class ``name`` (semitones)."""
        return float(self.class_pitch_shift.get(name, self.pitch_shift))


@dataclass
class EventPlan:
    """One sound event of a scene.

    Attributes:
        cls: class index.
        track: source id written in the labels (unique within the scene).
        onset: first scene sample of the event.
        pieces: (clip id, first sample in the clip, number of samples), played back to back.
        gain_db: gain applied to the clip pieces.
        first_frame: scene frame of the first entry of ``positions``.
        positions: position index (in the room's position set) in each frame from ``first_frame`` on.
        label_all: label every frame the event spans (replayed labels) instead of only its active frames.
        rate: playback rate of the pieces (above 1: faster and higher); the event lasts their length / rate.
    """

    cls: int
    track: int
    onset: int
    pieces: list[tuple[str, int, int]]
    gain_db: float
    first_frame: int
    positions: list[int]
    label_all: bool = False
    rate: float = 1.0

    @property
    def length(self) -> int:
        """Samples the event lasts in the scene."""
        n = int(sum(p[2] for p in self.pieces))
        return n if self.rate == 1.0 else int(n / self.rate)

    @property
    def moving(self) -> bool:
        return len(set(self.positions)) > 1


@dataclass
class ScenePlan:
    """A whole scene: events, where it is written, its room, and the SNR and start (as a fraction of its
    length) of the excerpt of the room's ambient noise it uses."""

    name: str
    fold: int
    room: int
    ov: int
    n_samples: int
    fs: int
    events: list[EventPlan]
    snr_db: float | None
    noise_offset: float

    def to_dict(self) -> dict:
        """Plain fields (JSON-ready), built without ``asdict``, whose recursive copy of every position list
        cost 3.5 ms per scene (3 % of rendering a quick scene, twice per scene)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["events"] = [{**{f.name: getattr(e, f.name) for f in fields(e)}, "pieces": [list(p) for p in e.pieces],
                        "positions": list(e.positions)} for e in self.events]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ScenePlan":
        d = dict(d)
        d["events"] = [EventPlan(**{**e, "pieces": [tuple(p) for p in e["pieces"]]}) for e in d["events"]]
        return cls(**d)


def class_pool(bank: Bank, ranges: SceneRanges, split: str) -> dict[int, list[int]]:
    """Clip indices per usable class of ``split``; an explicitly requested class without clips, or a per-class
    setting for a class the bank does not have, is an error."""
    for setting in ("class_level_db", "class_pitch_shift"):
        unknown = sorted(set(getattr(ranges, setting)) - set(bank.classes))
        if unknown:
            raise ConfigError(f"{setting} names class(es) {', '.join(unknown)}, which the bank {bank.root} does not "
                              f"have; its classes: {', '.join(bank.classes)}")
    pool = bank.by_class(split)
    if ranges.classes:
        wanted = [bank.classes.index(name) for name in ranges.classes]
        missing = [bank.classes[c] for c in wanted if c not in pool]
        if missing:
            raise ConfigError(f"the bank {bank.root} has no {split} clips for class(es) {', '.join(missing)}; "
                              "add clips for them or leave them out of the class selection")
        pool = {c: pool[c] for c in wanted}
    if not pool:
        raise ConfigError(f"the bank {bank.root} has no {split} clips; rebuild it with more files or a "
                          "different test fraction")
    if not ranges.classes and len(pool) < len(bank.classes):
        log.warning("the %s scenes will have no %s: the bank %s has no %s clips of them", split,
                    ", ".join(bank.classes[c] for c in range(len(bank.classes)) if c not in pool), bank.root, split)
    return pool


def playback_rate(semitones: float) -> float:
    """The playback rate that shifts a clip's pitch by ``semitones``, as the ratio of whole numbers up to
    :data:`RATE_DENOMINATOR` closest to it."""
    ratio = Fraction(2.0 ** (-semitones / 12)).limit_denominator(RATE_DENOMINATOR)   # output / input samples
    return ratio.denominator / ratio.numerator


def class_odds(bank: Bank, pool: dict[int, list[int]], ranges: SceneRanges) -> np.ndarray | None:
    """Probability of each class of ``pool`` (in sorted order) for one event; ``None``: uniform."""
    if ranges.class_balance == "events":
        return None
    mean_len = np.array([np.mean([min(bank.clips[i].duration, ranges.max_event) for i in pool[c]])
                         for c in sorted(pool)])
    return (1.0 / mean_len) / (1.0 / mean_len).sum()


def sample_scene(rng: np.random.Generator, bank: Bank, pool: dict[int, list[int]], positions: PositionSet,
                 ranges: SceneRanges, *, name: str, fold: int, room: int, ov: int) -> ScenePlan:
    """Draw a scene with up to ``ov`` overlapping events from the clips in ``pool`` (see the module doc)."""
    fs = bank.sample_rate
    hop = int(round(FRAME * fs))
    n = int(round(ranges.duration * fs))
    classes = sorted(pool)
    odds = class_odds(bank, pool, ranges)
    drafts = []
    for _layer in range(ov):
        t = rng.uniform(0.0, ranges.gap[1])
        while ranges.duration - t >= ranges.min_event:
            cls = classes[int(rng.integers(len(classes)) if odds is None else rng.choice(len(classes), p=odds))]
            clip = pool[cls][int(rng.integers(len(pool[cls])))]
            info = bank.clips[clip]
            clip_len = int(round(info.duration * fs))
            semitones = ranges.semitones(bank.classes[cls])
            rate = playback_rate(rng.uniform(-semitones, semitones)) if semitones else 1.0
            take = min(clip_len, int(min(ranges.max_event * fs, n - int(round(t * fs))) * rate))
            start = int(rng.integers(clip_len - take + 1)) if clip_len > take else 0
            lo, hi = ranges.class_level_db.get(bank.classes[cls], ranges.level_db)
            drafts.append((int(round(t * fs)), cls, info.id, start, take, float(rng.uniform(lo, hi)), rate))
            t += int(take / rate) / fs + rng.uniform(*ranges.gap)
    drafts.sort(key=lambda d: (d[0], d[1]))
    events: list[EventPlan] = []
    dirs = positions.dirs
    for track, (onset, cls, cid, start, take, gain, rate) in enumerate(drafts):
        length = int(take / rate)
        first, last = onset // hop, (onset + length - 1) // hop
        centres = ((np.arange(first, last + 1) + 0.5) * hop - onset) / fs
        moving = (positions.paths and length >= ranges.min_moving * fs and rng.uniform() < ranges.moving_prob)
        if moving:
            pos = sample_motion(rng, positions, np.clip(centres, 0.0, None), ranges.speed).tolist()
        else:
            busy = {p for e in events for j, p in enumerate(e.positions) if first <= e.first_frame + j <= last}
            for _attempt in range(30):
                p = int(rng.integers(len(positions)))
                if not busy or angular_distance(dirs[p], dirs[sorted(busy)]).min() >= ranges.min_separation:
                    break
            pos = [p] * (last - first + 1)
        events.append(EventPlan(cls, track, onset, [(cid, start, take)], round(gain, 3), first, pos, rate=rate))
    snr = None if ranges.snr_db is None else round(float(rng.uniform(*ranges.snr_db)), 2)
    return ScenePlan(name, fold, room, ov, n, fs, events, snr, round(float(rng.uniform()), 6))
