"""Errors a user can cause.

Every problem that the person running `seld` can fix (a bad path, a malformed CSV row, an unknown class, a
wrong sample rate) raises a :class:`SeldError` subclass whose message names the file (and line) and says what
to do. The CLI prints such errors on one line and exits with status 2; anything else is a bug in `seld`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SeldError", "InputError", "FormatError", "ConfigError"]


class SeldError(Exception):
    """Base class of all errors caused by user input; the CLI shows its message without a traceback."""


class InputError(SeldError):
    """A file or folder given by the user is missing, unreadable or of the wrong kind."""

    def __init__(self, path: str | Path | None, problem: str, fix: str | None = None):
        self.path = None if path is None else Path(path)
        self.problem = problem
        self.fix = fix
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}" + (f" ({fix})" if fix else ""))


class FormatError(InputError):
    """A label, prediction or manifest file does not follow its format; names the file and the line."""

    def __init__(self, path: str | Path | None, line: int | None, problem: str, fix: str | None = None):
        self.line = None if line is None else int(line)
        super().__init__(path, problem, fix)
        if line is not None:
            where = f"{self.path}:{line}: " if self.path is not None else f"line {line}: "
            self.args = (f"{where}{problem}" + (f" ({fix})" if fix else ""),)


class ConfigError(SeldError):
    """An option or configuration value is invalid or two options contradict each other."""
