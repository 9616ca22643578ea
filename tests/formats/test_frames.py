"""Frame-list files: every prediction layout round-trips, 6-column files are told apart, bad rows are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seld.errors import ConfigError, FormatError, InputError
from seld.formats import Events, read_labels, read_predictions, write_labels, write_predictions


def _random_events(seed: int = 0, n: int = 40, with_dist: bool = True) -> Events:
    rng = np.random.default_rng(seed)
    xyz = rng.normal(size=(n, 3))
    return Events.from_cartesian(np.sort(rng.integers(0, 50, n)), rng.integers(0, 13, n), rng.integers(0, 3, n),
                                 xyz, rng.uniform(0.5, 5.0, n) if with_dist else None)


@pytest.mark.parametrize("layout", ["polar", "cartesian", "polar-dist", "cartesian-dist", "polar4", "l3das"])
def test_prediction_layouts_round_trip_value_for_value(tmp_path: Path, layout: str):
    ev = _random_events()
    write_predictions(tmp_path / "p.csv", ev, layout)
    back = read_predictions(tmp_path / "p.csv", fmt=layout)
    expected = ev if layout not in ("polar4", "l3das") else Events(ev.frame, ev.cls, np.zeros_like(ev.track),
                                                                   ev.xyz, ev.dist)
    if not (layout.endswith("-dist") or layout == "l3das"):
        expected = Events(expected.frame, expected.cls, expected.track, expected.xyz, None)
    assert back.equals(expected, atol=1e-8)
    ncols = len((tmp_path / "p.csv").read_text().splitlines()[0].split(","))
    assert ncols == {"polar": 5, "cartesian": 6, "polar-dist": 6, "cartesian-dist": 7, "polar4": 4, "l3das": 5}[layout]


def test_six_columns_detected_from_values(tmp_path: Path):
    ev = _random_events(1)
    write_predictions(tmp_path / "cart.csv", ev, "cartesian")
    write_predictions(tmp_path / "polar.csv", ev, "polar-dist")
    cart = read_predictions(tmp_path / "cart.csv")
    polar = read_predictions(tmp_path / "polar.csv")
    assert cart.meta["layout"] == "cartesian" and cart.dist is None
    assert polar.meta["layout"] == "polar-dist"
    np.testing.assert_allclose(polar.dist, ev.dist, rtol=1e-9)
    np.testing.assert_allclose(cart.xyz, polar.xyz, atol=1e-8)


def test_six_column_layout_can_be_forced(tmp_path: Path):
    # a polar+distance file whose values all lie in [-1, 1] looks Cartesian; --pred-format forces polar-dist
    (tmp_path / "p.csv").write_text("0,1,0,1,0,0.5\n")
    assert read_predictions(tmp_path / "p.csv").meta["layout"] == "cartesian"
    forced = read_predictions(tmp_path / "p.csv", fmt="polar-dist")
    azi, ele = forced.azi_ele()
    assert azi[0] == pytest.approx(1.0) and ele[0] == pytest.approx(0.0) and forced.dist[0] == 0.5


def test_dcase2024_labels_hold_centimetres(tmp_path: Path):
    (tmp_path / "ref.csv").write_text("3,2,1,90,0,250\n4,2,1,-180,45,100\n")
    ev = read_labels(tmp_path / "ref.csv", fmt="dcase2024")
    np.testing.assert_allclose(ev.dist, [2.5, 1.0])
    np.testing.assert_allclose(ev.xyz[0], [0, 1, 0], atol=1e-12)
    write_labels(tmp_path / "out.csv", ev, fmt="dcase2024")
    assert (tmp_path / "out.csv").read_text() == "3,2,1,90,0,250\n4,2,1,-180,45,100\n"
    # DCASE2023 synthetic folds have 5 columns and no distance
    (tmp_path / "syn.csv").write_text("3,2,1,90,0\n")
    assert read_labels(tmp_path / "syn.csv", fmt="dcase2023").dist is None


def test_dcase2019_predictions_are_20ms(tmp_path: Path):
    (tmp_path / "p.csv").write_text("10,3,-40,20\n11,3,-40,20\n")
    ev = read_predictions(tmp_path / "p.csv", fmt="dcase2019")
    assert ev.frame_len == 0.02 and ev.frame.tolist() == [10, 11] and ev.track.tolist() == [0, 0]


def test_header_row_is_skipped(tmp_path: Path):
    (tmp_path / "p.csv").write_text("frame,class,track,azi,ele\n1,2,0,30,10\n")
    assert len(read_predictions(tmp_path / "p.csv")) == 1


@pytest.mark.parametrize("text,line,needle", [
    ("0,1,0,10,0\n1,x,0,10,0\n", 2, "'x' is not a number"),
    ("0,1,0,10,0\n1,1,0,10\n", 2, "4 columns"),
    ("0,1,0,10,0\n1,1,0,nan,0\n", 2, "non-finite"),
    ("0,1,0,10,0\n1,20,0,10,0\n", 2, "class 20"),
    ("-1,1,0,10,0\n", 1, "frame -1"),
    ("1.5,1,0,10,0\n", 1, "frame 1.5"),
    ("0,1,0,10,95\n", 1, "elevation 95"),
    ("0,1,0,0,0,0\n", 1, "(0, 0, 0)"),
    ("0,1\n", 1, "2 columns"),
])
def test_malformed_rows_name_file_and_line(tmp_path: Path, text: str, line: int, needle: str):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(FormatError) as err:
        read_predictions(p, classes=13)
    assert err.value.line == line
    assert f"{p}:{line}:" in str(err.value) and needle in str(err.value)


def test_distance_within_rounding_of_zero_reads_as_zero_and_below_it_is_refused(tmp_path: Path):
    # found by the fuzz test: -2.2e-313 passed the range check and left a negative distance in the events
    p = tmp_path / "p.csv"
    p.write_text("0,1,0,10,20,-2.2250738585e-313\n1,1,0,10,20,-1e-7\n")
    ev = read_labels(p, classes=13)
    assert ev.dist.tolist() == [0.0, 0.0]
    p.write_text("0,1,0,10,20,-1\n")
    with pytest.raises(FormatError, match="distance -1 outside"):
        read_labels(p, classes=13)


def test_missing_file_and_folder_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="file not found"):
        read_labels(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_labels(tmp_path)


def test_unknown_format_names_are_config_errors(tmp_path: Path):
    (tmp_path / "p.csv").write_text("0,1,0,10,0\n")
    with pytest.raises(ConfigError, match="unknown prediction format"):
        read_predictions(tmp_path / "p.csv", fmt="xyz")
    (tmp_path / "p4.csv").write_text("0,1,10,0\n")
    with pytest.raises(ConfigError, match="100 ms"):
        write_labels(tmp_path / "o.csv", read_predictions(tmp_path / "p4.csv", fmt="dcase2019"), fmt="dcase2022")
    with pytest.raises(ConfigError, match="needs distances"):
        write_labels(tmp_path / "o.csv", read_predictions(tmp_path / "p.csv"), fmt="dcase2024")


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path: Path):
    ev = _random_events(2)
    write_predictions(tmp_path / "sub" / "p.csv", ev, "polar")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["p.csv"]


def test_empty_prediction_file_reads_as_no_events(tmp_path: Path):
    (tmp_path / "p.csv").write_text("")
    assert len(read_predictions(tmp_path / "p.csv")) == 0
