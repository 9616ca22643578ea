"""``seld calibrate``: per-class thresholds tuned on labelled recordings, kept in the checkpoint, used by inference."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CLASSES, run_seld

from seld.errors import ConfigError
from seld.formats import write_labels
from seld.infer import infer_file, load_model
from seld.infer.calibrate import GRID, tune_thresholds
from seld.task import TaskSpec


@pytest.fixture(scope="module")
def labels(system, recordings, tmp_path_factory):
    """References that are the tiny model's own detections at threshold 0.3 (so 0.3 is each detected class's
    best value): tuning must find it and then score them perfectly."""
    folder = tmp_path_factory.mktemp("labels")
    for wav in sorted(recordings.glob("*.wav")):
        write_labels(folder / f"{wav.stem}.csv", infer_file(system, wav, thresholds=0.3).sorted(), "dcase2022")
    return folder


def test_tuning_finds_each_class_threshold(system, recordings, labels):
    report = tune_thresholds(system, recordings, labels)
    assert report["files"] == 3 and report["metric"] == "dcase2023"
    detected = {c for c, v in report["after"]["per_class"].items() if v["F"] == 1.0}
    assert detected                                   # the random tiny model detects something at 0.3
    assert all(report["thresholds"][c] == 0.3 for c in detected)
    assert report["after"]["SELD"] < report["before"]["SELD"]
    assert report["after"]["ER"] == pytest.approx(0.0)
    # a class without references: every value at or above 0.3 scores alike, and the model's value (0.5) is kept
    assert all(report["thresholds"][c] == 0.5 for c in CLASSES if c not in detected)
    other = tune_thresholds(system, recordings, labels, metric="dcase2022", grid=(0.3, 0.5))
    assert other["metric"] == "dcase2022" and other["after"]["metric"] == "dcase2022"
    assert all(other["thresholds"][c] == 0.3 for c in detected)
    with pytest.raises(ConfigError, match="unknown scoring metric 'dcase2030'"):
        tune_thresholds(system, recordings, labels, metric="dcase2030")
    with pytest.raises(ConfigError, match="dcase2024 metric scores distances, which this model does not predict"):
        tune_thresholds(system, recordings, labels, metric="dcase2024")


def test_calibrated_checkpoint_is_used_by_infer(checkpoint, recordings, labels, tmp_path, capsys):
    out = tmp_path / "calibrated.ckpt"
    code, stdout, err = run_seld(["calibrate", str(checkpoint), str(recordings), "--labels", str(labels),
                                  "--out", str(out)], capsys)
    assert code == 0, err
    report = json.loads(stdout)
    assert "SELD" in err and str(out) in err
    runner = load_model(out)
    assert runner.task.thresholds == tuple(report["thresholds"].values())
    assert "tuned thresholds" in runner.task.describe()
    wav = recordings / "rec1.wav"
    tuned = infer_file(runner, wav)                       # no thresholds given: the checkpoint's
    given = infer_file(load_model(checkpoint), wav, thresholds=np.array(runner.task.thresholds))
    assert np.array_equal(tuned.frame, given.frame) and np.array_equal(tuned.cls, given.cls)
    assert np.allclose(tuned.xyz, given.xyz)
    # --threshold still overrides them
    code, stdout, _ = run_seld(["infer", str(wav), "--model", str(out), "--out", str(tmp_path / "p"),
                                "--threshold", "0.99"], capsys)
    assert code == 0 and json.loads(stdout)["files"][0]["events"] == 0


def test_bad_thresholds_and_inputs(checkpoint, recordings, tmp_path, capsys):
    with pytest.raises(ConfigError, match="one value in \\(0, 1\\] per class"):
        TaskSpec(classes=CLASSES, thresholds=(0.5, 0.5))
    with pytest.raises(ConfigError, match="one value in \\(0, 1\\] per class"):
        TaskSpec(classes=CLASSES, thresholds=(0.5, 0.0, 0.5))
    assert TaskSpec.from_dict(TaskSpec(classes=CLASSES, thresholds=(0.2, 0.3, 0.4)).to_dict()).thresholds == \
        (0.2, 0.3, 0.4)
    with pytest.raises(ConfigError, match="grid"):
        tune_thresholds(load_model(checkpoint), recordings, tmp_path, grid=(0.0, 0.5))
    code, _, err = run_seld(["calibrate", str(checkpoint), str(recordings), "--labels", str(tmp_path / "none"),
                             "--out", str(tmp_path / "x.ckpt")], capsys)
    assert code == 2 and "label folder not found" in err and len(err.strip().splitlines()) == 1
    assert GRID[0] == 0.1 and GRID[-1] == 0.8


def test_calibrating_with_a_hop_keeps_it_as_the_models_default(checkpoint, recordings, labels, tmp_path, capsys):
    """Thresholds apply to window-averaged outputs, so a hop tuned with is the hop the model decodes with after."""
    from seld.infer.core import make_plan

    out = tmp_path / "hop.ckpt"
    code, stdout, err = run_seld(["calibrate", str(checkpoint), str(recordings), "--labels", str(labels),
                                  "--hop", "0.5", "--out", str(out)], capsys)
    assert code == 0, err
    runner = load_model(out)
    assert runner.task.window_hop == 0.5 and "every 0.5 s" in runner.task.describe()
    assert make_plan(runner.task).hop == 12000 and make_plan(runner.task, hop=1.0).hop == 24000
    assert make_plan(runner.task, chunk=0.3).hop == 7200        # a shorter window than the hop: at most a window
    assert make_plan(load_model(checkpoint).task).hop == 24000   # no hop in the task: half the 2-s chunk
    wav = recordings / "rec1.wav"
    tuned = infer_file(runner, wav)
    given = infer_file(load_model(checkpoint), wav, thresholds=np.array(runner.task.thresholds), hop=0.5)
    default_hop = infer_file(load_model(checkpoint), wav, thresholds=np.array(runner.task.thresholds))
    assert np.array_equal(tuned.frame, given.frame) and np.allclose(tuned.xyz, given.xyz)
    assert len(tuned) != len(default_hop) or not np.allclose(tuned.xyz, default_hop.xyz)
    report = json.loads(stdout)
    assert tune_thresholds(load_model(checkpoint), recordings, labels, hop=0.5)["thresholds"] == report["thresholds"]
