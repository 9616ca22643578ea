"""Synthesis configurations: the :class:`SynthConfig` of a dataset and the named presets.

- ``quick``: a tiny set (12 scenes of 20 s, ov1-3, 2 small rooms, FOA + MIC) made in well under a minute;
  for trying the pipeline.
- ``starss``: STARSS23-like one-minute scenes (ov1-3, moving and static sources, ambient noise at 6-30 dB SNR,
  rooms with RT60 0.2-1.0 s), FOA + MIC, 400 scenes in 8 rooms (50 per room, so that each room's responses
  are well reused), with a test fold in separate rooms.
- ``seldnet``: the SELDnet simulated sets (ANSIM/RESIM/CRESIM style): 30 s scenes, ov1-3, static sources on a 10 degree grid, FOA and an
  8-microphone circular array, noise at 30 dB SNR.
- ``default``: the training set of the built-in default model (``seld infer --model default``): one-minute
  STARSS23-like FOA scenes (ov1-3, 40 % of long events moving, ambient noise at 6-30 dB SNR) in 80 rooms of many
  sizes (3 x 3 x 2.5 m to 15 x 12 x 6 m, RT60 0.15-1.2 s), 720 scenes (12 h) with a test fold (10 %) in rooms,
  and with bank clips, of its own.
- ``pseld``: the PSELDNets recipe (SELD-Data-Generator settings): one-minute scenes, ov1-3, static sources,
  rooms 4-20 x 4-20 x 3-10 m with RT60 0.2-2 s, array at 40-60 % of the room, sources >= 0.5 m from the walls
  and > 1 m from the array, gaps of 0.1-9.9 s, no added noise, FLAC.

RT60 ranges are reverberation times the rooms aim at (T30 averaged over the 500 Hz and 1 kHz bands): every
room's walls are drawn from pyroomacoustics' material database and their absorption scaled until the room's
decay model (:mod:`seld.synth.decay`) gives the drawn value; air absorption, scattering, image sources for
the first 100 ms and a diffuse tail after them (:mod:`seld.synth.tail`) make its responses. What the responses
measure is written to ``rooms/room<N>.json`` in the dataset.

The sample rate is the bank's (24 kHz for banks built with the defaults).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from seld.errors import ConfigError
from seld.synth.rooms import RoomRanges
from seld.synth.scenes import SceneRanges
from seld.synth.trajectories import PositionRanges

__all__ = ["SynthConfig", "PRESETS", "get_preset"]


@dataclass(frozen=True)
class SynthConfig:
    """Everything that defines a synthetic dataset besides the bank and the seed.

    Attributes:
        preset: name of the preset it came from (for the record).
        n_scenes: number of scenes (all folds).
        ov: maximum polyphonies, used in turn (scene i has ``ov[i % len(ov)]``).
        formats: spatial formats written (see :mod:`seld.synth.arrays`).
        n_rooms: simulated rooms; scenes share them (their responses are computed once).
        test_fraction: share of scenes, and of rooms, in the test fold (fold 2, test clips of the bank).
        audio: ``wav`` or ``flac``.
        exact_until: seconds of each response rendered with exact fractional delays.
        peak: peak level of every scene (all formats scaled by one factor).
        ambience: seconds of diffuse ambient noise made per room (scenes play excerpts of it).
    """

    preset: str = "custom"
    n_scenes: int = 8
    ov: tuple[int, ...] = (1, 2)
    formats: tuple[str, ...] = ("foa", "mic")
    n_rooms: int = 2
    test_fraction: float = 0.0
    audio: str = "wav"
    rooms: RoomRanges = field(default_factory=RoomRanges)
    positions: PositionRanges = field(default_factory=PositionRanges)
    scenes: SceneRanges = field(default_factory=SceneRanges)
    exact_until: float | None = 0.1
    peak: float = 0.5
    ambience: float = 60.0

    def __post_init__(self):
        if self.n_scenes < 1 or self.n_rooms < 1:
            raise ConfigError(f"need at least one scene and one room, got {self.n_scenes} and {self.n_rooms}")
        if not self.ov or any(o not in (1, 2, 3, 4, 5) for o in self.ov):
            raise ConfigError(f"polyphony (--ov) must be a list of values in 1..5, got {self.ov}")
        if self.audio not in ("wav", "flac"):
            raise ConfigError(f"audio type must be wav or flac, got {self.audio!r}")
        if not self.formats:
            raise ConfigError("no output format; use e.g. --formats foa,mic")
        if not 0 <= self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in [0, 1), got {self.test_fraction}")
        if self.test_fraction > 0 and self.n_rooms < 2:
            raise ConfigError("a test fold needs rooms of its own; use at least 2 rooms or test_fraction 0")

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(ov=list(self.ov), formats=list(self.formats), rooms=self.rooms.to_dict(),
                 positions=self.positions.to_dict(), scenes=self.scenes.to_dict())
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SynthConfig":
        d = dict(d)
        d.update(ov=tuple(d["ov"]), formats=tuple(d["formats"]), rooms=RoomRanges.from_dict(d["rooms"]),
                 positions=PositionRanges.from_dict(d["positions"]), scenes=SceneRanges.from_dict(d["scenes"]))
        return cls(**d)


def _quick() -> SynthConfig:
    return SynthConfig(
        preset="quick", n_scenes=12, ov=(1, 2, 3), formats=("foa", "mic"), n_rooms=2, ambience=20.0,
        rooms=RoomRanges(size_min=(4.0, 3.5, 2.6), size_max=(6.0, 5.0, 3.0), rt60=(0.2, 0.35), max_order=12,
                         max_ir_len=0.35),
        positions=PositionRanges(n_static=12, n_paths=2, dist=(1.0, 2.0), ele=(-30.0, 40.0), step_deg=6.0,
                                 arc_deg=(45.0, 120.0)),
        scenes=SceneRanges(duration=20.0, gap=(0.3, 2.0), max_event=5.0, min_event=0.5, snr_db=(15.0, 30.0)))


def _starss() -> SynthConfig:
    return SynthConfig(
        preset="starss", n_scenes=400, ov=(1, 2, 3), formats=("foa", "mic"), n_rooms=8, test_fraction=0.25,
        rooms=RoomRanges(size_min=(4.0, 4.0, 2.5), size_max=(12.0, 10.0, 4.5), rt60=(0.2, 1.0), max_order=40,
                         max_ir_len=0.8),
        positions=PositionRanges(n_static=64, n_paths=10, dist=(1.0, 5.0), ele=(-45.0, 60.0), step_deg=3.0),
        scenes=SceneRanges(duration=60.0, gap=(0.5, 6.0), max_event=20.0, min_event=1.0, moving_prob=0.4,
                           speed=(0.2, 1.2), snr_db=(6.0, 30.0)))


def _seldnet() -> SynthConfig:
    return SynthConfig(
        preset="seldnet", n_scenes=300, ov=(1, 2, 3), formats=("foa", "circular8"), n_rooms=6, test_fraction=1 / 3,
        rooms=RoomRanges(size_min=(5.0, 5.0, 3.0), size_max=(10.0, 8.0, 4.0), rt60=(0.2, 0.6), max_order=30,
                         max_ir_len=0.6),
        positions=PositionRanges(n_static=72, n_paths=8, dist=(1.0, 4.0), ele=(-60.0, 60.0), step_deg=2.0,
                                 layout="grid"),
        scenes=SceneRanges(duration=30.0, gap=(0.5, 3.0), max_event=6.0, min_event=0.5, moving_prob=0.5,
                           speed=(0.2, 1.0), snr_db=(30.0, 30.0)))


def _default() -> SynthConfig:
    return SynthConfig(
        preset="default", n_scenes=720, ov=(1, 2, 3), formats=("foa",), n_rooms=80, test_fraction=0.1,
        rooms=RoomRanges(size_min=(3.0, 3.0, 2.5), size_max=(15.0, 12.0, 6.0), rt60=(0.15, 1.2), max_order=40,
                         max_ir_len=0.9),
        positions=PositionRanges(n_static=64, n_paths=10, dist=(0.8, 5.0), ele=(-50.0, 70.0), step_deg=3.0),
        scenes=SceneRanges(duration=60.0, gap=(0.3, 5.0), max_event=12.0, min_event=0.8, moving_prob=0.4,
                           speed=(0.2, 1.5), snr_db=(6.0, 30.0)))


def _pseld() -> SynthConfig:
    return SynthConfig(
        preset="pseld", n_scenes=1000, ov=(1, 2, 3), formats=("foa", "mic"), n_rooms=50, test_fraction=0.05,
        audio="flac",
        rooms=RoomRanges(size_min=(4.0, 4.0, 3.0), size_max=(20.0, 20.0, 10.0), rt60=(0.2, 2.0),
                         temperature=(15.0, 35.0), max_order=50, max_ir_len=1.5),
        positions=PositionRanges(n_static=200, n_paths=0, dist=(1.0, 8.0), ele=(-60.0, 75.0), wall_margin=0.5),
        scenes=SceneRanges(duration=60.0, gap=(0.1, 9.9), max_event=10.0, min_event=0.3, moving_prob=0.0,
                           snr_db=None))


PRESETS = {"quick": _quick, "starss": _starss, "seldnet": _seldnet, "default": _default, "pseld": _pseld}


def get_preset(name: str, **overrides) -> SynthConfig:
    """The named preset with top-level fields replaced by ``overrides`` (``None`` values are ignored)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return replace(PRESETS[name](), **{k: v for k, v in overrides.items() if v is not None})
