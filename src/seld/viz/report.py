"""One self-contained HTML page per recording: audio, event timeline and direction maps that follow a cursor.

The page needs nothing from the network: styles and script are inline, the drawings are inline SVG built by
the script, and the audio is embedded as a ``data:`` URI (a WAV of the first, omni, channel). It shows

* the audio player; the time cursor follows ``audio.currentTime`` while it plays, and clicking or dragging on
  the timeline seeks;
* an event timeline: one row per class that occurs, one bar per activity span (:func:`events_to_segments`),
  with a level strip of the first channel above it; with a reference, each row has a reference lane (outlined
  bars) above the prediction lane (filled bars);
* two maps of the directions active at the cursor, with a one-second trail: a top-down view (front up, left
  to the left; the radius is the horizontal distance when every table carries distances, else cos(elevation))
  and an azimuth-elevation view (azimuth +180° on the left to -180° on the right, as seen facing the front);
  predictions are filled dots, reference directions dashed rings;
* a table of the events active at the cursor, and the file's scores when given.

A link to a moment: ``report.html#t=12.5`` opens with the cursor at 12.5 s. Keys: space plays/pauses, the
arrow keys step one label frame.

Size: the audio is embedded at :data:`AUDIO_RATE` Hz mono 16 bit (about 43 kB per second in the page), at
:data:`LONG_AUDIO_RATE` Hz for recordings longer than :data:`LONG_AUDIO_S`, and at most the first
:data:`MAX_AUDIO_S` seconds (so at most about 13 MB); the page says when it drops or shortens anything. The
embedded audio is peak-normalised to -1 dBFS so that quiet microphone recordings can be heard.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import wave
from pathlib import Path

import numpy as np

from seld.formats.events import Events
from seld.userio import atomic_write
from seld.viz._inputs import first_channel
from seld.viz._page import PAGE_CSS, PAGE_JS
from seld.viz.plot import format_scores
from seld.viz.segments import class_colors, classes_present, duration_s, events_to_segments

log = logging.getLogger(__name__)

__all__ = ["write_report", "AUDIO_RATE", "LONG_AUDIO_RATE", "LONG_AUDIO_S", "MAX_AUDIO_S"]

#: Sample rate of the embedded audio (lower input rates are kept as they are).
AUDIO_RATE = 16000
#: Recordings longer than this many seconds are embedded at :data:`LONG_AUDIO_RATE`.
LONG_AUDIO_S = 300.0
LONG_AUDIO_RATE = 8000
#: At most this many seconds of audio are embedded; the timeline still covers the whole recording.
MAX_AUDIO_S = 600.0
#: The level strip has at most this many points.
_MAX_LEVEL_POINTS = 4000


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    if rate_out >= rate_in:
        return x
    from scipy.signal import resample_poly

    g = math.gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // g, rate_in // g)


def embed_audio(x: np.ndarray, sample_rate: int) -> tuple[bytes, int, float, str]:
    """The first channel ``x`` as 16-bit mono WAV bytes for the page; also its rate, seconds and a note."""
    dur = len(x) / float(sample_rate)
    notes = []
    keep = x
    if dur > MAX_AUDIO_S:
        keep = x[: int(MAX_AUDIO_S * sample_rate)]
        notes.append(f"only the first {MAX_AUDIO_S:g} s of {dur:.1f} s are embedded")
    rate = AUDIO_RATE if dur <= LONG_AUDIO_S else LONG_AUDIO_RATE
    rate = min(rate, sample_rate)
    if rate < sample_rate:
        notes.append(f"resampled from {sample_rate} Hz to {rate} Hz")
    y = _resample(keep, sample_rate, rate)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0:
        y = y * (10 ** (-1 / 20) / peak)
        notes.append("peak-normalised to -1 dBFS")
    pcm = np.clip(np.round(y * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue(), rate, len(pcm) / float(rate), "; ".join(notes)


def _level(x: np.ndarray, sample_rate: int) -> dict:
    """RMS level of ``x`` in dB relative to its loudest block, blocks of 0.1 s (longer for long recordings)."""
    hop = max(int(round(0.1 * sample_rate)), math.ceil(len(x) / _MAX_LEVEL_POINTS))
    n = max(1, len(x) // hop)
    blocks = np.pad(x, (0, max(0, n * hop - len(x))))[: n * hop].reshape(n, hop)
    rms = np.sqrt(np.mean(blocks**2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-12) / max(float(rms.max()), 1e-12))
    return {"hop": hop / float(sample_rate), "db": [round(float(v), 1) for v in np.maximum(db, -60.0)]}


def _num(values: np.ndarray, digits: int) -> list:
    """Rounded floats for JSON; non-finite values become null."""
    return [round(float(v), digits) if math.isfinite(v) else None for v in values]


def _table(table: Events | None) -> dict | None:
    if table is None:
        return None
    azi, ele = table.azi_ele()
    return {
        "frame_len": float(table.frame_len),
        "n_frames": int(table.num_frames()),
        "frame": table.frame.tolist(),
        "cls": table.cls.tolist(),
        "track": table.track.tolist(),
        "azi": _num(azi, 1),
        "ele": _num(ele, 1),
        "dist": None if table.dist is None else _num(table.dist, 2),
        "spans": [[s.cls, s.track, round(s.start, 4), round(s.end, 4)] for s in events_to_segments(table)],
    }


def _scores_html(scores: dict | None) -> str:
    if not scores:
        return ""
    cells = []
    for part in format_scores(scores).split(" · "):
        key, _, value = part.partition(" ")
        cells.append(f"<div class=\"score\"><span class=\"k\">{html.escape(key)}</span>"
                     f"<span class=\"v\">{html.escape(value)}</span></div>")
    return f"<div id=\"scores\" aria-label=\"scores of this file\">{''.join(cells)}</div>"


def _json_for_script(data) -> str:
    """JSON that can sit inside a <script> element: ``<``, ``>`` and ``&`` written as ``\\u`` escapes."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_report(path_html, audio_path, audio: np.ndarray, sample_rate: int, pred: Events, classes: list[str],
                 ref: Events | None = None, scores: dict | None = None) -> Path:
    """Write the HTML page of one recording (see the module docstring); returns its path.

    Args:
        path_html: file to write (folders are created; written through a temporary file and a rename).
        audio_path: the recording's file, named on the page (never read).
        audio: [C, N] samples; channel 0 (W of FOA) is embedded and drawn as the level strip.
        sample_rate: Hz.
        pred: predicted events; ``classes[pred.cls]`` names them.
        classes: class names by index.
        ref: reference events, shown beside the prediction when given.
        scores: the file's DCASE scores (``{"ER": ..., "F": ..., "LE": ..., "LR": ..., "SELD": ...}``).
    """
    x, n_channels, sample_rate = first_channel(audio, sample_rate, pred, classes, ref)
    names = [str(c) for c in classes]
    dur = duration_s(len(x), sample_rate, pred, ref)
    wav, rate, audio_s, note = embed_audio(x, sample_rate)
    name = Path(str(audio_path)).name
    data = {
        "name": name,
        "duration": round(dur, 4),
        "classes": names,
        "colors": class_colors(len(names)),
        "present": classes_present(pred, ref),
        "pred": _table(pred),
        "ref": _table(ref),
        "level": _level(x, sample_rate),
        "audio": {"rate": rate, "seconds": round(audio_s, 4), "note": note},
    }
    n_pred = len(data["pred"]["spans"])
    summary = (f"{len(x) / sample_rate:.2f} s · {n_channels} channel(s) at "
               f"{sample_rate} Hz · {n_pred} predicted event span(s)")
    if ref is not None:
        summary += f" · {len(data['ref']['spans'])} reference span(s)"
    legend = ("filled bars and dots: prediction" +
              ("; outlined bars (upper lane) and dashed rings: reference" if ref is not None else ""))
    src = "data:audio/wav;base64," + base64.b64encode(wav).decode("ascii")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="seld">
