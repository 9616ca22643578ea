"""``seld models`` and ``seld import``, driven through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from foreign_layouts import pseldnets_checkpoint

from seld.formats import get_classes
from seld.models import create_model
from seld.models.checkpoints import load_checkpoint
from seld.models.registry import count_parameters


def test_models_lists_architectures_with_parameter_counts(run_cli):
    code, out, _ = run_cli(["models", "--pattern", "test_*", "--num-classes", "5", "--json"])
    assert code == 0
    listing = json.loads(out)
    assert [m["name"] for m in listing["models"]] == ["test_cnn14_conformer", "test_crnn", "test_htsat",
                                                       "test_passt", "test_seldnet"]
    htsat = listing["models"][2]
    assert htsat["parameters"]["einv2"] == count_parameters("test_htsat", "einv2", 5)
    code, out, _ = run_cli(["models", "--pattern", "*passt", "--no-counts"])
    assert code == 0 and "PaSST-L of PSELDNets" in out and "test_passt" in out


def test_import_pseldnets_writes_a_checkpoint_that_rebuilds(tmp_path: Path, run_cli):
    source = create_model("test_htsat", method="maccdoa", num_classes=13, seed=3).eval()
    src = tmp_path / "mACCDOA-HTSAT.ckpt"
    torch.save(pseldnets_checkpoint(source), src)
    out = tmp_path / "imported.ckpt"
    code, text, err = run_cli(["import", str(src), str(out), "--from", "pseldnets", "--backbone", "test_htsat",
                           "--classes", "starss23"])
    assert code == 0, err
    assert "PSELDNets htsat maccdoa (K=13)" in text and "wrote" in text
    model, info = load_checkpoint(out)
    assert info.classes == list(get_classes("starss23")) and info.metadata["imported_from"] == "pseldnets"
    x = torch.randn(1, 7, 100, 64)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), source(x))


def test_import_with_target_classes_reinitialises_the_head(tmp_path: Path, run_cli):
    classes = tmp_path / "classes.txt"
    classes.write_text("dog\ncat\nbird\n")
    src = tmp_path / "src.ckpt"
    torch.save(pseldnets_checkpoint(create_model("test_passt", method="accdoa", num_classes=7)), src)
    code, _, err = run_cli(["import", str(src), str(tmp_path / "out.ckpt"), "--from", "pseldnets", "--backbone",
                        "test_passt", "--method", "accdoa", "--target-classes", str(classes)])
    assert code == 0, err
    model, info = load_checkpoint(tmp_path / "out.ckpt")
    assert info.classes == ["dog", "cat", "bird"] and model.num_classes == 3 and model.config["num_classes"] == 3


def test_import_errors_exit_2_with_one_line(tmp_path: Path, run_cli):
    src = tmp_path / "as.ckpt"
    torch.save({"state_dict": {}}, src)
    code, _, err = run_cli(["import", str(src), str(tmp_path / "o.ckpt"), "--from", "htsat"])
    assert code == 2 and err.startswith("error:") and "give the classes" in err and err.count("\n") == 1
    code, _, err = run_cli(["import", str(src), str(tmp_path / "o.ckpt"), "--from", "pseldnets"])
    assert code == 2 and "not a PSELDNets checkpoint" in err
    assert not (tmp_path / "o.ckpt").exists()


def test_models_card_of_an_unknown_name_is_a_one_line_error(run_cli):
    code, _, err = run_cli(["models", "--card", "no-such-model"])
    assert code == 2 and "no built-in model 'no-such-model'" in err and len(err.strip().splitlines()) == 1
