"""The Events table: construction, selection, activity and frame-rate conversion."""

from __future__ import annotations

import numpy as np
import pytest

from seld.errors import ConfigError
from seld.formats import Events, get_classes


def _ev() -> Events:
    return Events.from_polar([0, 0, 1, 3], [2, 5, 2, 1], [0, 0, 1, 0], [90, 0, -90, 180], [0, 0, 0, 45],
                             dist=[1.0, 2.0, 3.0, 4.0], n_frames=5)


def test_activity_and_frames():
    ev = _ev()
    act = ev.activity(num_classes=6)
    assert act.shape == (5, 6)
    assert act.sum() == 4 and act[0, 2] and act[0, 5] and act[1, 2] and act[3, 1]
    assert ev.last_frame() == 3 and ev.num_frames() == 5
    assert Events.empty().num_frames() == 0


def test_sorted_select_and_concat():
    ev = _ev()
    rev = ev.select(np.arange(len(ev))[::-1])
    assert rev.sorted().equals(ev)
    both = Events.concat([ev, ev])
    assert len(both) == 8 and both.dist is not None and both.n_frames == 5


def test_to_frame_len_coarser_and_finer():
    ev = Events.from_polar([0, 1, 2, 5], [1, 1, 1, 1], [0, 0, 0, 0], [0, 10, 20, 30], [0, 0, 0, 0], n_frames=6)
    coarse = ev.to_frame_len(0.2)  # frames 0,1 -> 0 (first kept), 2 -> 1, 5 -> 2
    assert coarse.frame.tolist() == [0, 1, 2] and coarse.n_frames == 3
    np.testing.assert_allclose(coarse.azi_ele()[0], [0, 20, 30], atol=1e-9)
    fine = Events.from_polar([1], [0], [0], [10], [0]).to_frame_len(0.02)
    assert fine.frame.tolist() == [5, 6, 7, 8, 9]
    with pytest.raises(ValueError):
        ev.to_frame_len(0.03)


def test_polar_round_trip_keeps_both_signs_of_180():
    ev = Events.from_polar([0, 1], [0, 0], [0, 0], [180, -180], [0, 0])
    azi, _ = ev.azi_ele()
    assert np.rint(azi).tolist() == [180, -180]


def test_class_lists_by_name_and_count():
    assert len(get_classes("starss23")) == 13 and get_classes("STARSS23")[0] == "female_speech"
    assert len(get_classes("dcase2019")) == 11 and len(get_classes("dcase2020")) == 14
    assert len(get_classes("dcase2021")) == 12 and len(get_classes("l3das22")) == 14
    assert len(get_classes(7)) == 7 and len(get_classes("7")) == 7
    assert get_classes("starss23").index("Water tap") == 10
    with pytest.raises(ConfigError, match="unknown class list"):
        get_classes("nope")
