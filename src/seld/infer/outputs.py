"""What inference writes: DCASE prediction CSVs, JSON event lists, and scores against label files.

CSV formats (``--format``), written by :func:`seld.formats.write_predictions` (floats; distance in metres):

=================  ===============================  ======================================================
name               layout (columns)                 note
=================  ===============================  ======================================================
``dcase2024``      frame,class,track,azi,ele,dist   default for models that predict distance
``dcase2023``      frame,class,track,azi,ele        default otherwise (also ``dcase2020``-``dcase2022``)
``dcase2019``      frame,class,azi,ele              20 ms frames (each 100 ms frame written 5 times)
a layout name      see :data:`seld.formats.LAYOUTS`  ``cartesian``, ``cartesian-dist``, ``polar4``, ...
=================  ===============================  ======================================================

JSON (:func:`events_to_json`): ``{"file", "model", "classes", "label_frame", "duration", "sample_rate",
"notes", "events": [{"frame", "start", "end", "class", "class_index", "track", "azimuth", "elevation"[,
"distance"]}, ...]}``, times in seconds, angles in degrees (DCASE convention), distance in metres. In stream
mode the same event objects are written one per line (JSON Lines) as they are decided.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import numpy as np

from seld.errors import ConfigError, InputError
from seld.formats import LAYOUTS, Events, read_labels, write_predictions
from seld.formats.table import read_text
from seld.task import TaskSpec
from seld.userio import atomic_write

__all__ = ["CSV_FORMATS", "default_format", "csv_layout", "write_csv", "CsvStreamWriter", "event_records",
           "events_to_json", "write_json", "default_metric", "SCORING_METRICS", "score_events", "find_labels"]

#: ``--format`` name -> (layout, frame length in seconds or None for the model's)
CSV_FORMATS: dict[str, tuple[str, float | None]] = {
    "dcase2024": ("polar-dist", None), "dcase2023": ("polar", None), "dcase2022": ("polar", None),
    "dcase2021": ("polar", None), "dcase2020": ("polar", None), "dcase2019": ("polar4", 0.02),
    **{name: (name, None) for name in LAYOUTS},
}


def default_format(task: TaskSpec) -> str:
    """``dcase2024`` when the model predicts distance, ``dcase2023`` otherwise."""
    return "dcase2024" if task.distance else "dcase2023"


def csv_layout(fmt: str | None, task: TaskSpec) -> tuple[str, float | None]:
    """The layout and frame length of ``--format`` for ``task`` (``None``: its default)."""
    fmt = fmt or default_format(task)
    if fmt not in CSV_FORMATS:
        raise ConfigError(f"unknown --format {fmt!r}; choose one of {', '.join(CSV_FORMATS)}")
    layout, frame_len = CSV_FORMATS[fmt]
    if (layout.endswith("-dist") or layout == "l3das") and not task.distance:
        raise ConfigError(f"--format {fmt} needs distances, but the model does not predict them; use "
                          f"{default_format(task)}")
    return layout, frame_len


def _for_layout(events: Events, frame_len: float | None) -> Events:
    if frame_len is not None and abs(frame_len - events.frame_len) > 1e-12:
        return events.to_frame_len(frame_len)
    return events


def write_csv(path: str | Path, events: Events, task: TaskSpec, fmt: str | None = None) -> Path:
    """Write ``events`` as a prediction CSV in ``fmt`` (module docstring), atomically."""
    layout, frame_len = csv_layout(fmt, task)
    write_predictions(path, _for_layout(events, frame_len), layout)
    return Path(path)


class CsvStreamWriter:
    """Appends the rows of successive :class:`Events` to an open text stream, flushing after each call, in the
    same text that :func:`write_csv` writes for all of them at once."""

    def __init__(self, out: TextIO, task: TaskSpec, fmt: str | None = None):
        self.out = out
        self.layout, self.frame_len = csv_layout(fmt, task)
        self._tmp = tempfile.TemporaryDirectory(prefix="seld-infer-")

    def write(self, events: Events) -> None:
        if len(events):
            path = Path(self._tmp.name) / "rows.csv"
            write_predictions(path, _for_layout(events, self.frame_len), self.layout)
            self.out.write(read_text(path))
        self.out.flush()

    def close(self) -> None:
        self._tmp.cleanup()


def _round(x: float, digits: int) -> float:
    return round(float(x), digits)


def event_records(events: Events, classes) -> list[dict]:
    """One JSON-ready dict per event row (module docstring)."""
    classes = list(classes)
    azi, ele = events.azi_ele()
    lf = events.frame_len
    out = []
    for i in range(len(events)):
        rec = {"frame": int(events.frame[i]), "start": _round(events.frame[i] * lf, 6),
               "end": _round((events.frame[i] + 1) * lf, 6), "class": classes[int(events.cls[i])],
               "class_index": int(events.cls[i]), "track": int(events.track[i]),
               "azimuth": _round(azi[i], 3), "elevation": _round(ele[i], 3)}
        if events.dist is not None:
            rec["distance"] = _round(events.dist[i], 4)
        out.append(rec)
    return out


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def events_to_json(events: Events, task: TaskSpec, *, file: str | None = None, model: str | None = None,
                   scores: dict | None = None) -> dict:
    """The JSON document of one recording's events (module docstring)."""
    meta = events.meta or {}
    doc = {"file": file if file is not None else meta.get("path"), "model": model,
           "classes": list(task.classes), "label_frame": task.label_frame,
           "duration": meta.get("duration"), "sample_rate": meta.get("sample_rate"),
           "frames": events.num_frames(), "notes": list(meta.get("notes", [])),
           "events": event_records(events, task.classes)}
    if scores is not None:
        doc["scores"] = scores
    return _json_safe(doc)


