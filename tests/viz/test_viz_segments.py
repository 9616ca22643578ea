"""seld.viz.segments: activity spans against a plain loop, colours, time extent."""

from __future__ import annotations

import numpy as np
import pytest

from seld.formats.events import Events
from seld.viz import Span, events_to_segments
from seld.viz.segments import class_colors, classes_present, duration_s


def _spans_by_loop(ev: Events, max_gap: int) -> list[tuple]:
    """The obvious version: for each (class, track), walk its sorted frames and cut where the gap is too big."""
    out = []
    for c in sorted(set(ev.cls.tolist())):
        for k in sorted(set(ev.track[ev.cls == c].tolist())):
            frames = sorted(set(ev.frame[(ev.cls == c) & (ev.track == k)].tolist()))
            first = prev = frames[0]
            for f in frames[1:] + [None]:
                if f is None or f - prev > max_gap + 1:
                    out.append((c, k, first, prev))
                    first = f
                prev = f
    return out


def test_spans_of_the_test_recording(recording):
    _, pred, ref = recording
    assert events_to_segments(ref) == [Span(0, 0, 5, 24, 0.5, 2.5), Span(1, 1, 15, 39, 1.5, 4.0),
                                       Span(4, 0, 45, 54, 4.5, 5.5)]
    spans = events_to_segments(pred)
    assert [(s.cls, s.first, s.last) for s in spans] == [(0, 6, 11), (0, 13, 25), (1, 16, 40), (2, 56, 58),
                                                         (4, 46, 55)]
    assert spans[0].start == pytest.approx(0.6) and spans[0].end == pytest.approx(1.2)


@pytest.mark.parametrize("max_gap", [0, 1, 3])
def test_spans_match_a_plain_loop(max_gap):
    rng = np.random.default_rng(3)
    n = 300
    ev = Events.from_polar(rng.integers(0, 80, n), rng.integers(0, 4, n), rng.integers(0, 3, n),
                           rng.uniform(-180, 180, n), rng.uniform(-90, 90, n), frame_len=0.02)
    got = events_to_segments(ev, max_gap=max_gap)
    assert [(s.cls, s.track, s.first, s.last) for s in got] == _spans_by_loop(ev, max_gap)
    for s in got:
        assert s.start == pytest.approx(s.first * 0.02) and s.end == pytest.approx((s.last + 1) * 0.02)


def test_repeated_rows_and_empty_tables():
    ev = Events.from_polar([3, 3, 4, 4], [1, 1, 1, 1], [0, 0, 0, 0], [10, 20, 30, 40], [0, 0, 0, 0])
    assert events_to_segments(ev) == [Span(1, 0, 3, 4, pytest.approx(0.3), pytest.approx(0.5))]
    assert events_to_segments(Events.empty()) == []
    with pytest.raises(ValueError, match="max_gap"):
        events_to_segments(ev, max_gap=-1)


def test_colours_classes_and_duration(recording):
    _, pred, ref = recording
    for n in (5, 13, 20):
        cols = class_colors(n)
        assert len(cols) == n and len(set(cols)) == n
    assert class_colors(25)[20] == class_colors(25)[0]  # repeats past 20
    assert classes_present(ref) == [0, 1, 4]
    assert classes_present(pred, None, ref) == [0, 1, 2, 4]
    assert duration_s(24000, 24000, ref) == pytest.approx(6.0)  # the labels' 60 frames outlast 1 s of audio
    assert duration_s(24000 * 7, 24000, ref) == pytest.approx(7.0)
