"""Fixtures of the seld.viz tests (the pieces are in viz_helpers.py).

The browser tests skip, saying why, when no Chromium is installed (Debian: ``apt-get install -y chromium``).
"""

from __future__ import annotations

import pytest
from viz_helpers import Chromium, chromium_path, make_recording


@pytest.fixture(scope="session")
def recording():
    """(audio [4, N] at 24 kHz, pred, ref) of 6 s, see :func:`viz_helpers.make_recording`."""
    return make_recording(with_dist=False)


@pytest.fixture(scope="session")
def recording_dist():
    """As :func:`recording`, with distances (metres)."""
    return make_recording(with_dist=True)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium page (1200 x 900); the module's browser tests skip when none is installed."""
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium: the HTML report's browser test needs one (Debian: apt-get install -y chromium; "
                    "or set SELD_CHROMIUM to an executable)")
    b = Chromium(exe)
    try:
        yield b
    finally:
        b.close()
