"""Fast, strict parsing of numeric CSV tables with errors that name the file and line.

The DCASE files are small integer/float tables; reading them with one vectorised conversion instead of a
Python loop per row keeps ``seld evaluate`` fast. When the fast path fails, the slow path finds the first bad
line so that the error message can name it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from seld.errors import FormatError
from seld.userio import atomic_write, read_user_text

__all__ = ["read_text", "parse_numeric", "write_text_atomic", "format_number"]


def read_text(path: str | Path) -> str:
    """The file's text; a clear error when it is missing, a folder, unreadable, or not UTF-8 text."""
    return read_user_text(path, "CSV file", "give a CSV label or prediction file")


def split_lines(text: str) -> tuple[list[str], np.ndarray]:
    """Non-empty lines and their 1-based line numbers (fast when, as usual, no line in between is blank)."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if "" not in lines and not any(map(str.isspace, lines)):
        return lines, np.arange(1, len(lines) + 1)
    keep = [i for i, line in enumerate(lines) if line.strip()]
    return [lines[i].strip() for i in keep], np.asarray(keep, dtype=np.int64) + 1


def parse_numeric(path: str | Path, lines: list[str], numbers: np.ndarray,
                  allowed_columns: tuple[int, ...]) -> np.ndarray:
    """Parse comma-separated numeric lines into a float64 [N, C] array.

    Every line must have the same number of columns, one of ``allowed_columns``; every value must be a finite
    number. Errors name the file and line. The fast path is numpy's C parser, trying integers first (all DCASE
    label files; four times faster than floats); only a failing file is re-read line by line to find the error.
    """
    if not lines:
        return np.zeros((0, allowed_columns[0]))
    if not all(map(str.isascii, lines)):
        # no number has other characters; and numpy's parser, given some of them, crashed the process (a
        # segmentation fault seen in the property tests), so it only ever sees ASCII
        i = next(k for k, ln in enumerate(lines) if not ln.isascii())
        char = next(ch for ch in lines[i] if not ch.isascii())
        raise FormatError(path, numbers[i], f"character {char!r} in {lines[i]!r} is not part of a number",
                          "a numeric CSV file holds digits, signs, points, exponents and commas only")
    values = None
    for dtype in (np.int64, np.float64):
        try:
            values = np.loadtxt(lines, delimiter=",", ndmin=2, dtype=dtype, comments=None).astype(np.float64)
            break
        except ValueError:
            continue
    if values is None or values.shape[1] not in allowed_columns:
        _raise_first_error(path, lines, numbers, allowed_columns)
    finite = np.isfinite(values)
    if not finite.all():
        i = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise FormatError(path, numbers[i], f"non-finite value (NaN or inf) in {lines[i]!r}",
                          "write finite numbers only")
    return values


def _raise_first_error(path, lines: list[str], numbers: np.ndarray, allowed_columns: tuple[int, ...]) -> None:
    """Find and report the first line that does not parse (slow path, only for broken files)."""
    ncols = np.fromiter(map(str.count, lines, itertools.repeat(",")), dtype=np.int64, count=len(lines)) + 1
    first = int(ncols[0])
    if first not in allowed_columns:
        raise FormatError(path, numbers[0], f"{first} columns, expected {_alternatives(allowed_columns)}",
                          "check that this is the right kind of file and format")
    bad = np.flatnonzero(ncols != first)
    if bad.size:
        i = int(bad[0])
        raise FormatError(path, numbers[i], f"{ncols[i]} columns where the file's first row has {first}",
                          "every row must have the same number of columns")
    for ln, no in zip(lines, numbers):
        try:
            np.loadtxt([ln], delimiter=",", ndmin=2, dtype=np.float64, comments=None)
            continue
        except ValueError:
            pass
        for cell in ln.split(","):
            if not _is_number(cell):
                fix = None
                if any(ch.isalpha() for ch in cell):
                    fix = ("a frame list holds only numbers; a DCASE2019 / SELDnet event list starts with the header "
                           "sound_event_recording,start_time,end_time,ele,azi,dist and an L3DAS one with "
                           "File,Start,End,Class,X,Y,Z")
                raise FormatError(path, no, f"{cell.strip()!r} is not a number", fix) from None
        raise FormatError(path, no, f"cannot read {ln!r} as numbers")
    raise FormatError(path, None, "cannot parse the file as a numeric table")  # pragma: no cover


def _is_number(cell: str) -> bool:
    """Whether numpy's parser reads ``cell`` as one number (the rule of the fast path)."""
    if not cell.strip() or not cell.isascii():
        return False
    try:
        return np.loadtxt([cell], delimiter=",", ndmin=1, dtype=np.float64, comments=None).size == 1
    except ValueError:
        return False


def _alternatives(cols: tuple[int, ...]) -> str:
    return " or ".join(str(c) for c in cols)


def format_number(x: float) -> str:
    """Shortest text that reads back to the same float; integral values without a decimal point."""
    if float(x).is_integer():
        return str(int(x))
    return repr(float(x))


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write text to ``path`` through a temporary file in the same folder and a rename (plain file mode)."""
    atomic_write(path, text)
