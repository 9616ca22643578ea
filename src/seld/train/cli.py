"""``seld train`` and ``seld finetune``: Hydra overrides in, a trained run folder out."""

from __future__ import annotations

import json
import logging
import warnings
from importlib import resources

import click

__all__ = ["train", "finetune"]

_SETTINGS = {"context_settings": {"ignore_unknown_options": True, "help_option_names": ["-h", "--help"]}}


def list_experiments() -> list[str]:
    """Names accepted by ``experiment=`` (folders included: ``starss23/finetune_maccdoa``)."""
    root = resources.files("seld.configs") / "experiment"
    names = []

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".yaml"):
                names.append(prefix + child.name[:-5])

    walk(root, "")
    return sorted(names)


def _quiet_lightning() -> None:
    """Lightning's tips and internal deprecation notes follow ``seld --log-level``, not its own INFO level."""
    import lightning  # noqa: F401  (creates its loggers)

    level = max(logging.getLogger().level, logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("lightning"):
            logging.getLogger(name).setLevel(level)
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*")


def _run(overrides: tuple[str, ...], show: bool, init=None) -> None:
    from omegaconf import OmegaConf

    from seld.train.run import compose, train as run_train

    cfg = compose(list(overrides))
    if show:
        click.echo(OmegaConf.to_yaml(cfg, resolve=True), nl=False)
        return
    _quiet_lightning()
    result = run_train(cfg, init=init)
    click.echo(json.dumps(result, indent=1))


@click.command("train", **_SETTINGS)
@click.argument("overrides", nargs=-1, type=click.UNPROCESSED)
@click.option("--list", "list_", is_flag=True, help="List the experiments and exit.")
@click.option("--show", is_flag=True, help="Print the composed config and exit.")
def train(overrides: tuple[str, ...], list_: bool, show: bool) -> None:
    """Train a SELD model: OVERRIDES are Hydra ``key=value`` settings, e.g.
    ``seld train experiment=quick data.root=data/quick`` or ``experiment=synth_maccdoa model=passt
    trainer.devices=2``. Running the same command again resumes the run in ``out_dir``."""
    if list_:
        click.echo("\n".join(list_experiments()))
        return
    _run(overrides, show)


@click.command("finetune", **_SETTINGS)
@click.argument("checkpoint")
@click.argument("overrides", nargs=-1, type=click.UNPROCESSED)
@click.option("--show", is_flag=True, help="Print the composed config and exit.")
def finetune(checkpoint: str, overrides: tuple[str, ...], show: bool) -> None:
    """Fine-tune the network in CHECKPOINT (a seld checkpoint, a `seld train` run's, one converted by `seld import`,
    or a built-in model's name such as `default`) on another dataset: a new class head where the classes differ,
    optional AdapterBit or LoRA (``adapt=adapterbit``) and mono-clip training (``adapt=mono_adapterbit``)."""
    from seld.infer.models import resolve_model

    _run(overrides, show, init=resolve_model(checkpoint))
