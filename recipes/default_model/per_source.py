"""Which bank sources a model misses: detection per class and per source recording on a synthesised test set.

    python recipes/default_model/per_source.py WORK/bank WORK/synth WORK/eval-synth --fold 2 [--classes knock,door]
    python recipes/default_model/per_source.py WORK/bank WORK/replay WORK/eval-replay

A class score says *that* a class is missed; this says *which* of its recordings are (a source that training never
heard, since the bank splits train and test by source file) and what the model takes them for. For every event of
the scenes (``SCENES/plans/**/fold<N>_*.json``: which bank clips each event plays), it counts the label frames of
the event (``SCENES/metadata``) in which the prediction (``PRED/<scene>.csv``, as ``seld infer --out PRED`` writes
it) has the event's class, and the classes predicted there that no reference event of that frame has
(confusions). Sources are grouped by package and file (hits sequenced from one recording count as that recording;
generated clips as ``generated``), via the bank's manifest (``BANK/manifest.csv``); an event that plays several
clips in turn (a long replay event) counts under its first clip's source. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from seld.errors import SeldError
from seld.formats import get_classes, read_labels


def source_group(source: str) -> str:
    """``package: file`` of a manifest source (``hits:PKG:PATH#n``, ``PKG:PATH``), ``generated`` for ours."""
    if source.startswith("generated/"):
        return "generated"
    source = source.removeprefix("hits:").split("#")[0]
    package, _, path = source.partition(":")
    return f"{package}: {Path(path).stem}" if path else package


def frames_by_class(events) -> dict[int, set[int]]:
    """{frame: classes active} of an :class:`Events`."""
    out: dict[int, set[int]] = defaultdict(set)
    for frame, cls in zip(events.frame.tolist(), events.cls.tolist()):
        out[frame].add(cls)
    return out


def per_source(bank: Path, scenes: Path, pred: Path, fold: int | None = None) -> dict[tuple[int, str], dict]:
    """``{(class index, source group): {"events", "frames", "detected", "confused": Counter}}``."""
    manifest = bank / "manifest.csv"
    if not manifest.is_file():
        sys.exit(f"no {manifest}: give the folder that `seld bank build` wrote")
    with open(manifest, newline="") as f:
        groups = {row["id"]: source_group(row["source"]) for row in csv.DictReader(f)}
    pattern = "*.json" if fold is None else f"fold{fold}_*.json"
    plans = sorted((scenes / "plans").rglob(pattern))
    if not plans:
        sys.exit(f"no scene plans {pattern} under {scenes / 'plans'}: give the folder that `seld synth` wrote")
    stats: dict[tuple[int, str], dict] = {}
    for plan_file in plans:
        plan = json.loads(plan_file.read_text())
        ref = read_labels(scenes / "metadata" / plan_file.relative_to(scenes / "plans").with_suffix(".csv"))
        pred_file = pred / f"{plan_file.stem}.csv"
        if not pred_file.is_file():
            sys.exit(f"no prediction {pred_file}: run seld infer on the fold's scenes with --out {pred}")
        predicted, present = frames_by_class(read_labels(pred_file)), frames_by_class(ref)
        track_frames: dict[tuple[int, int], set[int]] = defaultdict(set)     # the scene's labels read once
        for f, c, t in zip(ref.frame.tolist(), ref.cls.tolist(), ref.track.tolist()):
            track_frames[c, t].add(f)
        for event in plan["events"]:
            cls, track, first = event["cls"], event["track"], event["first_frame"]
            last = first + len(event["positions"])
            frames = [f for f in track_frames[cls, track] if first <= f < last]
            group = groups.get(event["pieces"][0][0], "unknown")
            row = stats.setdefault((cls, group), {"events": 0, "frames": 0, "detected": 0, "confused": Counter()})
            row["events"] += 1
            row["frames"] += len(frames)
            row["detected"] += sum(cls in predicted[f] for f in frames)
            for f in frames:
                row["confused"].update(predicted[f] - present[f])
    return stats


def table(stats: dict, names: tuple[str, ...], only: set[str] | None = None) -> str:
    lines = ["| class | source | events | label frames | detected | also predicted there (frames) |",
             "|---|---|---|---|---|---|"]
    for (cls, group), row in sorted(stats.items(), key=lambda kv: (kv[0][0], -kv[1]["frames"])):
        if only and names[cls] not in only:
            continue
        share = row["detected"] / row["frames"] if row["frames"] else 0.0
        confused = ", ".join(f"{names[c]} ({n})" for c, n in row["confused"].most_common(3)) or "-"
        lines.append(f"| {names[cls]} | {group} | {row['events']} | {row['frames']} | {share:.0%} | {confused} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bank", type=Path, help="the bank the scenes were made from (seld bank build --out)")
    parser.add_argument("scenes", type=Path, help="the scenes (seld synth --out)")
    parser.add_argument("pred", type=Path, help="seld infer's --out folder of the scenes")
    parser.add_argument("--fold", type=int, default=None, help="only the scenes of this fold [default: all]")
    parser.add_argument("--classes", default="", help="comma-separated class names to show [default: all]")
    args = parser.parse_args(argv)
    names = get_classes("starss23").names
    only = {c for c in re.split(r"[,\s]+", args.classes) if c}
    unknown = only - set(names)
    if unknown:
        sys.exit(f"unknown class(es) {', '.join(sorted(unknown))}; the classes: {', '.join(names)}")
    try:
        stats = per_source(args.bank, args.scenes, args.pred, args.fold)
    except SeldError as err:                 # a damaged label or prediction file: its one-line message
        sys.exit(str(err))
    print(table(stats, names, only or None))


if __name__ == "__main__":
    main()
