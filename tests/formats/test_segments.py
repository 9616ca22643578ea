"""Event lists: L3DAS label files and SELDnet desc files (static and moving) read, convert and round-trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seld.errors import FormatError
from seld.formats import read_labels, read_segments, write_segments

L3DAS_TEXT = """File,Start,End,Class,X,Y,Z
split0_ov1_0,0.25,0.75,Knock,1.0,0.0,0.0
split0_ov1_0,0.5,1.04,Laughter,0.0,-1.5,0.5
"""


def test_l3das_labels_convert_to_100ms_frames_with_positions(tmp_path: Path):
    p = tmp_path / "label_split0_ov1_0.csv"
    p.write_text(L3DAS_TEXT)
    ev = read_labels(p)
    # Knock: round(2.5)=2 (round half to even) .. round(7.5)-1=7 -> frames 2..7; Laughter: 5 .. round(10.4)-1=9
    knock, laugh = ev.select(ev.cls == 7), ev.select(ev.cls == 8)
    assert knock.frame.tolist() == [2, 3, 4, 5, 6, 7] and set(knock.track.tolist()) == {0}
    assert laugh.frame.tolist() == [5, 6, 7, 8, 9] and set(laugh.track.tolist()) == {1}
    np.testing.assert_allclose(laugh.xyz[0] * laugh.dist[0], [0.0, -1.5, 0.5])
    assert np.all(np.diff(ev.frame) >= 0)
    out = tmp_path / "out.csv"
    seg = read_segments(p)
    write_segments(out, seg)  # value for value (the writer drops trailing ".0")
    back = read_segments(out)
    assert back.columns == seg.columns and back.names == seg.names and back.text_columns == seg.text_columns
    np.testing.assert_allclose(back.xyz * back.dist[:, None], seg.xyz * seg.dist[:, None], atol=1e-12)
    np.testing.assert_allclose([back.onset, back.offset], [seg.onset, seg.offset])


def test_l3das_unknown_class_names_the_line(tmp_path: Path):
    p = tmp_path / "label.csv"
    p.write_text(L3DAS_TEXT + "split0_ov1_0,1.0,2.0,Trumpet,1,1,1\n")
    with pytest.raises(FormatError, match=r"label.csv:4: unknown class 'Trumpet'"):
        read_labels(p)


def test_seldnet_desc_names_and_moving_sources(tmp_path: Path):
    p = tmp_path / "train_0_desc_30_100.csv"
    p.write_text("sound_event_recording,start_time,end_time,ele,azi,ele_dir,azi_dir,ang_vel,dist\n"
                 "speech012,1.0,1.1,0,0,0,1,10,2\n"
                 "knock003,2.0,2.05,20,-170,0,-1,40,1\n")
    seg = read_segments(p, "seldnet")
    assert seg.cls.tolist() == [5, 0]  # speech, knock in the DCASE2019/SELDnet order
    ev = seg.to_events(frame_len=0.02)
    speech = ev.select(ev.cls == 5)
    azi, _ = speech.azi_ele()
    # frames floor(1.0*50)=50 .. ceil(1.1*50)=56 (1.1*50 is 55.00000000000001 in floating point, as in the
    # official code); azimuth turns counter-clockwise at 10 deg/s: 0.2 deg per 20 ms frame
    assert speech.frame.tolist() == list(range(50, 57))
    np.testing.assert_allclose(azi, 0.2 * np.arange(7), atol=1e-9)
    knock_azi, knock_ele = ev.select(ev.cls == 0).azi_ele()
    # -170 turning clockwise at 40 deg/s wraps past -180 to +180 after 0.25 s; here 3 frames: -170, -170.8, -171.6
    np.testing.assert_allclose(knock_azi[:3], [-170.0, -170.8, -171.6], atol=1e-9)
    np.testing.assert_allclose(knock_ele, 20.0, atol=1e-9)
    out = tmp_path / "out.csv"
    write_segments(out, seg)
    assert out.read_text() == p.read_text()


def test_dcase2019_header_mismatch_is_reported(tmp_path: Path):
    p = tmp_path / "x.csv"
    p.write_text("sound_event_recording,start_time,end_time,azi,ele,dist\nspeech,0,1,0,0,1\n")
    with pytest.raises(FormatError, match="x.csv:1: unexpected header"):
        read_segments(p)


def test_end_before_start_is_reported(tmp_path: Path):
    p = tmp_path / "x.csv"
    p.write_text("sound_event_recording,start_time,end_time,ele,azi,dist\nspeech,2,1,0,0,1\n")
    with pytest.raises(FormatError, match="x.csv:2: end time before start time"):
        read_segments(p)
