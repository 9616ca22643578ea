"""DCASE2024 frame-level metric on hand-built cases (numbers derived by hand in the comments)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from seld.formats import Events
from seld.metrics import score
from seld.metrics.frame import count_frames

#: The official angle between identical directions: vectors divided by sqrt(1 + 1e-10) -> arccos(1/(1+1e-10)).
FLOOR = float(np.rad2deg(np.arccos(1 / (1 + 1e-10))))  # 8.1e-4 degrees
#: arccos near 1 turns the last bit of a unit vector's norm into ~1e-9 degrees
NEAR_ZERO_TOL = 1e-7


def _ev(rows) -> Events:
    """Events from (frame, class, azi, ele, dist_m) rows."""
    r = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return Events.from_polar(r[:, 0].astype(int), r[:, 1].astype(int), np.zeros(len(r)), r[:, 2], r[:, 3], r[:, 4])


REF = _ev([(f, 0, 0, 0, 2.0) for f in range(5)] + [(5, 1, 50, 0, 1.0)])  # last reference frame: 5
PRED = _ev([(0, 0, 0, 0, 2.0),  # perfect: TP
            (1, 0, 30, 0, 2.0),  # 30 deg: spatial FP
            (2, 0, 0, 0, 4.0),  # relative distance error (4 - 2) / (2 + eps) = 1.0 exactly: not > 1, TP
            (3, 0, 0, 0, 4.5),  # relative error 1.25: spatial FP
            # frame 4: nothing -> FN
            (5, 1, 50, 0, 1.0),  # the last reference frame is never scored
            (6, 2, 0, 0, 1.0)])  # after it: ignored


def test_micro_counts():
    r = score({"a": REF}, {"a": PRED}, "dcase2024", average="micro")
    # Class 0, frames 0-4: TP 2 (frames 0, 2), FP_spatial 2 (frames 1, 3), FN 1 (frame 4), DE_TP 4 pairs.
    # F = 2 / (2 + 2 + 0.5 * 1) = 4/9; LR = 4 / (4 + 1) = 0.8.
    # DOAE = (FLOOR + 30 + FLOOR + FLOOR) / 4; DistE = (0 + 0 + 2 + 2.5) / 4; RDE = (0 + 0 + 1 + 1.25) / 4.
    # Frames 1, 3: loc FP 1 -> I; frame 4: loc FN 1 -> D; Nref = 5 -> ER = 3/5.
    assert r.F == pytest.approx(4 / 9)
    assert r.LR == pytest.approx(0.8)
    assert r.LE == pytest.approx((30 + 3 * FLOOR) / 4, abs=NEAR_ZERO_TOL)
    assert r.DE == pytest.approx(1.125)
    assert r.RDE == pytest.approx(0.5625)
    assert r.ER == pytest.approx(0.6)
    assert r.SELD == pytest.approx(np.mean([5 / 9, (30 + 3 * FLOOR) / 4 / 180, 0.5625]))


def test_macro_skips_nan_errors_but_not_absent_classes():
    r = score({"a": REF}, {"a": PRED}, "dcase2024")
    # Class 0 as above; the 12 other classes have F = 0 and no matched pair (DOAE, RDE = NaN), so their
    # SELD_c = nanmean(1 - 0, NaN, NaN) = 1. F = (4/9) / 13; DOAE, RDE = those of class 0.
    seld0 = np.mean([5 / 9, (30 + 3 * FLOOR) / 4 / 180, 0.5625])
    assert r.F == pytest.approx(4 / 9 / 13)
    assert r.LE == pytest.approx((30 + 3 * FLOOR) / 4, abs=NEAR_ZERO_TOL)
    assert r.RDE == pytest.approx(0.5625)
    assert r.SELD == pytest.approx((seld0 + 12) / 13)
    assert np.isnan(r.per_class["LE"][1:]).all()


def test_fix_quirks_scores_the_last_frame_with_exact_angles():
    r = score({"a": REF}, {"a": PRED}, "dcase2024", average="micro", fix_quirks=True)
    # Frames 0-6: frame 5 (class 1, perfect) adds a TP, frame 6 (class 2) an FP.
    # TP 3, FP_spatial 2, FP 1, FN 1 -> F = 3 / (3 + 2 + 1) = 0.5; DOAE = 30 / 5 exactly.
    assert r.F == pytest.approx(0.5)
    assert r.LE == pytest.approx(6.0, abs=1e-5)


def test_empty_prediction():
    r = score({"a": REF}, {}, "dcase2024")
    # Nothing matched: F 0, DOAE/DistE/RDE NaN, SELD_c = nanmean(1, NaN, NaN) = 1 in every class.
    assert r.F == 0.0 and r.SELD == 1.0
    assert np.isnan(r.LE) and np.isnan(r.RDE) and np.isnan(r.DE)
    d = r.to_dict()
    assert d["LE"] is None and d["DE"] is None and d["RDE"] is None


def test_tied_duplicates_are_matched_as_scipy_does():
    # Two reference rows of class 0 in the same frame and direction, 1 m and 3 m away; one prediction at 3 m.
    ref = _ev([(0, 0, 0, 0, 1.0), (0, 0, 0, 0, 3.0), (1, 0, 0, 0, 1.0)])
    pred = _ev([(0, 0, 0, 0, 3.0)])
    # The angle costs tie; linear_sum_assignment takes this reference row:
    row = int(linear_sum_assignment(np.zeros((2, 1)))[0][0])
    assert row == 0  # -> the 1 m row: |3 - 1| / 1 = 2 > 1, a spatial false positive
    c = count_frames([ref], [pred], 13)
    assert (c["TP"].sum(), c["FP_spatial"].sum(), c["FN"].sum()) == (0, 1, 1)
