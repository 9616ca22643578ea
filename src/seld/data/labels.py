"""The labels of a whole corpus in a few flat arrays, parsed once and cached on disk.

Every label file is read once (at the task's label frame) into columns ``frame, cls, track, xyz, dist``, rows
of a recording contiguous and ordered by frame (stable, so the order inside a frame, which the official
scorers depend on, is kept). The arrays are saved as ``.npy`` files and memory-mapped when loaded, so a
training process and its loader workers hold only what they touch: a 1,000 h corpus stays on disk, not in
memory. :meth:`LabelStore.events` slices one chunk's events in O(log n).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seld.data.files import load_arrays
from seld.errors import ConfigError, FormatError
from seld.formats import ClassList, Events, read_labels

__all__ = ["LabelStore", "COLUMNS"]

COLUMNS = ("frame", "cls", "track", "xyz", "dist", "offsets")


class LabelStore:
    """Events of every recording of a corpus (see the module docstring)."""

    def __init__(self, arrays: dict[str, np.ndarray], label_frame: float):
        self.frame, self.cls, self.track = arrays["frame"], arrays["cls"], arrays["track"]
        self.xyz, self.dist, self.offsets = arrays["xyz"], arrays["dist"], arrays["offsets"]
        self.label_frame = float(label_frame)
        self.has_dist = bool(len(self.dist) == 0 or not np.isnan(self.dist).all())

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.frame, self.cls, self.track, self.xyz, self.dist, self.offsets))

    @classmethod
    def build(cls, label_files: list[Path | None], label_format: str, classes: tuple[str, ...], label_frame: float,
              options: dict | None = None) -> "LabelStore":
        """Read every label file (``None``: a recording without labels) and bring it to ``label_frame``. Class
        indices outside ``classes`` are an error naming the file."""
        class_list = ClassList("corpus", tuple(classes))
        parts, offsets = [], [0]
        for path in label_files:
            if path is None:
                ev = Events.empty(frame_len=label_frame)
            else:
                ev = read_labels(path, label_format, classes=class_list, **(options or {}))
                if len(ev) and (ev.cls.min() < 0 or ev.cls.max() >= len(classes)):
                    bad = int(ev.cls[(ev.cls < 0) | (ev.cls >= len(classes))][0])
                    raise FormatError(path, None, f"class index {bad} is not one of the {len(classes)} classes "
                                                  f"({', '.join(classes)})",
                                      "check the class list of the dataset (data.classes)")
                if abs(ev.frame_len - label_frame) > 1e-9:
                    try:
                        ev = ev.to_frame_len(label_frame)
                    except ValueError as err:
                        raise ConfigError(f"{path}: labels at {ev.frame_len} s frames cannot be brought to the "
                                          f"task's {label_frame} s frames ({err})") from None
                ev = ev.select(np.argsort(ev.frame, kind="stable"))
            parts.append(ev)
            offsets.append(offsets[-1] + len(ev))
        n = offsets[-1]
        arrays = {"frame": np.empty(n, np.int32), "cls": np.empty(n, np.int16), "track": np.empty(n, np.int32),
                  "xyz": np.empty((n, 3), np.float32), "dist": np.full(n, np.nan, np.float32),
                  "offsets": np.asarray(offsets, np.int64)}
        for ev, lo, hi in zip(parts, offsets[:-1], offsets[1:]):
            arrays["frame"][lo:hi] = ev.frame
            arrays["cls"][lo:hi] = ev.cls
            arrays["track"][lo:hi] = ev.track
            arrays["xyz"][lo:hi] = ev.xyz
            if ev.dist is not None:
                arrays["dist"][lo:hi] = ev.dist
        return cls(arrays, label_frame)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns by name, for :func:`seld.data.files.save_arrays`."""
        return {name: getattr(self, name) for name in COLUMNS}

    @classmethod
    def load(cls, folder: Path, label_frame: float) -> "LabelStore":
        """Memory-map a store saved with its :meth:`arrays`."""
        return cls(load_arrays(folder, COLUMNS), label_frame)

    def class_frames(self, num_classes: int) -> np.ndarray:
        """Active label frames per class [K] over every recording (a frame with two events of a class counts
        once)."""
        rec = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))
        span = int(self.frame.max()) + 1 if len(self.frame) else 1
        key = np.unique((rec * span + self.frame) * num_classes + self.cls)
        return np.bincount(key % num_classes, minlength=num_classes)

    def last_frame(self, rec: int) -> int:
        """Largest label frame of recording ``rec`` (-1 without events)."""
        lo, hi = self.offsets[rec], self.offsets[rec + 1]
        return int(self.frame[hi - 1]) if hi > lo else -1

    def events(self, rec: int, start: int = 0, n_frames: int | None = None) -> Events:
        """Events of recording ``rec`` in frames ``[start, start + n_frames)``, frame indices counted from
        ``start`` (all of them, with ``n_frames=None``)."""
        lo, hi = int(self.offsets[rec]), int(self.offsets[rec + 1])
        frames = self.frame[lo:hi]
        if n_frames is not None:
            lo, hi = lo + int(np.searchsorted(frames, start)), lo + int(np.searchsorted(frames, start + n_frames))
        sl = slice(lo, hi)
        dist = np.asarray(self.dist[sl], np.float64) if self.has_dist else None
        return Events(np.asarray(self.frame[sl], np.int64) - start, np.asarray(self.cls[sl]),
                      np.asarray(self.track[sl]), np.asarray(self.xyz[sl], np.float64), dist,
                      frame_len=self.label_frame, n_frames=n_frames)

