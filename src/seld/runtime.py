"""Process settings that the ``seld`` command applies before any work.

glibc's malloc gives large freed blocks back to the kernel at once (``mmap`` / ``trim``), so every big tensor
of a training step or a front end is faulted in afresh; on virtual machines that spends up to half the time in
the kernel. Keeping freed memory in the process (the ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``
settings) made CRNN training on this project's 2-core machine 1.9x faster (0.44 -> 0.85 steps/s of 16 ten-second
clips). The cost is that a process keeps its peak heap until it exits.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["MALLOC_SETTINGS", "keep_freed_memory"]

#: environment variable -> (mallopt parameter number, value): glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD
MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": (-3, 1_000_000_000), "MALLOC_TRIM_THRESHOLD_": (-1, 1_000_000_000)}


def keep_freed_memory() -> list[str]:
    """Apply :data:`MALLOC_SETTINGS` to this process (``mallopt``) and, through the environment, to every process
    it starts; settings the user already exported are left alone. Returns the settings applied (none off
    glibc)."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt
    except (OSError, AttributeError):      # musl and other C libraries: nothing to tune
        return []
    applied = []
    for name, (param, value) in MALLOC_SETTINGS.items():
        if name in os.environ:
            continue
        if libc.mallopt(param, value) == 1:
            os.environ[name] = str(value)
            applied.append(name)
    return applied
