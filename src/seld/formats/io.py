"""Read and write label and prediction files by dataset/format name (the public entry points)."""

from __future__ import annotations

from pathlib import Path

from seld.errors import ConfigError
from seld.formats.classes import ClassList
from seld.formats.events import Events
from seld.formats.frames import LABEL_FORMATS, LAYOUTS, read_frame_file, write_frame_file
from seld.formats.segments import read_segments
from seld.formats.table import read_text

__all__ = ["read_labels", "read_predictions", "write_labels", "write_predictions", "LABEL_FORMAT_NAMES",
           "PREDICTION_FORMAT_NAMES"]

LABEL_FORMAT_NAMES = ("auto", "dcase2019", "seldnet", *LABEL_FORMATS, "l3das21", "l3das22")
PREDICTION_FORMAT_NAMES = ("auto", *LAYOUTS, "dcase2019")


def _first_line(text: str) -> str:
    """The first non-blank line (without splitting the whole file)."""
    return text.lstrip().split("\n", 1)[0].strip()


def read_labels(path: str | Path, fmt: str = "auto", classes: ClassList | str | int | None = None,
                n_frames: int | None = None, frame_len: float | None = None) -> Events:
    """Read a reference label file of any supported dataset into :class:`Events`.

    ``fmt`` is ``"auto"`` (recognised from the header or column count) or one of :data:`LABEL_FORMAT_NAMES`.
    Event lists (DCASE2019 / SELDnet desc, L3DAS) are converted to frames by their dataset's official rule
    (20 ms frames and 3000 frames per file for DCASE2019, 100 ms for L3DAS); DCASE2023/2024 distances in cm
    become metres. ``n_frames`` records the recording length in frames when known. ``frame_len`` sets the frame
    length of event lists (e.g. SELDnet's STFT hop, 256 / 44100 s); frame-list files keep their own.
    """
    if fmt not in LABEL_FORMAT_NAMES:
        raise ConfigError(f"unknown label format {fmt!r}; use one of: {', '.join(LABEL_FORMAT_NAMES)}")
    text = read_text(path)
    first = _first_line(text)
    if fmt == "auto":
        if first.startswith("sound_event_recording"):
            fmt = "dcase2019"
        elif "Start" in first and "Class" in first:
            fmt = "l3das22"
    if fmt in ("dcase2019", "seldnet", "l3das21", "l3das22"):
        default = fmt if fmt.startswith("l3das") else "dcase2019"
        seg = read_segments(path, classes if classes is not None else default, text=text)
        return seg.to_events(frame_len=frame_len, n_frames=n_frames)
    if fmt in ("dcase2023", "dcase2024", "auto"):
        layout = "polar" if first.count(",") == 4 else "polar-dist" if fmt != "auto" else "auto"
    else:
        layout = LABEL_FORMATS[fmt]
    return read_frame_file(path, layout, reference=True, classes=classes, n_frames=n_frames, text=text)


def read_predictions(path: str | Path, fmt: str = "auto", classes: ClassList | str | int | None = None,
                     frame_len: float | None = None) -> Events:
    """Read a prediction (system output) file into :class:`Events`.

    ``fmt`` is ``"auto"`` (4 to 7 columns; a 6-column file is told apart by its values) or a layout of
    :data:`seld.formats.frames.LAYOUTS`; ``"dcase2019"`` means the 4-column 20 ms DCASE2019 submission format.
    Distances in predictions are metres.
    """
    if fmt not in PREDICTION_FORMAT_NAMES:
        raise ConfigError(f"unknown prediction format {fmt!r}; use one of: {', '.join(PREDICTION_FORMAT_NAMES)}")
    if fmt == "dcase2019":
        return read_frame_file(path, "polar4", classes=classes, frame_len=frame_len or 0.02)
    return read_frame_file(path, fmt, classes=classes, frame_len=frame_len or 0.1)


def write_labels(path: str | Path, events: Events, fmt: str = "dcase2024") -> None:
    """Write reference labels in a DCASE2020-2024 format (integer degrees; distance in integer cm for
    2023/2024), rows in the order of ``events`` (use ``events.sorted()`` for the DCASE order)."""
    if fmt not in LABEL_FORMATS:
        raise ConfigError(f"cannot write labels as {fmt!r}; use one of: {', '.join(LABEL_FORMATS)}")
    if abs(events.frame_len - 0.1) > 1e-9:
        raise ConfigError(f"{fmt} labels use 100 ms frames; convert with events.to_frame_len(0.1) first")
    write_frame_file(path, events, LABEL_FORMATS[fmt], reference=True)


def write_predictions(path: str | Path, events: Events, layout: str = "cartesian-dist") -> None:
    """Write a prediction file in one of :data:`seld.formats.frames.LAYOUTS` (floats; distance in m)."""
    write_frame_file(path, events, layout, reference=False)
