"""Weight averaging of checkpoints of one training run (stochastic weight averaging over saved epochs; a
uniform "model soup"): the mean of nearby points of one loss basin usually generalises a little better than any
of them. Every float tensor is averaged, BatchNorm running statistics included (an approximation of SWA's pass
over the training data, good when the members are close); integer buffers come from the first checkpoint.

``average_checkpoints(["run/checkpoints/best.ckpt", "finetune/checkpoints/last.ckpt"], "avg.ckpt")`` is what
``seld average avg.ckpt CKPT CKPT ...`` runs.
"""

from __future__ import annotations

from pathlib import Path

import torch

from seld.errors import ConfigError
from seld.models.checkpoints import load_checkpoint, save_checkpoint

__all__ = ["average_checkpoints"]

#: task fields that calibration sets; they may differ between members and do not carry over to the average
_TUNED = ("thresholds", "window_hop")


def _task_core(task) -> dict | None:
    return None if task is None else {k: v for k, v in task.to_dict().items() if k not in _TUNED}


def average_checkpoints(paths, out: str | Path) -> dict:
    """Write to ``out`` (a seld checkpoint) the network whose weights are the mean of those in ``paths`` (seld
    checkpoints or ``seld train`` checkpoints of the same network and task). Tuned thresholds are not kept: they
    belonged to one member (run ``seld calibrate`` on the average). Returns what was written."""
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise ConfigError("give at least two checkpoints to average (the same network from one run: e.g. its "
                          "best and last epochs)")
    resolved = [p.resolve() for p in paths]
    if Path(out).resolve() in resolved:
        raise ConfigError(f"{out} is also one of the checkpoints to average; write the average to another file")
    twice = next((p for i, p in enumerate(paths) if resolved[i] in resolved[:i]), None)
    if twice is not None:   # it would silently weigh that member double
        raise ConfigError(f"{twice} is given twice; name each checkpoint to average once")
    model, info = load_checkpoint(paths[0])
    sums = {k: v.double().clone() for k, v in model.state_dict().items() if v.is_floating_point()}
    for path in paths[1:]:
        other, other_info = load_checkpoint(path)
        if other.config != model.config or _task_core(other_info.task) != _task_core(info.task):
            what = "network" if other.config != model.config else "task description"
            raise ConfigError(f"{path}: its {what} differs from that of {paths[0]}; only checkpoints of one "
                              "network (epochs of one run, or a fine-tune of it) can be averaged")
        state = other.state_dict()
        for k in sums:
            sums[k] += state[k].double()
    state = model.state_dict()
    model.load_state_dict({**state, **{k: (v / len(paths)).to(state[k].dtype) for k, v in sums.items()}})
    task = None if info.task is None else info.task.replace(thresholds=None)
    metadata = {k: v for k, v in (info.metadata or {}).items()   # less what described the first member alone
                if k not in ("seld_version", "calibrated_on", "epoch", "global_step")}
    metadata["averaged_from"] = ["/".join(p.parts[-3:]) for p in paths]   # RUN/checkpoints/NAME, no machine path
    save_checkpoint(model, out, task=task, metadata=metadata)
    return {"out": str(out), "averaged": len(paths), "tensors": len(sums)}
