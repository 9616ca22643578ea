"""The task description: plain round trip, validation, saved in checkpoints, and a system rebuilt from the file
alone (front end + network + decoder) that computes what its parts compute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seld.errors import ConfigError, FormatError
from seld.formats import get_classes
from seld.models import create_model
from seld.models.checkpoints import imported_task, load_checkpoint, save_checkpoint
from seld.system import SeldSystem, load_system
from seld.task import TaskSpec

CLASSES = ("dog", "bell", "speech")


def test_round_trip_through_json_keeps_every_field():
    task = TaskSpec(CLASSES, sample_rate=32000, frontend="logmel_iv", frontend_options={"n_mels": 32},
                    method="maccdoa", method_options={"distance": True}, chunk_seconds=5.0, window_hop=1.5)
    again = TaskSpec.from_dict(json.loads(json.dumps(task.to_dict())))
    assert again == task and again.distance and again.num_classes == 3 and again.window_hop == 1.5
    assert "5 s chunks every 1.5 s" in task.describe()
    assert task.chunk_samples == 160000 and task.chunk_label_frames == 50 and task.label_hop == 3200
    assert "maccdoa" in task.describe() and "32000 Hz" in task.describe()


@pytest.mark.parametrize("data,match", [
    ({"classes": []}, "at least one class"),
    ({"classes": ["a", "a"]}, "repeat"),
    ({"classes": ["a"], "array": "foa", "channels": 6}, "4 channels"),
    ({"classes": ["a"], "channel_convention": "fuma2"}, "channel convention"),
    ({"classes": ["a"], "sample_rate": -1}, "sample_rate"),
    ({"classes": ["a"], "chunk_seconds": float("nan")}, "chunk_seconds"),
    ({"classes": ["a"], "window_hop": 0.0}, "window_hop must be a whole number of label frames"),
    ({"classes": ["a"], "window_hop": 12.0}, "window_hop"),           # longer than the chunk
    ({"classes": ["a"], "window_hop": 0.25}, "window_hop"),           # not a whole number of 0.1-s frames
    ({"classes": ["a"], "window_hop": "2"}, "window_hop"),
    ({"classes": ["a"], "colour": 1}, "unknown key"),
    ({"sample_rate": 24000}, "no class list"),
    ({"classes": ["a"], "frontend_options": {"sample_rate": 8000}}, "sample rate of the task"),
    (["a"], "expected a mapping"),
])
def test_bad_descriptions_are_config_errors_naming_the_source(data, match):
    with pytest.raises(ConfigError, match=match) as err:
        TaskSpec.from_dict(data, where="model.ckpt")
    assert "model.ckpt" in str(err.value)


def test_system_from_the_checkpoint_alone_equals_its_parts(tmp_path: Path):
    task = TaskSpec(CLASSES, method="maccdoa", chunk_seconds=1.0)
    model = create_model("test_crnn", method="maccdoa", num_classes=3, in_channels=7, n_freq=64, seed=1).eval()
    path = save_checkpoint(model, tmp_path / "m.ckpt", task=task)
    _, info = load_checkpoint(path)
    assert info.task == task and info.classes == list(CLASSES)

    system = load_system(path)
    audio = torch.randn(2, 4, 24000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = system(audio)
        expected = model(task.make_frontend()(audio))
    assert torch.equal(out, expected) and out.shape == (2, 10, 27)
    events = system.decode(out)
    assert len(events) == 2 and all(e.frame_len == 0.1 for e in events)
    with pytest.raises(Exception, match="channels"):
        system(torch.zeros(1, 2, 24000))


def test_task_and_model_must_agree(tmp_path: Path):
    model = create_model("test_crnn", method="accdoa", num_classes=2, in_channels=7, n_freq=64)
    with pytest.raises(ConfigError, match="3 class names"):
        save_checkpoint(model, tmp_path / "m.ckpt", task=TaskSpec(CLASSES, method="accdoa"))
    with pytest.raises(FormatError, match="2 classes"):
        SeldSystem(TaskSpec(CLASSES, method="accdoa"), model)


def test_a_checkpoint_without_task_cannot_make_a_system(tmp_path: Path):
    path = save_checkpoint(create_model("test_crnn", num_classes=3), tmp_path / "old.ckpt")
    with pytest.raises(FormatError, match="no task description"):
        load_system(path)


def test_imported_weights_get_their_published_front_end():
    pseld = create_model("test_htsat", method="einv2", num_classes=13)
    task = imported_task(pseld, "pseldnets", None)
    assert (task.frontend, task.array, task.method, task.chunk_seconds) == ("logmel_iv", "foa", "einv2", 10.0)
    assert task.classes == get_classes(13).names
    mic = create_model("crnn_dcase", method="maccdoa", num_classes=5, in_channels=10, distance=True)
    task = imported_task(mic, "dcase2024", None, sample_rate=24000)
    assert (task.frontend, task.array, task.distance, task.chunk_seconds) == ("logmel_gcc", "mic", True, 5.0)
    assert task.channel_convention == "dcase-tetra"
    assert task.classes == tuple(f"class{i}" for i in range(5))
    odd = create_model("test_crnn", num_classes=3, in_channels=3, n_freq=64)
    with pytest.raises(ConfigError, match="3 input channels"):
        imported_task(odd, "pseldnets", None)
