"""DCASE frame-list files (2019 predictions, 2020-2024 labels and predictions, L3DAS submissions).

Layouts, by name (columns in file order; angles in degrees, frames of ``frame_len`` seconds):

=================  ================================  ===============================================
name               columns                           used by
=================  ================================  ===============================================
``polar``          frame,class,track,azi,ele         DCASE2020-2022 labels; polar predictions
``polar-dist``     frame,class,track,azi,ele,dist    DCASE2023/2024 labels (dist in cm), predictions (m)
``cartesian``      frame,class,track,x,y,z           DCASE2020-2022 baseline outputs
``cartesian-dist`` frame,class,track,x,y,z,dist      DCASE2023/2024 baseline outputs (dist in m)
``polar4``         frame,class,azi,ele               PSELDNets outputs; DCASE2019 submissions (20 ms)
``l3das``          frame,class,x,y,z                 L3DAS21/22 submissions (positions in metres)
=================  ================================  ===============================================

Reference labels store distance in centimetres (DCASE2023/2024 metadata); predictions in metres (what the
DCASE2024 scorer expects). Inside :class:`Events` distance is always metres.

A 6-column prediction is ambiguous (``cartesian`` vs ``polar-dist``): it is read as Cartesian when every value of
columns 4-6 lies in [-1, 1] (directions as unit-ish vectors), as polar with distance otherwise; pass ``fmt`` to
force the layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seld.errors import ConfigError, FormatError
from seld.formats.classes import ClassList, get_classes
from seld.formats.events import Events
from seld.formats.table import parse_numeric, read_text, split_lines, write_text_atomic
from seld.geometry import polar_to_unit, unit_to_polar

__all__ = ["LAYOUTS", "LABEL_FORMATS", "read_frame_file", "write_frame_file", "detect_layout", "MAX_FRAMES",
           "MAX_TRACKS"]

#: frame indices read from files stay below this (10 million frames: 11.6 days at 100 ms, 55 hours at 20 ms)
MAX_FRAMES = 10_000_000
#: track / source ids stay below this
MAX_TRACKS = 1_000_000

#: layout name -> number of columns
LAYOUTS: dict[str, int] = {"polar": 5, "polar-dist": 6, "cartesian": 6, "cartesian-dist": 7, "polar4": 4,
                           "l3das": 5}

#: label format (dataset year) -> layout written by :func:`write_frame_file` for reference files
LABEL_FORMATS: dict[str, str] = {"dcase2020": "polar", "dcase2021": "polar", "dcase2022": "polar",
                                 "dcase2023": "polar-dist", "dcase2024": "polar-dist"}

_AUTO_BY_COLUMNS = {4: "polar4", 5: "polar", 7: "cartesian-dist"}


def detect_layout(values: np.ndarray, reference: bool) -> str:
    """Layout of a parsed table from its column count (and, for 6 columns, from its values)."""
    ncol = values.shape[1]
    if ncol == 6:
        if reference:
            return "polar-dist"
        return "cartesian" if (np.abs(values[:, 3:6]) <= 1.0 + 1e-6).all() else "polar-dist"
    return _AUTO_BY_COLUMNS[ncol]


def _check_int(path, values, numbers, col: int, name: str, lo: int = 0, hi: int | None = None,
               fix: str | None = None) -> np.ndarray:
    v = values[:, col]
    bad = (v != np.rint(v)) | (v < lo) | ((v >= hi) if hi is not None else False)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        rng = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi - 1}]"
        raise FormatError(path, numbers[i], f"{name} {v[i]:g} is not {rng}", fix)
    return v.astype(np.int64)


def _check_range(path, values, numbers, col: int, name: str, lo: float, hi: float) -> None:
    """Refuse a value outside [lo, hi]; one within 1e-6 of a bound (rounding) is snapped onto it in ``values``."""
    v = values[:, col]
    bad = (v < lo - 1e-6) | (v > hi + 1e-6)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FormatError(path, numbers[i], f"{name} {v[i]:g} outside [{lo:g}, {hi:g}]",
                          "check the column order and units of the file (or force --pred-format)")
    np.clip(v, lo, hi, out=v)


def read_frame_file(path: str | Path, layout: str = "auto", *, reference: bool = False,
                    classes: ClassList | int | str | None = None, frame_len: float = 0.1,
                    n_frames: int | None = None, text: str | None = None) -> Events:
    """Read a frame-list CSV into :class:`Events`.

    Args:
        layout: one of :data:`LAYOUTS` or ``"auto"`` (from the column count; see the module docstring).
        reference: a reference label file (6 columns = polar + distance in cm) rather than a prediction
            (distance in m, 6 columns ambiguous).
        classes: class list or count used to validate class indices (``None``: any non-negative index).
        frame_len: seconds per frame (0.1; 0.02 for DCASE2019 submissions).
        text: the file's content when the caller has read it already (``path`` then only names it).
    """
    if layout != "auto" and layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; use one of: auto, {', '.join(LAYOUTS)}")
    lines, numbers = split_lines(read_text(path) if text is None else text)
    if lines and lines[0].split(",")[0].strip().lower() == "frame":  # an explicit header row
        lines, numbers = lines[1:], numbers[1:]
    allowed = tuple(sorted(set(LAYOUTS.values()))) if layout == "auto" else (LAYOUTS[layout],)
    values = parse_numeric(path, lines, numbers, allowed)
    if layout == "auto":
        layout = detect_layout(values, reference)
    num_classes = None if classes is None else len(get_classes(classes))
    frame = _check_int(path, values, numbers, 0, "frame", 0, MAX_FRAMES,
                       f"frames are counted from 0 in {frame_len * 1000:g} ms steps; seld reads recordings of up to "
                       f"{MAX_FRAMES:,} frames")
    cls = _check_int(path, values, numbers, 1, "class", 0, num_classes,
                     "pass the right class list (--classes)" if num_classes is not None else None)
    has_track = layout not in ("polar4", "l3das")
    track = (_check_int(path, values, numbers, 2, "track", 0, MAX_TRACKS) if has_track
             else np.zeros(len(frame), np.int64))
    rest = values[:, 3:] if has_track else values[:, 2:]
    dist = None
    if layout.startswith("polar"):
        _check_range(path, values, numbers, values.shape[1] - rest.shape[1], "azimuth", -360, 360)
        _check_range(path, values, numbers, values.shape[1] - rest.shape[1] + 1, "elevation", -90, 90)
        xyz = polar_to_unit(rest[:, 0], rest[:, 1])
    else:
        vec = rest[:, :3]
        if (np.abs(vec) > 1e5).any():  # 100 km: no position or vector of a SELD file is that large
            i = int(np.flatnonzero((np.abs(vec) > 1e5).any(axis=1))[0])
            raise FormatError(path, numbers[i], f"coordinate beyond 1e5 in {lines[i]!r}",
                              "check the column order and units of the file (or force --pred-format)")
        norm = np.linalg.norm(vec, axis=1)
        if (norm < 1e-9).any():   # (0, 0, 0), or so short that its direction is rounding noise
            i = int(np.flatnonzero(norm < 1e-9)[0])
            raise FormatError(path, numbers[i], f"direction vector ({', '.join(f'{v:g}' for v in vec[i])}) has no "
                              "direction", "write only active events, with a non-zero (x, y, z)")
        xyz = vec / norm[:, None]
        if layout == "l3das":
            dist = norm
    if layout.endswith("-dist"):
        _check_range(path, values, numbers, values.shape[1] - 1, "distance", 0, 1e7 if reference else 1e5)
        dist = rest[:, -1] / (100.0 if reference else 1.0)
    return Events(frame, cls, track, xyz, dist, frame_len=frame_len, n_frames=n_frames,
                  meta={"path": str(path), "layout": layout})


def _fmt_float(a: np.ndarray) -> list[str]:
    return [format(x, ".10g") for x in a.tolist()]


def write_frame_file(path: str | Path, events: Events, layout: str, *, reference: bool = False) -> None:
    """Write :class:`Events` as a frame-list CSV in ``layout`` (rows in the table's order, no header).

    Reference files (``reference=True``) hold integer degrees and distances in integer centimetres, as the
    DCASE metadata; prediction files hold floats and distances in metres.
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; use one of: {', '.join(LAYOUTS)}")
    if (layout.endswith("-dist") or layout == "l3das") and events.dist is None:
        raise ConfigError(f"layout {layout!r} needs distances, but these events have none")
    cols: list[list[str]] = [[str(v) for v in events.frame.tolist()], [str(v) for v in events.cls.tolist()]]
    if layout not in ("polar4", "l3das"):
        cols.append([str(v) for v in events.track.tolist()])
    if layout.startswith("polar"):
        azi, ele = events.azi_ele()
        if reference:
            cols += [[str(v) for v in np.rint(a).astype(np.int64).tolist()] for a in (azi, ele)]
        else:
            cols += [_fmt_float(azi), _fmt_float(ele)]
    else:
        vec = events.xyz * events.dist[:, None] if layout == "l3das" else events.xyz
        cols += [_fmt_float(vec[:, i]) for i in range(3)]
    if layout.endswith("-dist"):
        if reference:
            cols.append([str(v) for v in np.rint(events.dist * 100.0).astype(np.int64).tolist()])
        else:
            cols.append(_fmt_float(events.dist))
    text = "".join(",".join(row) + "\n" for row in zip(*cols))
    write_text_atomic(path, text)
