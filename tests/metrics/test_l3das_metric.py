"""L3DAS22 location-sensitive detection on a hand-built case (numbers derived by hand in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from seld.formats import Events
from seld.metrics import score


def _ev(rows) -> Events:
    """Events from (frame, class, x, y, z) rows, positions in metres."""
    r = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return Events.from_cartesian(r[:, 0].astype(int), r[:, 1].astype(int), np.zeros(len(r)), r[:, 2:],
                                 np.linalg.norm(r[:, 2:], axis=1))


def test_any_match_counting():
    ref = _ev([(0, 0, 1, 0, 0), (0, 0, 1.5, 0, 0),  # two references near one prediction
               (1, 1, 0, 1, 0),
               (2, 2, 0, 0, 1),
               (3, 4, 2, 0, 0),
               (5, 7, 1, 0, 0),
               (6, 6, 1, 0, 0)])
    pred = _ev([(0, 0, 1.2, 0, 0),
                (1, 1, 0, 1.5, 0), (1, 1, 0, 1.2, 0),  # two predictions near one reference
                (2, 3, 0, 0, 1),  # right place, wrong class
                (3, 4, -0.5, 0, 0),  # 2.5 m away
                (4, 5, 1, 1, 1),  # no reference in frame 4
                (6, 6, 3, 0, 0)])  # exactly 2.0 m away: not a match (strict <)
    r = score({"a": ref}, {"a": pred}, "l3das22")
    # Frame 0: matched refs {0, 1}, matched preds {0} -> TP = min(2, 1) = 1, FN 1.
    # Frame 1: matched refs {0}, preds {0, 1} -> TP 1, FP 1.    Frame 2: FP 1, FN 1.    Frame 3: FP 1, FN 1.
    # Frame 4: FP 1.    Frame 5: FN 1.    Frame 6: FP 1, FN 1.
    # TP 2, FP 5, FN 5: precision = recall = 2/7, F = 2/7.
    assert r.extra["precision"] == pytest.approx(2 / 7)
    assert r.extra["recall"] == pytest.approx(2 / 7)
    assert r.F == pytest.approx(2 / 7)
    assert np.isnan(r.ER) and r.to_dict()["SELD"] is None


def test_spatial_threshold_option():
    # With a 3 m threshold frames 3 and 6 match as well: TP 4, FP 3, FN 3 -> F = 4/7.
    ref = _ev([(3, 4, 2, 0, 0), (6, 6, 1, 0, 0), (2, 2, 0, 0, 1)])
    pred = _ev([(3, 4, -0.5, 0, 0), (6, 6, 3, 0, 0), (2, 3, 0, 0, 1)])
    assert score({"a": ref}, {"a": pred}, "l3das22").F == pytest.approx(0.0)
    assert score({"a": ref}, {"a": pred}, "l3das22", spatial_threshold=3.0).F == pytest.approx(2 / 3)
