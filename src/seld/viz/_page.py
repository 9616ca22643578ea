"""Inline style sheet and script of the HTML report (see :mod:`seld.viz.report`).

The script reads the recording's data from the ``<script type="application/json" id="seld-data">`` element and
draws into the page's inline ``<svg>`` elements by setting their markup (so it never needs a namespace URI).
It exposes ``window.seldReport`` (``setTime(t)``, ``seek(t)``, ``time()``, ``data``) and, once drawn, sets
``data-ready="1"`` on ``<body>``; the timeline carries ``data-pred-bars`` / ``data-ref-bars``.
"""

PAGE_CSS = r"""
:root { --ink: #1d232b; --muted: #5f6b7a; --line: #d5dbe3; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 14px 20px 24px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--ink); background: #fff; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; }
h1 { font-size: 19px; margin: 0; font-weight: 600; }
.meta { color: var(--muted); }
#scores { display: flex; gap: 8px; margin-left: auto; }
.score { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 2px 9px; }
.score .k { color: var(--muted); margin-right: 6px; font-size: 12px; }
.score .v { font-weight: 600; font-variant-numeric: tabular-nums; }
#player { display: flex; align-items: center; gap: 14px; margin: 10px 0 6px; flex-wrap: wrap; }
#player audio { width: 420px; height: 36px; }
#clock { font: 600 15px/1 ui-monospace, monospace; min-width: 170px; }
.note, .legend, figcaption, footer { color: var(--muted); font-size: 12px; }
#timeline-box { border: 1px solid var(--line); border-radius: 8px; padding: 6px 8px 4px; }
#timeline { display: block; width: 100%; cursor: crosshair; user-select: none; }
#timeline text { font-size: 11px; fill: var(--ink); }
#timeline .tick text { fill: var(--muted); font-size: 10px; }
#maps { display: flex; flex-wrap: wrap; gap: 12px 18px; margin-top: 10px; align-items: flex-start; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 6px; }
figcaption { text-align: center; width: 0; min-width: 100%; }  /* wraps at the drawing's width */
#maps svg text { font-size: 11px; fill: var(--muted); }
#now { flex: 1 1 300px; min-width: 300px; overflow-x: auto; }
#now table { border-collapse: collapse; width: 100%; font-size: 12px; font-variant-numeric: tabular-nums; }
#now th, #now td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: right; }
#now th:nth-child(2), #now td:nth-child(2) { text-align: left; }
#now .sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
#now .sw.ref { background: none !important; border: 2px dashed; }
footer { margin-top: 12px; }
"""

