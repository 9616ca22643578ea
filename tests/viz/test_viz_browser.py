"""The HTML report in a real headless Chromium: it loads without console errors, draws one timeline bar per
activity span and one map marker per event active at the cursor, the cursor follows the audio, clicking the
timeline seeks, and a screenshot shows the timeline and the maps.

Skipped, saying why, when no Chromium is installed (Debian: ``apt-get install -y chromium``). Set
``SELD_VIZ_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import io
import os
import shutil

import numpy as np
import pytest
from matplotlib.image import imread
from viz_helpers import CLASSES, SR

from seld.formats.events import Events
from seld.viz import events_to_segments, write_report

BLUE = np.array([0x1F, 0x77, 0xB4]) / 255  # class 0
# The page's az-el view in its own (viewBox) units: azimuth +180 at x0, -180 at x0 + w; elevation +90 at y0.
AE_X0, AE_Y0, AE_W, AE_H = 40, 14, 500, 250
TOP_C, TOP_R = 170, 140  # centre and horizon radius of the top-down view (viewBox units)


def _open(browser, path, fragment=""):
    browser.events.clear()
    browser.open(path, fragment)
    assert browser.eval("document.body.dataset.ready") == "1"


def _markers(browser, view: str, kind: str) -> list[dict]:
    return browser.eval(
        f"Array.from(document.querySelectorAll('#{view} circle.marker.{kind}')).map(function (c) {{"
        "return {cls: +c.dataset.cls, track: +c.dataset.track, x: +c.getAttribute('cx'), y: +c.getAttribute('cy')};})")


def _seek_audio(browser, t: float) -> float:
    """Set audio.currentTime (after its metadata loaded) and wait for 'seeked'; the page's time after that."""
    return browser.eval(
        "new Promise(function (done) { const a = document.getElementById('audio');"
        "  function go() { a.addEventListener('seeked', function () { done(window.seldReport.time()); },"
        f"                                        {{once: true}}); a.currentTime = {t}; }}"
        "  if (a.readyState >= 1) go(); else a.addEventListener('loadedmetadata', go, {once: true}); })")


