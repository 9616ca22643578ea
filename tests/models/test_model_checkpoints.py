"""Our checkpoint format: rebuild from the file alone, identical outputs, class list, atomic writes, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seld.errors import ConfigError, FormatError, InputError
from seld.formats import get_classes
from seld.models import create_model
from seld.models.checkpoints import load_checkpoint, read_torch_file, save_checkpoint


@pytest.mark.parametrize("name,kwargs", [
    ("test_htsat", {"method": "einv2", "num_classes": 13}),  # two-branch, cross-stitch
    ("test_passt", {"method": "maccdoa", "num_classes": 13, "distance": True, "adapter": "adapterbit"}),
    ("test_cnn14_conformer", {"method": "accdoa", "num_classes": 13, "adapter": {"type": "lora", "r": 2}}),
    ("test_seldnet", {"method": "seddoa", "num_classes": 13, "in_channels": 4, "n_freq": 32}),
])
def test_round_trip_rebuilds_the_model_from_the_file(tmp_path: Path, name, kwargs, randomize, features):
    model = randomize(create_model(name, seed=5, **kwargs)).eval()
    classes = get_classes("starss23")
    path = save_checkpoint(model, tmp_path / "sub" / "model.ckpt", classes=classes, metadata={"epoch": 3})
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.ckpt"]  # no temporary file left behind

    loaded, info = load_checkpoint(path)
    loaded.eval()
    assert info.classes == list(classes) and info.metadata["epoch"] == 3
    assert info.config == model.config and loaded.config == model.config
    assert [p.requires_grad for p in loaded.parameters()] == [p.requires_grad for p in model.parameters()]
    x = features(model, 2, 120)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    for key in (a if isinstance(a, dict) else [None]):
        assert torch.equal(a[key] if key else a, b[key] if key else b)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's import touches torch.jit
def test_compiled_models_save_under_their_own_keys(tmp_path: Path):
    model = create_model("test_crnn", num_classes=3)
    save_checkpoint(torch.compile(model), tmp_path / "m.ckpt")  # compiling is lazy: nothing runs here
    loaded, _ = load_checkpoint(tmp_path / "m.ckpt")
    assert loaded.state_dict().keys() == model.state_dict().keys()


def test_class_list_must_match_the_head(tmp_path: Path):
    model = create_model("test_crnn", num_classes=3)
    with pytest.raises(ConfigError, match="3 classes"):
        save_checkpoint(model, tmp_path / "m.ckpt", classes=["a", "b"])
    with pytest.raises(ConfigError, match="create_model"):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "m.ckpt")


def test_foreign_and_damaged_files_are_refused(tmp_path: Path):
    with pytest.raises(InputError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.ckpt")
    (tmp_path / "text.ckpt").write_text("not a checkpoint")
    with pytest.raises(InputError, match="cannot read"):
        load_checkpoint(tmp_path / "text.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "lightning.ckpt")
    with pytest.raises(FormatError, match="not a seld model checkpoint.*seld import"):
        load_checkpoint(tmp_path / "lightning.ckpt")

    model = create_model("test_crnn", num_classes=3)
    path = save_checkpoint(model, tmp_path / "ok.ckpt")
    raw = torch.load(path, weights_only=True)
    del raw["state_dict"]["head.proj.fc.bias"]
    raw["state_dict"]["encoder.extra"] = torch.zeros(1)
    torch.save(raw, tmp_path / "damaged.ckpt")
    with pytest.raises(FormatError, match="1 missing .*head.proj.fc.bias.*1 unexpected .*encoder.extra"):
        load_checkpoint(tmp_path / "damaged.ckpt")
    raw = torch.load(path, weights_only=True)
    raw["config"]["name"] = "model_from_the_future"
    torch.save(raw, tmp_path / "future.ckpt")
    with pytest.raises(FormatError, match="cannot rebuild the model.*unknown model"):
        load_checkpoint(tmp_path / "future.ckpt")


class _Payload:  # an arbitrary object: loading it would run code from the pickle
    pass


def test_arbitrary_pickles_need_explicit_trust(tmp_path: Path):
    path = tmp_path / "pickled.ckpt"
    torch.save({"state_dict": {}, "hparams": _Payload()}, path)
    with pytest.raises(InputError, match="trust"):
        read_torch_file(path)
    assert isinstance(read_torch_file(path, allow_pickle=True)["hparams"], _Payload)
