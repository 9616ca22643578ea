"""Reading user files and writing output files, with the errors and file modes users expect.

* :func:`read_user_text` reads a text file that a user gave and turns every way this can fail (missing, a
  folder, no permission, not UTF-8, any other OS error) into an :class:`~seld.errors.InputError` that names the
  file; every reader of user text files goes through it.
* :func:`atomic_write` / :func:`atomic_path` write through a temporary name in the target folder and a rename,
  so that an interrupted job never leaves a truncated file under a final name. ``tempfile.mkstemp`` creates
  files with mode 0600; the final file gets the mode a plain ``open()`` would give (``0666 & ~umask``), so that
  datasets, banks and checkpoints stay readable to the other users and services that a umask allows.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from seld.errors import FormatError, InputError

__all__ = ["read_user_text", "atomic_path", "atomic_write", "file_mode", "current_umask", "os_error"]


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable way is to set it and put it back at once
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: ``0666 & ~umask``."""
    return 0o666 & ~current_umask()


def os_error(path: str | Path, err: OSError, doing: str = "cannot read this file") -> InputError:
    """An :class:`InputError` for an :class:`OSError` met while using ``path`` (what went wrong, and a fix)."""
    reason = err.strerror or type(err).__name__
    if isinstance(err, PermissionError):
        fix = "check the file's permissions"
    elif isinstance(err, FileNotFoundError):
        fix = "check the path"
    elif isinstance(err, IsADirectoryError):
        fix = "give a file, not a folder"
    else:
        fix = None
    return InputError(path, f"{doing} ({reason})", fix)


def read_user_text(path: str | Path, what: str = "text file", fix: str | None = None,
                   encoding: str = "utf-8-sig") -> str:
    """The text of a file a user gave; an :class:`InputError` naming it for every way reading can fail.

    ``what`` names the expected kind of file in messages (``"CSV label file"``); ``fix`` is the advice given when
    the content is not text.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        kind = "broken symbolic link" if p.is_symlink() else "file not found"
        raise InputError(p, kind, "check the path") from None
    except IsADirectoryError:
        raise InputError(p, f"is a folder, expected a {what}") from None
    except OSError as err:
        raise os_error(p, err) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise FormatError(p, None, f"not a UTF-8 text file (undecodable byte at offset {err.start})",
                          fix or f"give a {what}") from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it gets the plain-``open()`` mode and is renamed to
    ``path``, on failure it is removed. Unwritable places raise an :class:`InputError` naming them."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=f".tmp{p.suffix}", dir=p.parent)
    except OSError as err:
        raise os_error(p, err, "cannot write here") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, p)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise os_error(p, err, "cannot write this file") from None
        raise


def atomic_write(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``data`` (text with ``\\n`` line ends, or bytes) to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding=encoding, newline="\n") as f:
                f.write(data)
