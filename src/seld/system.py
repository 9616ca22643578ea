"""A complete SELD system: front end + network + decoder, rebuilt from a checkpoint's task description.

``load_system("model.ckpt")`` gives a :class:`SeldSystem` whose ``forward(audio [B, C, N])`` returns the
network's output and whose :meth:`SeldSystem.decode` turns it into :class:`~seld.formats.Events`; everything it
needs (sample rate, channels, front end, classes, method) comes from the file. The training module trains the
same object, so what is trained is exactly what is saved and loaded.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from seld.errors import FormatError, InputError
from seld.task import TaskSpec

__all__ = ["SeldSystem", "load_system", "load_system_with_info"]


class SeldSystem(nn.Module):
    """Front end and network of one task; ``method`` gives targets, loss and decoder."""

    def __init__(self, task: TaskSpec, model: nn.Module):
        super().__init__()
        if model.num_classes != task.num_classes:
            raise FormatError(None, None, f"the network has {model.num_classes} classes, its task "
                                          f"{task.num_classes}")
        self.task = task
        self.frontend = task.make_frontend()
        self.model = model
        self.method = task.make_method()

    def features(self, audio: torch.Tensor) -> torch.Tensor:
        """Front-end features of audio ``[B, C, N]`` (checked against the task's channel count)."""
        if audio.ndim != 3 or audio.shape[1] != self.task.channels:
            raise InputError(None, f"audio of shape {tuple(audio.shape)} does not fit the task "
                                   f"({self.task.channels} channels as [batch, channels, samples])")
        return self.frontend(audio)

    def forward(self, audio: torch.Tensor):
        return self.model(self.features(audio))

    def decode(self, output, thresholds=0.5):
        """Events of each batch item, at the task's label frame."""
        return self.method.decode(output, thresholds, frame_len=self.task.label_frame)


def load_system(path: str | Path, map_location: str | torch.device = "cpu") -> SeldSystem:
    """Rebuild the system stored in a seld checkpoint (ours or one written by ``seld import``)."""
    return load_system_with_info(path, map_location)[0]


def load_system_with_info(path: str | Path, map_location: str | torch.device = "cpu"):
    """:func:`load_system` and the checkpoint's record (metadata, classes), from one read of the file."""
    from seld.models.checkpoints import load_checkpoint

    model, info = load_checkpoint(path, map_location)
    if info.task is None:
        raise FormatError(path, None, "the checkpoint has no task description (front end, classes, method)",
                          "re-import the weights with this seld's `seld import`, or re-save it from `seld train`")
    return SeldSystem(info.task, model).to(map_location).eval(), info
