"""Targets built from `Events`: hand-checked values, the ADPIT and track filling rules, soft activity, errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from seld.errors import ConfigError, InputError
from seld.formats.events import Events
from seld.geometry import polar_to_unit
from seld.methods import get_method

X, Y, Z = np.eye(3)


def _events(rows, dist=None, **kw) -> Events:
    """Events from (frame, class, unit xyz) tuples, track ids all 7 (arbitrary)."""
    frame, cls, xyz = zip(*rows)
    return Events(frame, cls, np.full(len(rows), 7), np.array(xyz), dist, **kw)


def test_accdoa_target_is_activity_times_direction_in_axis_major_blocks():
    ev = _events([(0, 1, X), (2, 0, Y), (2, 2, Z)])
    y = get_method("accdoa").encode(ev, num_frames=4, num_classes=3)
    assert y.shape == (4, 9) and y.dtype == torch.float32
    want = np.zeros((4, 3, 3))  # [T, axis, class]
    want[0, 0, 1] = 1.0
    want[2, 1, 0] = 1.0
    want[2, 2, 2] = 1.0
    np.testing.assert_array_equal(y.numpy(), want.reshape(4, 9))


def test_accdoa_merges_instances_of_one_class_into_their_mean_direction():
    a, b = polar_to_unit(0.0, 0.0), polar_to_unit(90.0, 0.0)
    ev = _events([(0, 0, a), (0, 0, b)], dist=[2.0, 4.0])
    y = get_method("accdoa", distance=True).encode(ev, 1, 1).numpy()
    np.testing.assert_allclose(y[0, :3], polar_to_unit(45.0, 0.0), atol=1e-7)
    assert y[0, 3] == pytest.approx(3.0)


def test_accdoa_distance_block_and_soft_activity():
    ev = _events([(1, 0, X), (1, 1, Y)], dist=[2.5, 1.5])
    y = get_method("accdoa", distance=True).encode(ev, 3, 2, activity=[0.3, 1.0]).numpy().reshape(3, 4, 2)
    np.testing.assert_allclose(y[1, :3, 0], 0.3 * X, atol=1e-7)  # activity scales the vector ...
    np.testing.assert_allclose(y[1, 3], [2.5, 1.5])  # ... not the distance
    assert not y[[0, 2]].any()


def test_adpit_dummy_tracks_follow_the_a_b_c_rules():
    # frame 0: class 0 once (A0), class 1 twice (B0, B1), class 2 three times (C0..C2); frame 1: class 2 once.
    d1, d2, d3 = polar_to_unit([10.0, 100.0, -120.0], [0.0, 20.0, -30.0])
    ev = _events([(0, 2, d1), (0, 1, d2), (0, 0, X), (0, 2, d2), (0, 1, d3), (0, 2, d3), (1, 2, Y)],
                 dist=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    y = get_method("maccdoa", distance=True).encode(ev, 2, 3).numpy()
    assert y.shape == (2, 6, 5, 3)
    act = y[:, :, 0]
    np.testing.assert_array_equal(act[0], [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(act[1, :, 2], [1, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(y[0, 0, 1:4, 0], X)
    np.testing.assert_allclose(y[0, 1, 1:, 1], [*d2, 2.0])  # instances keep their row order within a class
    np.testing.assert_allclose(y[0, 2, 1:, 1], [*d3, 5.0])
    np.testing.assert_allclose(y[0, 3:, 1:4, 2], [d1, d2, d3], atol=1e-7)
    np.testing.assert_allclose(y[0, 3:, 4, 2], [1.0, 4.0, 6.0])
    np.testing.assert_allclose(y[1, 0, 1:, 2], [*Y, 7.0])


def test_adpit_keeps_three_instances_of_a_class_and_says_so(caplog):
    ev = _events([(0, 0, d) for d in polar_to_unit([0.0, 90.0, 180.0, -90.0], [0.0] * 4)])
    with caplog.at_level(logging.WARNING, logger="seld.methods"):
        y = get_method("maccdoa").encode(ev, 1, 1).numpy()
    assert y[0, 3:, 0, 0].tolist() == [1, 1, 1] and not y[0, :3].any()
    assert "1 event rows dropped" in caplog.text


def test_adpit_soft_activity_goes_to_the_activity_entry():
    ev = _events([(0, 0, X), (0, 0, Y)])
    y = get_method("maccdoa").encode(ev, 1, 1, activity=[0.25, 0.75]).numpy()
    np.testing.assert_allclose(y[0, 1:3, 0, 0], [0.25, 0.75])
    np.testing.assert_allclose(y[0, 1:3, 1:, 0], [X, Y])


def test_track_targets_fill_the_first_free_track_in_row_order(caplog):
    ev = _events([(0, 4, X), (1, 2, Y), (0, 4, Z), (0, 1, Y), (0, 3, X)])
    with caplog.at_level(logging.WARNING, logger="seld.methods"):
        y = get_method("einv2").encode(ev, 2, 5, activity=[1.0, 0.5, 1.0, 1.0, 1.0])
    sed, doa = y["sed"].numpy(), y["doa"].numpy()
    assert sed.shape == (2, 3, 5) and doa.shape == (2, 3, 3)
    assert sed[0].argmax(-1).tolist() == [4, 4, 1] and sed[0].sum() == 3
    np.testing.assert_array_equal(doa[0], [X, Z, Y])
    assert sed[1, 0, 2] == 0.5 and sed[1, 1:].sum() == 0
    np.testing.assert_array_equal(doa[1], [Y, np.zeros(3), np.zeros(3)])
    assert "1 event rows dropped" in caplog.text


def test_seddoa_targets_mask_directions_of_inactive_classes():
    ev = _events([(0, 1, Y), (1, 0, Z)])
    y = get_method("seddoa").encode(ev, 2, 2)
    np.testing.assert_array_equal(y["sed"].numpy(), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(y["doa"].numpy(), [[0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0]])


@pytest.mark.parametrize("name", ["accdoa", "maccdoa", "einv2", "seddoa"])
def test_window_selects_frames_relative_to_start(name, make_events):
    ev = make_events(3, num_frames=30, same_class=3)
    method = get_method(name)
    whole = method.encode(ev, 30, 5)
    part = method.encode(ev, 10, 5, start=12)
    for w, p in zip(*((list(x.values()) if isinstance(x, dict) else [x]) for x in (whole, part))):
        assert torch.equal(w[12:22], p)


@pytest.mark.parametrize("name", ["accdoa", "seddoa"])
def test_classwise_targets_ignore_row_order_and_track_ids(name, make_events):
    ev = make_events(4, same_class=2)
    perm = np.random.default_rng(0).permutation(len(ev))
    shuffled = Events(ev.frame[perm], ev.cls[perm], ev.track[perm] + 100, ev.xyz[perm])
    a, b = get_method(name).encode(ev, 20, 5), get_method(name).encode(shuffled, 20, 5)
    for x, y in zip(*((list(t.values()) if isinstance(t, dict) else [t]) for t in (a, b))):
        torch.testing.assert_close(x, y)


def test_target_errors_name_the_fix():
    ev = _events([(0, 3, X)])
    with pytest.raises(ConfigError, match="num_classes"):
        get_method("accdoa").encode(ev, 2, 3)
    with pytest.raises(ConfigError, match="distance"):
        get_method("maccdoa", distance=True).encode(ev, 2, 4)
    with pytest.raises(ConfigError, match="to_frame_len"):
        get_method("einv2").encode(_events([(0, 0, X)], frame_len=0.02), 2, 4)
    with pytest.raises(ConfigError, match="activity"):
        get_method("accdoa").encode(ev, 2, 4, activity=[0.5, 0.5])
    with pytest.raises(ConfigError, match="activity"):
        get_method("accdoa").encode(ev, 2, 4, activity=1.5)
    with pytest.raises(InputError, match="NaN"):
        get_method("seddoa").encode(_events([(0, 0, [np.nan, 0.0, 0.0])]), 2, 4)
