"""DCASE2019 metric on hand-built cases (numbers derived by hand in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from seld.formats import Events
from seld.metrics import score
from seld.metrics.dcase2019 import grid_cell


def _ev(rows, n_frames=None) -> Events:
    """Events at 20 ms from (frame, class, azi, ele) rows."""
    r = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return Events.from_polar(r[:, 0].astype(int), r[:, 1].astype(int), np.zeros(len(r)), r[:, 2], r[:, 3],
                             frame_len=0.02, n_frames=n_frames)


def test_grid_cells_use_clipping_and_floor():
    xyz = Events.from_polar([0] * 6, [0] * 6, [0] * 6, [0, 9, -1, 175, -180, 30], [0, 9, 0, 80, -90, -35]).xyz
    # azi index = (azi + 180) // 10 after clipping to [-180, 170]; ele index = (ele + 40) // 10 in [-40, 40]
    expected = [(18, 4), (18, 4), (17, 4), (35, 8), (0, 0), (21, 0)]
    assert grid_cell(xyz).tolist() == [a * 9 + e for a, e in expected]


def test_last_frame_of_each_block_is_ignored():
    # Reference: class 0 in frames 0..48 of block 0; prediction: class 0 only in frame 49 (same direction).
    ref = _ev([(f, 0, 0, 0) for f in range(49)], n_frames=3000)
    pred = _ev([(49, 0, 0, 0)])
    r = score({"a": ref}, {"a": pred}, "dcase2019")
    # SED: block 0 is the max over frames [0, 49) -> the prediction is not seen: one deletion, no TP.
    #   ER = (S + D + I) / Nref = (0 + 1 + 0) / 1 = 1; F = 0.
    # DOA: no frame has both -> no cost; one predicted entry -> DOA error = 0 / 1 = 0.
    # Frame recall: frames 0..48 (1 vs 0) and 49 (0 vs 1) disagree: (3000 - 50) / 3000.
    assert (r.ER, r.F, r.LE) == (1.0, 0.0, 0.0)
    assert r.LR == pytest.approx(2950 / 3000)
    assert r.SELD == pytest.approx(np.mean([1, 1, 0, 1 - 2950 / 3000]))
    fixed = score({"a": ref}, {"a": pred}, "dcase2019", fix_quirks=True)
    # With all 50 frames in the block, the class is found in block 0: TP = Nref = Nsys = 1 -> ER 0, F 1.
    assert fixed.ER == 0.0 and fixed.F == pytest.approx(1.0)


def test_doa_error_is_class_agnostic_on_the_grid():
    ref = _ev([(0, 0, 0, 0),
               (1, 0, 0, 0),
               (3, 0, 0, 0), (3, 1, 90, 0),
               (4, 3, 170, 40),
               (5, 0, 0, 0)], n_frames=3000)
    pred = _ev([(0, 1, 9, 9),  # other class, same cell (floor of 9 deg is 0): cost 0
                (1, 0, -1, 0),  # azi -1 falls in the -10 cell: cost 10
                (2, 2, 90, 75),  # no reference in frame 2: counted in the denominator only
                (3, 0, 85, 0), (3, 1, 5, 0),  # cells 80 and 0: matched across classes, 10 + 0
                (4, 3, 175, 80),  # clipped to (170, 40): cost 0
                (5, 0, 0, 0), (5, 0, 3, 3),  # both in cell (0, 0): one entry, cost 0
                (3001, 5, 0, 0)])  # beyond the 3000 frames: ignored
    r = score({"a": ref}, {"a": pred}, "dcase2019")
    # DOA error = (0 + 10 + 10 + 0 + 0) / 7 predicted entries (1+1+1+2+1+1) = 20/7 degrees.
    assert r.LE == pytest.approx(20 / 7)
    # Frame recall: only frame 2 disagrees (0 vs 1 entries) -> 2999/3000.
    assert r.LR == pytest.approx(2999 / 3000)
    # SED, block 0: reference classes {0, 1, 3}, predicted {0, 1, 2, 3}: TP 3, one insertion.
    #   ER = 1/3; P = 3/4, R = 1, F = 2PR/(P+R) = 6/7.
    assert r.ER == pytest.approx(1 / 3)
    assert r.F == pytest.approx(6 / 7)
    assert r.SELD == pytest.approx(np.mean([1 / 3, 1 / 7, 20 / 7 / 180, 1 / 3000]))


def test_no_reference_gives_nan_error_rate_and_no_prediction_nan_doa_error():
    # ER = (S+D+I)/Nref has no eps in the official code: 0 references and 1 insertion -> inf; the DOA error
    # is 0/0 without predictions.
    r = score({"a": _ev([], n_frames=3000)}, {"a": _ev([(0, 0, 0, 0)])}, "dcase2019")
    assert r.ER == np.inf and r.F == 0.0
    empty = score({"a": _ev([(0, 0, 0, 0)], n_frames=3000)}, {}, "dcase2019")
    assert np.isnan(empty.LE) and np.isnan(empty.SELD)
    assert empty.to_dict()["LE"] is None
