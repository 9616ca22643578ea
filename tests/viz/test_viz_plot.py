"""seld.viz.plot_recording: a valid PNG of sensible size that shows what it is given."""

from __future__ import annotations

import io
import os
import struct

import numpy as np
import pytest
from matplotlib.image import imread

from seld.errors import InputError
from seld.formats.events import Events
from seld.userio import file_mode
from seld.viz import plot_recording
from seld.viz.plot import format_scores

from viz_helpers import CLASSES, SR

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BLUE = np.array([0x1F, 0x77, 0xB4]) / 255  # colour of class 0 (the first "tab10" hue)


def _png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    img = imread(io.BytesIO(data), format="png")[..., :3]
    assert img.shape[:2] == (height, width)
    return img


def _count_colour(img, rgb, tol=2 / 255):
    return int(np.sum(np.all(np.abs(img - rgb) <= tol, axis=-1)))


def test_png_is_valid_and_of_sensible_size(tmp_path, recording):
    audio, pred, ref = recording
    out = plot_recording(tmp_path / "figs" / "a.png", audio, SR, pred, CLASSES, title="a.wav")
    assert out == tmp_path / "figs" / "a.png"
    img = _png(out)
    h, w = img.shape[:2]
    assert w == 1200 and 600 <= h <= 1600
    assert img.std() > 0.05  # not blank
    assert _count_colour(img, BLUE) > 200  # class 0 bars and dots are drawn in its colour
    assert os.stat(out).st_mode & 0o777 == file_mode()
    assert [p.name for p in out.parent.iterdir()] == ["a.png"]  # no temporary file left


def test_reference_is_drawn(tmp_path, recording):
    """Class 0 only in the reference: its colour appears when the reference is given, and only then."""
    audio, pred, ref = recording
    pred_wo0 = pred.select(pred.cls != 0)
    alone = _png(plot_recording(tmp_path / "p.png", audio, SR, pred_wo0, CLASSES))
    both = _png(plot_recording(tmp_path / "pr.png", audio, SR, pred_wo0, CLASSES, ref=ref))
    assert _count_colour(alone, BLUE) == 0
    assert _count_colour(both, BLUE) > 200
    assert alone.shape[1] == both.shape[1]


def test_scores_in_title_and_distance_panel(tmp_path, recording, recording_dist):
    audio, pred, ref = recording
    plain = _png(plot_recording(tmp_path / "a.png", audio, SR, pred, CLASSES, ref=ref))
    scored = _png(plot_recording(tmp_path / "b.png", audio, SR, pred, CLASSES, ref=ref, title="a.wav",
                                 scores={"ER": 0.31, "F": 0.72, "LE": 17.34, "LR": 0.81, "SELD": 0.29}))
    assert plain.shape == scored.shape and not np.array_equal(plain, scored)
    _, pred_d, ref_d = recording_dist
    with_dist = _png(plot_recording(tmp_path / "c.png", audio, SR, pred_d, CLASSES, ref=ref_d))
    assert with_dist.shape[0] > plain.shape[0] + 80  # one more row of panels


def test_format_scores():
    assert format_scores({"ER": 0.3125, "F": 0.72, "LE": 17.34, "LR": 0.81, "SELD": 0.29}) == \
        "ER 0.312 · F 0.72 · LE 17.3° · LR 0.81 · SELD 0.29"
    assert format_scores({"LE_CD": float("nan"), "note": "macro"}) == "LE_CD nan · note macro"
    assert format_scores(None) == "" and format_scores({}) == ""


def test_no_events_short_and_mono_audio(tmp_path):
    """An empty prediction, a 0.05 s mono recording at 8 kHz: still a figure."""
    audio = np.random.default_rng(0).standard_normal(400) * 0.1
    img = _png(plot_recording(tmp_path / "e.png", audio, 8000, Events.empty(), CLASSES))
    assert img.shape[1] == 1200 and img.std() > 0.05


def test_bad_arguments(tmp_path, recording):
    audio, pred, ref = recording
    with pytest.raises(ValueError, match="class index 4 but 3 class names"):
        plot_recording(tmp_path / "x.png", audio, SR, pred, CLASSES[:3])
    bad = audio.copy()
    bad[0, 10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        plot_recording(tmp_path / "x.png", bad, SR, pred, CLASSES)
    with pytest.raises(ValueError, match="channels, samples"):
        plot_recording(tmp_path / "x.png", audio[:, :0], SR, pred, CLASSES)
    with pytest.raises(ValueError, match=r"looks like \[samples, channels\]"):
        plot_recording(tmp_path / "x.png", audio.T, SR, pred, CLASSES)
    with pytest.raises(TypeError, match="ref must be an Events"):
        plot_recording(tmp_path / "x.png", audio, SR, pred, CLASSES, ref=[1, 2])
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="file"):
        plot_recording(tmp_path / "file" / "x.png", audio, SR, pred, CLASSES)
    assert not (tmp_path / "x.png").exists()
