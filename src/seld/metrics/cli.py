"""`seld evaluate`: score a folder of prediction files against a folder of reference files.

A thin mirror of :func:`seld.metrics.score`: the files are found (recursively, ``*.csv``), paired by file stem,
read with :mod:`seld.formats` and scored; the result is printed as a table or as one JSON object. SELDnet has no
fixed label frame: ``--metric seldnet`` needs ``--frame-len`` (the STFT hop of its features), and its desc
event lists are turned into frames of that length.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
import numpy as np

from seld.cli_types import Finite
from seld.errors import ConfigError, FormatError, InputError
from seld.formats.classes import get_classes
from seld.formats.io import PREDICTION_FORMAT_NAMES, read_labels, read_predictions
from seld.metrics.result import SeldResult
from seld.metrics.score import AVERAGES, METRICS, default_classes, score

__all__ = ["evaluate", "find_csv"]

log = logging.getLogger(__name__)

#: prediction layout read by default for a metric ("auto" tells the layouts apart by their columns)
_DEFAULT_PRED_FORMAT = {"dcase2019": "dcase2019", "l3das22": "l3das"}


def find_csv(folder: Path) -> dict[str, Path]:
    """CSV files under ``folder`` (recursively) by file stem; two files with one stem are an error."""
    out: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.csv")):
        if path.stem in out:
            raise InputError(path, f"has the same name as {out[path.stem]}",
                             "files pair up by name: keep one file per name in each folder")
        out[path.stem] = path
    return out


def _format_table(result: SeldResult) -> str:
    pct = {"F", "LR", "precision", "recall", "good_frame_ratio"}
    deg = {"LE"}

    def cell(key, value) -> str:
        if value is None or value != value:
            return "-"
        if key in pct:
            return f"{100 * value:.2f} %"
        return f"{value:.2f} deg" if key in deg else f"{value:.4f}"

    frame_metric = result.metric in ("dcase2019", "seldnet")
    names = {"LE": "DOA error" if frame_metric else "LE", "LR": "frame recall" if frame_metric else "LR",
             "good_frame_ratio": "good frames"}
    lines = [f"{result.metric} ({result.average}), {result.files} files"]
    for key, value in result.overall().items():
        row = f"  {names.get(key, key):<13}{cell(key, value):>12}"
        if key in result.ci:
            lo, hi = result.ci[key]
            row += f"   95% CI [{cell(key, lo)}, {cell(key, hi)}]"
        lines.append(row)
    if result.per_class:
        keys = list(result.per_class)
        width = max(len(c) for c in result.classes) + 2
        lines.append("")
        lines.append(f"  {'class':<{width}}" + "".join(f"{k:>12}" for k in keys))
        for i, name in enumerate(result.classes):
            lines.append(f"  {name:<{width}}" + "".join(f"{cell(k, result.per_class[k][i]):>12}" for k in keys))
        if result.average == "macro" and "F" in result.per_class and min(result.per_class["F"]) == 0:
            lines.append("  (a class at F 0 % weighs fully in the macro mean, even when no reference file has it:"
                         " the official setting; see --average micro)")
    return "\n".join(lines)


@click.command("evaluate")
@click.argument("ref_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("pred_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--metric", required=True, type=click.Choice(METRICS), help="Which official scorer to reproduce.")
@click.option("--average", type=click.Choice(AVERAGES), default=None,
              help="Class averaging; default: the metric's official setting (macro for 2022-2024).")
@click.option("--classes", default=None, metavar="N|NAME",
              help="Number of classes or class-list name; default: the metric's dataset.")
@click.option("--pred-format", type=click.Choice(PREDICTION_FORMAT_NAMES), default=None,
              help="Prediction file layout; default: recognised from the columns (dcase2019: 20 ms "
                   "frame,class,azi,ele; l3das22: frame,class,x,y,z).")
@click.option("--frame-len", type=Finite(1e-4, 10.0), default=None, metavar="SECONDS",
              help="seldnet only, required: label frame length, the STFT hop of SELDnet's features "
                   "(e.g. 0.005804988662131519 = 256 / 44100 for nfft 512 at 44.1 kHz).")
@click.option("--pred-dist-unit", type=click.Choice(["m", "cm"]), default=None,
              help="Unit of prediction distances (dcase2024): m, as the official scorer reads them, or cm, as "
                   "reference label files (and `seld synth`) write them; default m, and distances that look like "
                   "cm are an error.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (undefined values as null).")
@click.option("--per-class", is_flag=True,
              help="Add class-wise values to the JSON object (the table always shows them).")
@click.option("--jackknife", is_flag=True, help="Add leave-one-file-out 95 % confidence intervals.")
@click.option("--fix-quirks", is_flag=True,
              help="Correct the official scorers' known quirks instead of reproducing them (see the docs).")
def evaluate(ref_dir: Path, pred_dir: Path, metric: str, average: str | None, classes: str | None,
             pred_format: str | None, frame_len: float | None, pred_dist_unit: str | None, as_json: bool,
             per_class: bool, jackknife: bool, fix_quirks: bool) -> None:
    """Score the predictions in PRED_DIR against the references in REF_DIR (files pair up by name).

    A reference without a prediction counts as an empty prediction (with a warning); a prediction without a
    reference is an error. Scores equal the official DCASE scorers' unless --fix-quirks is given.
    """
    if (metric == "seldnet") != (frame_len is not None):
        raise ConfigError("--frame-len is required with --metric seldnet and only allowed with it (the other "
                          "metrics have their fixed frame length)")
    if pred_dist_unit is not None and metric != "dcase2024":
        raise ConfigError("--pred-dist-unit is for --metric dcase2024, the only metric that scores distances")
    class_list = default_classes(metric) if classes is None else get_classes(classes)
    ref_paths, pred_paths = find_csv(ref_dir), find_csv(pred_dir)
    if not ref_paths:
        raise InputError(ref_dir, "contains no .csv reference files", "give the folder of the label files")
    for stem, path in pred_paths.items():
        if stem not in ref_paths:
            raise InputError(path, "prediction file has no reference file of the same name in "
                                   f"{ref_dir}", "remove it or add its reference")
    fmt = pred_format or _DEFAULT_PRED_FORMAT.get(metric, "auto")
    refs, preds = {}, {}
    for stem, path in ref_paths.items():
        # SELDnet desc event lists become frames of the given length; other files keep their own
        ev = read_labels(path, fmt="seldnet" if metric == "seldnet" else "auto", classes=class_list,
                         frame_len=frame_len if metric == "seldnet" else None)
        if metric == "dcase2019" and "layout" in ev.meta and len(ev) == 0:
            # an empty file read as a frame list: a DCASE2019 event list always has its header
            raise FormatError(path, None, "empty reference file (no header, no events)",
                              "a DCASE2019 event list starts with the header "
                              "sound_event_recording,start_time,end_time,ele,azi,dist")
        ev.meta.setdefault("path", str(path))
        refs[stem] = ev
    for stem, path in pred_paths.items():
        preds[stem] = read_predictions(path, fmt=fmt, classes=class_list, frame_len=frame_len)
        dist = preds[stem].dist
        if metric == "dcase2024" and dist is not None and len(dist):
            if pred_dist_unit == "cm":
                preds[stem].dist = dist / 100.0
            elif pred_dist_unit is None and np.median(dist) > 30.0:
                raise InputError(path, f"predicted distances (median {np.median(dist):.0f}) look like centimetres, "
                                       "but the DCASE2024 scorer reads prediction distances in metres",
                                 "pass --pred-dist-unit cm for a file in the reference layout (frame,class,source,"
                                 "azi,ele,dist_cm), or --pred-dist-unit m if they really are metres")
    result = score(refs, preds, metric, average=average, classes=class_list, jackknife=jackknife,
                   fix_quirks=fix_quirks, frame_len=frame_len)
    if as_json:
        click.echo(json.dumps(result.to_dict(per_class=per_class), allow_nan=False))
    else:
        click.echo(_format_table(result))
