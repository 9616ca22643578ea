"""Pieces of the seld.viz tests: a small recording with known events, and a headless Chromium driven over the
DevTools protocol through ``--remote-debugging-pipe`` (file descriptors 3 and 4, JSON messages separated by NUL
bytes), so that no websocket package is needed. ``SELD_CHROMIUM`` names another executable than ``chromium``.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from seld.formats.events import Events

CLASSES = ["speech", "dog", "alarm", "knock", "piano"]
SR = 24000
DUR_S = 6.0
FRAME = 0.1


def make_recording(with_dist: bool):
    """Four-channel noise with tones where the events are, a reference and an imperfect prediction.

    Reference: class 0 (track 0) frames 5-24 moving from azimuth 30° to 87°, elevation 10°; class 1 (track 1)
    frames 15-39 at (-120°, -20°); class 4 frames 45-54 at (170°, 45°). Prediction: the same one frame later
    with a gap in class 0 (frame 12 missing) and directions off by a few degrees, and a false alarm of class 2
    in frames 56-58 at (-45°, 0°).
    """
    rng = np.random.default_rng(7)
    n = int(DUR_S * SR)
    t = np.arange(n) / SR
    audio = 0.01 * rng.standard_normal((4, n))
    rows = [(f, 0, 0, 30.0 + 3 * (f - 5), 10.0) for f in range(5, 25)]
    rows += [(f, 1, 1, -120.0, -20.0) for f in range(15, 40)]
    rows += [(f, 4, 0, 170.0, 45.0) for f in range(45, 55)]
    for f, c, _, _, _ in rows:
        s0, s1 = int(f * FRAME * SR), int((f + 1) * FRAME * SR)
        audio[:, s0:s1] += 0.2 * np.sin(2 * np.pi * (300 + 250 * c) * t[s0:s1])
    fr, cl, tr, az, el = (np.array(v) for v in zip(*rows))
    dist = np.linspace(1.0, 3.0, len(fr)) if with_dist else None
    ref = Events.from_polar(fr, cl, tr, az, el, dist, FRAME, int(DUR_S / FRAME))
    keep = ~((cl == 0) & (fr == 11))
    pfr = np.concatenate([fr[keep] + 1, [56, 57, 58]])
    pcl = np.concatenate([cl[keep], [2, 2, 2]])
    ptr = np.concatenate([tr[keep], [0, 0, 0]])
    paz = np.concatenate([az[keep] + rng.normal(0, 4, keep.sum()), [-45.0] * 3])
    pel = np.concatenate([el[keep] + rng.normal(0, 3, keep.sum()), [0.0] * 3])
    pdist = None if dist is None else np.concatenate([dist[keep] * 1.1, [2.0] * 3])
    pred = Events.from_polar(pfr, pcl, ptr, paz, pel, pdist, FRAME, int(DUR_S / FRAME))
    return audio, pred, ref


# --------------------------------------------------------------------------------------------------- Chromium
class CdpError(RuntimeError):
    pass


class Chromium:
    """A headless Chromium with one page, driven over the DevTools protocol pipe."""

    def __init__(self, exe: str, width: int = 1200, height: int = 900, timeout: float = 20.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="seld-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        fds = (to_child_r, from_child_w)

        def at_3_and_4():  # the child reads commands on fd 3 and writes replies on fd 4
            hi = [os.dup(fd) for fd in fds]  # out of the way of 3 and 4 first
            os.dup2(hi[0], 3)
            os.dup2(hi[1], 4)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "--remote-debugging-pipe",
                "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=at_3_and_4, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._stderr: list[bytes] = []
        self._inbox: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=True)

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            *msgs, buf = buf.split(b"\0")
            for m in msgs:
                self._inbox.put(json.loads(m))

    def _receive(self, deadline: float) -> dict:
        try:
            msg = self._inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise CdpError("no answer from Chromium in time; stderr: " + self.stderr()[-2000:]) from None
        if msg is None:
            raise CdpError("Chromium closed the DevTools pipe; stderr: " + self.stderr()[-2000:])
        return msg

    def call(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        """Send one command and wait for its result (events that arrive meanwhile are kept in ``events``)."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str) -> dict:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + self.timeout
        while True:
            ev = self._receive(deadline)
            if ev.get("method") == method:
                return ev
            self.events.append(ev)

    def open(self, path: Path, fragment: str = "") -> None:
        """Load a file and wait for its load event."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri() + fragment}, session=True)
        self.wait_event("Page.loadEventFired")

    def eval(self, expression: str):
        """Value of a JavaScript expression in the page (promises awaited); page exceptions raise."""
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True}, session=True)
        if "exceptionDetails" in res:
            raise CdpError(f"{expression!r}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"])

    def errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and error log entries seen so far."""
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description")))
                                                                  for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log ({p['entry'].get('source')}): {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close")
                except CdpError:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            os.close(self._to_child)
            shutil.rmtree(self.profile, ignore_errors=True)


def chromium_path() -> str | None:
    exe = os.environ.get("SELD_CHROMIUM")
    if exe:
        return exe
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None
