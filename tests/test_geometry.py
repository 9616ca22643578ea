"""Directions: polar/Cartesian round trips (DCASE axes) and great-circle angles."""

from __future__ import annotations

import numpy as np

from seld.geometry import angular_distance, normalize, polar_to_unit, unit_to_polar


def test_axes_follow_dcase_convention():
    np.testing.assert_allclose(polar_to_unit(0, 0), [1, 0, 0], atol=1e-15)  # front = +x
    np.testing.assert_allclose(polar_to_unit(90, 0), [0, 1, 0], atol=1e-15)  # left = +y
    np.testing.assert_allclose(polar_to_unit(0, 90), [0, 0, 1], atol=1e-15)  # up = +z


def test_round_trip_on_a_grid():
    azi, ele = np.meshgrid(np.arange(-179, 180, 7.0), np.arange(-89, 90, 11.0))
    a, e = unit_to_polar(polar_to_unit(azi, ele) * 3.0)
    np.testing.assert_allclose(a, azi, atol=1e-9)
    np.testing.assert_allclose(e, ele, atol=1e-9)


def test_angular_distance_against_haversine():
    rng = np.random.default_rng(0)
    a1, a2 = rng.uniform(-180, 180, (2, 100))
    e1, e2 = rng.uniform(-90, 90, (2, 100))
    r = np.deg2rad
    hav = 2 * np.arcsin(np.sqrt(np.sin(r(e2 - e1) / 2) ** 2 + np.cos(r(e1)) * np.cos(r(e2)) * np.sin(r(a2 - a1) / 2) ** 2))
    np.testing.assert_allclose(angular_distance(polar_to_unit(a1, e1), polar_to_unit(a2, e2)), np.rad2deg(hav),
                               atol=1e-6)


def test_normalize_keeps_zero_vectors():
    out = normalize([[3.0, 0, 4.0], [0, 0, 0]])
    np.testing.assert_allclose(out, [[0.6, 0, 0.8], [0, 0, 0]])
