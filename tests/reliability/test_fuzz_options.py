"""Property tests of the numeric command-line options: any text given to an option is either accepted with a value
in its documented range (the command then goes on, here to the missing input that the test leaves out) or refused
with a one-line usage error naming the option (exit status 2); never a traceback, never an out-of-range value.
"""

from __future__ import annotations

import math

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_strategies import FUZZ, WEIRD_CELLS

from seld.cli import main
from seld.cli_types import Finite, FloatPair, IntList

NUMBER_TEXT = st.one_of(st.sampled_from(WEIRD_CELLS), st.floats().map(repr), st.integers(-10**12, 10**12).map(str),
                        st.floats(-20, 200).map(lambda x: f"{x:.3g}"), st.text(max_size=8))
PAIR_TEXT = st.one_of(st.tuples(NUMBER_TEXT, NUMBER_TEXT).map(",".join), NUMBER_TEXT,
                      st.sampled_from(["none", "NONE", "0.2,0.8", "0.8,0.2", "1,2,3", ","]))


def _float(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def in_range(lo, hi, lo_open=False, hi_open=False):
    def check(text):
        x = _float(text)
        return (x is not None and math.isfinite(x) and (x > lo if lo_open else x >= lo)
                and (x < hi if hi_open else x <= hi))
    return check


def int_in(lo, hi):
    def check(text):
        x = _int(text)
        return x is not None and lo <= x <= hi
    return check


def pair_in(lo, hi, none_ok=False):
    def check(text):
        if none_ok and text.strip().lower() == "none":
            return True
        parts = text.split(",")
        if len(parts) != 2:
            return False
        a, b = _float(parts[0]), _float(parts[1])
        return all(v is not None and math.isfinite(v) and lo <= v <= hi for v in (a, b)) and a <= b
    return check


def ints_in(lo, hi):
    def check(text):
        values = [_int(v) for v in text.split(",")]
        return all(v is not None and lo <= v <= hi for v in values)
    return check


# (command prefix, option, oracle of valid text, what a valid value leads to, strategy of texts)
CASES = [
    (["evaluate"], "--frame-len", in_range(1e-4, 10.0), "does not exist", NUMBER_TEXT),
    (["bank", "build"], "--top-db", in_range(0, 200, lo_open=True), "--from", NUMBER_TEXT),
    (["bank", "build"], "--level-db", in_range(-100, 0), "--from", NUMBER_TEXT),
    (["bank", "build"], "--min-len", in_range(0, 3600, lo_open=True), "--from", NUMBER_TEXT),
    (["bank", "build"], "--max-len", in_range(0, 3600, lo_open=True), "--from", NUMBER_TEXT),
    (["bank", "build"], "--test-fraction", in_range(0, 1, hi_open=True), "--from", NUMBER_TEXT),
    (["bank", "build"], "--sample-rate", int_in(8000, 384000), "--from", NUMBER_TEXT),
    (["bank", "build"], "--workers", int_in(1, 1024), "--from", NUMBER_TEXT),
    (["synth"], "--duration", in_range(0.1, 3600), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--moving", in_range(0, 1), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--test-fraction", in_range(0, 1, hi_open=True), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--seed", int_in(0, 2**32 - 1), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--workers", int_in(1, 1024), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--clips", int_in(1, 1_000_000), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--rooms", int_in(1, 10000), "bank folder not found", NUMBER_TEXT),
    (["synth"], "--rt60", pair_in(0.05, 10.0), "bank folder not found", PAIR_TEXT),
    (["synth"], "--snr", pair_in(-30, 100, none_ok=True), "bank folder not found", PAIR_TEXT),
    (["synth"], "--ov", ints_in(1, 5), "bank folder not found", PAIR_TEXT),
    (["import"], "--num-classes", int_in(1, 100000), "does not exist", NUMBER_TEXT),
    (["import"], "--sample-rate", int_in(1000, 384000), "does not exist", NUMBER_TEXT),
    (["import"], "--in-channels", int_in(1, 1024), "does not exist", NUMBER_TEXT),
    (["models", "--pattern", "no_such*"], "--num-classes", int_in(1, 100000), "no model name matches", NUMBER_TEXT),
]


def _rest(command: list[str], tmp: str) -> list[str]:
    """The arguments after the option: what is missing, so that a valid value ends in a known error."""
    if command == ["evaluate"]:
        return ["--metric", "seldnet", f"{tmp}/no_ref", f"{tmp}/no_pred"]
    if command == ["bank", "build"]:
        return ["--out", f"{tmp}/bank", "--from", f"{tmp}/no_such_folder"]
    if command == ["synth"]:
        return ["--bank", f"{tmp}/no_bank", "--out", f"{tmp}/out"]
    if command == ["import"]:
        return [f"{tmp}/no_src.ckpt", f"{tmp}/out.ckpt", "--from", "pseldnets"]
    return []


@pytest.mark.parametrize("command,option,valid,after_valid,texts", CASES, ids=[c[1] + "@" + c[0][0] for c in CASES])
def test_numeric_options(command, option, valid, after_valid, texts, tmp_path, capsys):
    @FUZZ
    @given(text=texts)
    def check(text):
        if text.startswith("-") and _float(text) is None and _int(text) is None:
            text = " " + text   # a word starting with "-" would be read as an option name, not a value
        with pytest.raises(SystemExit) as exit_info:
            main([*command, f"{option}={text}", *_rest(command, str(tmp_path))])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2, err
        assert "Traceback" not in err
        goes_on = after_valid in err or (option == "--rt60" and "smallest room" in err)
        if not valid(text):
            assert option in err, err          # never an out-of-range or malformed value accepted
        elif text.strip() == text and text.isprintable():
            assert goes_on, err                # a plain valid value is accepted
        else:                                  # padded by control characters: refusing is fine too
            assert goes_on or option in err, err

    check()


@FUZZ
@given(text=NUMBER_TEXT, lo=st.sampled_from([None, -1.0, 0.0]), hi=st.sampled_from([None, 1.0, 10.0]),
       lo_open=st.booleans(), hi_open=st.booleans())
def test_finite_type(text, lo, hi, lo_open, hi_open):
    try:
        x = Finite(lo, hi, lo_open, hi_open).convert(text, None, None)
    except click.BadParameter:
        assert not in_range(-math.inf if lo is None else lo, math.inf if hi is None else hi, lo_open, hi_open)(text) \
            or not math.isfinite(_float(text) or 0.0)
        return
    assert math.isfinite(x)
    assert lo is None or (x > lo if lo_open else x >= lo)
    assert hi is None or (x < hi if hi_open else x <= hi)


@FUZZ
@given(text=PAIR_TEXT, strict=st.booleans())
def test_pair_type(text, strict):
    try:
        pair = FloatPair(0.0, 5.0, strict=strict, none_word="none").convert(text, None, None)
    except click.BadParameter:
        return
    if pair is not None:
        a, b = pair
        assert all(math.isfinite(v) and 0 <= v <= 5 for v in pair) and (a < b if strict else a <= b)


@FUZZ
@given(text=PAIR_TEXT)
def test_int_list_type(text):
    try:
        values = IntList(1, 5).convert(text, None, None)
    except click.BadParameter:
        return
    assert values and all(isinstance(v, int) and 1 <= v <= 5 for v in values)
