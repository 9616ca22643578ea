"""Plumbing shared by the methods: `Events` rows in (validated, windowed), network outputs to numpy.

Targets are built from the rows of an :class:`~seld.formats.Events` table that fall inside one chunk of label
frames; the way back, from outputs to one `Events` table per batch item, is :mod:`seld.decode`. Everything here
is numpy and vectorised over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seld.errors import ConfigError, InputError
from seld.formats.events import Events
from seld.geometry import normalize

__all__ = ["FRAME_LEN", "Rows", "select_rows", "rank_in_group", "classwise", "to_numpy"]

#: Label frame length of every method's targets and outputs (seconds).
FRAME_LEN = 0.1


@dataclass
class Rows:
    """The rows of one chunk: frame relative to the chunk start, class, unit direction, distance, activity."""

    frame: np.ndarray
    cls: np.ndarray
    xyz: np.ndarray
    dist: np.ndarray | None
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)


def select_rows(events: Events, num_frames: int, num_classes: int, *, start: int = 0, activity=None,
                need_dist: bool = False, frame_len: float = FRAME_LEN) -> Rows:
    """Rows of ``events`` in frames ``[start, start + num_frames)``, checked for what a target needs.

    ``activity`` is the activity of each row (scalar or [N], in [0, 1]; default 1): mixing augmentations
    (WavMix, TrackMix) give the rows of the two mixed clips lambda and 1 - lambda. ``frame_len``: the label
    frame the target is built on (the events must have it).
    """
    if abs(events.frame_len - frame_len) > 1e-9:
        raise ConfigError(f"targets are built on {frame_len} s label frames but the events have frames of "
                          f"{events.frame_len} s; convert them first with events.to_frame_len({frame_len})")
    if num_frames < 0 or num_classes < 1:
        raise ConfigError(f"need num_frames >= 0 and num_classes >= 1, got {num_frames} and {num_classes}")
    if need_dist and events.dist is None:
        raise ConfigError("this method predicts distance but the events carry none; use labels with a distance "
                          "column or build the method with distance=False")
    n = len(events)
    try:
        weight = np.broadcast_to(np.asarray(1.0 if activity is None else activity, dtype=np.float64), (n,)).copy()
    except ValueError:
        raise ConfigError(f"activity must be one number or one per event row ({n}), "
                          f"got shape {np.shape(activity)}") from None
    if not np.all((weight >= 0.0) & (weight <= 1.0)):
        raise ConfigError("activity values must lie in [0, 1] (one per event row, or one for all rows)")
    keep = (events.frame >= start) & (events.frame < start + num_frames)
    frame, cls, xyz, weight = events.frame[keep] - start, events.cls[keep], events.xyz[keep], weight[keep]
    dist = events.dist[keep] if need_dist else None
    bad = (cls < 0) | (cls >= num_classes)
    if bad.any():
        raise ConfigError(f"class index {int(cls[bad][0])} is outside 0..{num_classes - 1}; "
                          f"num_classes must match the class list of the labels")
    if not np.isfinite(xyz).all() or (dist is not None and not np.isfinite(dist).all()):
        raise InputError(None, "an event has a NaN or infinite direction or distance",
                         "fix the label file (every row needs finite azimuth, elevation and distance)")
    return Rows(frame, cls, xyz, dist, weight)


def rank_in_group(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, its rank among the rows with the same ``key`` (in row order) and the size of that group."""
    n = len(key)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]]) if n else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, n])
    group = np.repeat(np.arange(len(starts)), sizes)
    rank = np.empty(n, np.int64)
    size = np.empty(n, np.int64)
    rank[order] = np.arange(n) - starts[group]
    size[order] = sizes[group]
    return rank, size


def classwise(rows: Rows, num_frames: int, num_classes: int):
    """One (activity, direction, distance) per frame and class, for the class-wise formats (ACCDOA, SEDDOA).

    Several instances of a class in one frame become one: activity = the largest of their activities,
    direction = their activity-weighted mean direction re-normalised, distance = their activity-weighted mean.
    (Instances in exactly opposite directions cancel to a zero vector.)

    Returns:
        act [T, K], unit xyz [T, K, 3] (zero where inactive), dist [T, K] or None.
    """
    idx = (rows.frame, rows.cls)
    act = np.zeros((num_frames, num_classes))
    np.maximum.at(act, idx, rows.weight)
    vec = np.zeros((num_frames, num_classes, 3))
    np.add.at(vec, idx, rows.weight[:, None] * rows.xyz)
    vec = normalize(vec)
    if rows.dist is None:
        return act, vec, None
    wsum = np.zeros((num_frames, num_classes))
    dsum = np.zeros((num_frames, num_classes))
    np.add.at(wsum, idx, rows.weight)
    np.add.at(dsum, idx, rows.weight * rows.dist)
    return act, vec, np.divide(dsum, wsum, out=np.zeros_like(dsum), where=wsum > 0)


def to_numpy(x) -> np.ndarray:
    """Network output (tensor on any device, or array) as float64 numpy."""
    if isinstance(x, torch.Tensor):
        x = x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)
