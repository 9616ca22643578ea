"""Event-list files: one row per sound event with onset and offset in seconds.

* DCASE2019 (TAU Spatial Sound Events 2019) and SELDnet's simulated sets (``desc_ov*_split*``): header
  ``sound_event_recording,start_time,end_time,ele,azi,dist`` (elevation BEFORE azimuth, distance in metres).
  SELDnet's moving-source variants add ``ele_dir,azi_dir,ang_vel`` (MANSIM) or ``ang_vel`` (MREAL) before
  ``dist``. In SELDnet's files the first column is a clip name such as ``speech012``: the class is the name
  without its last three characters.
* L3DAS21/22 task 2: a header naming (at least) ``Start,End,Class,X,Y,Z``; positions in metres relative to
  microphone A, class names of the L3DAS list.

:class:`Segments` keeps the rows as written (so a file round-trips) and converts to frame-indexed
:class:`~seld.formats.events.Events` with the frame rule of the dataset's official code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seld.errors import ConfigError, FormatError
from seld.formats.classes import ClassList, get_classes
from seld.formats.events import Events
from seld.formats.frames import MAX_FRAMES
from seld.formats.table import format_number, parse_numeric, read_text, split_lines, write_text_atomic
from seld.geometry import normalize, polar_to_unit, unit_to_polar

__all__ = ["Segments", "read_segments", "write_segments", "DCASE2019_HEADER"]

DCASE2019_HEADER = ("sound_event_recording", "start_time", "end_time", "ele", "azi", "dist")
_MOVING = ("ele_dir", "azi_dir", "ang_vel")
_L3DAS_REQUIRED = ("Start", "End", "Class", "X", "Y", "Z")


@dataclass(eq=False)
class Segments:
    """Sound events with onset/offset times (seconds), start direction and distance.

    Attributes:
        kind: ``"dcase2019"`` (also SELDnet desc files) or ``"l3das"``.
        names: the label text of each row as written in the file (class name or clip name).
        cls: int64 [N] class index.
        onset, offset: float64 [N] seconds.
        xyz: float64 [N, 3] unit direction at onset; dist: float64 [N] metres (may be NaN if unknown).
        columns: the header, in file order (kept for writing back).
        extra: other numeric columns by name (moving sources: ``ele_dir``, ``azi_dir``, ``ang_vel`` in deg/s;
            L3DAS: ``File`` if present is kept as text in ``text_columns``).
        float_columns: numeric columns written with a decimal point in the file (``1.0`` stays ``1.0``).
        path: the file read (named in errors), if any.
    """

    kind: str
    names: list[str]
    cls: np.ndarray
    onset: np.ndarray
    offset: np.ndarray
    xyz: np.ndarray
    dist: np.ndarray
    columns: tuple[str, ...]
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    text_columns: dict[str, list[str]] = field(default_factory=dict)
    float_columns: frozenset[str] = frozenset()
    path: str | None = None

    def __len__(self) -> int:
        return len(self.cls)

    def to_events(self, frame_len: float | None = None, n_frames: int | None = None) -> Events:
        """Frame-indexed events, by the frame rule of the official code of each dataset.

        DCASE2019 (20 ms frames, 3000 per 60 s file): frames ``floor(onset/fl)`` to ``ceil(offset/fl)``
        inclusive, frames beyond ``n_frames`` dropped. L3DAS (100 ms): ``round(onset/fl)`` to
        ``round(offset/fl) - 1``; the track id is the row index. A moving source (SELDnet MANSIM/MREAL) turns at
        ``ang_vel`` degrees per second, in azimuth in the sense ``azi_dir`` (and in elevation by ``ele_dir``,
        when given), starting from its onset direction.
        """
        if self.kind == "dcase2019":
            fl = 0.02 if frame_len is None else frame_len
            if not (np.isfinite(fl) and fl > 0):
                raise ConfigError(f"frame_len must be a positive number of seconds, got {frame_len!r}")
            rate = round(1.0 / fl) if abs(1.0 / fl - round(1.0 / fl)) < 1e-9 else 1.0 / fl
            start = np.floor(self.onset * rate).astype(np.int64)  # times x frame rate, as the official code
            stop = np.ceil(self.offset * rate).astype(np.int64) + 1
            n_frames = 3000 if n_frames is None and frame_len is None else n_frames
        else:
            fl = 0.1 if frame_len is None else frame_len
            if not (np.isfinite(fl) and fl > 0):
                raise ConfigError(f"frame_len must be a positive number of seconds, got {frame_len!r}")
            start = np.rint(self.onset / fl).astype(np.int64)
            stop = np.rint(self.offset / fl).astype(np.int64)
        if len(self) and int(stop.max()) > MAX_FRAMES:
            i = int(np.argmax(stop))
            raise FormatError(self.path, None, f"the event ending at {self.offset[i]:g} s reaches frame "
                              f"{int(stop[i]):,} of {fl:g} s; seld reads recordings of up to {MAX_FRAMES:,} frames",
                              "check the times of the file and the frame length")
        lengths = np.maximum(stop - start, 0)
        row = np.repeat(np.arange(len(self)), lengths)
        offset_in_event = np.arange(row.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        frame = start[row] + offset_in_event
        xyz = self.xyz[row]
        if "ang_vel" in self.extra:
            t = offset_in_event * fl
            azi0, ele0 = unit_to_polar(self.xyz[row])
            vel = self.extra["ang_vel"][row]
            azi_dir = self.extra.get("azi_dir", np.ones(len(self)))[row]
            ele_dir = self.extra.get("ele_dir", np.zeros(len(self)))[row]
            azi = (azi0 + azi_dir * vel * t + 180.0) % 360.0 - 180.0
            ele = np.clip(ele0 + ele_dir * vel * t, -90.0, 90.0)
            xyz = polar_to_unit(azi, ele)
        track = row if self.kind == "l3das" else np.zeros_like(row)
        keep = frame < n_frames if n_frames is not None else np.ones(row.size, bool)
        dist = self.dist[row]
        ev = Events(frame[keep], self.cls[row][keep], track[keep], xyz[keep],
                    None if np.isnan(dist).all() else dist[keep], frame_len=fl, n_frames=n_frames)
        order = np.argsort(ev.frame, kind="stable")
        return ev.select(order)


def _class_index(path, line: int, name: str, classes: ClassList, seldnet_names: bool) -> int:
    for candidate in (name, name[:-3]) if seldnet_names else (name,):
        try:
            return classes.index(candidate)
        except ConfigError:
            continue
    raise FormatError(path, line, f"unknown class {name!r} for class list {classes.name!r}",
                      "pass the dataset's class list (--classes)")


def read_segments(path: str | Path, classes: ClassList | str | int | None = None,
                  text: str | None = None) -> Segments:
    """Read a DCASE2019 / SELDnet desc file or an L3DAS label file (recognised by its header); ``text``: the
    file's content when the caller has read it already."""
    lines, numbers = split_lines(read_text(path) if text is None else text)
    if not lines:
        raise FormatError(path, None, "empty file, expected a header row", "check the file")
    header = tuple(h.strip() for h in lines[0].split(","))
    body, body_no = lines[1:], numbers[1:]
    if header[0] == "sound_event_recording":
        kind = "dcase2019"
        allowed = {DCASE2019_HEADER, DCASE2019_HEADER[:5] + _MOVING + ("dist",),
                   DCASE2019_HEADER[:5] + ("ang_vel", "dist")}
        if header not in allowed:
            raise FormatError(path, numbers[0], f"unexpected header {','.join(header)}",
                              f"a DCASE2019/SELDnet event list starts with {','.join(DCASE2019_HEADER)}")
        classes = get_classes(classes if classes is not None else "dcase2019")
        text_cols = [0]
    elif all(c in header for c in _L3DAS_REQUIRED):
        kind = "l3das"
        classes = get_classes(classes if classes is not None else "l3das22")
        text_cols = [i for i, h in enumerate(header) if h in ("Class", "File")]
    else:
        raise FormatError(path, numbers[0], f"unrecognised header {','.join(header)}",
                          "expected a DCASE2019 event list or an L3DAS label file")
    cells = [ln.split(",") for ln in body]
    for row, no in zip(cells, body_no):
        if len(row) != len(header):
            raise FormatError(path, no, f"{len(row)} columns where the header has {len(header)}")
    num_idx = [i for i in range(len(header)) if i not in text_cols]
    numeric_lines = [",".join(row[i] for i in num_idx) for row in cells]
    values = parse_numeric(path, numeric_lines, body_no, (len(num_idx),)) if cells else np.zeros((0, len(num_idx)))
    col = {header[i]: values[:, k] for k, i in enumerate(num_idx)}
    name_col = 0 if kind == "dcase2019" else header.index("Class")
    names = [row[name_col].strip() for row in cells]
    cls = np.array([_class_index(path, no, n, classes, kind == "dcase2019") for n, no in zip(names, body_no)],
                   dtype=np.int64)
    onset = col["start_time" if kind == "dcase2019" else "Start"]
    offset = col["end_time" if kind == "dcase2019" else "End"]
    bad = np.flatnonzero((onset < 0) | (offset < onset))
    if bad.size:
        raise FormatError(path, body_no[int(bad[0])], "end time before start time or negative time")
    _check_range(path, body_no, offset, "end time", 0, MAX_SECONDS, "seconds; seld reads recordings of up to a week")
    if kind == "dcase2019":
        _check_range(path, body_no, col["ele"], "elevation", -90, 90, "degrees")
        _check_range(path, body_no, col["azi"], "azimuth", -360, 360, "degrees")
        _check_range(path, body_no, col["dist"], "distance", 0, 1e5, "metres")
        if "ang_vel" in col:
            _check_range(path, body_no, col["ang_vel"], "ang_vel", -3600, 3600, "degrees per second")
        for name in ("ele_dir", "azi_dir"):
            if name in col:
                _check_range(path, body_no, col[name], name, -1, 1, "a sense of rotation")
        xyz, dist = polar_to_unit(col["azi"], col["ele"]), col["dist"]
        extra = {k: col[k] for k in _MOVING if k in col}
        text = {}
    else:
        for name in ("X", "Y", "Z"):
            _check_range(path, body_no, col[name], name, -1e5, 1e5, "metres")
        pos = np.stack([col["X"], col["Y"], col["Z"]], axis=1)
        xyz, dist = normalize(pos), np.linalg.norm(pos, axis=1)
        zero = np.flatnonzero(dist == 0)
        if zero.size:
            raise FormatError(path, body_no[int(zero[0])], "position (0, 0, 0) has no direction",
                              "positions are in metres from the microphone")
        extra = {h: col[h] for h in col if h not in _L3DAS_REQUIRED}
        text = {"File": [row[header.index("File")].strip() for row in cells]} if "File" in header else {}
    floats = frozenset(header[i] for i in num_idx if any("." in row[i] for row in cells))
    return Segments(kind, names, cls, onset, offset, xyz, dist, header, extra, text, floats, str(path))


