"""Spatial scene synthesis: sound banks, simulated or measured rooms, FOA / MIC / array rendering, datasets.

The flow is bank (:mod:`~seld.synth.bank`, :mod:`~seld.synth.offline`) -> rooms and their positions
(:mod:`~seld.synth.rooms` with :mod:`~seld.synth.materials` and the decay model :mod:`~seld.synth.decay`,
:mod:`~seld.synth.trajectories`) -> cached room responses in every format: image sources, then a diffuse late
tail (:mod:`~seld.synth.srir`, :mod:`~seld.synth.arrays`, :mod:`~seld.synth.tail`, :mod:`~seld.synth.measured`),
measured as :mod:`~seld.synth.acoustics` does -> scene plans
(:mod:`~seld.synth.scenes`, :mod:`~seld.synth.replay`) -> audio and labels (:mod:`~seld.synth.render`) ->
a DCASE-style dataset on disk (:mod:`~seld.synth.writer`), driven by :func:`synthesize`. Knows nothing of
models and never imports torch.
"""

from seld.synth.arrays import FORMAT_NAMES, SpatialFormat, get_format
from seld.synth.bank import Bank, BankSettings, build_bank, sources_from_csv, sources_from_dir
from seld.synth.dataset import DatasetPlan, parse_shard, plan_dataset, synthesize
from seld.synth.measured import MeasuredRoom
from seld.synth.offline import build_offline_bank
from seld.synth.presets import PRESETS, SynthConfig, get_preset
from seld.synth.render import render_scene
from seld.synth.rooms import Room, RoomRanges, image_sources, sample_room
from seld.synth.scenes import EventPlan, SceneRanges, ScenePlan, sample_scene
from seld.synth.srir import ResponseSet, SrirCache, simulate_responses
from seld.synth.trajectories import PositionRanges, PositionSet, make_positions

__all__ = [
    "Bank", "BankSettings", "build_bank", "build_offline_bank", "sources_from_dir", "sources_from_csv",
    "Room", "RoomRanges", "sample_room", "image_sources", "PositionRanges", "PositionSet", "make_positions",
    "SpatialFormat", "get_format", "FORMAT_NAMES", "ResponseSet", "SrirCache", "simulate_responses",
    "MeasuredRoom", "SceneRanges", "ScenePlan", "EventPlan", "sample_scene", "render_scene",
    "SynthConfig", "PRESETS", "get_preset", "DatasetPlan", "plan_dataset", "synthesize", "parse_shard",
]
