"""Errors a user can cause.

Every problem that the person running `seld` can fix (a bad path, a malformed CSV row, an unknown class, a
wrong sample rate) raises a :class:`SeldError` subclass whose message names the file (and line) and says what
to do. The CLI prints such errors on one line and exits with status 2; anything else is a bug in `seld`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SeldError", "InputError", "FormatError", "ConfigError", "as_user_error"]


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


_PATH_NAMES = ("path", "file", "filename", "src", "source", "p")


def _path_in_traceback(err: BaseException) -> str | None:
    """The innermost ``path``-like local variable (str or Path) of the frames an exception went through."""
    tb, found = err.__traceback__, None
    while tb is not None:
        local = tb.tb_frame.f_locals
        for name in _PATH_NAMES:
            value = local.get(name)
            if isinstance(value, (str, os.PathLike)) and str(value):
                found = str(value)
                break
        tb = tb.tb_next
    return found


def as_user_error(err: BaseException) -> SeldError | None:
    """The user error an unexpected exception stands for, or ``None`` when it is a bug in `seld`.

    The readers of user files raise :class:`InputError` themselves; this is the one safety net behind them,
    used by the CLI: an :class:`OSError` (permissions, a missing or full disk, a folder where a file was
    expected) names its file, and text that cannot be decoded names the file being read when it can be found.
    """
    if isinstance(err, OSError):
        name = err.filename if err.filename is not None else _path_in_traceback(err)
        reason = err.strerror or str(err) or type(err).__name__
        fix = {PermissionError: "check the permissions", FileNotFoundError: "check the path",
               IsADirectoryError: "give a file, not a folder", NotADirectoryError: "give a folder",
               FileExistsError: "choose another name"}.get(type(err))
        return InputError(name, reason, fix)
    if isinstance(err, UnicodeError):
        return InputError(_path_in_traceback(err), f"not a UTF-8 text file ({err})",
                          "give a text file of the expected kind")
    if isinstance(err, MemoryError):
        return ConfigError("not enough memory for this input; check that its sizes, times and frame numbers "
                           "are what you meant")
    return None
