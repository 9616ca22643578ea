"""Per-class detection thresholds tuned on labelled recordings, kept in the checkpoint's task description.

A network trained for a few epochs, or on little data, often puts the activity of some classes below the usual
0.5 threshold; the best threshold differs per class. ``seld calibrate`` runs the network once over recordings
with DCASE labels (use validation recordings, never the test set you report), decodes them at every value of a
grid, and keeps for each class the value that gives that class the lowest SELD score. With class-wise (macro)
averaging every class's ER, F, LE and LR depend only on that class's detections, and the decoders treat the
classes apart, so choosing per class from decodes at one shared value is the exact optimum over the grid.
The chosen values go into the task (:attr:`seld.task.TaskSpec.thresholds`), which ``seld infer``, the Python
API and ONNX exports then use unless they are given thresholds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seld.errors import ConfigError
from seld.infer.audio import read_audio
from seld.infer.batch import expand_inputs
from seld.infer.core import decode_output, drop_silent, model_thresholds, recording_output
from seld.infer.models import as_runner
from seld.infer.outputs import default_metric, find_labels, read_reference, score_events

__all__ = ["GRID", "tune_thresholds", "calibrate_checkpoint"]

#: threshold values tried (0.1 to 0.8 in steps of 0.05)
GRID = tuple(round(0.1 + 0.05 * i, 2) for i in range(15))


def tune_thresholds(model, inputs, labels: str | Path, *, grid=GRID, tta: str | None = None,
                    chunk: float | None = None, hop: float | None = None, channels: str | None = None,
                    batch_size: int = 8, device: str = "cpu", progress=None, metric: str | None = None) -> dict:
    """The per-class thresholds of ``grid`` that minimise each class's SELD score (of ``metric``, by default the
    model's) on ``inputs`` (files, folders, globs) against the DCASE label files in ``labels``.

    Returns ``{"metric", "files", "thresholds": {class: value}, "before": scores, "after": scores}``, the scores
    (as ``seld infer --labels`` reports them) with the model's current thresholds and with the tuned ones.
    """
    grid = sorted({float(g) for g in grid})
    if not grid or not all(0 < g <= 1 for g in grid):
        raise ConfigError(f"threshold grid values must lie in (0, 1], got {grid}")
    runner = as_runner(model, device)
    task = runner.task
    metric = default_metric(task, metric)
    files = expand_inputs(inputs)
    label_files = find_labels(labels, [Path(f).stem for f in files])
    outputs, refs = {}, {}
    for i, f in enumerate(files):
        if progress is not None:
            progress(i, len(files), Path(f).name)
        audio, rate = read_audio(f)
        output, sounding, _ = recording_output(runner, audio, rate, chunk=chunk, hop=hop, tta=tta, channels=channels,
                                               batch_size=batch_size, where=f)
        stem = Path(f).stem
        n_frames = len(next(iter(output.values())) if isinstance(output, dict) else output)
        outputs[stem] = (output, sounding)
        refs[stem] = read_reference(label_files[stem], task, n_frames=n_frames)
    if progress is not None:
        progress(len(files), len(files), "")

    def scores(thresholds) -> dict:
        preds = {stem: drop_silent(decode_output(runner, out, thresholds), sounding)
                 for stem, (out, sounding) in outputs.items()}
        return score_events(refs, preds, task, metric)

    by_value = {value: scores(value)["per_class"] for value in grid}
    current = model_thresholds(task)
    chosen = []
    for c, name in enumerate(task.classes):
        default = float(current if np.isscalar(current) else current[c])
        # the lowest class SELD; among equals (a class never present), the value closest to the current one
        best = min(grid, key=lambda v: (by_value[v][name]["SELD"], abs(v - default)))
        chosen.append(best)
    return {"metric": metric, "files": len(files),
            "thresholds": dict(zip(task.classes, chosen)), "before": scores(None), "after": scores(np.array(chosen))}


def calibrate_checkpoint(checkpoint: str | Path, out: str | Path, inputs, labels: str | Path, **options) -> dict:
    """:func:`tune_thresholds` for the model in ``checkpoint`` (a seld or ``seld train`` checkpoint), written with
    the tuned thresholds in its task to ``out`` (a seld checkpoint); returns the tuning report. A ``hop`` given
    in ``options`` becomes the task's ``window_hop``, so that inference averages windows as they were tuned."""
    from seld.models.checkpoints import save_checkpoint
    from seld.system import load_system_with_info

    system, info = load_system_with_info(checkpoint)   # no task description: a one-line error here
    report = tune_thresholds(system, inputs, labels, **options)
    task = system.task.replace(thresholds=tuple(report["thresholds"].values()))
    if options.get("hop") is not None:
        task = task.replace(window_hop=float(options["hop"]))
    metadata = {**(info.metadata or {}), "calibrated_on": {"files": report["files"], "metric": report["metric"],
                                                           "seld_before": report["before"]["SELD"],
                                                           "seld_after": report["after"]["SELD"]}}
    metadata.pop("seld_version", None)
    save_checkpoint(system.model, out, task=task, metadata=metadata)
    report["checkpoint"] = str(out)
    return report
