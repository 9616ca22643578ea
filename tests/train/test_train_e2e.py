"""The training system end to end on CPU: a tiny synthetic set, a tiny model trained a few steps, validated and
checkpointed; an interrupted run resumed to the same weights; a fine-tune to another class count with AdapterBit;
the model rebuilt from its checkpoint alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seld.cli import main
from seld.errors import ConfigError
from seld.models.checkpoints import load_checkpoint
from seld.system import load_system
from seld.train import train

CLASSES = ("bell", "female_speech", "telephone")

MODEL = ["model=htsat", "model.name=test_htsat", "method=maccdoa", "optimizer=adam"]


def _weights(path: Path) -> dict[str, torch.Tensor]:
    model, _ = load_checkpoint(path)
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_train_validate_checkpoint_and_rebuild(tiny_config, tiny_dataset):
    cfg = tiny_config(*MODEL, "trainer.max_epochs=2")
    result = train(cfg)
    out = Path(result["out_dir"])
    assert result["epochs"] == 2 and (out / "config.yaml").is_file()
    assert {p.name for p in (out / "checkpoints").iterdir()} == {"best.ckpt", "last.ckpt"}
    metrics = (out / "logs" / "version_0" / "metrics.csv").read_text()
    assert "val/SELD" in metrics and "train/loss" in metrics
    assert all(f"val/F/{name}" in metrics.splitlines()[0].split(",") for name in CLASSES)
    assert list((out / "tb" / "version_0").glob("events.out.tfevents.*"))
    assert result["best_SELD"] >= 0.0   # an untrained network inserts many events: ER, hence SELD, may pass 1

    # every file of the run rebuilds front end + network + decoder alone, with the same weights
    for name in ("model.ckpt", "checkpoints/last.ckpt", "checkpoints/best.ckpt"):
        system = load_system(out / name)
        assert system.task.frontend == "logmel_iv" and system.task.classes == CLASSES
        assert system.task.chunk_seconds == 2.0 and system.model.config["name"] == "test_htsat"
    last = load_system(out / "checkpoints" / "last.ckpt")
    audio = torch.randn(1, 4, 48000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        events = last.decode(last(audio))
    assert len(events) == 1 and events[0].frame_len == 0.1


def test_resume_after_interruption_gives_the_uninterrupted_weights(tiny_config):
    straight = train(tiny_config(*MODEL, "trainer.max_epochs=2", out="straight"))
    first = tiny_config(*MODEL, "trainer.max_epochs=1", out="resumed")
    train(first)
    resumed = train(tiny_config(*MODEL, "trainer.max_epochs=2", out="resumed"))   # same out_dir: resumes
    assert resumed["epochs"] == 2
    a, b = _weights(Path(straight["last"])), _weights(Path(resumed["last"]))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    # another setting in the same folder is refused, naming it
    with pytest.raises(ConfigError, match="optimizer.lr"):
        train(tiny_config(*MODEL, "trainer.max_epochs=2", "optimizer.lr=0.5", out="resumed"))


def test_last_checkpoint_follows_every_epoch_when_validation_does_not_improve(tiny_config, monkeypatch):
    """A validation score that gets worse every epoch: epoch 0 stays the best, yet last.ckpt (which a resumed run
    starts from) must hold the last epoch, not the best one."""
    from seld.train.module import SeldLitModule

    def worsening(self):
        self.log("val/SELD", 1.0 + self.current_epoch)

    monkeypatch.setattr(SeldLitModule, "on_validation_epoch_end", worsening)
    result = train(tiny_config(*MODEL, "trainer.max_epochs=3"))
    out = Path(result["out_dir"]) / "checkpoints"
    best, last = (torch.load(out / f"{n}.ckpt", map_location="cpu", weights_only=False) for n in ("best", "last"))
    assert best["epoch"] == 0 and last["epoch"] == 2
    assert last["global_step"] == 3 * best["global_step"]


def test_a_moved_run_resumes_with_its_best_epoch(tiny_config, tmp_path, monkeypatch):
    """A run folder moved (or its last.ckpt carried to another machine) resumes as if it had stayed: the best
    epoch and score named in the callback state are this folder's; a best.ckpt left behind is a clear error."""
    import shutil

    from seld.train.module import SeldLitModule

    monkeypatch.setattr(SeldLitModule, "on_validation_epoch_end",
                        lambda self: self.log("val/SELD", 1.0 + self.current_epoch))   # epoch 0 stays the best
    train(tiny_config(*MODEL, "trainer.max_epochs=1", out="here"))
    shutil.move(tmp_path / "here", tmp_path / "there")
    result = train(tiny_config(*MODEL, "trainer.max_epochs=2", out="there"))
    assert result["epochs"] == 2 and result["best"] == str(tmp_path / "there" / "checkpoints" / "best.ckpt")
    assert result["best_SELD"] == 1.0
    best = torch.load(result["best"], map_location="cpu", weights_only=False)
    assert best["epoch"] == 0
    # the callback states sit under Lightning's own keys, which runs checkpointed by it or an older seld carry
    from lightning.pytorch.callbacks import ModelCheckpoint
    assert set(best["callbacks"]) == {ModelCheckpoint(monitor="val/SELD", mode="min").state_key,
                                      ModelCheckpoint(monitor="step", mode="max").state_key}
    # only last.ckpt carried into a fresh folder: refused before training, naming the missing file and the fix
    (tmp_path / "bare" / "checkpoints").mkdir(parents=True)
    shutil.copy(result["last"], tmp_path / "bare" / "checkpoints" / "last.ckpt")
    with pytest.raises(ConfigError, match=r"bare/checkpoints/best\.ckpt is missing.*beside last\.ckpt"):
        train(tiny_config(*MODEL, "trainer.max_epochs=3", out="bare"))


