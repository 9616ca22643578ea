"""Rooms drawn from ranges, image sources from pyroomacoustics, and the positions sources use."""

from __future__ import annotations

import numpy as np
import pytest

from seld.errors import ConfigError
from seld.geometry import angular_distance, normalize
from seld.synth.decay import DecayModel, air_attenuation
from seld.synth.filters import BANDS
from seld.synth.rooms import MID_BANDS, Room, RoomRanges, image_sources, sabine_absorption, sample_room
from seld.synth.trajectories import PositionRanges, PositionSet, make_positions, sample_motion


def test_sampled_rooms_are_reproducible_and_aim_at_their_target():
    ranges = RoomRanges(size_min=(5, 4, 2.8), size_max=(9, 7, 3.5), rt60=(0.3, 0.9))
    a = sample_room(np.random.default_rng(7), ranges)
    assert a == sample_room(np.random.default_rng(7), ranges)
    assert a != sample_room(np.random.default_rng(8), ranges)
    lx, ly, lz = a.size
    assert 5 <= lx <= 9 and 4 <= ly <= 7 and 2.8 <= lz <= 3.5 and 0.3 * 0.97 <= a.rt60 <= 0.9 * 1.03
    # the recorded aim is the decay model's T30 of the drawn walls, per band, and its mid-band mean is rt60
    t30 = DecayModel(a.size, a.absorption_bands(), a.scattering_bands(), a.air_bands(), a.c).decay_times()
    np.testing.assert_allclose(a.t30, t30, rtol=1e-3)
    assert a.rt60 == pytest.approx(np.mean(t30[list(MID_BANDS)]), rel=1e-3)
    # walls from the database (scaled): six named materials, frequency-dependent, more absorbing up high in air
    assert len(a.materials) == 6 and a.absorption_bands().shape == (6, len(BANDS))
    assert np.ptp(a.absorption_bands(), axis=1).max() > 0.01
    air = a.air_bands()
    assert np.all(np.diff(air) > 0) and 0.015 < air[-1] < 0.05          # ISO 9613-1 at 8 kHz: about 0.1 dB/m
    for frac, size in zip(np.asarray(a.array) / np.asarray(a.size), a.size):
        assert 0.4 <= frac <= 0.6
    assert Room.from_dict(a.to_dict()) == a
    # a room made by hand keeps its plain form: one coefficient per wall, the same in every band
    plain = Room((4, 3, 2.5), (0.3,) * 6, (2, 1.5, 1.2))
    assert Room.from_dict(plain.to_dict()) == plain and np.all(plain.absorption_bands() == 0.3)


def test_air_absorption_is_iso_9613():
    """Spot values of ISO 9613-1 (table 1 of the standard, dB/km at 20 C, 101.325 kPa)."""
    db_per_km = air_attenuation([500.0, 1000.0, 2000.0, 4000.0, 8000.0], 20.0, 50.0) * 1000 * 10 / np.log(10)
    np.testing.assert_allclose(db_per_km, [2.73, 4.66, 9.86, 29.7, 105.0], rtol=0.02)


def test_impossible_rooms_and_positions_fail_clearly():
    with pytest.raises(ConfigError, match="RT60"):
        sabine_absorption((20, 20, 10), 0.05)
    with pytest.raises(ConfigError, match="could not draw"):
        sample_room(np.random.default_rng(0), RoomRanges(size_min=(20, 20, 10), size_max=(20, 20, 10),
                                                         rt60=(0.05, 0.05)), attempts=2)
    with pytest.raises(ConfigError, match="not inside"):
        Room((3, 3, 3), (0.5,) * 6, (4, 1, 1))
    room = Room((3, 3, 2.5), (0.5,) * 6, (1.5, 1.5, 1.2))
    with pytest.raises(ConfigError, match="almost no space"):
        make_positions(np.random.default_rng(0), room, PositionRanges(dist=(4.0, 5.0)))
    with pytest.raises(ConfigError, match="outside the room"):
        image_sources(room, (5, 1, 1), 24000)


def test_image_sources_are_pyroomacoustics_images_cut_at_the_response_length():
    import pyroomacoustics as pra

    room = Room((4, 3, 2.5), (0.2, 0.3, 0.25, 0.35, 0.4, 0.15), (2.1, 1.4, 1.2), max_order=6, ir_len=0.04,
                air_absorption=False)
    src = np.array([0.9, 2.2, 1.5])
    images = image_sources(room, src, 24000)
    sim = pra.ShoeBox([4, 3, 2.5], fs=24000, max_order=6,
                      materials={w: pra.Material(a) for w, a in zip(("west", "east", "south", "north", "floor",
                                                                      "ceiling"), room.absorption)})
    sim.add_microphone([2.1, 1.4, 1.2])
    sim.add_source(src)
    sim.image_source_model()
    theirs = sim.sources[0].images.T - np.array([2.1, 1.4, 1.2])
    keep = np.linalg.norm(theirs, axis=1) < room.ir_len * room.c
    assert len(images) == keep.sum() < len(theirs)
    np.testing.assert_allclose(images.xyz, theirs[keep], atol=1e-5)
    np.testing.assert_allclose(images.beta, sim.sources[0].damping[0][keep], atol=1e-6)
    assert images.gains is None                       # the same in every band: one amplitude per image
    assert images.dist.min() == pytest.approx(np.linalg.norm(src - room.array))


