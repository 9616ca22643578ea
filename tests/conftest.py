"""Shared test fixtures: paths to the real label files in tests/assets (STARSS22, DCASE2019), and tiny datasets
rendered by the real synthesiser from a bank of tone clips."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

# Under pytest-xdist every worker is a process of its own: one math thread each avoids oversubscribing the cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

ASSETS = Path(os.environ.get("SELD_TEST_ASSETS", Path(__file__).resolve().parent / "assets"))


@pytest.fixture(scope="session")
def starss22_dir() -> Path:
    d = ASSETS / "starss22_metadata_dev"
    if not d.is_dir():
        pytest.skip(f"real STARSS22 labels not found at {d} (set SELD_TEST_ASSETS)")
    return d


@pytest.fixture(scope="session")
def dcase2019_dir() -> Path:
    d = ASSETS / "tau_sse2019_metadata_sample"
    if not d.is_dir():
        pytest.skip(f"real DCASE2019 labels not found at {d} (set SELD_TEST_ASSETS)")
    return d


#: the classes of the tone bank (one pitch each)
TONE_CLASSES = ("female_speech", "telephone", "bell")


def make_tone_dataset(root: Path, n_scenes: int = 6, seconds: float = 4.0, seed: int = 3, classes: str = "auto",
                      test_fraction: float = 1 / 3, formats: tuple[str, ...] = ("foa", "mic")) -> Path:
    """``n_scenes`` scenes of ``seconds`` (``test_fraction`` of them in the test fold, in other rooms) from a bank of
    tone clips, through small simulated rooms; ``classes``: ``auto`` (the three tone classes) or a class list name
    the tones are mapped into (``starss23``)."""
    from seld.synth import synthesize
    from seld.synth.bank import BankSettings, build_bank, sources_from_dir
    from seld.synth.presets import SynthConfig
    from seld.synth.rooms import RoomRanges
    from seld.synth.scenes import SceneRanges
    from seld.synth.trajectories import PositionRanges

    rng = np.random.default_rng(0)
    for c, name in enumerate(TONE_CLASSES):
        (root / "clips" / name).mkdir(parents=True)
        for k in range(2):
            t = np.arange(int(0.8 * 24000)) / 24000
            tone = 0.3 * np.sin(2 * np.pi * 300 * (c + 1) * (1 + 0.1 * k) * t) + 0.02 * rng.standard_normal(t.size)
            sf.write(root / "clips" / name / f"take{k}.wav", tone, 24000)
    class_list, sources = sources_from_dir(root / "clips", classes)
    build_bank(sources, class_list, root / "bank", BankSettings(test_fraction=0.5), base=root / "clips")
    config = SynthConfig(
        preset="test", n_scenes=n_scenes, ov=(1, 2), formats=formats, n_rooms=2, ambience=seconds,
        test_fraction=test_fraction,
        rooms=RoomRanges(size_min=(4.0, 3.5, 2.6), size_max=(4.5, 4.0, 2.8), rt60=(0.2, 0.25), max_order=4,
                         max_ir_len=0.15),
        positions=PositionRanges(n_static=6, n_paths=0, dist=(1.0, 1.5), ele=(-20.0, 30.0)),
        scenes=SceneRanges(duration=seconds, gap=(0.1, 0.3), max_event=1.0, min_event=0.4, snr_db=(25.0, 25.0),
                           moving_prob=0.0))
    synthesize(root / "bank", root / "data", config, seed=seed)
    return root / "data"


@pytest.fixture(scope="session")
def tone_dataset_factory():
    """``make_tone_dataset`` (see there), for tests that need a dataset of their own."""
    return make_tone_dataset


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """Six 4-second FOA + MIC tone scenes, two of them in the test fold; the three tone classes."""
    return make_tone_dataset(tmp_path_factory.mktemp("tiny"))