def write_json(path: str | Path, events: Events, task: TaskSpec, **kwargs) -> Path:
    """Write :func:`events_to_json` to ``path``, atomically."""
    atomic_write(path, json.dumps(events_to_json(events, task, **kwargs), indent=1) + "\n")
    return Path(path)


# ---------------------------------------------------------------------------------------------- scoring

#: metrics ``seld infer --labels`` and ``seld calibrate`` can score with (those of 100 ms label frames)
SCORING_METRICS = ("dcase2020", "dcase2021", "dcase2022", "dcase2023", "dcase2024")


def default_metric(task: TaskSpec, metric: str | None = None) -> str:
    """``metric`` if given, else the DCASE metric of the model's label format: ``dcase2024`` with distances,
    ``dcase2023`` without."""
    if metric is not None:
        if metric not in SCORING_METRICS:
            raise ConfigError(f"unknown scoring metric {metric!r}; choose one of {', '.join(SCORING_METRICS)}")
        if metric == "dcase2024" and not task.distance:
            raise ConfigError("the dcase2024 metric scores distances, which this model does not predict; use "
                              "another --metric (dcase2023 by default)")
        return metric
    return "dcase2024" if task.distance else "dcase2023"


def find_labels(labels_dir: str | Path, stems: Iterable[str]) -> dict[str, Path]:
    """The label file ``<stem>.csv`` of each recording stem, in ``labels_dir`` or, as DCASE datasets keep them
    (``metadata_dev/dev-test-sony/...``), in one of its subfolders (the tree is walked once, and only when a
    file is not at the top); missing or found twice is an error that names it."""
    folder = Path(labels_dir)
    if not folder.is_dir():
        raise InputError(folder, "label folder not found" if not folder.exists() else "is not a folder",
                         "give the folder of the recordings' DCASE label CSVs (--labels)")
    stems = list(stems)
    found = {s: folder / f"{s}.csv" for s in stems if (folder / f"{s}.csv").is_file()}
    missing = [s for s in stems if s not in found]
    if not missing:
        return found
    below: dict[str, list[Path]] = {}
    for path in folder.rglob("*.csv"):
        if path.is_file():
            below.setdefault(path.stem, []).append(path)
    for stem in missing:
        paths = sorted(below.get(stem, []))
        if not paths:
            raise InputError(folder / f"{stem}.csv", "no label file for this recording (nor in a subfolder)",
                             "name each label file after its recording (REC.wav -> REC.csv), or drop --labels")
        if len(paths) > 1:
            raise InputError(paths[0], f"{len(paths)} label files named {stem}.csv under {folder} "
                             f"({', '.join(str(p.relative_to(folder)) for p in paths[:3])})",
                             "give the subfolder that holds this recording's labels (--labels)")
        found[stem] = paths[0]
    return found


def read_reference(path: str | Path, task: TaskSpec, n_frames: int | None = None) -> Events:
    """A DCASE label file at the task's label frame, its class indices checked against the task's classes."""
    ref = read_labels(path, classes=task.num_classes, n_frames=n_frames)
    if abs(ref.frame_len - task.label_frame) > 1e-9:
        ref = ref.to_frame_len(task.label_frame)
    return ref


def score_events(refs: dict[str, Events], preds: dict[str, Events], task: TaskSpec,
                 metric: str | None = None) -> dict:
    """DCASE scores (``SeldResult.to_dict(per_class=True)``) of predictions against references keyed alike."""
    from seld.metrics import score

    metric = default_metric(task, metric)
    if metric == "dcase2024" and any(r.dist is None for r in refs.values()):
        raise ConfigError("the model predicts distances, so it is scored with dcase2024, but a label file has no "
                          "distance column; give DCASE2023/2024 labels")
    preds = {k: (v.to_frame_len(0.1) if abs(v.frame_len - 0.1) > 1e-9 else v) for k, v in preds.items()}
    result = score(refs, preds, metric, classes=task.num_classes)
    out = result.to_dict(per_class=True)
    if "per_class" in out and len(out["per_class"]) == task.num_classes:   # scored by index: the model's names
        out["per_class"] = dict(zip(task.classes, out["per_class"].values()))
    return out