PAGE_JS = r"""
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("seld-data").textContent);
  const audio = document.getElementById("audio");
  const tl = document.getElementById("timeline");
  const mapTop = document.getElementById("map-top");
  const mapAe = document.getElementById("map-ae");
  const clock = document.getElementById("clock");
  const nowBody = document.getElementById("now-body");
  const LABEL_W = 170, AXIS_H = 22, LEVEL_H = 34, PAD_R = 14, TRAIL_S = 1.0;
  const ROW_H = D.ref ? 30 : 20;
  const TABLES = [["pred", D.pred], ["ref", D.ref]].filter(function (p) { return p[1]; });
  let T = 0, lastKey = "", plotW = 100;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
  function f1(v) { return v === null || v === undefined ? "–" : Number(v).toFixed(1); }

  // ------------------------------------------------------------------ per-frame index and coordinates
  TABLES.forEach(function (p) {
    const tab = p[1];
    tab.byFrame = new Map();
    tab.frame.forEach(function (f, i) {
      let rows = tab.byFrame.get(f);
      if (!rows) { rows = []; tab.byFrame.set(f, rows); }
      rows.push(i);
    });
  });
  const distMode = TABLES.length > 0 && TABLES.every(function (p) {
    return p[1].dist && p[1].dist.some(function (d) { return d !== null; });
  });
  let distMax = 1;
  if (distMode) {
    TABLES.forEach(function (p) {
      p[1].dist.forEach(function (d) { if (d !== null) distMax = Math.max(distMax, d); });
    });
    const step = distMax <= 4 ? 1 : distMax <= 10 ? 2 : 5;
    distMax = Math.ceil(distMax / step) * step;
  }

  // ------------------------------------------------------------------ timeline
  const rowOf = new Map();
  D.present.forEach(function (c, i) { rowOf.set(c, i); });
  const timelineH = AXIS_H + LEVEL_H + Math.max(1, D.present.length) * ROW_H + 6;
  function tx(t) { return LABEL_W + (t / D.duration) * plotW; }

  function tickStep() {
    const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
    for (let i = 0; i < steps.length; i++) if (D.duration / steps[i] <= plotW / 70) return steps[i];
    return steps[steps.length - 1];
  }

  function drawTimeline() {
    // one viewBox unit per CSS pixel at the width the page gives the timeline
    const W = Math.max(400, Math.round(tl.getBoundingClientRect().width) || 1000);
    plotW = W - LABEL_W - PAD_R;
    tl.setAttribute("height", timelineH);
    tl.setAttribute("viewBox", "0 0 " + W + " " + timelineH);
    const out = [];
    const bottom = timelineH - 4;
    const step = tickStep();
    for (let t = 0; t <= D.duration + 1e-9; t += step) {
      const x = tx(t).toFixed(1);
      out.push('<g class="tick"><line x1="' + x + '" x2="' + x + '" y1="' + (AXIS_H - 4) + '" y2="' + bottom +
               '" stroke="#e6eaef"/><text x="' + x + '" y="' + (AXIS_H - 8) + '" text-anchor="middle">' +
               (+t.toFixed(2)) + ' s</text></g>');
    }
    // level strip of channel 0
    const lv = D.level, y0 = AXIS_H + 2, h = LEVEL_H - 6;
    let pts = [tx(0).toFixed(1) + "," + (y0 + h)];
    lv.db.forEach(function (db, i) {
      pts.push(tx((i + 0.5) * lv.hop).toFixed(1) + "," + (y0 + h * (-db / 60)).toFixed(1));
    });
    pts.push(tx(Math.min(D.duration, lv.db.length * lv.hop)).toFixed(1) + "," + (y0 + h));
    out.push('<text x="6" y="' + (y0 + h / 2 + 4) + '">level (ch 0)</text>');
    out.push('<polygon id="level" points="' + pts.join(" ") + '" fill="#b9c4d0" stroke="#8796a8" stroke-width="0.6"/>');
    // class rows
    const top = AXIS_H + LEVEL_H;
    if (!D.present.length) {
      out.push('<text x="' + (LABEL_W + plotW / 2) + '" y="' + (top + ROW_H / 2 + 4) +
               '" text-anchor="middle" fill="#5f6b7a">no events</text>');
    }
    D.present.forEach(function (c, i) {
      const y = top + i * ROW_H;
      if (i % 2 === 0) out.push('<rect x="0" y="' + y + '" width="' + W + '" height="' + ROW_H + '" fill="#f6f8fa"/>');
      out.push('<rect x="6" y="' + (y + ROW_H / 2 - 5) + '" width="10" height="10" rx="2" fill="' +
               D.colors[c] + '"/>');
      out.push('<text x="22" y="' + (y + ROW_H / 2 + 4) + '">' + esc(D.classes[c]) + '</text>');
      if (D.ref) {
        out.push('<text x="' + (LABEL_W - 6) + '" y="' + (y + ROW_H / 4 + 3) + '" text-anchor="end" ' +
                 'style="font-size:9px;fill:#5f6b7a">ref</text>');
        out.push('<text x="' + (LABEL_W - 6) + '" y="' + (y + 3 * ROW_H / 4 + 3) + '" text-anchor="end" ' +
                 'style="font-size:9px;fill:#5f6b7a">pred</text>');
      }
    });
    const counts = {pred: 0, ref: 0};
    TABLES.forEach(function (p) {
      const kind = p[0], tab = p[1];
      tab.spans.forEach(function (s) {
        const c = s[0], row = rowOf.get(c);
        let y = top + row * ROW_H + 3, h = ROW_H - 6;
        if (D.ref) { h = ROW_H / 2 - 4; if (kind === "pred") y += ROW_H / 2 - 1; }
        const x0 = tx(s[2]), w = Math.max(1.5, tx(s[3]) - x0);
        const tip = esc(D.classes[c]) + " · track " + s[1] + " · " + s[2].toFixed(2) + "–" + s[3].toFixed(2) +
                    " s (" + (kind === "pred" ? "prediction" : "reference") + ")";
        const style = kind === "pred" ? 'fill="' + D.colors[c] + '"'
                                      : 'fill="' + D.colors[c] + '" fill-opacity="0.28" stroke="' + D.colors[c] +
                                        '" stroke-width="1.4"';
        out.push('<rect class="seg ' + kind + '" data-cls="' + c + '" data-track="' + s[1] + '" x="' +
                 x0.toFixed(2) + '" y="' + y.toFixed(1) + '" width="' + w.toFixed(2) + '" height="' + h.toFixed(1) +
                 '" rx="2" ' + style + '><title>' + tip + '</title></rect>');
        counts[kind] += 1;
      });
    });
    out.push('<line id="cursor" x1="0" x2="0" y1="' + (AXIS_H - 4) + '" y2="' + bottom +
             '" stroke="#d0021b" stroke-width="2"/>');
    tl.innerHTML = out.join("");
    tl.dataset.predBars = counts.pred;
    tl.dataset.refBars = counts.ref;
    placeCursor();
  }

  function placeCursor() {
    const c = document.getElementById("cursor");
    if (!c) return;
    const x = tx(clamp(T, 0, D.duration)).toFixed(2);
    c.setAttribute("x1", x);
    c.setAttribute("x2", x);
  }

  // ------------------------------------------------------------------ maps
  const TOP = {cx: 170, cy: 170, R: 140};
  const AE = {x0: 40, y0: 14, w: 500, h: 250};

  function topXY(azi, ele, dist) {
    const a = azi * Math.PI / 180, e = ele * Math.PI / 180;
    const r = (distMode && dist !== null ? dist / distMax : 1) * Math.cos(e) * TOP.R;
    return [TOP.cx - r * Math.sin(a), TOP.cy - r * Math.cos(a)];
  }
  function aeXY(azi, ele) {
    return [AE.x0 + (180 - azi) / 360 * AE.w, AE.y0 + (90 - ele) / 180 * AE.h];
  }

  function drawMapFrames() {
    const o = [], c = TOP;
    const rings = distMode ? [] : [[0, "0°"], [45, "±45°"], [70, "±70°"]];
    if (distMode) {
      const step = distMax <= 4 ? 1 : distMax <= 10 ? 2 : 5;
      for (let d = step; d <= distMax + 1e-9; d += step) rings.push([d, d + " m"]);
    }
    rings.forEach(function (rg) {
      const r = distMode ? rg[0] / distMax * c.R : Math.cos(rg[0] * Math.PI / 180) * c.R;
      o.push('<circle cx="' + c.cx + '" cy="' + c.cy + '" r="' + r.toFixed(1) + '" fill="none" stroke="#d5dbe3"/>');
      o.push('<text x="' + (c.cx + r * 0.71 + 2).toFixed(1) + '" y="' + (c.cy - r * 0.71 - 2).toFixed(1) + '">' +
             rg[1] + '</text>');
    });
    o.push('<line x1="' + (c.cx - c.R) + '" x2="' + (c.cx + c.R) + '" y1="' + c.cy + '" y2="' + c.cy +
           '" stroke="#e6eaef"/>');
    o.push('<line y1="' + (c.cy - c.R) + '" y2="' + (c.cy + c.R) + '" x1="' + c.cx + '" x2="' + c.cx +
           '" stroke="#e6eaef"/>');
    o.push('<text x="' + c.cx + '" y="12" text-anchor="middle">front</text>');
    o.push('<text x="' + c.cx + '" y="336" text-anchor="middle">back</text>');
    o.push('<text x="2" y="' + (c.cy - 4) + '">left</text>');
    o.push('<text x="338" y="' + (c.cy - 4) + '" text-anchor="end">right</text>');
    o.push('<circle cx="' + c.cx + '" cy="' + c.cy + '" r="7" fill="#fff" stroke="#5f6b7a"/>' +
           '<path d="M' + (c.cx - 4) + ' ' + (c.cy - 5) + ' L' + c.cx + ' ' + (c.cy - 12) + ' L' + (c.cx + 4) + ' ' +
           (c.cy - 5) + '" fill="#5f6b7a"/>');
    o.push('<g id="top-trail"></g><g id="top-markers"></g>');
    mapTop.innerHTML = o.join("");
    document.getElementById("map-top-caption").textContent = distMode
      ? "top-down view (radius: horizontal distance)"
      : "top-down view (radius: cos elevation; centre: straight up or down)";

    const a = [], e = AE;
    a.push('<rect x="' + e.x0 + '" y="' + e.y0 + '" width="' + e.w + '" height="' + e.h +
           '" fill="#fbfcfd" stroke="#d5dbe3"/>');
    for (let az = -180; az <= 180; az += 45) {
      const x = aeXY(az, 0)[0].toFixed(1);
      a.push('<line x1="' + x + '" x2="' + x + '" y1="' + e.y0 + '" y2="' + (e.y0 + e.h) + '" stroke="' +
             (az === 0 ? "#b9c4d0" : "#e6eaef") + '"/>');
      a.push('<text x="' + x + '" y="' + (e.y0 + e.h + 14) + '" text-anchor="middle">' + az + '°</text>');
    }
    for (let el = -90; el <= 90; el += 30) {
      const y = aeXY(0, el)[1].toFixed(1);
      a.push('<line x1="' + e.x0 + '" x2="' + (e.x0 + e.w) + '" y1="' + y + '" y2="' + y + '" stroke="' +
             (el === 0 ? "#b9c4d0" : "#e6eaef") + '"/>');
      a.push('<text x="' + (e.x0 - 6) + '" y="' + (+y + 4) + '" text-anchor="end">' + el + '°</text>');
    }
    [["left", 90], ["front", 0], ["right", -90], ["back", 180]].forEach(function (l) {
      a.push('<text x="' + aeXY(l[1], 0)[0].toFixed(1) + '" y="' + (e.y0 + e.h + 30) + '" text-anchor="' +
             (l[1] === 180 ? "start" : "middle") + '">' + l[0] + '</text>');
    });
    a.push('<g id="ae-trail"></g><g id="ae-markers"></g>');
    mapAe.innerHTML = a.join("");
  }

  function marker(kind, tab, i, xy) {
    const c = tab.cls[i], col = D.colors[c];
    const tip = esc(D.classes[c]) + " · track " + tab.track[i] + " · azi " + f1(tab.azi[i]) + "°, ele " +
                f1(tab.ele[i]) + "°" + (tab.dist && tab.dist[i] !== null ? ", " + tab.dist[i].toFixed(2) + " m" : "") +
                (kind === "pred" ? " (prediction)" : " (reference)");
    const common = 'class="marker ' + kind + '" data-cls="' + c + '" data-track="' + tab.track[i] + '" cx="' +
                   xy[0].toFixed(2) + '" cy="' + xy[1].toFixed(2) + '"';
    if (kind === "pred") {
      return '<circle ' + common + ' r="7" fill="' + col + '" stroke="#fff" stroke-width="1.5"><title>' + tip +
             '</title></circle>';
    }
    return '<circle ' + common + ' r="11" fill="none" stroke="' + col +
           '" stroke-width="2.5" stroke-dasharray="4 2.5"><title>' + tip + '</title></circle>';
  }

  function drawMarkers(frames) {
    const top = [], ae = [], trTop = [], trAe = [], rows = [];
    TABLES.forEach(function (p) {
      const kind = p[0], tab = p[1], f = frames[kind];
      const back = Math.round(TRAIL_S / tab.frame_len);
      for (let g = f - back; g < f; g++) {
        (tab.byFrame.get(g) || []).forEach(function (i) {
          if (tab.azi[i] === null || tab.ele[i] === null) return;
          const op = (0.15 + 0.55 * (1 - (f - g) / (back + 1))).toFixed(2), col = D.colors[tab.cls[i]];
          const d = tab.dist ? tab.dist[i] : null;
          const p1 = topXY(tab.azi[i], tab.ele[i], d), p2 = aeXY(tab.azi[i], tab.ele[i]);
          trTop.push('<circle class="trail ' + kind + '" cx="' + p1[0].toFixed(1) + '" cy="' + p1[1].toFixed(1) +
                     '" r="2.2" fill="' + col + '" fill-opacity="' + op + '"/>');
          trAe.push('<circle class="trail ' + kind + '" cx="' + p2[0].toFixed(1) + '" cy="' + p2[1].toFixed(1) +
                    '" r="2.2" fill="' + col + '" fill-opacity="' + op + '"/>');
        });
      }
      (tab.byFrame.get(f) || []).forEach(function (i) {
        if (tab.azi[i] === null || tab.ele[i] === null) return;
        const d = tab.dist ? tab.dist[i] : null;
        top.push(marker(kind, tab, i, topXY(tab.azi[i], tab.ele[i], d)));
        ae.push(marker(kind, tab, i, aeXY(tab.azi[i], tab.ele[i])));
        rows.push('<tr class="' + kind + '"><td><span class="sw ' + kind + '" style="background:' +
                  D.colors[tab.cls[i]] + ';border-color:' + D.colors[tab.cls[i]] + '"></span></td><td>' +
                  esc(D.classes[tab.cls[i]]) + (kind === "ref" ? " (ref)" : "") + '</td><td>' + tab.track[i] +
                  '</td><td>' + f1(tab.azi[i]) + '</td><td>' + f1(tab.ele[i]) + '</td><td>' +
                  (d === null ? "–" : d.toFixed(2)) + '</td></tr>');
      });
    });
    // the reference rings go under the predicted dots
    const order = function (list) {
      return list.filter(function (s) { return s.indexOf("marker ref") >= 0; })
                 .concat(list.filter(function (s) { return s.indexOf("marker pred") >= 0; }));
    };
    document.getElementById("top-trail").innerHTML = trTop.join("");
    document.getElementById("ae-trail").innerHTML = trAe.join("");
    document.getElementById("top-markers").innerHTML = order(top).join("");
    document.getElementById("ae-markers").innerHTML = order(ae).join("");
    nowBody.innerHTML = rows.length ? rows.join("") :
      '<tr><td></td><td colspan="5" style="color:#5f6b7a">no event at the cursor</td></tr>';
  }

  // ------------------------------------------------------------------ time
  function setTime(t) {
    T = clamp(Number(t) || 0, 0, D.duration);
    const frames = {};
    TABLES.forEach(function (p) { frames[p[0]] = Math.floor(T / p[1].frame_len + 1e-9); });
    clock.textContent = T.toFixed(2) + " s / " + D.duration.toFixed(2) + " s";
    placeCursor();
    const key = JSON.stringify(frames);
    if (key !== lastKey) {
      lastKey = key;
      drawMarkers(frames);
    }
    document.body.dataset.time = T.toFixed(3);
  }

  function seek(t) {
    t = clamp(t, 0, D.duration);
    if (audio && t <= D.audio.seconds && audio.readyState >= 1) audio.currentTime = t;
    setTime(t);
  }

  function timeAt(ev) {
    const r = tl.getBoundingClientRect(), units = (LABEL_W + plotW + PAD_R) / r.width;
    return ((ev.clientX - r.left) * units - LABEL_W) / plotW * D.duration;
  }
  let dragging = false;
  tl.addEventListener("pointerdown", function (ev) { dragging = true; seek(timeAt(ev)); });
  tl.addEventListener("pointermove", function (ev) { if (dragging && ev.buttons === 1) seek(timeAt(ev)); });
  window.addEventListener("pointerup", function () { dragging = false; });

  if (audio) {
    const follow = function () { setTime(audio.currentTime); };
    const loop = function () { follow(); if (!audio.paused && !audio.ended) requestAnimationFrame(loop); };
    audio.addEventListener("play", function () { requestAnimationFrame(loop); });
    ["timeupdate", "seeked", "seeking", "pause", "ended"].forEach(function (n) { audio.addEventListener(n, follow); });
    // a time chosen before the audio could seek (link with #t=, an early click) is where playing starts
    audio.addEventListener("loadedmetadata", function () { if (T > 0) seek(T); }, {once: true});
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.target && /^(INPUT|TEXTAREA|AUDIO)$/.test(ev.target.tagName)) return;
    const fl = D.pred.frame_len;
    if (ev.key === " " && audio) { ev.preventDefault(); if (audio.paused) audio.play(); else audio.pause(); }
    else if (ev.key === "ArrowRight") { ev.preventDefault(); seek(T + fl); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); seek(T - fl); }
  });
  let resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawTimeline, 100);
  });

  drawTimeline();
  drawMapFrames();
  setTime(0);
  const m = /(?:^#|&)t=([0-9.]+)/.exec(location.hash);
  if (m) seek(parseFloat(m[1]));
  window.seldReport = {data: D, setTime: setTime, seek: seek, time: function () { return T; }};
  document.body.dataset.ready = "1";
})();
"""
