"""Validated numeric option types for the `seld` commands.

click's ``float`` accepts ``nan`` and ``inf``, and its ``FloatRange`` lets NaN through (every comparison with
NaN is false). These types refuse non-finite numbers, check ranges (open or closed ends) and read ordered
pairs (``--rt60 0.2,0.8``), so that a bad number is a one-line usage error (exit status 2) before any work is
done, never a crash or a silently odd run.
"""

from __future__ import annotations

import math

import click

__all__ = ["Finite", "FloatPair", "IntList", "SEED", "WORKERS", "describe_range"]


def describe_range(lo: float | None, hi: float | None, lo_open: bool = False, hi_open: bool = False) -> str:
    """``"a number in (0, 1]"``, ``"a number > 0"``, ``"a finite number"``."""
    if lo is not None and hi is not None:
        return f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"a number {'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"a number {'<' if hi_open else '<='} {hi:g}"
    return "a finite number"


def _in_range(x: float, lo, hi, lo_open: bool, hi_open: bool) -> bool:
    if not math.isfinite(x):
        return False
    if lo is not None and (x < lo or (lo_open and x == lo)):
        return False
    return not (hi is not None and (x > hi or (hi_open and x == hi)))


class Finite(click.ParamType):
    """A finite float, optionally within ``[lo, hi]`` (``lo_open`` / ``hi_open`` exclude an end)."""

    name = "number"

    def __init__(self, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                 hi_open: bool = False):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open

    def convert(self, value, param, ctx):
        if isinstance(value, float) and _in_range(value, self.lo, self.hi, self.lo_open, self.hi_open):
            return value
        try:
            x = float(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not _in_range(x, self.lo, self.hi, self.lo_open, self.hi_open):
            self.fail(f"{value!r} is not {describe_range(self.lo, self.hi, self.lo_open, self.hi_open)}", param, ctx)
        return x

    def get_metavar(self, param, ctx=None):  # click >= 8.2 passes ctx
        return "SECONDS" if param is not None and param.name in ("frame_len", "duration") else "NUMBER"


class FloatPair(click.ParamType):
    """Two comma-separated finite numbers ``lo,hi`` with ``lo <= hi`` (``lo < hi`` if ``strict``), each within
    the given range; ``none_word`` (e.g. ``"none"``) is read as ``None``."""

    name = "lo,hi"

    def __init__(self, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                 hi_open: bool = False, strict: bool = False, none_word: str | None = None):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.strict, self.none_word = strict, none_word

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        text = str(value).strip()
        if self.none_word is not None and text.lower() == self.none_word:
            return None
        parts = text.split(",")
        alt = f" or {self.none_word!r}" if self.none_word else ""
        try:
            if len(parts) != 2:
                raise ValueError
            a, b = (float(p.strip()) for p in parts)
        except ValueError:
            self.fail(f"{value!r} is not two comma-separated numbers lo,hi{alt}", param, ctx)
        for x in (a, b):
            if not _in_range(x, self.lo, self.hi, self.lo_open, self.hi_open):
                self.fail(f"{x:g} in {value!r} is not {describe_range(self.lo, self.hi, self.lo_open, self.hi_open)}",
                          param, ctx)
        if a > b or (self.strict and a == b):
            self.fail(f"{value!r}: the first number must be {'below' if self.strict else 'at most'} the second "
                      f"(lo,hi)", param, ctx)
        return a, b


class IntList(click.ParamType):
    """Comma-separated integers, each in ``[lo, hi]`` (e.g. ``--ov 1,2,3``)."""

    name = "n[,n...]"

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            values = tuple(int(v.strip()) for v in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of integers", param, ctx)
        bad = [v for v in values if not self.lo <= v <= self.hi]
        if bad:
            self.fail(f"{bad[0]} is not an integer in [{self.lo}, {self.hi}]", param, ctx)
        return values


#: seeds: the non-negative 32-bit integers (what every random generator and other tool accepts)
SEED = click.IntRange(0, 2**32 - 1)
#: worker processes
WORKERS = click.IntRange(1, 1024)
