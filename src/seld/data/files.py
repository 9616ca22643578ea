"""Cache folders of arrays, written atomically: a reader sees a complete folder or none."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from seld.errors import InputError
from seld.userio import current_umask

__all__ = ["save_arrays", "load_arrays"]


def save_arrays(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write each array as ``<name>.npy`` into ``folder``, built under a temporary name and renamed into place
    (an existing complete folder is left as it is)."""
    folder = Path(folder)
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr))
        os.chmod(tmp, 0o777 & ~current_umask())
        os.replace(tmp, folder)
    except OSError:
        if folder.is_dir():     # another process finished the same folder first
            return
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_arrays(folder: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Memory-map the arrays ``names`` of a folder written by :func:`save_arrays`."""
    out = {}
    for name in names:
        path = Path(folder) / f"{name}.npy"
        try:
            out[name] = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as err:
            raise InputError(path, f"damaged cache file ({err})", f"delete {folder} and run again") from None
    return out
