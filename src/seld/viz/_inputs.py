"""Checks of the arguments shared by :func:`~seld.viz.plot_recording` and :func:`~seld.viz.write_report`."""

from __future__ import annotations

import numpy as np

from seld.formats.events import Events


def first_channel(audio: np.ndarray, sample_rate: int, pred: Events, classes,
                  ref: Events | None) -> tuple[np.ndarray, int, int]:
    """Check the arguments; the first (omni, for FOA) channel of ``audio`` as float64 [N], the number of
    channels, and the sample rate as an ``int`` (a float such as ``24000.0`` is accepted when it is whole).

    ``audio`` is [C, N] (a 1-D array is read as one channel). These are programming errors of the caller (the
    infer command checks user files before it plots), so they raise ``ValueError``/``TypeError``.
    """
    a = np.asarray(audio)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"audio must be [channels, samples] with at least one sample, got shape {np.shape(audio)}")
    if a.shape[0] > a.shape[1]:
        raise ValueError(f"audio of shape {a.shape} looks like [samples, channels]; pass [channels, samples] "
                         "(audio.T)")
    try:
        rate = float(sample_rate)
    except (TypeError, ValueError):
        rate = float("nan")
    if not (rate > 0 and rate.is_integer()):
        raise ValueError(f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}")
    x = np.asarray(a[0], dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("audio holds NaN or infinite samples")
    for name, table in (("pred", pred), ("ref", ref)):
        if table is None:
            if name == "pred":
                raise TypeError("pred must be an Events table")
            continue
        if not isinstance(table, Events):
            raise TypeError(f"{name} must be an Events table, got {type(table).__name__}")
        bad = table.cls[(table.cls < 0) | (table.cls >= len(classes))]
        if bad.size:
            raise ValueError(f"{name} has class index {int(bad[0])} but {len(classes)} class names were given")
    return x, int(a.shape[0]), int(rate)
