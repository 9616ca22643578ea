"""Speed of `seld evaluate` on the 54 STARSS22 fold-4 test files, per metric; prints one JSON object.

For each metric: the Python API (find, read and score the files; and scoring alone), the command line (a fresh
``seld evaluate ... --json`` process, interpreter start included), and, when the official scorers are at hand
(see tests/metrics/oracle_golden.py for how to get them), the official scorer on the same files.

    .venv/bin/python benchmarks/metrics_speed.py [--official /tmp/oracle_src --oracle-python /tmp/oracle/bin/python]

The predictions are random but plausible (jittered copies of the references with misses, time shifts and
false alarms), written to a temporary folder from a fixed seed. The DCASE2024 metric needs distances, which
STARSS22 lacks: its references get random distances (written in cm, as STARSS23).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "tests" / "assets" / "starss22_metadata_dev"
sys.path.insert(0, str(ROOT / "tests" / "metrics"))

from common import emit, environment  # noqa: E402
from seld.formats import Events, read_labels  # noqa: E402
from seld.formats.io import read_predictions, write_labels, write_predictions  # noqa: E402
from seld.metrics import score  # noqa: E402
from seld.metrics.cli import find_csv  # noqa: E402

#: metric -> (reference folder kind, prediction folder kind, extra CLI args)
METRICS = {
    "dcase2020": ("plain", "cartesian-dist", []),
    "dcase2021": ("plain", "cartesian-dist", ["--classes", "13"]),
    "dcase2022": ("plain", "cartesian", []),
    "dcase2023": ("plain", "cartesian-dist", []),
    "dcase2024": ("dist", "cartesian-dist", []),
}
_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "1000000000"}


def make_predictions(ref: Events, rng: np.random.Generator) -> Events:
    """A plausible system output: 15 % of rows missed, frames shifted by up to 2, directions off by ~10 deg,
    distances off by ~30 %, and 5 % extra rows of random classes and directions."""
    keep = rng.random(len(ref)) > 0.15
    e = ref.select(keep)
    n_fa = int(0.05 * len(ref))
    frame = np.concatenate([np.clip(e.frame + rng.integers(-2, 3, len(e)), 0, None),
                            rng.integers(0, ref.last_frame() + 20, n_fa)])
    cls = np.concatenate([e.cls, rng.integers(0, 13, n_fa)])
    xyz = np.concatenate([e.xyz + rng.normal(0, 0.12, e.xyz.shape), rng.normal(0, 1, (n_fa, 3))])
    dist = rng.uniform(0.5, 4.0, len(frame))
    if e.dist is not None:
        dist[:len(e)] = e.dist * rng.uniform(0.7, 1.3, len(e))
    order = np.argsort(frame, kind="stable")
    return Events.from_cartesian(frame[order], cls[order], np.zeros(len(frame), np.int64), xyz[order],
                                 dist[order])


def build(tmp: Path, seed: int = 0) -> dict:
    """Write reference and prediction folders; returns their paths and row counts."""
    rng = np.random.default_rng(seed)
    files = sorted(ASSETS.glob("dev-test-*/*.csv"))
    dirs = {k: tmp / k for k in ("plain", "dist", "cartesian", "cartesian-dist")}
    rows = {"ref": 0, "pred": 0}
    for path in files:
        split = path.parent.name
        (dirs["plain"] / split).mkdir(parents=True, exist_ok=True)
        (dirs["dist"] / split).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dirs["plain"] / split / path.name)
        ref = read_labels(path)
        with_dist = Events(ref.frame, ref.cls, ref.track, ref.xyz, rng.uniform(0.8, 5.0, len(ref)))
        write_labels(dirs["dist"] / split / path.name, with_dist, "dcase2024")
        pred = make_predictions(with_dist, rng)
        for layout in ("cartesian", "cartesian-dist"):
            dirs[layout].mkdir(exist_ok=True)
            write_predictions(dirs[layout] / path.name, pred, layout)
        rows["ref"] += len(ref)
        rows["pred"] += len(pred)
    return {"dirs": dirs, "files": len(files), "rows": rows}


def time_api(metric: str, ref_dir: Path, pred_dir: Path, args: list[str], passes: int) -> tuple[float, float]:
    """Median seconds of (find + read + score) and of score alone."""
    classes = int(args[1]) if args else None
    full, only = [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        refs = {k: read_labels(p) for k, p in find_csv(ref_dir).items()}
        preds = {k: read_predictions(p) for k, p in find_csv(pred_dir).items()}
        t1 = time.perf_counter()
        score(refs, preds, metric, classes=classes)
        t2 = time.perf_counter()
        full.append(t2 - t0)
        only.append(t2 - t1)
    return statistics.median(full), statistics.median(only)


def time_cli(metric: str, ref_dir: Path, pred_dir: Path, args: list[str], passes: int, env: dict) -> float:
    cmd = [str(Path(sys.executable).parent / "seld"), "evaluate", str(ref_dir), str(pred_dir), "--metric", metric,
           "--json", *args]
    times = []
    for _ in range(passes):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, **env})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_official(metric: str, ref_dir: Path, pred_dir: Path, official: Path, python: str, passes: int) -> float:
    from oracle_golden import run_official

    times = []
    for _ in range(passes):
        t0 = time.perf_counter()
        run_official(official, python, metric, ref_dir, pred_dir, average="macro")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--official", type=Path, default=Path("/tmp/oracle_src"))
    parser.add_argument("--oracle-python", default="/tmp/oracle/bin/python")
    parser.add_argument("--metrics", default=",".join(METRICS))
    args = parser.parse_args()
    have_official = args.official.is_dir() and Path(args.oracle_python).exists()
    out = {**environment(), "passes": args.passes, "metrics": {}}
    with tempfile.TemporaryDirectory() as tmp:
        data = build(Path(tmp))
        out.update(files=data["files"], ref_rows=data["rows"]["ref"], pred_rows=data["rows"]["pred"])
        for metric in args.metrics.split(","):
            ref_kind, pred_kind, extra = METRICS[metric]
            ref_dir, pred_dir = data["dirs"][ref_kind], data["dirs"][pred_kind]
            api, score_only = time_api(metric, ref_dir, pred_dir, extra, args.passes)
            entry = {"api_seconds": round(api, 4), "score_seconds": round(score_only, 4),
                     "cli_seconds": round(time_cli(metric, ref_dir, pred_dir, extra, args.passes, {}), 4),
                     "cli_seconds_malloc_env": round(time_cli(metric, ref_dir, pred_dir, extra, args.passes,
                                                              _MALLOC), 4)}
            if have_official and metric in ("dcase2022", "dcase2023", "dcase2024"):
                off = time_official(metric, ref_dir, pred_dir, args.official, args.oracle_python, 1)
                entry.update(official_seconds=round(off, 3), speedup_api=round(off / api, 1),
                             speedup_cli=round(off / entry["cli_seconds"], 1))
            out["metrics"][metric] = entry
    emit(out)


if __name__ == "__main__":
    main()