def test_image_gains_per_band_scattering_air_and_the_crossfade():
    """Per band, an image's amplitude is pyroomacoustics' wall damping, times (1 - s)^(n/2) for n reflections,
    times the air's attenuation over its path; images fade out over the last 20 ms before the horizon (the
    direct path never)."""
    import pyroomacoustics as pra

    alpha = [[0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]] * 3 + [[0.3] * 7] * 3
    room = Room((6, 5, 3), tuple(tuple(a) for a in alpha), (3.1, 2.4, 1.3), max_order=30, ir_len=0.3,
                scattering=0.2, ism_until=0.06)
    src = np.array([1.4, 3.6, 1.7])
    images = image_sources(room, src, 24000)
    assert room.horizon() == pytest.approx(0.06)
    assert images.dist.max() < 0.06 * room.c and images.n_samples < 0.3 * 24000
    sim = pra.ShoeBox([6, 5, 3], fs=24000, max_order=room.ism_order(),
                      materials={w: pra.Material({"coeffs": a, "center_freqs": list(BANDS)})
                                 for w, a in zip(("west", "east", "south", "north", "floor", "ceiling"), alpha)})
    sim.add_microphone(list(room.array))
    sim.add_source(src)
    sim.image_source_model()
    s = sim.sources[0]
    theirs = s.images.T - np.asarray(room.array)
    dist = np.linalg.norm(theirs, axis=1)
    order = np.argsort(dist)
    match = order[np.searchsorted(dist[order], images.dist - 1e-9)]
    np.testing.assert_allclose(theirs[match], images.xyz, atol=1e-5)
    expected = s.damping[:, match].T * 0.8 ** (s.orders[match][:, None] / 2)
    expected *= np.exp(-0.5 * room.air_bands()[None, :] * images.dist[:, None])
    early = images.dist < (0.06 - 0.02) * room.c
    np.testing.assert_allclose(images.gains[early], expected[early], rtol=1e-6)
    late = ~early
    assert late.any() and np.all(images.gains[late] < expected[late] - 1e-12)
    assert images.gains[np.argmin(images.dist)] == pytest.approx(
        np.exp(-0.5 * room.air_bands() * images.dist.min()))


def test_positions_respect_walls_distances_elevations_and_step():
    room = Room((7, 6, 3.2), (0.3,) * 6, (3.4, 2.9, 1.5))
    ranges = PositionRanges(n_static=30, n_paths=5, dist=(1.0, 2.5), ele=(-30, 45), step_deg=4.0,
                            line_fraction=0.4)
    pos = make_positions(np.random.default_rng(3), room, ranges)
    assert len(pos.paths) == 5 and len(pos) > 30
    assert room.contains(pos.xyz + np.asarray(room.array), margin=ranges.wall_margin).all()
    static = pos.xyz[:30]
    dist = np.linalg.norm(static, axis=1)
    ele = np.degrees(np.arcsin(static[:, 2] / dist))
    assert dist.min() >= 1.0 and dist.max() <= 2.5 and ele.min() >= -30 and ele.max() <= 45
    for path in pos.paths:
        d = pos.dirs[path]
        assert angular_distance(d[:-1], d[1:]).max() <= 4.0 + 1e-6
        assert np.linalg.norm(pos.xyz[path], axis=1).min() >= 1.0 - 1e-9
    again = PositionSet.from_dict(pos.to_dict())
    np.testing.assert_allclose(again.xyz, pos.xyz, atol=1e-4)


def test_motion_walks_a_path_at_constant_speed_and_turns_back():
    xyz = np.stack([np.linspace(0, 1.0, 11) + 1.0, np.zeros(11), np.zeros(11)], axis=1)    # 10 cm steps
    pos = PositionSet(xyz, [np.arange(11)])
    idx = sample_motion(np.random.default_rng(0), pos, np.arange(0, 6.0, 0.1), speed=(0.5, 0.5))
    x = pos.xyz[idx, 0]
    steps = np.abs(np.diff(x))
    assert np.all(steps <= 0.1 + 1e-9)                           # 0.05 m per 100 ms frame, nearest point
    assert x.min() == pytest.approx(1.0) and x.max() == pytest.approx(2.0)   # reached both ends
    turns = np.sum(np.diff(np.sign(np.diff(x)[np.diff(x) != 0])) != 0)
    assert turns >= 2
    again = sample_motion(np.random.default_rng(0), pos, np.arange(0, 6.0, 0.1), speed=(0.5, 0.5))
    np.testing.assert_array_equal(idx, again)
    assert np.allclose(normalize(pos.xyz[idx]), [1, 0, 0])


def test_grid_layout_puts_static_points_on_the_grid():
    room = Room((8, 7, 3.5), (0.3,) * 6, (4.0, 3.5, 1.6))
    ranges = PositionRanges(n_static=40, n_paths=0, dist=(1.0, 2.0), ele=(-20, 40), layout="grid",
                            grid_step_deg=10.0, grid_dist_step=0.5)
    pos = make_positions(np.random.default_rng(5), room, ranges)
    assert len(pos) == 40 and len(np.unique(np.round(pos.xyz, 9), axis=0)) == 40
    dist = np.linalg.norm(pos.xyz, axis=1)
    azi = np.degrees(np.arctan2(pos.xyz[:, 1], pos.xyz[:, 0]))
    ele = np.degrees(np.arcsin(pos.xyz[:, 2] / dist))
    np.testing.assert_allclose(azi / 10, np.round(azi / 10), atol=1e-9)
    np.testing.assert_allclose(ele / 10, np.round(ele / 10), atol=1e-9)
    np.testing.assert_allclose(dist / 0.5, np.round(dist / 0.5), atol=1e-9)
    assert ele.min() >= -20 - 1e-9 and ele.max() <= 40 + 1e-9 and dist.min() >= 1 - 1e-9 and dist.max() <= 2 + 1e-9
    assert np.array_equal(pos.xyz, make_positions(np.random.default_rng(5), room, ranges).xyz)
    with pytest.raises(ConfigError, match="layout"):
        PositionRanges(layout="spiral")
