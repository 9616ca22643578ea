"""What every benchmark script shares: the environment its figures belong to, a timer and the JSON output.

Imported by the scripts next to it (``python benchmarks/<name>.py`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["environment", "timed", "emit"]


def environment(**extra) -> dict:
    """Commit, machine and library versions the figures belong to (torch's only if it is imported), plus
    ``extra``; the GPU's name when ``device`` is a CUDA device."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    info = {"commit": commit, "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    if "numpy" in sys.modules:
        info["numpy"] = sys.modules["numpy"].__version__
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        if str(extra.get("device", "")).startswith("cuda"):
            info["gpu"] = torch.cuda.get_device_name(0)
    return {**info, **extra}


def timed(step, repeats: int, sync=lambda: None) -> list[float]:
    """Seconds of ``repeats`` calls of ``step`` after one warm-up call; ``sync`` waits for a GPU."""
    step()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return times


def emit(result: dict, out: Path | None = None, indent: int | None = 1) -> None:
    """Print the result as one JSON object; also write it to ``out`` atomically when given."""
    text = json.dumps(result, indent=indent)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, out)
