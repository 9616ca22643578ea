"""``seld average``: the mean of a run's checkpoints, written as a checkpoint that rebuilds alone; members of
another network or task, or too few of them, are refused naming the file."""

from __future__ import annotations

from pathlib import Path

import torch

from seld.models import create_model, load_checkpoint, save_checkpoint
from seld.system import load_system
from seld.task import TaskSpec

CLASSES = ("bell", "knock", "door")


def _member(tmp_path: Path, name: str, seed: int, method: str = "maccdoa", **task) -> Path:
    model = create_model("test_crnn", method=method, num_classes=len(CLASSES), seed=seed)
    with torch.no_grad():   # distinct BatchNorm statistics too, so that buffers are averaged as well
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.fill_(seed)
                m.num_batches_tracked.fill_(10 * seed)
    return save_checkpoint(model, tmp_path / name, task=TaskSpec(CLASSES, method=method, **task),
                           metadata={"epoch": seed, "experiment": "tiny"})


def test_average_is_the_mean_of_every_float_tensor(tmp_path, run_cli):
    paths = [_member(tmp_path, f"e{s}.ckpt", s, thresholds=(0.3, 0.4, 0.5) if s == 1 else None) for s in (1, 2, 4)]
    out = tmp_path / "avg.ckpt"
    code, text, err = run_cli(["average", out, *paths])
    assert code == 0, err
    assert "mean of 3 checkpoints" in text and "seld calibrate" in text
    states = [load_checkpoint(p)[0].state_dict() for p in paths]
    model, info = load_checkpoint(out)
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            torch.testing.assert_close(v, sum(s[k] for s in states) / 3, msg=k)
        else:
            assert torch.equal(v, states[0][k]), k          # integer buffers: the first member's
    running = [v for k, v in model.state_dict().items() if k.endswith("running_mean")]
    assert running and all(torch.allclose(v, torch.full_like(v, 7 / 3)) for v in running)
    # the first member's tuned thresholds and epoch described it alone
    assert info.task.thresholds is None and info.task.classes == CLASSES
    assert "epoch" not in info.metadata and info.metadata["experiment"] == "tiny"
    assert info.metadata["averaged_from"][0].endswith("e1.ckpt")
    system = load_system(out)
    with torch.no_grad():
        assert system(torch.randn(1, 4, 24000)).shape[0] == 1


def test_what_cannot_be_averaged_is_refused_naming_the_file(tmp_path, run_cli):
    a, b = _member(tmp_path, "a.ckpt", 1), _member(tmp_path, "b.ckpt", 2)
    other_net = _member(tmp_path, "accdoa.ckpt", 3, method="accdoa")
    other_task = _member(tmp_path, "short.ckpt", 3, chunk_seconds=1.0)
    for args, match in [([a], "at least two checkpoints"),
                        ([a, other_net], "accdoa.ckpt: its network differs"),
                        ([a, b, other_task], "short.ckpt: its task description differs"),
                        ([a, tmp_path / "missing.ckpt"], "missing.ckpt")]:
        code, _, err = run_cli(["average", tmp_path / "out.ckpt", *args])
        assert code == 2 and match in err, err
        assert not (tmp_path / "out.ckpt").exists()
    code, _, err = run_cli(["average", a, a, b])
    assert code == 2 and "is also one of the checkpoints" in err
    code, _, err = run_cli(["average", tmp_path / "out.ckpt", a, b, tmp_path / "." / "a.ckpt"])
    assert code == 2 and "a.ckpt is given twice" in err, err
