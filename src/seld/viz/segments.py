"""Helpers shared by the plot and the HTML report: activity spans, class colours, the time extent of a recording.

A *span* is a run of consecutive label frames in which one class is active on one track. The timeline of the
HTML report draws one bar per span, and the PNG draws the same bars, so both agree with each other and with
:func:`events_to_segments`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from seld.formats.events import Events

__all__ = ["Span", "events_to_segments", "class_colors", "classes_present", "duration_s"]

# Category colours (matplotlib's "tab10" and "tab20" hues), as hex so that the HTML page uses the same ones.
_PALETTE_10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf")
_PALETTE_20 = _PALETTE_10 + ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
                             "#c7c7c7", "#dbdb8d", "#9edae5")  # the ten light "tab20" hues after the ten dark ones


class Span(NamedTuple):
    """One class active on one track over consecutive frames.

    Attributes:
        cls: class index.
        track: track / source id.
        first, last: first and last frame (inclusive) at the events' ``frame_len``.
        start, end: seconds; ``end`` is the end of the last frame, ``(last + 1) * frame_len``.
    """

    cls: int
    track: int
    first: int
    last: int
    start: float
    end: float


def events_to_segments(events: Events, max_gap: int = 0) -> list[Span]:
    """Runs of activity of each (class, track) of ``events``, ordered by class, track and start.

    Frames of one (class, track) belong to one span while each follows the previous one with at most
    ``max_gap`` missing frames between them (0: strictly consecutive). Repeated rows of a frame count once.
    """
    if max_gap < 0:
        raise ValueError(f"max_gap must be >= 0, got {max_gap}")
    if len(events) == 0:
        return []
    key = np.unique(np.stack([events.cls, events.track, events.frame], axis=1), axis=0)  # sorted by cls, track, frame
    cls, track, frame = key[:, 0], key[:, 1], key[:, 2]
    new_run = np.ones(len(key), dtype=bool)
    new_run[1:] = (cls[1:] != cls[:-1]) | (track[1:] != track[:-1]) | (frame[1:] - frame[:-1] > max_gap + 1)
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(key)) - 1
    fl = float(events.frame_len)
    return [Span(int(cls[s]), int(track[s]), int(frame[s]), int(frame[e]), float(frame[s] * fl),
                 float((frame[e] + 1) * fl)) for s, e in zip(starts, ends)]


def class_colors(num_classes: int) -> list[str]:
    """One hex colour per class index: the ten "tab10" hues, then their ten light variants, then repeated."""
    return [_PALETTE_20[i % len(_PALETTE_20)] for i in range(num_classes)]


def classes_present(*tables: Events | None) -> list[int]:
    """Sorted class indices that occur in any of the given tables (``None`` entries ignored)."""
    found = set()
    for t in tables:
        if t is not None and len(t):
            found.update(int(c) for c in np.unique(t.cls))
    return sorted(found)


def duration_s(num_samples: int, sample_rate: int, *tables: Events | None) -> float:
    """Seconds shown on time axes: the longest of the audio and of each table's frames (``num_frames()``)."""
    d = num_samples / float(sample_rate)
    for t in tables:
        if t is not None:
            d = max(d, t.num_frames() * float(t.frame_len))
    return d