def test_finetune_to_other_classes_with_adapterbit(tiny_config, tiny_dataset, tmp_path):
    base = train(tiny_config(*MODEL, out="base"))
    # another class list (14 names; the labels' indices 0-2 keep their meaning): a new head
    classes = tmp_path / "classes.txt"
    classes.write_text("\n".join([f"c{i}" for i in range(14)]) + "\n")
    cfg = tiny_config(*MODEL, "adapt=adapterbit", f"+data.options.classes={classes}", out="ft")
    result = train(cfg, init=base["model"])
    system = load_system(result["model"])
    assert system.task.classes == tuple(f"c{i}" for i in range(14)) and system.model.num_classes == 14
    assert system.model.config["adapter"]["type"] == "adapterbit"
    trainable = {n for n, p in system.model.named_parameters() if p.requires_grad}
    assert any("adapter" in n for n in trainable) and not all("adapter" in n or "bias" in n or "head" in n
                                                             for n, _ in system.model.named_parameters())


def test_cli_train_and_errors(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "cli"
    with pytest.raises(SystemExit) as code:
        main(["train", "experiment=quick", f"data.root={tiny_dataset}", f"out_dir={out}", "model.name=test_crnn",
              "trainer.max_epochs=1", "trainer.enable_progress_bar=false", "data.num_workers=0",
              "data.train=train", "data.valid=test", "trainer.accelerator=cpu", "data.chunk_seconds=2.0"])
    assert code.value.code == 0
    assert json.loads(capsys.readouterr().out)["epochs"] == 1
    with pytest.raises(SystemExit) as code:
        main(["train", "experiment=quick", f"data.root={tmp_path / 'nowhere'}"])
    assert code.value.code == 2 and "seld synth" in capsys.readouterr().err
    with pytest.raises(SystemExit) as code:
        main(["train", "experiment=quick"])
    assert code.value.code == 2 and "data.root" in capsys.readouterr().err
    with pytest.raises(SystemExit) as code:
        main(["train", "experiment=no_such_thing"])
    assert code.value.code == 2 and "seld train --list" in capsys.readouterr().err


def test_distance_output_trains_and_is_scored_with_the_dcase2024_metric(tiny_config):
    """``method.options.distance=true`` (DCASE2024 multi-ACCDDOA): the network gets the 12K-wide head, validation
    reports the distance error, and the checkpoint's task says the model predicts distance (and the distance loss
    weight it was trained with); fine-tuning it without the option is refused, naming the setting."""
    result = train(tiny_config("model.name=test_crnn", "method=maccdoa", "method.options.distance=true",
                               "method.options.distance_weight=0.1", out="d"))
    system = load_system(result["model"])
    assert system.task.distance and system.model.distance
    assert system.task.make_method().distance_weight == pytest.approx(0.1)
    with torch.no_grad():
        assert system(torch.zeros(1, 4, 48000)).shape == (1, 20, 12 * len(CLASSES))
    header = (Path(result["out_dir"]) / "logs" / "version_0" / "metrics.csv").read_text().splitlines()[0]
    assert "val/RDE" in header.split(",")
    with pytest.raises(ConfigError, match="method.options.distance=true"):
        train(tiny_config("model.name=test_crnn", "method=maccdoa", out="d2"), init=result["model"])


def test_mic_recordings_train_with_their_own_front_end(tiny_config):
    """The tetrahedral MIC format: log-mel + GCC-PHAT (10 channels), the DCASE channel convention recorded."""
    result = train(tiny_config("model.name=test_crnn", "data.array=mic", "data.frontend=logmel_gcc", out="mic"))
    system = load_system(result["model"])
    assert (system.task.array, system.task.channel_convention, system.model.in_channels) == ("mic", "dcase-tetra", 10)


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_weights(tiny_dataset, tmp_path):
    """`seld train` killed (SIGKILL) once its first epoch is checkpointed, then run again with the same command,
    ends with the weights of a run never interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "seld.cli", "train", f"data.root={tiny_dataset}", f"out_dir={out}", *MODEL,
                "trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.max_epochs=3",
                "data.num_workers=0", "data.batch_size=2", "data.chunk_seconds=2.0", "data.train=train",
                "data.valid=test"]

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(command(tmp_path / "straight"), check=True, capture_output=True, env=env)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(command(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    last = killed / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 300
    while not last.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert last.is_file() and not (killed / "model.ckpt").exists()
    subprocess.run(command(killed), check=True, capture_output=True, env=env)
    a, b = _weights(tmp_path / "straight" / "checkpoints" / "last.ckpt"), _weights(last)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.mark.parametrize("override,match", [
    ("optimizer.name=rmsprop", "optimizer.name"),
    ("+optimizer.bogus=1", "bogus"),
    ("optimizer.scheduler.name=cyclic", "scheduler"),
    ("+trainer.no_such_option=1", "trainer"),
])
def test_wrong_settings_are_one_line_errors(tiny_dataset, tmp_path, capsys, override, match):
    with pytest.raises(SystemExit) as code:
        main(["train", f"data.root={tiny_dataset}", f"out_dir={tmp_path}", "model.name=test_crnn",
              "data.train=train", "data.valid=test", "data.num_workers=0", override])
    err = capsys.readouterr().err
    assert code.value.code == 2 and match in err and "Traceback" not in err


def test_compiled_network_checkpoints_load(tiny_config):
    """`compile=true` keeps the network under torch.compile's wrapper; its checkpoints still rebuild."""
    result = train(tiny_config("model.name=test_crnn", "compile=true", "+trainer.limit_train_batches=1",
                               "data.valid=null", out="compiled"))
    system = load_system(result["last"])
    assert system.model.config["name"] == "test_crnn"


def test_cli_finetunes_the_builtin_default_model_by_name(tiny_dataset, tmp_path, capsys):
    """`seld finetune default ...`: the shipped model, with a new head for the tiny set's three classes, through
    the default model's own second-stage experiment; unknown names and missing files are one-line errors."""
    tiny = [f"data.root={tiny_dataset}", "trainer.max_epochs=1", "trainer.enable_progress_bar=false",
            "data.num_workers=0", "data.train=train", "data.valid=test", "trainer.accelerator=cpu",
            "data.chunk_seconds=2.0", "data.batch_size=2", "+trainer.limit_train_batches=1",
            "~method.class_boost", "+method.class_boost={bell: 2}"]
    with pytest.raises(SystemExit) as code:
        main(["finetune", "default", "experiment=default_finetune", f"out_dir={tmp_path / 'ft'}", *tiny])
    assert code.value.code == 0
    system = load_system(json.loads(capsys.readouterr().out)["model"])
    assert system.model.num_classes == 3 and system.task.distance
    for spec, message in [("no_such_model", "built-in"), (str(tmp_path / "missing.ckpt"), "missing.ckpt")]:
        with pytest.raises(SystemExit) as code:
            main(["finetune", spec, "experiment=default_finetune", *tiny])
        err = capsys.readouterr().err
        assert code.value.code == 2 and message in err and "Traceback" not in err
