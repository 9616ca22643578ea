"""The test the issue asks for: a tiny model trained here (``seld.train`` on a tiny ov1 tone dataset rendered by
the real synthesiser) run by ``seld.infer`` on a recording of an unseen room finds its loud isolated events at
the right time and within 20 degrees. Inference uses the ACS test-time augmentation.

Training: the test CRNN, ACCDOA, 120 epochs of 2 s chunks (about 70 s of one CPU core), with rotations of all 48
kinds half of the time. Measured (2026-12-03): every event detected in all its frames, no detection outside
them, median errors 4-17 degrees (the worst: the event at 26 degrees elevation). With 16 rotations (z kept) the
network hardly learned elevation: that event stayed 27 degrees off at 80 and 120 epochs, its elevation ~0
under the TTA, which averages each elevation with its mirror image.

The criteria per reference event are those of :func:`event_checks.check_events`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from event_checks import check_events

from seld.formats import read_labels

TONES = ("bell", "female_speech", "telephone")
#: detection threshold with the ACS test-time augmentation (averaging 16 rotations lowers the vector norms)
THRESHOLD = 0.3


def make_ov1_dataset(root: Path, seed: int = 3) -> Path:
    """12 six-second FOA scenes of loud, isolated tone events (3 classes) in 2 small rooms; the 2 scenes of room 2
    are the test fold. A bank of two takes per class (one for training scenes, one for test scenes)."""
    from seld.synth import synthesize
    from seld.synth.bank import BankSettings, build_bank, sources_from_dir
    from seld.synth.presets import SynthConfig
    from seld.synth.rooms import RoomRanges
    from seld.synth.scenes import SceneRanges
    from seld.synth.trajectories import PositionRanges

    rng = np.random.default_rng(0)
    for c, name in enumerate(TONES):
        (root / "clips" / name).mkdir(parents=True)
        for k in range(2):
            t = np.arange(24000) / 24000
            clip = 0.3 * np.sin(2 * np.pi * 300 * (c + 1) * (1 + 0.02 * k) * t) + 0.02 * rng.standard_normal(t.size)
            sf.write(root / "clips" / name / f"take{k}.wav", clip, 24000)
    class_list, sources = sources_from_dir(root / "clips", "auto")
    build_bank(sources, class_list, root / "bank", BankSettings(test_fraction=0.5), base=root / "clips")
    config = SynthConfig(
        preset="test", n_scenes=12, ov=(1,), formats=("foa",), n_rooms=2, ambience=6.0, test_fraction=1 / 6,
        rooms=RoomRanges(size_min=(4.0, 3.5, 2.6), size_max=(4.5, 4.0, 2.8), rt60=(0.2, 0.25), max_order=4,
                         max_ir_len=0.15),
        positions=PositionRanges(n_static=40, n_paths=0, dist=(1.0, 1.5), ele=(-20.0, 30.0)),
        scenes=SceneRanges(duration=6.0, gap=(0.2, 0.5), max_event=1.0, min_event=0.5, snr_db=(30.0, 30.0),
                           level_db=(0.0, 0.0), moving_prob=0.0))
    synthesize(root / "bank", root / "data", config, seed=seed)
    return root / "data"


@pytest.mark.slow
def test_trained_tiny_model_finds_loud_isolated_events(tmp_path):
    from seld.infer import infer_file, load_model
    from seld.train import compose, train

    data = make_ov1_dataset(tmp_path)
    cfg = compose(["model=crnn", "model.name=test_crnn", "method=accdoa", "optimizer=adam", "optimizer.lr=5e-3",
                   "augment.name=null", "+augment.wave=[{name:rotate,variants:48,p:0.5}]",
                   "trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.max_epochs=120",
                   "data.num_workers=0", "data.batch_size=4", "data.chunk_seconds=2.0", "data.train=train",
                   "data.valid=null", f"data.root={data}", f"out_dir={tmp_path / 'run'}"])
    model = load_model(train(cfg)["model"])
    assert model.task.classes == TONES and model.task.chunk_seconds == 2.0
    problems = []
    for wav in sorted((data / "foa").glob("fold2_*.wav")):
        pred = infer_file(model, wav, tta="acs", thresholds=THRESHOLD)
        ref = read_labels(data / "metadata" / f"{wav.stem}.csv", classes=3, n_frames=pred.n_frames)
        problems += [f"{wav.name}: {p}" for p in check_events(pred, ref, 3)]
    assert not problems, "\n".join(problems)


def test_the_criteria_catch_wrong_times_directions_and_classes():
    from seld.formats import Events

    frames = np.r_[np.arange(5, 15), np.arange(30, 40)]
    ref = Events.from_polar(frames, np.r_[[0] * 10, [2] * 10], np.r_[[0] * 10, [1] * 10],
                            np.r_[[40.0] * 10, [-120.0] * 10], np.r_[[10.0] * 10, [0.0] * 10], n_frames=50)
    assert check_events(ref, ref, 3) == []
    turned = Events.from_polar(ref.frame, ref.cls, ref.track, np.r_[[65.0] * 10, [-120.0] * 10], np.r_[[10.0] * 20])
    assert check_events(turned, ref, 3) == ["event 0 (class 0, frames 5-14): median direction error 24.6 deg"]
    late = ref.select(np.arange(20))
    late.frame = late.frame + 6
    assert any("detected in 40%" in p for p in check_events(late, ref, 3))
    wrong_class = ref.select(np.arange(20))
    wrong_class.cls = np.r_[[1] * 10, [2] * 10]
    problems = check_events(wrong_class, ref, 3)
    assert "event 0 (class 0, frames 5-14): detected in 0% of its frames" in problems
    assert "only 50% of the 20 detections lie within a reference event" in problems
