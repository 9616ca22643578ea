"""``seld infer``: a thin wrapper of :func:`seld.infer.batch.infer_paths` and :func:`~seld.infer.batch.stream_paths`."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from seld.cli_types import Finite
from seld.infer.audio import INPUT_CONVENTIONS
from seld.infer.outputs import CSV_FORMATS, SCORING_METRICS
from seld.infer.tta import TTA_MODES

__all__ = ["infer"]


def _progress_bar():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)


@click.command(context_settings={"show_default": True})
@click.argument("audio", nargs=-1, required=True)
@click.option("--model", "model", required=True, metavar="NAME|CKPT",
              help="A seld checkpoint (.ckpt from `seld train` / `seld import`) or a built-in model name.")
@click.option("--out", "out_dir", default=None, metavar="DIR",
              help="Output folder [default: predictions; with --stream and no --out, rows go to standard output].")
@click.option("--csv", "csv", is_flag=True, help="Write a DCASE prediction CSV per recording (the default output).")
@click.option("--json", "json_out", is_flag=True,
              help="Write a JSON event list per recording (JSON Lines with --stream).")
@click.option("--plot", is_flag=True, help="Write a PNG figure per recording (seld.viz).")
@click.option("--html", is_flag=True, help="Write a self-contained HTML page per recording (seld.viz).")
@click.option("--tta", type=click.Choice(TTA_MODES), default=None,
              help="Test-time augmentation: acs = the 16 FOA rotations (8 MIC channel swaps), de-rotated and averaged.")
@click.option("--threshold", default=None, metavar="X|FILE",
              help="Detection threshold, or a file of per-class thresholds (JSON, or 'class,value' lines) "
                   "[default: the model's tuned thresholds (seld calibrate), else 0.5].")
@click.option("--chunk", type=Finite(0, None, lo_open=True), default=None, metavar="SECONDS",
              help="Window length [default: the model's training chunk].")
@click.option("--hop", type=Finite(0, None, lo_open=True), default=None, metavar="SECONDS",
              help="Window hop [default: the model's (seld calibrate --hop), else half the window; the window for "
                   "track-wise models].")
@click.option("--channels", type=click.Choice(INPUT_CONVENTIONS), default=None,
              help="FOA channel convention of the recordings [default: acn-sn3d (ambiX)].")
@click.option("--labels", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Folder of DCASE label CSVs named after the recordings: score every file and the set.")
@click.option("--metric", type=click.Choice(SCORING_METRICS), default=None,
              help="With --labels: the DCASE metric to score with [default: dcase2024 when the model predicts "
                   "distance, else dcase2023].")
@click.option("--format", "fmt", type=click.Choice(list(CSV_FORMATS)), default=None,
              help="CSV format [default: dcase2024 when the model predicts distance, else dcase2023].")
@click.option("--device", default="cpu", help="cpu, cuda or cuda:N.")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=8, help="Network inputs per forward pass.")
@click.option("--compile", "compile_net", is_flag=True,
              help="torch.compile the network (it compiles on the first window). On a 2-core CPU it was slower "
                   "than the default for HTS-AT and PaSST, and on an H200 compiling took longer than a 30-s "
                   "file runs: it pays only on long inputs; time it on your machine first.")
@click.option("--stream", is_flag=True,
              help="Process block by block with bounded memory; events are written as they are decided. "
                   "AUDIO '-' reads standard input: a WAV stream, or raw float32 (see --raw-rate).")
@click.option("--block", "block_seconds", type=Finite(0, 60, lo_open=True), default=0.1, metavar="SECONDS",
              help="With --stream: seconds of audio read at a time.")
@click.option("--raw-rate", type=click.IntRange(1, None), default=None,
              help="Raw float32 on standard input: its sample rate [default: the model's].")
@click.option("--raw-channels", type=click.IntRange(1, None), default=None,
              help="Raw float32 on standard input: its channel count [default: the model's].")
def infer(audio, model, out_dir, csv, json_out, plot, html, tta, threshold, chunk, hop, channels, labels, metric, fmt,
          device, batch_size, compile_net, stream, block_seconds, raw_rate, raw_channels):
    """Run a trained SELD model on recordings (files, folders, globs) of any length and sample rate.

    Writes DCASE CSVs (and JSON, plots, HTML pages) into --out and prints a JSON summary; with --labels the
    files are scored with the DCASE metric of the model (dcase2024 with distances, dcase2023 without) or --metric.
    """
    from seld.infer.batch import infer_paths, stream_paths
    from seld.infer.models import load_model

    if not (csv or json_out or plot or html):
        csv = True
    runner = load_model(model, device, compile=compile_net)
    common = dict(csv=csv, json_out=json_out, fmt=fmt, labels=labels, thresholds=threshold, chunk=chunk, hop=hop,
                  tta=tta, channels=channels, model_name=str(model), metric=metric)
    if stream:
        if plot or html:
            from seld.errors import ConfigError

            raise ConfigError("--plot and --html need the whole recording; run them without --stream")
        summary = stream_paths(runner, audio, out_dir, block_seconds=block_seconds, raw_rate=raw_rate,
                               raw_channels=raw_channels, **common)
        if out_dir is not None:
            click.echo(json.dumps(summary, indent=1))
        else:
            click.echo(json.dumps(summary), err=True)
        return
    bar = _progress_bar()
    with bar:
        task_id = bar.add_task("infer", total=None)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task_id, completed=done, total=total, description=name or "done")

        summary = infer_paths(runner, audio, out_dir or "predictions", plot=plot, html=html, batch_size=batch_size,
                              progress=progress, **common)
    click.echo(json.dumps(summary, indent=1))
    sys.stdout.flush()
    click.echo(_guide(summary), err=True)


def _guide(summary: dict) -> str:
    """What was written and what it shows, for a person (standard error; the JSON above is for programs)."""
    kinds = {"csv": "DCASE CSV (frame, class, track, azimuth, elevation[, distance])", "json": "JSON event list",
             "png": "PNG figure: spectrogram, class activity over time, azimuth and elevation tracks",
             "html": "HTML page (open it in a browser): timeline per class, direction map, audio in sync"}
    lines = [f"{len(summary['files'])} recording(s) -> {summary['out_dir']}/"]
    for item in summary["files"]:
        line = f"  {Path(item['file']).name}: {item['events']} frame-wise detections"
        if "scores" in item:
            line += f"; against its labels: {_score_terms(item['scores'], 2)}"
        lines.append(line)
    written = {k for item in summary["files"] for k in item.get("outputs", {})}
    lines += [f"  *.{k}: {kinds[k]}" for k in kinds if k in written]
    if summary.get("scores"):
        sc = summary["scores"]
        lines.append(f"all files ({sc['metric']}, {sc['average']}): {_score_terms(sc, 3)}; lower is better, per class "
                     f"in {summary.get('scores_file', 'the JSON above')}")
    return "\n".join(lines)


def _score_terms(sc: dict, digits: int) -> str:
    """'SELD x = mean of ...' with the terms of the scores' metric (DCASE2024: 1 - F, LE / 180, RDE; the others:
    ER, 1 - F, LE / 180, 1 - LR); a value the metric leaves undefined (LE when nothing matched) reads n/a."""
    def num(key, unit="", fmt=f".{digits}f"):
        value = sc.get(key)
        return "n/a" if value is None else f"{value:{fmt}}{unit}"

    le = f"LE / 180 (LE {num('LE', ' deg', '.1f')})"
    if sc.get("metric") == "dcase2024":
        terms = f"1 - F (F {num('F')}), {le}, RDE {num('RDE')} (DE {num('DE', ' m', '.2f')})"
    else:
        terms = f"ER {num('ER')}, 1 - F (F {num('F')}), {le}, 1 - LR (LR {num('LR')})"
    return f"SELD {num('SELD')} = mean of {terms}"


@click.command()
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("audio", nargs=-1, required=True)
@click.option("--labels", required=True, type=click.Path(path_type=Path),
              help="Folder of DCASE label CSVs named after the recordings.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Checkpoint to write: the same network, its task carrying the tuned thresholds.")
@click.option("--tta", type=click.Choice(TTA_MODES), default=None, help="Tune with this test-time augmentation.")
@click.option("--hop", type=Finite(0, None, lo_open=True), default=None, metavar="SECONDS",
              help="Window hop to tune with, kept in the checkpoint as the model's default hop [default: the "
                   "model's].")
@click.option("--metric", type=click.Choice(SCORING_METRICS), default=None,
              help="DCASE metric whose class-wise SELD score the thresholds minimise [default: the model's, "
                   "dcase2024 with distances, else dcase2023].")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=8, show_default=True,
              help="Network inputs per forward pass.")
def calibrate(checkpoint, audio, labels, out, tta, hop, metric, batch_size):
    """Tune one detection threshold per class on labelled recordings (validation data, not your test set) and
    write a checkpoint that `seld infer` then decodes with; prints the scores before and after as JSON."""
    from seld.infer.calibrate import calibrate_checkpoint

    with contextlib.ExitStack() as stack:
        bar: dict = {}

        def progress(done: int, total: int, name: str) -> None:
            if not bar:      # started once the inputs are checked: an error stays one line
                bar["bar"] = stack.enter_context(_progress_bar())
                bar["id"] = bar["bar"].add_task("network", total=total)
            bar["bar"].update(bar["id"], completed=done, total=total, description=name or "thresholds")

        report = calibrate_checkpoint(checkpoint, out, audio, labels, tta=tta, hop=hop, batch_size=batch_size,
                                      progress=progress, metric=metric)
    shown = {k: {m: v for m, v in report[k].items() if m != "per_class"} for k in ("before", "after")}
    click.echo(json.dumps({**report, **shown}, indent=1))
    click.echo(f"thresholds tuned on {report['files']} file(s): SELD {report['before']['SELD']:.3f} -> "
               f"{report['after']['SELD']:.3f}; wrote {out}", err=True)
