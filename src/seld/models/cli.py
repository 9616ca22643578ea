"""``seld models`` (list architectures, methods and parameter counts), ``seld import`` (convert PSELDNets,
AudioSet or DCASE baseline weights into a seld checkpoint) and ``seld average`` (the mean of a run's checkpoints).
Thin wrappers of :mod:`seld.models`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import torch

from seld.errors import ConfigError
from seld.models.checkpoints import AUDIOSET_SOURCES, DCASE_SOURCES, import_weights as _import_weights
from seld.models.heads import METHODS
from seld.models.registry import count_parameters, create_model, get_model_entry, list_models


@click.command("models")
@click.option("--pattern", default="*", help="Shell-style filter on model names (e.g. 'htsat*').")
@click.option("--num-classes", type=click.IntRange(1, 100000), default=13,
              help="Classes of the heads whose parameters are counted.")
@click.option("--counts/--no-counts", default=True, help="Count parameters of every model x method.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--card", metavar="NAME", default=None,
              help="Print the model card of a built-in trained model (e.g. default) and nothing else.")
def models(pattern: str, num_classes: int, counts: bool, as_json: bool, card: str | None) -> None:
    """List the registered model architectures, their inputs and parameter counts per method, and the built-in
    trained models (``seld infer --model NAME``)."""
    from seld.infer.models import BUILTIN_MODELS, model_card

    if card is not None:
        click.echo(model_card(card))
        return
    names = list_models(pattern)
    if not names:
        raise ConfigError(f"no model name matches {pattern!r}; registered: {', '.join(list_models())}")
    rows = []
    for name in names:
        entry = get_model_entry(name)
        with torch.device("meta"):
            model = create_model(name, method="maccdoa", num_classes=num_classes)
        row = {"name": name, "description": entry.description, "in_channels": model.in_channels,
               "n_freq": model.n_freq}
        if counts:
            row["parameters"] = {m: count_parameters(name, m, num_classes) for m in METHODS}
        rows.append(row)
    builtin = {name: f"seld/{path}" for name, path in BUILTIN_MODELS.items()}
    if as_json:
        click.echo(json.dumps({"num_classes": num_classes, "methods": list(METHODS), "models": rows,
                               "builtin": builtin}, indent=2))
        return
    click.echo(f"methods: {', '.join(METHODS)}" + (f"; parameters in millions for {num_classes} classes"
                                                     if counts else ""))
    header = f"{'model':22} {'in':>3} {'bins':>4}" + ("".join(f" {m:>8}" for m in METHODS) if counts else "")
    click.echo(header + "  description")
    for row in rows:
        line = f"{row['name']:22} {row['in_channels']:>3} {row['n_freq']:>4}"
        if counts:
            line += "".join(f" {row['parameters'][m] / 1e6:>8.3f}" for m in METHODS)
        click.echo(f"{line}  {row['description']}")
    click.echo("built-in trained models (seld infer --model NAME; seld models --card NAME): "
               + (", ".join(builtin) or "none"))


@click.command("import")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "source", required=True, type=click.Choice(["pseldnets", *AUDIOSET_SOURCES, *DCASE_SOURCES]),
              help="Layout of SRC: a PSELDNets Lightning checkpoint, AudioSet PANNs CNN14 / HTS-AT / PaSST weights, "
                   "or the DCASE 2023 / 2024 task 3 baseline's state dict.")
@click.option("--backbone", default=None,
              help="Registered variant to build (default: the PSELDNets size; crnn_dcase for DCASE baselines).")
@click.option("--method", type=click.Choice(METHODS), default=None,
              help="Output method (PSELDNets: read from the weights when unambiguous; AudioSet, DCASE: maccdoa).")
@click.option("--num-classes", type=click.IntRange(1, 100000), default=None,
              help="Number of classes (or give --classes).")
@click.option("--classes", default=None,
              help="Class list of the weights: a built-in name, a count, or a file with one name per line.")
@click.option("--target-classes", default=None,
              help="Re-initialise the head for this class list (name, count or file) to fine-tune on it.")
@click.option("--in-channels", type=click.IntRange(1, 1024), default=None,
              help="Input channels of the new model (AudioSet only).")
@click.option("--sample-rate", type=click.IntRange(1000, 384000), default=24000,
              help="Sample rate the weights were trained at, written to the task description (32000 for L3DAS22).")
@click.option("--trust-pickle", is_flag=True,
              help="Allow SRC to unpickle arbitrary objects (only for files from a trusted origin).")
def import_weights(src: Path, out: Path, source: str, backbone: str | None, method: str | None,
                   num_classes: int | None, classes: str | None, target_classes: str | None, in_channels: int | None,
                   sample_rate: int, trust_pickle: bool) -> None:
    """Convert the weights in SRC into a seld checkpoint OUT that `seld` can rebuild from the file alone."""
    model, report = _import_weights(src, out, source, backbone=backbone, method=method, num_classes=num_classes,
                                    classes=classes, target_classes=target_classes, in_channels=in_channels,
                                    allow_pickle=trust_pickle, sample_rate=sample_rate)
    click.echo(report.summary())
    click.echo(f"wrote {out}: {model.config['name']} {model.method}, {model.num_classes} classes, "
               f"{model.in_channels} input channels")


@click.command("average")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("checkpoints", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def average(out: Path, checkpoints: tuple[Path, ...]) -> None:
    """Write to OUT the network whose weights are the mean of those in CHECKPOINTS (epochs of one run, or a run
    and its fine-tune: e.g. run/checkpoints/best.ckpt finetune/checkpoints/last.ckpt). Calibrate OUT again."""
    from seld.models.averaging import average_checkpoints

    result = average_checkpoints(checkpoints, out)
    click.echo(f"wrote {result['out']}: the mean of {result['averaged']} checkpoints ({result['tensors']} tensors); "
               "tune its thresholds with `seld calibrate`")
