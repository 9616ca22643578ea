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
