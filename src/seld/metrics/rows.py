"""All files of a dataset as one table of rows, and grouping of rows by integer keys.

The scorers work on every file at once: the rows of all reference (or prediction) files are stacked with a
file index, and each counting step is a sort, a group-by or a bincount over the whole dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seld.formats.events import Events

__all__ = ["Rows", "stack", "Groups", "group_by", "per_file_class", "sdi", "recording_length"]


@dataclass
class Rows:
    """Rows of many files: file index, frame, class, unit direction, distance (metres or None)."""

    file: np.ndarray
    frame: np.ndarray
    cls: np.ndarray
    xyz: np.ndarray
    dist: np.ndarray | None

    def __len__(self) -> int:
        return len(self.frame)

    def select(self, idx) -> "Rows":
        return Rows(self.file[idx], self.frame[idx], self.cls[idx], self.xyz[idx],
                    None if self.dist is None else self.dist[idx])


def stack(events: list[Events]) -> Rows:
    """Stack the files' rows in file order (row order inside a file kept); distance kept if all files have it."""
    n = [len(e) for e in events]
    file = np.repeat(np.arange(len(events), dtype=np.int64), n)
    if not events:
        return Rows(file, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 3)), None)
    with_dist = all(e.dist is not None for e in events)
    return Rows(file, np.concatenate([e.frame for e in events]), np.concatenate([e.cls for e in events]),
                np.concatenate([e.xyz for e in events]).reshape(-1, 3),
                np.concatenate([e.dist for e in events]) if with_dist else None)


@dataclass
class Groups:
    """Rows grouped by a key. ``order`` sorts the rows by key (stable: file order kept inside a group);
    group ``g`` has key ``keys[g]`` and holds sorted rows ``start[g] ... start[g] + count[g] - 1``;
    ``pos`` is each sorted row's position inside its group and ``group`` its group index."""

    order: np.ndarray
    keys: np.ndarray
    start: np.ndarray
    count: np.ndarray
    group: np.ndarray
    pos: np.ndarray


def group_by(key: np.ndarray) -> Groups:
    """Group rows by an int64 key (see :class:`Groups`)."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    if k.size:
        first = np.concatenate([[True], k[1:] != k[:-1]])
    else:
        first = np.zeros(0, dtype=bool)
    start = np.flatnonzero(first)
    count = np.diff(np.append(start, k.size))
    group = np.cumsum(first) - 1
    pos = np.arange(k.size) - start[group]
    return Groups(order, k[start], start, count, group, pos)


def recording_length(ref: Events, pred: Events) -> int:
    """Frames of a recording: the reference's ``n_frames`` when known, else up to the last reference or
    predicted frame (what ``fix_quirks=True`` evaluates)."""
    return ref.n_frames if ref.n_frames is not None else max(ref.last_frame(), pred.last_frame()) + 1


def per_file_class(values: dict[str, np.ndarray], file: np.ndarray, cls: np.ndarray, n_files: int,
                   num_classes: int) -> dict[str, np.ndarray]:
    """Sum per-item values into [files, classes] arrays (one bincount per count)."""
    idx = file * num_classes + cls
    return {k: np.bincount(idx, weights=v, minlength=n_files * num_classes).reshape(n_files, num_classes)
            for k, v in values.items()}


def sdi(block: np.ndarray, loc_fp: np.ndarray, loc_fn: np.ndarray, blocks_per_file: int, n_files: int):
    """Substitutions, deletions, insertions per file from location-aware FP/FN summed per block (a segment or
    a frame; ``block = file * blocks_per_file + index``)."""
    keys, inv = np.unique(block, return_inverse=True)
    fp = np.bincount(inv, weights=loc_fp, minlength=keys.size)
    fn = np.bincount(inv, weights=loc_fn, minlength=keys.size)
    f = keys // blocks_per_file
    return (np.bincount(f, weights=np.minimum(fp, fn), minlength=n_files),
            np.bincount(f, weights=np.maximum(0, fn - fp), minlength=n_files),
            np.bincount(f, weights=np.maximum(0, fp - fn), minlength=n_files))
