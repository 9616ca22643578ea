"""What "finds the loud isolated events at the right time and within 20 degrees" means, for the tests of trained
models (a tiny one trained in a test, and the built-in default model).

Criteria per reference event (one source at a time, ov1): its class is detected in at least half of its label
frames, the median direction error of those detections is below 20 degrees, and detections of a class lie
within its reference events (one frame of slack at each end) at least 80 % of the time.
"""

from __future__ import annotations

import numpy as np

from seld.geometry import angular_distance

MAX_ERROR_DEG = 20.0
MIN_DETECTED = 0.5
MIN_PRECISION = 0.8


def check_events(pred, ref, num_classes: int) -> list[str]:
    """The criteria of the module docstring; a list of what failed (empty when all hold)."""
    problems = []
    for track in np.unique(ref.track):
        sel = ref.track == track
        frames, cls = ref.frame[sel], int(ref.cls[sel][0])
        hit = (pred.cls == cls) & np.isin(pred.frame, frames)
        detected = len(np.unique(pred.frame[hit])) / len(frames)
        where = f"event {track} (class {cls}, frames {frames[0]}-{frames[-1]})"
        if detected < MIN_DETECTED:
            problems.append(f"{where}: detected in {detected:.0%} of its frames")
            continue
        truth = ref.xyz[sel][np.searchsorted(frames, pred.frame[hit])]
        error = float(np.median(angular_distance(pred.xyz[hit], truth)))
        if error > MAX_ERROR_DEG:
            problems.append(f"{where}: median direction error {error:.1f} deg")
    active = ref.activity(num_classes, pred.num_frames())
    slack = active | np.roll(active, 1, axis=0) | np.roll(active, -1, axis=0)
    inside = slack[pred.frame, pred.cls]
    if len(pred) and inside.mean() < MIN_PRECISION:
        problems.append(f"only {inside.mean():.0%} of the {len(pred)} detections lie within a reference event")
    return problems
