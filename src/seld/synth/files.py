"""Atomic file writes (temporary name in the same folder, then a rename) for audio, arrays and JSON.

An interrupted job never leaves a truncated file under a final name, so resuming can trust any file it
finds. Errors about unwritable places are user errors that name the path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from seld.errors import InputError
from seld.userio import atomic_path, os_error, read_user_text

__all__ = ["atomic_path", "write_audio", "write_json", "write_npy", "read_json", "ensure_dir", "AUDIO_TYPES"]

#: output audio containers and their soundfile (format, subtype)
AUDIO_TYPES = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16")}


def ensure_dir(path: str | Path) -> Path:
    """Create a folder (and parents); a clear error when that is impossible."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(p, "is a file, expected a folder", "choose another location") from None
    except OSError as err:
        raise os_error(p, err, "cannot create this folder") from None
    if not os.access(p, os.W_OK):
        raise InputError(p, "folder is not writable", "choose a writable location or fix its permissions")
    return p


def write_audio(path: str | Path, audio: np.ndarray, fs: int, kind: str | None = None) -> None:
    """Write [C, N] (or [N]) float audio in [-1, 1] as 16-bit WAV or FLAC (chosen by ``kind`` or the suffix)."""
    import soundfile as sf

    p = Path(path)
    fmt, subtype = AUDIO_TYPES[kind or p.suffix.lstrip(".").lower()]
    data = np.asarray(audio, dtype=np.float32)
    data = data[None] if data.ndim == 1 else data
    # quantise here rather than in libsndfile: the same rounding on every machine and library version; the
    # arithmetic runs on [C, N], then each channel is copied into the interleaved [N, C] int16 buffer that
    # libsndfile takes as is (channel by channel is several times faster than one transposed copy)
    scaled = np.multiply(data, np.float32(32767.0))
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    pcm = np.empty(scaled.shape[::-1], np.int16)
    for c, row in enumerate(scaled):
        np.copyto(pcm[:, c], row, casting="unsafe")
    with atomic_path(p) as tmp:
        sf.write(str(tmp), pcm, fs, format=fmt, subtype=subtype)


def write_npy(path: str | Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array))


def write_json(path: str | Path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def read_json(path: str | Path, fix: str = "delete it and rerun the command that wrote it"):
    """The JSON value in a file; errors name the file."""
    p = Path(path)
    text = read_user_text(p, "JSON file", fix)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise InputError(p, f"not a valid JSON file ({err})", fix) from None