def _screenshot(browser, name, tmp_path):
    data = browser.screenshot()
    (tmp_path / name).write_bytes(data)
    keep = os.environ.get("SELD_VIZ_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(tmp_path / name, os.path.join(keep, name))
    return imread(io.BytesIO(data), format="png")[..., :3]


def _region(img, rect):
    return img[int(rect["top"]):int(rect["bottom"]), int(rect["left"]):int(rect["right"])]


def _has_colour(img, rgb, tol=3 / 255) -> int:
    return int(np.sum(np.all(np.abs(img - rgb) <= tol, axis=-1)))


@pytest.fixture(scope="module")
def page(tmp_path_factory, recording):
    audio, pred, ref = recording
    return write_report(tmp_path_factory.mktemp("page") / "rec.html", "rec.wav", audio, SR, pred, CLASSES, ref=ref,
                        scores={"ER": 0.31, "F": 0.72, "LE": 17.3, "LR": 0.81, "SELD": 0.29})


def test_page_loads_and_draws_timeline_and_maps(browser, page, recording, tmp_path):
    _, pred, ref = recording
    _open(browser, page, "#t=1.55")
    assert browser.errors() == []
    assert browser.eval("window.seldReport.time()") == pytest.approx(1.55)
    assert browser.eval(  # the audio starts where the link says once it can seek
        "new Promise(function (ok) { const a = document.getElementById('audio');"
        "  if (a.readyState >= 1) ok(a.currentTime);"
        "  else a.addEventListener('loadedmetadata', function () { ok(a.currentTime); }, {once: true}); })"
    ) == pytest.approx(1.55)

    # one bar per span, at the span's times
    for kind, table in (("pred", pred), ("ref", ref)):
        spans = events_to_segments(table)
        bars = browser.eval(f"Array.from(document.querySelectorAll('#timeline rect.seg.{kind}')).map(function (r) {{"
                            "return [+r.dataset.cls, +r.getAttribute('x'), +r.getAttribute('width'),"
                            "        +r.getAttribute('y')];})")
        assert browser.eval(f"document.getElementById('timeline').dataset.{kind}Bars") == str(len(spans))
        assert [b[0] for b in bars] == [s.cls for s in spans]
        starts = np.array([s.start for s in spans])
        x = np.array([b[1] for b in bars])
        slope, offset = np.polyfit(starts, x, 1)
        assert slope > 50 and np.abs(offset + slope * starts - x).max() < 0.05  # x is linear in time
        widths = np.maximum(1.5, slope * np.array([s.end - s.start for s in spans]))
        np.testing.assert_allclose([b[2] for b in bars], widths, atol=0.02)
    rows = browser.eval("Array.from(document.querySelectorAll('#timeline rect.seg')).map(function (r) {"
                        "return [r.classList.contains('ref'), +r.dataset.cls, +r.getAttribute('y')];})")
    ys = {}
    for is_ref, c, y in rows:  # one lane per (class, ref/pred); classes top to bottom, reference above prediction
        ys.setdefault((c, is_ref), set()).add(y)
    assert all(len(v) == 1 for v in ys.values())
    lanes = {k: v.pop() for k, v in ys.items()}
    assert lanes[(0, True)] < lanes[(0, False)] < lanes[(1, True)] < lanes[(1, False)] < lanes[(4, False)]

    # markers: one per event active in the cursor's frame (15), in both maps, where the directions say
    for kind, table in (("pred", pred), ("ref", ref)):
        now = table.select(table.frame == 15)
        azi, ele = now.azi_ele()
        for view in ("map-top", "map-ae"):
            marks = _markers(browser, view, kind)
            assert sorted(m["cls"] for m in marks) == sorted(now.cls.tolist())
        for m in _markers(browser, "map-ae", kind):
            i = int(np.flatnonzero(now.cls == m["cls"])[0])
            assert m["x"] == pytest.approx(AE_X0 + (180 - azi[i]) / 360 * AE_W, abs=0.15)
            assert m["y"] == pytest.approx(AE_Y0 + (90 - ele[i]) / 180 * AE_H, abs=0.15)
        for m in _markers(browser, "map-top", kind):  # front up, left to the left, radius cos(elevation)
            i = int(np.flatnonzero(now.cls == m["cls"])[0])
            r = TOP_R * np.cos(np.radians(ele[i]))
            assert m["x"] == pytest.approx(TOP_C - r * np.sin(np.radians(azi[i])), abs=0.15)
            assert m["y"] == pytest.approx(TOP_C - r * np.cos(np.radians(azi[i])), abs=0.15)
    top = {m["cls"]: m for m in _markers(browser, "map-top", "ref")}
    assert top[0]["x"] < TOP_C and top[0]["y"] < TOP_C  # class 0 at azimuth 60°: in front, on the left
    assert top[1]["x"] > TOP_C and top[1]["y"] > TOP_C  # class 1 at azimuth -120°: behind, on the right
    assert browser.eval("document.getElementById('now-body').rows.length") == 3
    assert browser.eval("document.getElementById('clock').textContent") == "1.55 s / 6.00 s"

    img = _screenshot(browser, "report.png", tmp_path)
    assert img.shape == (900, 1200, 3) and img.std() > 0.1
    for element in ("timeline", "map-top", "map-ae"):
        rect = browser.eval(f"JSON.parse(JSON.stringify(document.getElementById('{element}')"
                            ".getBoundingClientRect()))")
        assert rect["bottom"] <= 900 and rect["right"] <= 1200, f"{element} is not on the first screen"
        part = _region(img, rect)
        assert np.mean(np.any(part < 0.9, axis=-1)) > 0.02, f"nothing drawn in {element}"
        assert _has_colour(part, BLUE) > 20, f"class 0 not shown in {element}"


def test_cursor_follows_the_audio_and_moves_the_markers(browser, page):
    _open(browser, page)
    assert browser.eval("document.getElementById('audio').duration") == pytest.approx(6.0, abs=1e-3)
    cursor = "+document.getElementById('cursor').getAttribute('x1')"
    assert _seek_audio(browser, 0.75) == pytest.approx(0.75)
    x1, before = browser.eval(cursor), _markers(browser, "map-ae", "ref")
    assert _seek_audio(browser, 2.05) == pytest.approx(2.05)
    x2, after = browser.eval(cursor), _markers(browser, "map-ae", "ref")
    assert x2 > x1 + 50
    # reference class 0 moves from azimuth 36° (frame 7) to 75° (frame 20): leftwards in the az-el view
    (b,) = [m for m in before if m["cls"] == 0]
    a = [m for m in after if m["cls"] == 0][0]
    assert a["x"] - b["x"] == pytest.approx(-(75 - 36) / 360 * AE_W, abs=0.2)
    assert sorted(m["cls"] for m in after) == [0, 1]
    # while playing, the page's time is the audio's
    t_audio, t_page = browser.eval(
        "(async function () { const a = document.getElementById('audio'); a.currentTime = 1.0;"
        "  await new Promise(function (ok) { a.addEventListener('seeked', ok, {once: true}); });"
        "  await a.play(); await new Promise(function (ok) { setTimeout(ok, 400); }); a.pause();"
        "  await new Promise(function (ok) { setTimeout(ok, 50); });"
        "  return [a.currentTime, window.seldReport.time()]; })()")
    assert t_audio > 1.1 and t_page == pytest.approx(t_audio, abs=1e-3)
    assert browser.errors() == []


def test_clicking_the_timeline_seeks(browser, page):
    _open(browser, page)
    bar = browser.eval("JSON.parse(JSON.stringify(document.querySelector("
                       "'#timeline rect.seg.pred[data-cls=\"4\"]').getBoundingClientRect()))")
    x, y = (bar["left"] + bar["right"]) / 2, (bar["top"] + bar["bottom"]) / 2
    for kind in ("mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "buttons": 1,
                                                  "clickCount": 1}, session=True)
    t = browser.eval("window.seldReport.time()")
    assert 4.6 < t < 5.6  # inside the predicted piano span (frames 46-55)
    assert browser.eval("document.getElementById('audio').currentTime") == pytest.approx(t, abs=1e-3)
    assert "piano" in browser.eval("document.getElementById('now-body').textContent")
    cursor_x = browser.eval("(function (r) { return (r.left + r.right) / 2; })("
                            "document.getElementById('cursor').getBoundingClientRect())")
    assert cursor_x == pytest.approx(x, abs=1.5)
    browser.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "ArrowRight", "code": "ArrowRight",
                                            "windowsVirtualKeyCode": 39}, session=True)
    assert browser.eval("window.seldReport.time()") == pytest.approx(t + 0.1)
    assert browser.errors() == []


