"""seld.viz.write_report without a browser: self-contained, the audio and the data it embeds are right."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import wave
from html.parser import HTMLParser

import numpy as np
import pytest
from viz_helpers import CLASSES, SR

import seld.viz.report as report
from seld.formats.events import Events
from seld.userio import file_mode
from seld.viz import events_to_segments, write_report


class _Refs(HTMLParser):
    """Every tag with its attributes, and the text of <script> and <style> elements."""

    def __init__(self):
        super().__init__()
        self.tags, self.code, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.code.append((self._in, data))


def _parse(text: str) -> _Refs:
    p = _Refs()
    p.feed(text)
    p.close()
    return p


def _data(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="seld-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def _wav(text: str):
    m = re.search(r'src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"', text)
    with wave.open(io.BytesIO(base64.b64decode(m.group(1)))) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), pcm


@pytest.fixture
def page(tmp_path, recording):
    audio, pred, ref = recording
    path = write_report(tmp_path / "out" / "rec.html", "/data/rec.wav", audio, SR, pred, CLASSES, ref=ref,
                        scores={"ER": 0.31, "F": 0.72, "LE": 17.34, "LR": 0.81, "SELD": 0.29})
    return path, path.read_text(encoding="utf-8")


def test_page_is_self_contained(page):
    path, text = page
    assert not re.search(r"https?://", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?!data:)", text, re.I)
    doc = _parse(text)
    for tag, attrs in doc.tags:
        for key in ("src", "href", "srcset", "poster", "data"):
            if key in attrs:
                assert attrs[key].startswith("data:"), (tag, key, attrs[key][:60])
    scripts = [a for t, a in doc.tags if t == "script"]
    assert len(scripts) == 2 and not any("src" in a for a in scripts)
    assert not any(t in ("iframe", "object", "embed", "img") for t, _ in doc.tags)
    assert os.stat(path).st_mode & 0o777 == file_mode()
    assert [p.name for p in path.parent.iterdir()] == ["rec.html"]  # no temporary file left


def test_page_names_the_file_and_shows_scores(page):
    _, text = page
    assert "<h1>rec.wav</h1>" in text and 'title="/data/rec.wav"' in text
    assert "6.00 s · 4 channel(s) at 24000 Hz · 5 predicted event span(s) · 3 reference span(s)" in text
    for key, value in (("ER", "0.31"), ("F", "0.72"), ("LE", "17.3°"), ("LR", "0.81"), ("SELD", "0.29")):
        assert f'<span class="k">{key}</span><span class="v">{value}</span>' in text


def test_embedded_data_matches_the_events(page, recording):
    _, pred, ref = recording
    data = _data(page[1])
    assert data["classes"] == CLASSES and data["present"] == [0, 1, 2, 4]
    assert data["duration"] == pytest.approx(6.0)
    for key, table in (("pred", pred), ("ref", ref)):
        got = data[key]
        assert got["frame"] == table.frame.tolist() and got["cls"] == table.cls.tolist()
        azi, ele = table.azi_ele()
        np.testing.assert_allclose(got["azi"], azi, atol=0.051)
        np.testing.assert_allclose(got["ele"], ele, atol=0.051)
        assert got["dist"] is None
        assert got["spans"] == [[s.cls, s.track, pytest.approx(s.start), pytest.approx(s.end)]
                                for s in events_to_segments(table)]


def test_embedded_audio_is_channel_0_at_16khz(page, recording):
    audio, _, _ = recording
    channels, width, rate, pcm = _wav(page[1])
    assert (channels, width, rate) == (1, 2, 16000)
    assert len(pcm) == pytest.approx(6.0 * 16000, abs=2)
    assert np.max(np.abs(pcm)) == pytest.approx(10 ** (-1 / 20), abs=2e-3)  # peak-normalised to -1 dBFS
    # louder where the reference events are (tones) than where there is only noise, frame by frame
    rms = np.sqrt(np.mean(pcm[: 60 * 1600].reshape(60, 1600) ** 2, axis=1))
    events = np.zeros(60, bool)
    events[list(range(5, 40)) + list(range(45, 55))] = True
    assert rms[events].min() > 5 * rms[~events].max()
    # the same signal as channel 0 resampled
    from scipy.signal import resample_poly

    expect = resample_poly(audio[0], 2, 3)
    expect *= 10 ** (-1 / 20) / np.max(np.abs(expect))
    np.testing.assert_allclose(pcm, expect[: len(pcm)], atol=2e-4)


def test_long_recordings_are_shortened_and_downsampled(tmp_path, recording, monkeypatch):
    audio, pred, _ = recording
    monkeypatch.setattr(report, "LONG_AUDIO_S", 3.0)
    monkeypatch.setattr(report, "MAX_AUDIO_S", 4.0)
    text = write_report(tmp_path / "a.html", "a.wav", audio, SR, pred, CLASSES).read_text()
    _, _, rate, pcm = _wav(text)
    assert rate == report.LONG_AUDIO_RATE == 8000 and len(pcm) == 4 * 8000
    assert "only the first 4 s of 6.0 s are embedded" in text and "resampled from 24000 Hz to 8000 Hz" in text
    data = _data(text)
    assert data["audio"]["seconds"] == 4.0 and data["duration"] == pytest.approx(6.0)  # timeline: all of it


def test_low_rate_mono_audio_is_kept(tmp_path):
    x = np.sin(np.arange(8000) * 0.05) * 0.5
    text = write_report(tmp_path / "a.html", "a.wav", x, 8000, Events.empty(), CLASSES).read_text()
    channels, _, rate, pcm = _wav(text)
    assert (channels, rate, len(pcm)) == (1, 8000, 8000)
    assert "resampled" not in text
    data = _data(text)
    assert data["present"] == [] and data["ref"] is None and data["pred"]["spans"] == []


def test_markup_in_names_is_escaped(tmp_path, recording):
    audio, pred, _ = recording
    classes = ["a</script><script>alert(1)</script>", "<b>dog</b>", "alarm & co", "k'n\"ck", "piano"]
    text = write_report(tmp_path / "a.html", "x<y>.wav", audio, SR, pred, classes,
                        scores={"<i>ER</i>": 0.5}).read_text()
    assert text.count("<script") == 2 and "<b>dog" not in text and "<i>ER" not in text
    assert "<h1>x&lt;y&gt;.wav</h1>" in text
    assert _data(text)["classes"] == classes


def test_distances_are_embedded(tmp_path, recording_dist):
    audio, pred, ref = recording_dist
    data = _data(write_report(tmp_path / "a.html", "a.wav", audio, SR, pred, CLASSES, ref=ref).read_text())
    np.testing.assert_allclose(data["pred"]["dist"], pred.dist, atol=0.006)
    np.testing.assert_allclose(data["ref"]["dist"], ref.dist, atol=0.006)


def test_bad_arguments(tmp_path, recording):
    audio, pred, _ = recording
    with pytest.raises(ValueError, match="class index"):
        write_report(tmp_path / "a.html", "a.wav", audio, SR, pred, CLASSES[:2])
    for rate in (0, 24000.5, "fast", None):
        with pytest.raises(ValueError, match="sample_rate"):
            write_report(tmp_path / "a.html", "a.wav", audio, rate, pred, CLASSES)
    assert not (tmp_path / "a.html").exists()
    text = write_report(tmp_path / "a.html", "a.wav", audio, float(SR), pred, CLASSES).read_text()
    assert "at 24000 Hz" in text and _wav(text)[2] == 16000
    (tmp_path / "a.html").unlink()
    assert not (tmp_path / "a.html").exists()
