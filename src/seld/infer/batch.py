"""Many recordings at once: expand files, folders and globs; write CSV / JSON / plots / HTML; score with labels.

:func:`infer_paths` is what ``seld infer`` runs offline and :func:`stream_paths` what ``seld infer --stream``
runs; both return a summary dict (files, event counts, outputs, scores) that the CLI prints as JSON.

Plots and HTML pages come from :mod:`seld.viz` (``plot_recording``, ``write_report``), imported only when asked
for; they receive the recording as read (its own channels and sample rate) and the predicted events.
"""

from __future__ import annotations

import glob
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from seld.errors import ConfigError, InputError
from seld.formats.events import Events
from seld.infer.audio import read_audio
from seld.infer.core import infer_array, load_thresholds
from seld.infer.models import as_runner
from seld.infer.outputs import (CsvStreamWriter, csv_layout, default_metric, event_records, find_labels,
                                read_reference, score_events, write_csv, write_json)
from seld.userio import atomic_write

__all__ = ["AUDIO_SUFFIXES", "expand_inputs", "infer_paths", "stream_paths"]

logger = logging.getLogger(__name__)

#: suffixes of the audio files taken from folders
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aif", ".aiff", ".w64", ".rf64", ".caf")

#: progress callback: (files done, files in all, name of the file in work)
Progress = Callable[[int, int, str], None]


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def expand_inputs(inputs, allow_stdin: bool = False) -> list[str]:
    """Audio files of ``inputs``: files as given, folders searched recursively for audio suffixes, glob
    patterns expanded (``**`` included); ``-`` is standard input where allowed. Order kept, duplicates dropped;
    two files of the same name are refused (their outputs would collide). One path may be given alone."""
    files: list[str] = []
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    if not inputs:
        raise ConfigError("give at least one recording (a file, a folder or a glob pattern)")
    for item in inputs:
        text = str(item)
        if text == "-":
            if not allow_stdin:
                raise ConfigError("'-' (standard input) needs --stream")
            files.append("-")
            continue
        path = Path(text).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise InputError(path, "folder holds no audio files",
                                 f"give a folder of {', '.join(AUDIO_SUFFIXES[:3])} files")
            files += [str(p) for p in found]
        elif path.is_file():
            files.append(str(path))
        elif _is_glob(text):
            found = sorted(p for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
            if not found:
                raise InputError(text, "the pattern matches no file", "check the pattern (quote it in the shell)")
            files += found
        else:
            raise InputError(path, "file not found", "check the path")
    unique = list(dict.fromkeys(files))
    stems: dict[str, str] = {}
    for f in unique:
        stem = "stdin" if f == "-" else Path(f).stem
        if stem in stems:
            raise ConfigError(f"two inputs are named {stem!r} ({stems[stem]} and {f}): their outputs would "
                              f"overwrite each other; run them separately")
        stems[stem] = f
    return unique


def _viz(name: str):
    try:
        import seld.viz as viz
    except ImportError as err:
        raise ConfigError(f"--plot and --html need seld.viz, which cannot be imported here ({err})") from None
    fn = getattr(viz, name, None)
    if fn is None:
        raise ConfigError(f"this seld.viz has no {name}(); --plot / --html are not available")
    return fn


def infer_paths(model, inputs, out_dir: str | Path = "predictions", *, csv: bool = True, json_out: bool = False,
                plot: bool = False, html: bool = False, fmt: str | None = None, labels: str | Path | None = None,
                thresholds=None, chunk: float | None = None, hop: float | None = None, tta: str | None = None,
                channels: str | None = None, batch_size: int = 8, device: str = "cpu",
                progress: Progress | None = None, model_name: str | None = None, metric: str | None = None) -> dict:
    """Run ``model`` on every recording of ``inputs`` (:func:`expand_inputs`) and write the asked outputs into
    ``out_dir`` as ``STEM.csv`` / ``.json`` / ``.png`` / ``.html``. With ``labels`` (a folder of ``STEM.csv``
    DCASE label files), every file is scored and so is the whole set (``out_dir/scores.json``), with ``metric``
    (default: the model's, :func:`~seld.infer.outputs.default_metric`)."""
    runner = as_runner(model, device)
    task = runner.task
    files = expand_inputs(inputs)
    if csv:
        csv_layout(fmt, task)                     # an unusable --format fails before any work
    default_metric(task, metric)
    thr = load_thresholds(thresholds, task.classes) if isinstance(thresholds, (str, Path)) else thresholds
    plot_fn = _viz("plot_recording") if plot else None
    html_fn = _viz("write_report") if html else None
    if labels is not None:
        label_files = find_labels(labels, [Path(f).stem for f in files])
    out = Path(out_dir)
    summary: dict = {"model": model_name, "task": task.describe(), "out_dir": str(out), "files": []}
    refs: dict[str, Events] = {}
    preds: dict[str, Events] = {}
    for i, f in enumerate(files):
        if progress is not None:
            progress(i, len(files), Path(f).name)
        stem = Path(f).stem
        audio, rate = read_audio(f)
        events = infer_array(runner, audio, rate, thresholds=thr, chunk=chunk, hop=hop, tta=tta, channels=channels,
                             batch_size=batch_size, where=f)
        entry: dict = {"file": f, "events": len(events), "frames": events.num_frames(),
                       "duration": round(audio.shape[1] / rate, 6), "notes": events.meta.get("notes", []),
                       "outputs": {}}
        ref = scores = None
        if labels is not None:
            ref = read_reference(label_files[stem], task, n_frames=events.num_frames())
            refs[stem], preds[stem] = ref, events
            scores = score_events({stem: ref}, {stem: events}, task, metric)
            entry["scores"] = scores
        if csv:
            entry["outputs"]["csv"] = str(write_csv(out / f"{stem}.csv", events, task, fmt))
        if json_out:
            entry["outputs"]["json"] = str(write_json(out / f"{stem}.json", events, task, file=f, model=model_name,
                                                      scores=scores))
        shown = None if scores is None else {k: v for k, v in scores.items() if k != "per_class"}
        if plot_fn is not None:
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"{stem}.png"
            plot_fn(path, audio, rate, events, list(task.classes), ref=ref, title=Path(f).name, scores=shown)
            entry["outputs"]["png"] = str(path)
        if html_fn is not None:
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"{stem}.html"
            html_fn(path, f, audio, rate, events, list(task.classes), ref=ref, scores=shown)
            entry["outputs"]["html"] = str(path)
        summary["files"].append(entry)
    if progress is not None:
        progress(len(files), len(files), "")
    if labels is not None:
        summary["metric"] = default_metric(task, metric)
        summary["scores"] = score_events(refs, preds, task, metric)
        atomic_write(out / "scores.json", json.dumps({"overall": summary["scores"],
                                                      "files": {Path(e["file"]).stem: e["scores"]
                                                                for e in summary["files"]}}, indent=1) + "\n")
        summary["scores_file"] = str(out / "scores.json")
    return summary


def stream_paths(model, inputs, out_dir: str | Path | None = None, *, csv: bool = True, json_out: bool = False,
                 fmt: str | None = None, labels: str | Path | None = None, thresholds=None,
                 chunk: float | None = None, hop: float | None = None, tta: str | None = None,
                 channels: str | None = None, device: str = "cpu", block_seconds: float = 0.1,
                 raw_rate: int | None = None, raw_channels: int | None = None, stdout=None,
                 model_name: str | None = None, metric: str | None = None) -> dict:
    """Stream every input (files, or ``-`` for standard input) through ``model``, writing events as they are
    decided: CSV rows to ``out_dir/STEM.csv`` and JSON Lines to ``out_dir/STEM.jsonl``, or, without
    ``out_dir``, the CSV rows (or, with ``json_out`` alone, the JSON lines) to ``stdout``."""
    from seld.infer.stream import StreamInference, open_source

    runner = as_runner(model, device)
    task = runner.task
    files = expand_inputs(inputs, allow_stdin=True)
    if files.count("-") and len(files) > 1 and out_dir is None:
        raise ConfigError("standard input and files together need --out (their rows would mix)")
    if out_dir is None and csv and json_out:
        raise ConfigError("--csv and --json together need --out DIR (both would go to standard output)")
    if csv:
        csv_layout(fmt, task)
    default_metric(task, metric)
    thr = load_thresholds(thresholds, task.classes) if isinstance(thresholds, (str, Path)) else thresholds
    stdout = stdout if stdout is not None else sys.stdout
    label_files = {}
    if labels is not None:
        if "-" in files:
            raise ConfigError("--labels needs named recordings; standard input has no label file")
        by_stem = find_labels(labels, [Path(f).stem for f in files])
        label_files = {f: by_stem[Path(f).stem] for f in files}
    summary: dict = {"model": model_name, "task": task.describe(), "files": []}
    refs: dict[str, Events] = {}
    preds: dict[str, Events] = {}
    for f in files:
        stem = "stdin" if f == "-" else Path(f).stem
        src = open_source(f, block_seconds=block_seconds,
                          raw_rate=task.sample_rate if raw_rate is None else raw_rate,
                          raw_channels=task.channels if raw_channels is None else raw_channels)
        engine = StreamInference(runner, src.sample_rate, src.channels, thresholds=thr, chunk=chunk, hop=hop,
                                 tta=tta, channels=channels, where=src.name)
        handles, writers = [], []
        entry: dict = {"file": src.name, "events": 0, "outputs": {}}
        try:
            if out_dir is not None:
                Path(out_dir).mkdir(parents=True, exist_ok=True)
            def sink(kind: str):
                """Standard output without --out, else ``DIR/<stem>.<kind>`` (closed at the end)."""
                if out_dir is None:
                    return stdout
                handle = open(Path(out_dir) / f"{stem}.{kind}", "w", encoding="utf-8", newline="\n")
                handles.append(handle)
                entry["outputs"][kind] = handle.name
                return handle

            if csv:
                writers.append(CsvStreamWriter(sink("csv"), task, fmt))
            if json_out:
                writers.append(_JsonLinesWriter(sink("jsonl"), task))
            kept = []

            def emit(events: Events) -> None:
                entry["events"] += len(events)
                for w in writers:
                    w.write(events)
                if labels is not None:
                    kept.append(events)

            for block in src.blocks:
                emit(engine.push(block))
            emit(engine.finish())
        finally:
            for w in writers:
                w.close()
            for h in handles:
                h.close()
        entry["frames"] = engine.decided_frames
        entry["duration"] = round(engine.n_in / src.sample_rate, 6)
        if labels is not None:
            pred = Events.concat(kept)
            pred.n_frames = engine.decided_frames
            ref = read_reference(label_files[f], task, n_frames=engine.decided_frames)
            refs[stem], preds[stem] = ref, pred
            entry["scores"] = score_events({stem: ref}, {stem: pred}, task, metric)
        summary["files"].append(entry)
    if labels is not None:
        summary["metric"] = default_metric(task, metric)
        summary["scores"] = score_events(refs, preds, task, metric)
    return summary


class _JsonLinesWriter:
    """One JSON object per event row (:func:`seld.infer.outputs.event_records`), flushed after each call."""

    def __init__(self, out, task):
        self.out, self.task = out, task

    def write(self, events: Events) -> None:
        for rec in event_records(events, self.task.classes):
            self.out.write(json.dumps(rec) + "\n")
        self.out.flush()

    def close(self) -> None:
        pass
