"""Every real label file of STARSS22 and DCASE2019 reads, round-trips byte for byte and has the right counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seld.formats import read_labels, read_segments, write_labels, write_segments


def _data_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.strip()]


def test_starss22_all_121_files_read_and_round_trip(starss22_dir: Path, tmp_path: Path):
    files = sorted(starss22_dir.rglob("*.csv"))
    assert len(files) == 121
    splits = {f.parent.name for f in files}
    assert splits == {"dev-train-sony", "dev-train-tau", "dev-test-sony", "dev-test-tau"}
    for f in files:
        ev = read_labels(f, classes="starss22")
        lines = _data_lines(f)
        assert len(ev) == len(lines), f
        assert ev.dist is None and ev.frame_len == 0.1
        first = [int(v) for v in lines[0].split(",")]
        assert (ev.frame[0], ev.cls[0], ev.track[0]) == tuple(first[:3])
        out = tmp_path / f.name
        write_labels(out, ev, fmt="dcase2022")
        assert out.read_bytes() == f.read_bytes(), f


def test_starss22_fold4_split_has_54_files_with_all_13_classes(starss22_dir: Path):
    files = sorted(starss22_dir.glob("dev-test-*/*.csv"))
    assert len(files) == 54
    classes = set()
    for f in files:
        classes |= set(read_labels(f).cls.tolist())
    assert classes == set(range(13))


def test_starss22_directions_match_the_file_angles(starss22_dir: Path):
    f = sorted(starss22_dir.rglob("*.csv"))[0]
    raw = np.loadtxt(f, delimiter=",", ndmin=2)
    azi, ele = read_labels(f).azi_ele()
    np.testing.assert_allclose(azi, raw[:, 3], atol=1e-9)
    np.testing.assert_allclose(ele, raw[:, 4], atol=1e-9)


def test_dcase2019_files_round_trip_and_expand_to_20ms_frames(dcase2019_dir: Path, tmp_path: Path):
    files = sorted(dcase2019_dir.glob("*.csv"))
    assert len(files) == 4
    for f in files:
        seg = read_segments(f)
        assert len(seg) == len(_data_lines(f)) - 1
        out = tmp_path / f.name
        write_segments(out, seg)
        assert out.read_bytes() == f.read_bytes(), f
        ev = read_labels(f)
        assert ev.frame_len == 0.02 and ev.n_frames == 3000
        # every event covers floor(onset*50) .. ceil(offset*50) inclusive, cut at frame 2999 (the scorer's rule)
        expected = sum(min(int(np.ceil(e * 50)), 2999) - int(np.floor(s * 50)) + 1 for s, e in zip(seg.onset, seg.offset))
        assert len(ev) == expected
        assert set(ev.dist.tolist()) <= set(seg.dist.tolist())


def test_dcase2019_first_event_by_hand(dcase2019_dir: Path):
    # split1_ir0_ov1_1.csv, first row: cough,0.36645229108,1.33445229108,-10,-10,2
    # floor(0.36645229108*50) = floor(18.32) = 18; ceil(1.33445229108*50) = ceil(66.72) = 67 -> 50 frames.
    ev = read_labels(dcase2019_dir / "split1_ir0_ov1_1.csv")
    cough = ev.select(ev.cls == 8)  # cough is class 8 in DCASE2019
    first = cough.select(cough.frame <= 67)
    assert first.frame.tolist() == list(range(18, 68))
    azi, ele = first.azi_ele()
    np.testing.assert_allclose(azi, -10, atol=1e-9)
    np.testing.assert_allclose(ele, -10, atol=1e-9)
    np.testing.assert_allclose(first.dist, 2.0)