def test_pages_without_reference_or_events(browser, tmp_path, recording_dist):
    audio, pred, ref = recording_dist
    x = np.sin(np.arange(16000) * 0.05) * 0.3
    empty = write_report(tmp_path / "empty.html", "e.wav", x, 8000, Events.empty(), CLASSES)
    _open(browser, empty, "#t=1.0")
    assert "no events" in browser.eval("document.getElementById('timeline').textContent")
    assert browser.eval("document.querySelectorAll('circle.marker, rect.seg').length") == 0
    assert browser.eval("window.seldReport.setTime(1.7), window.seldReport.time()") == pytest.approx(1.7)
    assert browser.errors() == []

    dist = write_report(tmp_path / "dist.html", "d.wav", audio, SR, pred, CLASSES)
    _open(browser, dist, "#t=1.05")
    assert "horizontal distance" in browser.eval("document.getElementById('map-top-caption').textContent")
    (m,) = _markers(browser, "map-top", "pred")  # class 0 only; radius = horizontal distance / outer ring
    row = np.flatnonzero((pred.frame == 10) & (pred.cls == 0))[0]
    azi, ele = pred.azi_ele()
    outer = browser.eval("Math.max.apply(null, Array.from(document.querySelectorAll('#map-top text'))"
                         ".map(function (t) { return parseFloat(t.textContent) || 0; }))")
    r = np.hypot(m["x"] - TOP_C, m["y"] - TOP_C)
    assert r == pytest.approx(TOP_R * pred.dist[row] * np.cos(np.radians(ele[row])) / outer, abs=0.2)
    assert browser.eval("document.querySelectorAll('#timeline rect.seg.ref').length") == 0
    assert browser.errors() == []


def test_markup_in_names_is_shown_as_text(browser, tmp_path, recording):
    audio, pred, _ = recording
    classes = ["a</script><script>alert(1)</script>", "<b>dog</b>", "alarm & co", "k'n\"ck", "piano"]
    path = write_report(tmp_path / "odd.html", "x<y>.wav", audio, SR, pred, classes)
    _open(browser, path, "#t=1.7")
    assert browser.eval("window.seldReport.data.classes") == classes
    assert browser.eval("document.querySelector('h1').textContent") == "x<y>.wav"
    labels = browser.eval("Array.from(document.querySelectorAll('#timeline > text')).map(function (t) {"
                          "return t.textContent; })")
    assert [n for n in classes if n in labels] == [classes[0], classes[1], classes[2], classes[4]]
    assert browser.eval("document.querySelectorAll('b, script').length") == 2  # no element made from a name
    assert classes[1] in browser.eval("document.getElementById('now-body').textContent")
    assert browser.errors() == []