<title>SELD: {html.escape(name)}</title>
<link rel="icon" href="data:,">
<style>{PAGE_CSS}</style>
</head>
<body data-ready="0">
<header>
<h1>{html.escape(name)}</h1>
<div class="meta" title="{html.escape(str(audio_path))}">{html.escape(summary)}</div>
{_scores_html(scores)}
</header>
<section id="player">
<audio id="audio" controls preload="auto" src="{src}"></audio>
<span id="clock">0.00 s</span>
<span class="note">embedded audio: channel 0{', ' + html.escape(note) if note else ''}. Click or drag on the
timeline to seek; space plays and pauses; arrow keys step one frame.</span>
</section>
<section id="timeline-box">
<div class="legend">{html.escape(legend)}</div>
<svg id="timeline" role="img" aria-label="event timeline"></svg>
</section>
<section id="maps">
<figure><svg id="map-top" viewBox="0 0 340 340" width="290" height="290" role="img"
aria-label="directions seen from above"></svg><figcaption id="map-top-caption">top-down view</figcaption></figure>
<figure><svg id="map-ae" viewBox="0 0 560 320" width="469" height="268" role="img"
aria-label="azimuth and elevation"></svg><figcaption>azimuth-elevation view (as seen facing the front)</figcaption>
</figure>
<div id="now"><table><thead><tr><th></th><th>class</th><th>track</th><th>azi&nbsp;°</th><th>ele&nbsp;°</th>
<th>dist&nbsp;m</th></tr></thead><tbody id="now-body"></tbody></table></div>
</section>
<footer>Directions in the DCASE convention: azimuth counter-clockwise from the front (+90° = left), elevation
up. Made by seld.</footer>
<script type="application/json" id="seld-data">{_json_for_script(data)}</script>
<script>{PAGE_JS}</script>
</body>
</html>
"""
    atomic_write(path_html, page)
    log.debug("wrote %s (%d kB)", path_html, len(page) // 1000)
    return Path(path_html)
