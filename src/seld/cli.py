"""The `seld` command line.

Each subcommand lives next to the code it drives (``seld.metrics.cli``, ``seld.synth.cli``, ...) and is a thin
mirror of one public function. Subcommands are imported only when invoked, so ``seld evaluate`` starts without
importing torch. A :class:`~seld.errors.SeldError` is printed on one line and the process exits with status 2;
so are the file-system and decoding errors that no reader anticipated (:func:`seld.errors.as_user_error`).
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from seld import __version__
from seld.errors import SeldError, as_user_error
from seld.runtime import keep_freed_memory

#: subcommand name -> ("module:attribute" of its click command, one-line help shown by ``seld --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "evaluate": ("seld.metrics.cli:evaluate", "Score prediction files against references with the DCASE metrics."),
    "bank": ("seld.synth.cli:bank", "Build and inspect sound banks (mono clips by class)."),
    "synth": ("seld.synth.cli:synth", "Synthesise a spatial SELD dataset (FOA / MIC audio + labels)."),
    "models": ("seld.models.cli:models", "List the registered model architectures and methods."),
    "import": ("seld.models.cli:import_weights", "Convert PSELDNets / AudioSet checkpoints into seld checkpoints."),
    "average": ("seld.models.cli:average", "Average the weights of checkpoints of one run (SWA over epochs)."),
    "train": ("seld.train.cli:train", "Train a SELD model from a Hydra experiment (experiment=quick data.root=DIR)."),
    "finetune": ("seld.train.cli:finetune", "Fine-tune a checkpoint on another dataset (new head, AdapterBit, LoRA)."),
    "infer": ("seld.infer.cli:infer", "Run a trained SELD model on recordings (CSV, JSON, plots, HTML)."),
    "export": ("seld.export.cli:export", "Export a checkpoint to ONNX (network and front end)."),
    "calibrate": ("seld.infer.cli:calibrate", "Tune per-class detection thresholds on labelled recordings."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        """List subcommands from the static table, without importing them (keeps ``--help`` fast)."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="seld")
@click.option("--log-level", default="WARNING", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              help="Verbosity of library logging (written to stderr).")
def cli(log_level: str) -> None:
    """seld: Sound Event Localization and Detection toolkit."""
    keep_freed_memory()
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.captureWarnings(True)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, print user errors on one line and exit 2."""
    try:
        rv = cli.main(args=argv, prog_name="seld", standalone_mode=False)
    except SeldError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(2)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except (OSError, UnicodeError, MemoryError) as err:
        user = as_user_error(err)
        if user is None:  # pragma: no cover - as_user_error knows every type caught here
            raise
        click.echo(f"error: {user}", err=True)
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