#: event times read from files stay below this (seconds; one week)
MAX_SECONDS = 7 * 24 * 3600.0


def _check_range(path, numbers, v: np.ndarray, name: str, lo: float, hi: float, unit: str) -> None:
    bad = np.flatnonzero((v < lo) | (v > hi))
    if bad.size:
        i = int(bad[0])
        raise FormatError(path, numbers[i], f"{name} {v[i]:g} outside [{lo:g}, {hi:g}] ({unit})",
                          "check the column order and units of the file")


def write_segments(path: str | Path, seg: Segments) -> None:
    """Write :class:`Segments` back in the layout it was read from (header and column order kept)."""
    azi, ele = unit_to_polar(seg.xyz)
    pos = seg.xyz * seg.dist[:, None]
    if seg.kind == "dcase2019":
        col = {"sound_event_recording": seg.names, "start_time": seg.onset, "end_time": seg.offset,
               "ele": ele, "azi": azi, "dist": seg.dist, **seg.extra}
    else:
        col = {"Class": seg.names, "Start": seg.onset, "End": seg.offset, "X": pos[:, 0], "Y": pos[:, 1],
               "Z": pos[:, 2], **seg.extra, **seg.text_columns}
    rows = [",".join(seg.columns)]
    for i in range(len(seg)):
        rows.append(",".join(_cell(col[c][i], c in seg.float_columns, c in _DERIVED) for c in seg.columns))
    write_text_atomic(path, "\n".join(rows) + "\n")


_DERIVED = {"ele", "azi", "X", "Y", "Z"}  # recomputed from the unit vector, so carry float noise


def _cell(value, as_float: bool, derived: bool) -> str:
    if isinstance(value, str):
        return value
    v = round(float(value), 9) if derived else float(value)
    return repr(v) if as_float else format_number(v)
