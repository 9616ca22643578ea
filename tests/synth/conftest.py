"""Fixtures of the synthesiser tests: a tiny bank of generated clips and tiny rooms and scenes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.synth.bank import BankSettings, build_bank, sources_from_dir
from seld.synth.presets import SynthConfig
from seld.synth.rooms import RoomRanges
from seld.synth.scenes import SceneRanges
from seld.synth.trajectories import PositionRanges

CLASSES = ("female_speech", "clapping", "bell")


def write_clips(root: Path, classes=CLASSES, per_class: int = 2, fs: int = 16000, seconds: float = 0.8,
                seed: int = 0) -> Path:
    """Noise bursts and tones, one sub-folder per class, at ``fs`` (so that the bank has to resample)."""
    rng = np.random.default_rng(seed)
    for c, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            t = np.arange(int(seconds * fs)) / fs
            x = 0.2 * np.sin(2 * np.pi * (220.0 * (c + 1) + 50 * k) * t) + 0.05 * rng.standard_normal(len(t))
            pad = np.zeros(int(0.1 * fs))
            sf.write(folder / f"take{k}.wav", np.concatenate([pad, x, pad]), fs)
    return root


@pytest.fixture(scope="session")
def tiny_bank(tmp_path_factory) -> Path:
    """A 3-class bank (2 recordings per class, one of them in the test split) at 24 kHz."""
    root = tmp_path_factory.mktemp("bank")
    write_clips(root / "src")
    class_list, sources = sources_from_dir(root / "src", "starss23")
    build_bank(sources, class_list, root / "bank", BankSettings(test_fraction=0.5), base=root / "src")
    return root / "bank"


@pytest.fixture
def clips():
    """The clip writer: ``clips(root, classes=..., per_class=..., fs=..., seconds=...)``."""
    return write_clips


def make_tiny_config(**overrides) -> SynthConfig:
    """Two-second scenes in two tiny rooms with a handful of positions: fast enough for unit tests."""
    base = SynthConfig(
        preset="test", n_scenes=4, ov=(1, 2), formats=("foa", "mic"), n_rooms=2, ambience=4.0,
        rooms=RoomRanges(size_min=(3.5, 3.0, 2.5), size_max=(4.0, 3.5, 2.7), rt60=(0.15, 0.2), max_order=3,
                         max_ir_len=0.12),
        positions=PositionRanges(n_static=4, n_paths=1, dist=(1.0, 1.4), ele=(-20.0, 30.0), step_deg=10.0,
                                 arc_deg=(40.0, 60.0), line_fraction=0.0),
        scenes=SceneRanges(duration=2.0, gap=(0.1, 0.4), max_event=1.0, min_event=0.3, snr_db=(20.0, 20.0),
                           moving_prob=0.5, min_moving=0.5))
    from dataclasses import replace

    return replace(base, **overrides)


@pytest.fixture
def tiny_config():
    """The tiny-configuration maker: ``tiny_config(**overrides)``."""
    return make_tiny_config
