"""A tiny synthetic dataset made by the real synthesiser (tone clips of 3 classes, 2 rooms, fold 1 to train,
fold 2 to test), shared by the training tests, and a helper to compose run configs on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.synth import synthesize
from seld.synth.bank import BankSettings, build_bank, sources_from_dir
from seld.synth.presets import SynthConfig
from seld.synth.rooms import RoomRanges
from seld.synth.scenes import SceneRanges
from seld.synth.trajectories import PositionRanges

CLASSES = ("female_speech", "telephone", "bell")


def make_tiny_dataset(root: Path, n_scenes: int = 6, seconds: float = 4.0, seed: int = 3) -> Path:
    """``n_scenes`` FOA + MIC scenes of ``seconds`` (a third in the test fold) from a bank of tones."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        (root / "clips" / name).mkdir(parents=True)
        for k in range(2):
            t = np.arange(int(0.8 * 24000)) / 24000
            tone = 0.3 * np.sin(2 * np.pi * 300 * (c + 1) * (1 + 0.1 * k) * t) + 0.02 * rng.standard_normal(t.size)
            sf.write(root / "clips" / name / f"take{k}.wav", tone, 24000)
    class_list, sources = sources_from_dir(root / "clips", "auto")   # the three classes, so macro scores mean something
    build_bank(sources, class_list, root / "bank", BankSettings(test_fraction=0.5), base=root / "clips")
    config = SynthConfig(
        preset="test", n_scenes=n_scenes, ov=(1, 2), formats=("foa", "mic"), n_rooms=2, ambience=seconds,
        test_fraction=1 / 3,
        rooms=RoomRanges(size_min=(4.0, 3.5, 2.6), size_max=(4.5, 4.0, 2.8), rt60=(0.2, 0.25), max_order=4,
                         max_ir_len=0.15),
        positions=PositionRanges(n_static=6, n_paths=0, dist=(1.0, 1.5), ele=(-20.0, 30.0)),
        scenes=SceneRanges(duration=seconds, gap=(0.1, 0.3), max_event=1.0, min_event=0.4, snr_db=(25.0, 25.0),
                           moving_prob=0.0))
    synthesize(root / "bank", root / "data", config, seed=seed)
    return root / "data"


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("tiny"))


#: overrides that make any experiment a tiny CPU run on the tiny dataset
TINY = ["trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.max_epochs=1",
        "data.num_workers=0", "data.batch_size=2", "trainer.log_every_n_steps=1", "data.chunk_seconds=2.0", "data.train=train",
        "data.valid=test", "data.corpus=synth", "data.options={}"]


@pytest.fixture
def tiny_config(tiny_dataset, tmp_path):
    """``tiny_config(*overrides)``: a composed run config on the tiny dataset, in a fresh out_dir."""
    from seld.train import compose

    def make(*overrides: str, out: str = "run"):
        return compose([*TINY, f"data.root={tiny_dataset}", f"out_dir={tmp_path / out}", *overrides])

    return make
