"""A training batch whose labels travel with the signal, so that augmentations can change both.

Loaders only read audio: an item is a chunk of audio and the :class:`~seld.formats.Events` of its label frames
(frame indices local to the chunk). Augmentations (:mod:`seld.data.augment`) transform a
:class:`LabelledBatch`: waveform ones before the front end (``audio``), feature ones after it (``features``),
moving, masking or mixing the events with the signal; soft labels (mixing) are an ``activity`` per event row.
Only then does the training module encode the targets of its output method, so every augmentation works for
every method.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from seld.formats import Events

__all__ = ["LabelledBatch", "max_polyphony"]


@dataclass
class LabelledBatch:
    """Signals of B chunks with their labels.

    Attributes:
        audio: ``[B, C, N]`` waveforms (``None`` once only features are kept).
        features: ``[B, C', T, F]`` front-end output (``None`` before the front end).
        events: per item, the events of its ``n_frames`` label frames (``Events.n_frames`` set).
        activity: per item, the soft activity of each event row in [0, 1], or ``None`` for 1 (hard labels).
        array: microphone format of ``audio`` (``foa``, ``mic``, ``array``), for spatial augmentations.
    """

    audio: torch.Tensor | None
    events: list[Events]
    activity: list[np.ndarray | None]
    array: str = "foa"
    features: torch.Tensor | None = None

    def __post_init__(self):
        if len(self.activity) != len(self.events):
            raise ValueError(f"{len(self.events)} event tables but {len(self.activity)} activity entries")

    def __len__(self) -> int:
        return len(self.events)

    def replace(self, **changes) -> "LabelledBatch":
        return replace(self, **changes)

    def polyphony(self) -> np.ndarray:
        """Per item, the largest number of simultaneous events in a frame (0 for an empty chunk)."""
        return np.array([max_polyphony(ev) for ev in self.events], dtype=np.int64)


def max_polyphony(events: Events) -> int:
    """The largest number of event rows sharing a frame."""
    if len(events) == 0:
        return 0
    return int(np.bincount(events.frame).max())
