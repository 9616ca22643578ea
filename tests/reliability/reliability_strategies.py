"""Hypothesis strategies shared by the property tests: random text and bytes, and mutations of valid files.

A mutation is drawn cell by cell and character by character from a valid file, so that most inputs are almost
right (the hard case for a reader: a wrong number of columns on line 37, a NaN, a huge frame, a word where a
number belongs) rather than noise that any reader rejects on its first byte.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: settings of every property test: bounded time (60 examples; SELD_FUZZ_EXAMPLES=2000 for a longer hunt), no
#: deadline (the machine is shared), no example database left in the working tree
FUZZ = settings(max_examples=int(os.environ.get("SELD_FUZZ_EXAMPLES", "60")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: cells that break readers: forms of numbers numpy or Python read differently, non-finite and huge values,
#: words, unicode digits, empty cells, separators
WEIRD_CELLS = ["", " ", "nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e400", "1e19", "10000000000000000000",
               "-1", "-0", "0.5", "1_0", "0x10", "١", "²", "1e-320", "9" * 40, "abc", "cough", "None", "True",
               "\x00", "\t", ";", "1,2", '"1"', "1e308", "-1e308", "360", "-360", "361", "90", "91", "-91",
               "2147483648", "9223372036854775808", "1.5", "3000", "99999999"]

_numbers = st.one_of(st.integers(-10**20, 10**20).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr),
                     st.floats(-1e6, 1e6).map(lambda x: f"{x:.6g}"))
cells = st.one_of(st.sampled_from(WEIRD_CELLS), _numbers, st.text(max_size=6))


@st.composite
def mutated(draw, text: str, max_mutations: int = 4) -> str:
    """``text`` with 0 to ``max_mutations`` random edits (cells replaced, characters inserted or deleted, lines
    duplicated, dropped or truncated)."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, max_mutations))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["cell", "cell", "cell", "insert", "delete", "dup", "drop", "cut", "comma"]))
        line = lines[i]
        if kind == "cell":
            parts = line.split(",")
            j = draw(st.integers(0, len(parts) - 1))
            parts[j] = draw(cells)
            lines[i] = ",".join(parts)
        elif kind == "insert":
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + draw(st.text(min_size=1, max_size=3)) + line[k:]
        elif kind == "delete" and line:
            k = draw(st.integers(0, len(line) - 1))
            lines[i] = line[:k] + line[k + 1:]
        elif kind == "dup":
            lines.insert(i, line)
        elif kind == "drop":
            del lines[i]
        elif kind == "cut":
            lines = lines[:i + 1]
            lines[i] = line[:draw(st.integers(0, len(line)))]
        elif kind == "comma":
            lines[i] = line + "," + draw(cells)
    return "\n".join(lines)


@st.composite
def file_bytes(draw, valid_texts: list[str]) -> bytes:
    """Bytes of a file: a mutated valid text (mostly), random text, or random bytes."""
    kind = draw(st.sampled_from(["mutated"] * 6 + ["text", "bytes"]))
    if kind == "mutated":
        text = draw(mutated(draw(st.sampled_from(valid_texts))))
        encoding = draw(st.sampled_from(["utf-8"] * 5 + ["utf-8-sig", "utf-16"]))
        return text.encode(encoding, errors="surrogatepass")
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", errors="surrogatepass")
    return draw(st.binary(max_size=300))


@st.composite
def flipped(draw, data: bytes, max_flips: int = 4) -> bytes:
    """``data`` with a few bytes changed, or cut short."""
    out = bytearray(data)
    if draw(st.booleans()) and len(out) > 1:
        out = out[:draw(st.integers(0, len(out) - 1))]
    for _ in range(draw(st.integers(1 if out else 0, max_flips if out else 0))):
        k = draw(st.integers(0, len(out) - 1))
        out[k] ^= draw(st.integers(1, 255))
    return bytes(out)
