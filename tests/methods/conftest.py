"""Fixtures of the method tests: random label chunks with controlled polyphony, and an order-free comparison."""

from __future__ import annotations

import numpy as np
import pytest

from seld.formats.events import Events
from seld.geometry import angular_distance

#: Smallest angle between two instances of one class in one frame, so that mACCDOA decoding keeps them apart.
MIN_SEPARATION_DEG = 30.0


def _make_events(seed: int, num_frames: int = 20, num_classes: int = 5, per_frame: int = 3,
                 same_class: int = 1, dist: bool = False) -> Events:
    """Up to ``per_frame`` events per frame, at most ``same_class`` of one class, same-class instances at least
    MIN_SEPARATION_DEG apart, rows in random order with arbitrary track ids."""
    rng = np.random.default_rng(seed)
    frame, cls, xyz = [], [], []
    for t in range(num_frames):
        for _ in range(int(rng.integers(0, per_frame + 1))):
            for _ in range(100):
                c = int(rng.integers(0, num_classes))
                u = rng.normal(size=3)
                u /= np.linalg.norm(u)
                same = [v for f, k, v in zip(frame, cls, xyz) if f == t and k == c]
                if len(same) < same_class and all(angular_distance(u, v) > MIN_SEPARATION_DEG for v in same):
                    frame.append(t), cls.append(c), xyz.append(u)
                    break
    n = len(frame)
    order = rng.permutation(n)
    return Events(np.array(frame, np.int64)[order], np.array(cls, np.int64)[order], rng.integers(0, 50, n),
                  np.array(xyz).reshape(n, 3)[order], rng.uniform(0.5, 6.0, n) if dist else None,
                  n_frames=num_frames)


@pytest.fixture
def make_events():
    """Factory of random label chunks (see ``_make_events``)."""
    return _make_events


def _canonical(ev: Events):
    order = np.lexsort((ev.xyz[:, 0], ev.cls, ev.frame))
    return ev.frame[order], ev.cls[order], ev.xyz[order], None if ev.dist is None else ev.dist[order]


@pytest.fixture
def assert_same_events():
    """Assert two tables hold the same (frame, class, direction, distance) rows, in any order, any track ids."""

    def check(got: Events, want: Events, atol: float = 1e-5) -> None:
        assert len(got) == len(want), f"{len(got)} rows decoded, {len(want)} expected"
        assert got.has_dist == want.has_dist
        gf, gc, gx, gd = _canonical(got)
        wf, wc, wx, wd = _canonical(want)
        np.testing.assert_array_equal(gf, wf)
        np.testing.assert_array_equal(gc, wc)
        np.testing.assert_allclose(gx, wx, atol=atol)
        if gd is not None:
            np.testing.assert_allclose(gd, wd, atol=atol)

    return check
