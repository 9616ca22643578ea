"""DCASE2020-2023 segment metrics on hand-built cases (numbers derived by hand in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from seld.formats import Events
from seld.metrics import score
from seld.metrics.segment import count_segments


def _ev(rows) -> Events:
    """100 ms events from (frame, class, azi, ele) rows, in the given row order."""
    r = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return Events.from_polar(r[:, 0].astype(int), r[:, 1].astype(int), np.zeros(len(r)), r[:, 2], r[:, 3])


# Case 1 -- reference: class 0 in frames 0-9 and class 1 in frames 10-19, both at azimuth 0.
# Prediction: class 0 at 10 degrees (frames 0-9), class 1 at 30 degrees (frames 10-19), class 2 in frames 5-7.
REF1 = _ev([(f, 0, 0, 0) for f in range(10)] + [(f, 1, 0, 0) for f in range(10, 20)])
PRED1 = _ev([(f, 0, 10, 0) for f in range(10)] + [(f, 1, 30, 0) for f in range(10, 20)]
            + [(f, 2, 0, 0) for f in range(5, 8)])


def test_dcase2022_micro_spatial_false_positive():
    r = score({"a": REF1}, {"a": PRED1}, "dcase2022", average="micro")
    # Segment 0: class 0 one track, mean 10 deg -> TP; class 2 prediction only -> FP. loc FP 1, FN 0 -> I 1.
    # Segment 1: class 1 one track, mean 30 deg -> spatial FP (weight 1). loc FP 1 -> I 1.
    # Nref = 2 -> ER = 2/2 = 1.  F = TP / (TP + FP_spatial + (FP + FN)/2) = 1 / (1 + 1 + 0.5) = 0.4.
    # LE = (10 + 30) / 2 = 20; LR = DE_TP / (DE_TP + DE_FN) = 2/2 = 1.
    assert r.ER == pytest.approx(1.0)
    assert r.F == pytest.approx(0.4)
    assert r.LE == pytest.approx(20.0)
    assert r.LR == pytest.approx(1.0)
    assert r.SELD == pytest.approx(np.mean([1.0, 0.6, 20 / 180, 0.0]))


def test_dcase2021_counts_a_spatial_miss_as_a_plain_false_positive():
    r = score({"a": REF1}, {"a": PRED1}, "dcase2021", classes=13)
    # As 2022 micro, but the 30 deg track is an ordinary FP: FP = 2 -> F = 1 / (1 + 0.5 * 2) = 0.5.
    assert (r.ER, r.LE, r.LR) == (pytest.approx(1.0), pytest.approx(20.0), pytest.approx(1.0))
    assert r.F == pytest.approx(0.5)


def test_dcase2020_segment_presence_and_lr_as_f1():
    r = score({"a": REF1}, {"a": PRED1}, "dcase2020", classes=13)
    # Class-segments: (0, c0) matched at 10 deg -> TP; (0, c2) prediction only -> FP; (1, c1) matched at
    # 30 deg -> FN in 2020 (not FP). Nref = 2, Nsys = 3, TP = 1, DE_TP = 2.
    # Segment 0: loc FP 1 -> I 1; segment 1: loc FN 1 -> D 1 -> ER = 2/2 = 1.
    # P = 1/3, R = 1/2, F = 2PR/(P+R) = 0.4; LE = (10 + 30)/2 = 20;
    # "LR" = F1 of DE_TP: P' = 2/3, R' = 1 -> 0.8.
    assert r.ER == pytest.approx(1.0)
    assert r.F == pytest.approx(0.4)
    assert r.LE == pytest.approx(20.0)
    assert r.LR == pytest.approx(0.8)


def test_dcase2020_uses_the_hungarian_sum_of_a_frame():
    ref = _ev([(f, 0, a, 0) for f in range(10) for a in (0, 90)])
    pred = _ev([(f, 0, a, 0) for f in range(10) for a in (5, 85)])
    r = score({"a": ref}, {"a": pred}, "dcase2020", classes=13)
    # Each frame: pairs (0, 5) and (90, 85) cost 5 + 5 = 10 (a SUM, not a mean) -> LE = 10, still <= 20: TP.
    assert r.LE == pytest.approx(10.0)
    assert r.F == pytest.approx(1.0)


def test_dcase2022_macro_counts_absent_classes():
    r = score({"a": REF1}, {"a": PRED1}, "dcase2022")
    # Class 0: F = 1/(1 + 0) = 1, LE 10, LR 1.   Class 1: F = 0/(0 + 1) = 0, LE 30, LR 1.
    # Class 2: FP only -> F 0, LE 180 (never matched), LR 0.   Classes 3-12 absent: F 0, LE 180, LR 0.
    assert r.F == pytest.approx(1 / 13)
    assert r.LE == pytest.approx((10 + 30 + 11 * 180) / 13)
    assert r.LR == pytest.approx(2 / 13)
    seld_c = [np.mean([1, 0, 10 / 180, 0]), np.mean([1, 1, 30 / 180, 0])] + [1.0] * 11  # ER = 1 in each
    assert r.per_class["SELD"] == pytest.approx(seld_c)
    assert r.SELD == pytest.approx(np.mean(seld_c))


def test_pseldnets_macro_skips_classes_never_matched():
    r = score({"a": REF1}, {"a": PRED1}, "dcase2023", average="macro-pseldnets")
    # Only classes 0 and 1 have LE != 180: F = (1 + 0)/2, LE = (10 + 30)/2, LR = 1; float32 eps (~1e-7).
    assert r.F == pytest.approx(0.5, rel=1e-6)
    assert r.LE == pytest.approx(20.0, rel=1e-6)
    assert r.LR == pytest.approx(1.0, rel=1e-6)
    assert r.SELD == pytest.approx(np.mean([np.mean([1, 0, 10 / 180, 0]), np.mean([1, 1, 30 / 180, 0])]), rel=1e-6)
    nothing = score({"a": REF1}, {}, "dcase2023", average="macro-pseldnets")
    assert (nothing.F, nothing.LE, nothing.LR, nothing.SELD) == (-1.0, 180.0, -1.0, 1.0)  # its fallbacks


def test_instance_identity_is_the_row_position():
    # Class 0 has two sources per frame, A (azi 0) and B (azi 90); the rows are written A, B in frames 0-4
    # and B, A in frames 5-9. One prediction per frame at A.
    ref = _ev([(f, 0, a, 0) for f in range(5) for a in (0, 90)] + [(f, 0, a, 0) for f in range(5, 10) for a in (90, 0)])
    pred = _ev([(f, 0, 0, 0) for f in range(10)])
    r = score({"a": ref}, {"a": pred}, "dcase2023", average="micro")
    # The prediction matches A, which is row 0 in frames 0-4 and row 1 in frames 5-9: the official code files
    # these under two "tracks" (positions 0 and 1), each with mean angle 0 -> TP = 2. nb_gt = 2, nb_pred = 1
    # -> FN = 1. F = 2 / (2 + 0.5) = 0.8 (a track-aware count would give 1 / 1.5); LR = 2/3;
    # ER: loc FN 1 -> D = 1, Nref = 2 -> 0.5.
    assert r.F == pytest.approx(0.8)
    assert r.LR == pytest.approx(2 / 3)
    assert r.ER == pytest.approx(0.5)
    assert r.LE == pytest.approx(0.0, abs=1e-5)


def test_frame_disjoint_prediction_counts_nb_pred_misses():
    ref = _ev([(f, 0, 0, 0) for f in range(5)])  # one source, frames 0-4
    pred = _ev([(f, 0, a, 0) for f in range(5, 10) for a in (0, 40)])  # two sources, frames 5-9
    # Same segment, no common frame: the official code adds nb_pred = 2 FN (and no FP) -> D = 2, ER = 2/1.
    strict = count_segments([ref], [pred], 13, 2022)
    assert (strict["FN"].sum(), strict["FP"].sum(), strict["D"].sum()) == (2, 0, 2)
    assert score({"a": ref}, {"a": pred}, "dcase2022", average="micro").ER == pytest.approx(2.0)
    # fix_quirks: nb_gt = 1 miss and nb_pred = 2 false alarms -> S = 1, I = 1.
    fixed = count_segments([ref], [pred], 13, 2022, fix_quirks=True)
    assert (fixed["FN"].sum(), fixed["FP"].sum(), fixed["S"].sum(), fixed["I"].sum()) == (1, 2, 1, 1)


def test_segments_end_at_the_last_reference_frame():
    ref = _ev([(f, 0, 0, 0) for f in range(21)])  # last reference frame 20, a multiple of 10
    pred = _ev([(f, 0, 0, 0) for f in range(21)] + [(f, 1, 0, 0) for f in range(20, 26)])
    r = score({"a": ref}, {"a": pred}, "dcase2023", average="micro")
    # ceil(20 / 10) = 2 segments (frames 0-19): frame 20 and the class-1 false alarm are never seen.
    # TP = 2 (class 0 in segments 0 and 1) -> F = 1, ER = 0.
    assert r.F == pytest.approx(1.0) and r.ER == 0.0
    fixed = score({"a": ref}, {"a": pred}, "dcase2023", average="micro", fix_quirks=True)
    # Recording length unknown -> up to the last frame of either side (25): 3 segments; segment 2 has class 0
    # (TP) and the class-1 false alarm (FP): F = 3 / (3 + 0.5) = 6/7, ER = I / Nref = 1/3.
    assert fixed.F == pytest.approx(6 / 7)
    assert fixed.ER == pytest.approx(1 / 3)
    # The reference length wins when known: n_frames = 21 -> frames 20.. of class 1 beyond it are dropped,
    # only frame 20 of the false alarm remains -> the same counts.
    ref.n_frames = 21
    assert score({"a": ref}, {"a": pred}, "dcase2023", average="micro", fix_quirks=True).F == pytest.approx(6 / 7)


def test_last_segment_is_whole_when_the_last_frame_is_not_a_multiple_of_10():
    ref = _ev([(f, 0, 0, 0) for f in range(22)])  # last frame 21 -> 3 segments, frames 0-29
    pred = _ev([(f, 0, 0, 0) for f in range(22)] + [(25, 1, 0, 0), (31, 2, 0, 0)])
    r = score({"a": ref}, {"a": pred}, "dcase2023", average="micro")
    # Frame 25 (class 1) is inside segment 2: FP; frame 31 is after it: ignored. F = 3 / (3 + 0.5).
    assert r.F == pytest.approx(6 / 7)


def test_dcase2021_scores_600_frames():
    ref = _ev([(f, 0, 0, 0) for f in range(10)])
    pred = _ev([(f, 0, 0, 0) for f in range(10)] + [(f, 0, 0, 0) for f in range(600, 606)]
               + [(f, 1, 0, 0) for f in range(590, 596)])
    r = score({"a": ref}, {"a": pred}, "dcase2021", classes=13)
    # Frames >= 600 are dropped; the class-1 false alarm in segment 59 counts: TP 1, FP 1 -> F = 1/1.5;
    # ER = I / Nref = 1.
    assert r.F == pytest.approx(2 / 3)
    assert r.ER == pytest.approx(1.0)


def test_empty_prediction():
    r = score({"a": REF1}, {}, "dcase2021", classes=13)
    # Everything missed: ER = D / Nref = 1, F = 0, LE = 180 (no match), LR = 0 -> SELD = 1.
    assert (r.ER, r.F, r.LE, r.LR, r.SELD) == (pytest.approx(1.0), 0.0, 180.0, 0.0, pytest.approx(1.0))


def test_doa_threshold_option():
    # With a 40 degree threshold the 30 degree track of case 1 becomes a TP: F = 2 / (2 + 0.5) = 0.8.
    r = score({"a": REF1}, {"a": PRED1}, "dcase2022", average="micro", doa_threshold=40)
    assert r.F == pytest.approx(0.8)
