"""Wall-clock time of ``seld synth`` with 1 and with N worker processes (issue 9: N workers at least 1.6x faster
than one on 2 cores), each run a fresh dataset and room cache made by the command line itself, as a user runs it.

Runs alternate between the worker counts so that a change of machine load hits both alike. Needs a quiet
machine: other jobs on the cores slow the multi-worker runs most. Prints one JSON object (``--json`` also writes
it)::

    python benchmarks/synth_workers.py --bank data/bank --clips 100 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from common import emit, environment


def seld(*args: str) -> None:
    """Run a ``seld`` command; a failure stops the benchmark with that command's own error."""
    done = subprocess.run(["seld", *args], capture_output=True, text=True)
    if done.returncode:
        command = " ".join(a for a in args[:2] if not a.startswith("-"))
        raise SystemExit(f"seld {command} failed: {done.stderr.strip()}")


def run_synth(bank: Path, out: Path, clips: int, workers: int, preset: str) -> float:
    """Seconds of one ``seld synth`` run into a new folder ``out`` (removed afterwards)."""
    start = time.perf_counter()
    seld("synth", "--bank", str(bank), "--out", str(out), "--preset", preset, "--clips", str(clips),
         "--workers", str(workers))
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bank", type=Path, help="sound bank (default: a small offline bank built first)")
    ap.add_argument("--clips", type=int, default=100, help="scenes per run")
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--workers", type=int, default=2, help="the worker count compared with one")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the result here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="seld-synth-workers-") as tmp:
        bank = args.bank
        if bank is None:
            bank = Path(tmp) / "bank"
            seld("bank", "build", "--offline", "--per-class", "6", "--out", str(bank))
        times: dict[int, list[float]] = {1: [], args.workers: []}
        for r in range(args.repeats):
            for w in times:
                times[w].append(run_synth(bank, Path(tmp) / f"run{r}-w{w}", args.clips, w, args.preset))
    one, many = np.median(times[1]), np.median(times[args.workers])
    emit({"environment": environment(clips=args.clips, preset=args.preset, repeats=args.repeats),
          "seconds": {str(w): [round(t, 2) for t in ts] for w, ts in times.items()},
          "median_seconds": {"1": round(float(one), 2), str(args.workers): round(float(many), 2)},
          "speedup": round(float(one / many), 3)}, args.json)


if __name__ == "__main__":
    main()
