"""The `seld` command: help without heavy imports, user errors on one line with exit status 2."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seld import cli


def test_help_lists_commands_without_importing_torch():
    code = ("import sys; from seld.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'seld --help imported torch'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for name in cli.COMMANDS:
        assert name in out


def test_version_exits_zero(capsys):
    with pytest.raises(SystemExit) as err:
        cli.main(["--version"])
    assert err.value.code == 0 and "seld, version" in capsys.readouterr().out


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as err:
        cli.main(["no-such-command"])
    assert err.value.code == 2


def test_seld_error_prints_one_line_and_exits_2(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "boom_cmd.py").write_text(textwrap.dedent("""
        import click
        from seld.errors import InputError

        @click.command()
        def boom():
            raise InputError("data/x.csv", "file not found", "check the path")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "boom", ("boom_cmd:boom", "test"))
    with pytest.raises(SystemExit) as err:
        cli.main(["boom"])
    assert err.value.code == 2
    assert capsys.readouterr().err == "error: data/x.csv: file not found (check the path)\n"


@pytest.mark.parametrize("body,needles", [
    ("open(path)", ["error: ", "data.csv", "check the path"]),                          # FileNotFoundError
    ("raise PermissionError(13, 'Permission denied', path)", ["data.csv", "Permission denied"]),
    ("open(path, 'rb').read().decode('utf-8')", ["data.csv", "not a UTF-8 text file"]),  # no filename in the error
    ("raise OSError(28, 'No space left on device')", ["No space left on device"]),
])
def test_unanticipated_file_errors_are_one_line_naming_the_file(tmp_path: Path, monkeypatch, capsys, body, needles):
    """Issue 9: a reader that forgot to catch an OS or decoding error crashed with a traceback; the CLI's one safety
    net turns it into a one-line error naming the file (found in the exception or in the frames it went through)."""
    data = tmp_path / "data.csv"
    if "decode" in body:
        data.write_bytes(b"\xff\xfe\xfa binary")
    module = f"fragile_cmd_{abs(hash(body))}"   # one module per case: imported modules are cached
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(f"""
        import click

        @click.command()
        @click.argument("path")
        def fragile(path):
            {body}
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "fragile", (f"{module}:fragile", "test"))
    with pytest.raises(SystemExit) as err:
        cli.main(["fragile", str(data)])
    assert err.value.code == 2
    text = capsys.readouterr().err
    assert text.count("\n") == 1 and "Traceback" not in text
    for needle in needles:
        assert needle in text


def test_bugs_still_show_their_traceback(tmp_path: Path, monkeypatch):
    """Only user-fixable errors are shortened: a bug (here a KeyError) propagates with its traceback."""
    (tmp_path / "buggy_cmd.py").write_text(textwrap.dedent("""
        import click

        @click.command()
        def buggy():
            {}["missing"]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "buggy", ("buggy_cmd:buggy", "test"))
    with pytest.raises(KeyError):
        cli.main(["buggy"])
