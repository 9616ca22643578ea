"""SELDnet (JSTSP 2018) metric: seld-net's own numbers on random cases (golden_seldnet.json, from
oracle_seldnet.py), hand-derived cases for each quirk and its fix, and `seld evaluate --metric seldnet`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from oracle_seldnet import GOLDEN, build_case
from seld.cli import main
from seld.errors import ConfigError
from seld.formats.events import Events
from seld.metrics import score
from seld.metrics.seldnet import frames_per_block

_GOLDEN = json.loads(Path(GOLDEN).read_text())


def _ev(rows, n_frames=None, frame_len=0.1) -> Events:
    """Events from (frame, class, azi, ele) rows."""
    r = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return Events.from_polar(r[:, 0], r[:, 1], np.zeros(len(r)), r[:, 2], r[:, 3], frame_len=frame_len,
                             n_frames=n_frames)


def _score(ref, pred, **kw):
    return score({"a": ref}, {"a": pred}, "seldnet", **kw)


@pytest.mark.parametrize("case_id", sorted(_GOLDEN))
def test_equals_seld_net(case_id):
    case, official = _GOLDEN[case_id]["case"], _GOLDEN[case_id]["official"]
    files = build_case(case)
    result = score({f.name: f.ref_events() for f in files}, {f.name: f.pred_events() for f in files}, "seldnet")
    ours = result.overall()
    for key, value in official.items():
        assert ours[key] == pytest.approx(value, abs=1e-9), key


def test_block_length_is_seld_nets_frames_per_second():
    assert frames_per_block(512 / 2 / 44100) == 172
    assert frames_per_block(1024 / 2 / 44100) == 86
    assert frames_per_block(0.02) == 50
    assert frames_per_block(0.1) == 10


def test_doa_error_is_the_angle_of_the_mean_chord():
    ref = _ev([(0, 0, 0, 0), (1, 0, 0, 0)], n_frames=10)
    pred = _ev([(0, 0, 90, 0), (1, 0, 0, 0)])  # chords sqrt(2) and 0; angles 90 and 0
    assert _score(ref, pred).LE == pytest.approx(np.degrees(2 * np.arcsin(np.sqrt(2) / 4)))
    assert _score(ref, pred, fix_quirks=True).LE == pytest.approx(45.0)
    # a predicted class without reference is compared with the zero vector: chord 1; not a pair when fixed
    pred2 = _ev([(0, 0, 90, 0), (1, 0, 0, 0), (2, 1, 30, 20)])
    assert _score(ref, pred2).LE == pytest.approx(np.degrees(2 * np.arcsin((np.sqrt(2) + 1) / 6)))
    assert _score(ref, pred2, fix_quirks=True).LE == pytest.approx(45.0)


def test_no_prediction_gives_doa_error_zero_or_nan_when_fixed():
    ref = _ev([(0, 0, 0, 0)], n_frames=10)
    empty = Events.empty(frame_len=0.1)
    assert _score(ref, empty).LE == 0.0
    assert np.isnan(_score(ref, empty, fix_quirks=True).LE)


def test_last_row_of_a_class_in_a_frame_counts():
    ref = _ev([(0, 0, 90, 0), (0, 0, 0, 0)], n_frames=10)  # a label matrix keeps the later direction
    assert _score(ref, _ev([(0, 0, 0, 0)])).LE == pytest.approx(0.0)
    assert _score(ref, _ev([(0, 0, 0, 0), (0, 0, 90, 0)])).LE == pytest.approx(90.0)


def test_frame_recall_drops_the_highest_polyphony_level():
    # frames 0-3: 0 sources both; 4-7: 1 reference source, predicted only in 4-5; 8-9: 2 sources both
    ref = _ev([(t, 0, 0, 0) for t in range(4, 10)] + [(t, 1, 90, 0) for t in (8, 9)], n_frames=10)
    pred = _ev([(t, 0, 0, 0) for t in (4, 5, 8, 9)] + [(t, 1, 90, 0) for t in (8, 9)])
    r = _score(ref, pred)
    assert r.LR == pytest.approx((1 + 0.5) / 2)  # levels 0 and 1 only
    assert r.extra["good_frame_ratio"] == pytest.approx(0.8)
    assert _score(ref, pred, fix_quirks=True).LR == pytest.approx((1 + 0.5 + 1) / 3)
    assert r.SELD == pytest.approx(np.mean([r.ER, 1 - r.F, r.LE / 180, 1 - r.LR]))


def test_frame_recall_counts_predicted_only_levels_by_position():
    # reference counts 0, 0, 2, 2; predicted 0, 1, 2, 2: labels (0, 1, 2), the first two positions are used
    ref = _ev([(t, c, 0, 0) for t in (2, 3) for c in (0, 1)], n_frames=4)
    pred = _ev([(1, 2, 0, 0)] + [(t, c, 0, 0) for t in (2, 3) for c in (0, 1)])
    assert _score(ref, pred).LR == pytest.approx((0.5 + 0.0) / 2)
    assert _score(ref, pred, fix_quirks=True).LR == pytest.approx((0.5 + 1.0) / 2)


def test_blocks_skip_their_last_frame_and_er_drops_the_partial_block():
    # 25 frames of 100 ms: blocks of 10; class 1 only in the partial third block (frame 22)
    ref = _ev([(t, 0, 0, 0) for t in range(5)] + [(22, 1, 0, 0)], n_frames=25)
    pred = _ev([(t, 0, 0, 0) for t in range(5)])
    r = _score(ref, pred)
    assert (r.ER, r.F) == (pytest.approx(0.0), pytest.approx(2 / 3))  # ER: 2 blocks, F: 3 blocks
    r = _score(ref, pred, fix_quirks=True)
    assert (r.ER, r.F) == (pytest.approx(0.5), pytest.approx(2 / 3))
    # an event only in the last frame of a block is invisible to the official slice
    ref, pred = _ev([(9, 0, 0, 0)], n_frames=20), _ev([(9, 0, 0, 0)])
    r = _score(ref, pred)
    assert np.isnan(r.ER) and r.F == pytest.approx(0.0)
    r = _score(ref, pred, fix_quirks=True)
    assert (r.ER, r.F) == (pytest.approx(0.0), pytest.approx(1.0))


def test_frame_length_follows_the_references_and_coarser_predictions_are_repeated():
    ref = _ev([(t, 0, 0, 0) for t in range(10, 20)], n_frames=50, frame_len=0.02)
    pred = _ev([(2, 0, 0, 0), (3, 0, 0, 0)], frame_len=0.1)  # covers 20 ms frames 10-19
    r = _score(ref, pred)
    assert (r.LE, r.extra["good_frame_ratio"]) == (pytest.approx(0.0), pytest.approx(1.0))
    assert _score(ref, _ev([(10, 0, 0, 0)], frame_len=0.02), frame_len=0.02).F == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="seldnet only"):
        score({"a": _ev([(0, 0, 0, 0)])}, {}, "dcase2021", frame_len=0.1)


def test_jackknife_over_files():
    files = build_case(_GOLDEN["seldnet_s83"]["case"])
    r = score({f.name: f.ref_events() for f in files}, {f.name: f.pred_events() for f in files}, "seldnet",
              jackknife=True)
    for key in ("ER", "F", "LE", "LR", "SELD"):
        lo, hi = r.ci[key]
        assert lo <= r.overall()[key] <= hi or np.isclose(lo, hi)


def test_cli_reads_desc_files_at_the_given_frame_length(tmp_path, capsys):
    (tmp_path / "ref").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "ref" / "a.csv").write_text("sound_event_recording,start_time,end_time,ele,azi,dist\n"
                                            "speech012,0.1,0.5,10,30,2\nknock003,0.3,0.45,0,-90,1\n")
    # frames of 100 ms: speech (class 5) 1-5, knock (class 0) 3-5; predicted: speech 1-5 (frame 5 off by 90)
    rows = [f"{t},5,0,30,10" for t in range(1, 5)] + ["5,5,0,120,10"]
    (tmp_path / "pred" / "a.csv").write_text("\n".join(rows) + "\n")
    args = ["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "seldnet", "--frame-len", "0.1",
            "--pred-format", "polar", "--json"]
    with pytest.raises(SystemExit) as err:
        main([str(a) for a in args])
    assert err.value.code == 0
    d = json.loads(capsys.readouterr().out)
    chord_90 = 2 * np.sin(np.radians(90) / 2) * np.cos(np.radians(10))  # same elevation, 90 deg apart
    assert d["LE"] == pytest.approx(np.degrees(2 * np.arcsin(chord_90 / 5 / 2)))
    assert d["good_frame_ratio"] == pytest.approx(3 / 6)  # frames 0-5; 3-5 have 2 reference sources
    assert d["ER"] is None and d["F"] == pytest.approx(2 / 3)  # 6 frames: no whole block for ER, one for F
    with pytest.raises(SystemExit) as err:
        main([str(a) for a in args[:5] + ["--json"]])
    assert err.value.code == 2 and "--frame-len is required" in capsys.readouterr().err
