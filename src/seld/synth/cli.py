"""``seld bank`` and ``seld synth``: thin command-line mirrors of :func:`seld.synth.bank.build_bank`,
:func:`seld.synth.offline.build_offline_bank` and :func:`seld.synth.dataset.synthesize`."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click

from seld.errors import ConfigError

__all__ = ["bank", "synth"]


@contextmanager
def _progress():
    """A rich progress bar on stderr; yields a ``(phase, done, total)`` callback."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task):
            return Text(f"{task.speed:.2f} {task.description}/s" if task.speed else "")

    bar = Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), Rate(),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=False)
    tasks: dict[str, int] = {}

    def update(phase: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()  # only once there is progress to show, so that an early error prints alone
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    try:
        yield update
    finally:
        if tasks:
            bar.stop()


def _floats(text: str | None, n: int, name: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--{name} expects {n} comma-separated numbers, got {text!r}") from None
    if len(values) != n:
        raise ConfigError(f"--{name} expects {n} comma-separated numbers, got {text!r}")
    return values


@click.group()
def bank() -> None:
    """Build and inspect sound banks (mono clips by class)."""


@bank.command("build")
@click.option("--from", "source", type=click.Path(exists=True, path_type=Path),
              help="Folder with one sub-folder of clips per class, or a CSV of path,class[,licence] rows.")
@click.option("--offline", is_flag=True,
              help="Build the 13 STARSS23 classes from Debian sound packages, speech and MIDI synthesis.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Bank folder to create.")
@click.option("--classes", default="starss23", show_default=True,
              help="Class list the folder names / CSV classes belong to, or 'auto' (sorted names).")
@click.option("--sample-rate", default=24000, show_default=True, help="Rate of the stored clips (Hz).")
@click.option("--test-fraction", default=0.2, show_default=True,
              help="Share of each class's source files put in the test split.")
@click.option("--min-len", default=0.3, show_default=True, help="Shortest clip kept (seconds, after trimming).")
@click.option("--max-len", default=10.0, show_default=True, help="Longer clips are cut into pieces (seconds).")
@click.option("--level-db", default=-20.0, show_default=True, help="RMS level of active frames (dBFS).")
@click.option("--top-db", default=40.0, show_default=True, help="Silence threshold below the loudest frame (dB).")
@click.option("--workers", default=1, show_default=True, help="Processes decoding files in parallel.")
@click.option("--overwrite", is_flag=True, help="Replace an existing bank in --out.")
@click.option("--install/--no-install", default=False, show_default=True,
              help="--offline: install missing Debian packages with apt-get (needs root).")
@click.option("--per-class", default=60, show_default=True,
              help="--offline: at most this many source recordings per class (generated ones included).")
@click.option("--seed", default=0, show_default=True, help="--offline: seed of the generated material.")
def build(source, offline, out, classes, sample_rate, test_fraction, min_len, max_len, level_db, top_db,
          workers, overwrite, install, per_class, seed) -> None:
    """Build a sound bank from your clips (--from) or from offline material (--offline)."""
    from seld.synth.bank import BankSettings, build_bank, sources_from_csv, sources_from_dir

    if (source is None) == (not offline):
        raise ConfigError("give exactly one of --from DIR|CSV and --offline")
    settings = BankSettings(sample_rate=sample_rate, top_db=top_db, level_db=level_db, min_len=min_len,
                            max_len=max_len, test_fraction=test_fraction)
    with _progress() as update:
        progress = lambda done, total: update("clips", done, total)  # noqa: E731
        if offline:
            from seld.synth.offline import build_offline_bank

            result = build_offline_bank(out, settings, install=install, per_class=per_class, seed=seed,
                                        workers=workers, overwrite=overwrite, progress=progress)
        else:
            class_list, sources = (sources_from_dir(source, classes) if source.is_dir()
                                   else sources_from_csv(source, classes))
            result = build_bank(sources, class_list, out, settings, workers=workers, overwrite=overwrite,
                                base=source if source.is_dir() else source.parent, progress=progress)
    _echo_summary(result)


def _echo_summary(b) -> None:
    click.echo(f"bank {b.root}: {len(b)} clips at {b.sample_rate} Hz, {b.meta.get('rejected', 0)} input files "
               f"rejected (see rejected.csv)")
    click.echo(f"{'class':<22}{'train':>7}{'test':>7}{'minutes':>9}")
    for name, n_train, n_test, minutes in b.summary():
        empty = "   (no clips)" if n_train + n_test == 0 else ""
        click.echo(f"{name:<22}{n_train:>7}{n_test:>7}{minutes:>9.1f}{empty}")
    for line in b.meta.get("missing", []):
        click.echo(f"missing: {line}")


@bank.command("info")
@click.argument("bank_dir", type=click.Path(path_type=Path))
def info(bank_dir) -> None:
    """Show the clips per class and split of a bank."""
    from seld.synth.bank import Bank

    _echo_summary(Bank(bank_dir))


@click.command()
@click.option("--bank", "bank_dir", required=True, type=click.Path(path_type=Path), help="Sound bank folder.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Dataset folder (created or resumed).")
@click.option("--preset", default="quick", show_default=True,
              type=click.Choice(["quick", "starss", "seldnet", "pseld"]), help="Base configuration.")
@click.option("--clips", type=int, help="Number of scenes (default: the preset's).")
@click.option("--ov", help="Maximum polyphonies used in turn, e.g. 1,2,3.")
@click.option("--formats", help="Formats to write, e.g. foa,mic (also omni, mic-open, circular8, array:FILE).")
@click.option("--rooms", type=int, help="Number of simulated rooms.")
@click.option("--duration", type=float, help="Scene length in seconds.")
@click.option("--test-fraction", type=float, help="Share of scenes (and rooms) in the test fold.")
@click.option("--rt60", help="RT60 range in seconds, e.g. 0.2,0.8.")
@click.option("--snr", help="Ambient noise SNR range in dB, e.g. 6,30, or 'none'.")
@click.option("--moving", type=float, help="Probability that a long enough event moves.")
@click.option("--audio", type=click.Choice(["wav", "flac"]), help="Audio container.")
@click.option("--seed", default=0, show_default=True, help="Seed of the whole dataset.")
@click.option("--workers", default=1, show_default=True, help="Processes (the output does not depend on it).")
@click.option("--shard", help="K/N: make only the K-th of N disjoint parts (1 <= K <= N).")
@click.option("--replay", type=click.Path(path_type=Path),
              help="Folder of DCASE label files whose scenes are rendered with clips from the bank.")
@click.option("--cache", type=click.Path(path_type=Path),
              help="Room response cache folder (default OUT/srir_cache); share it to reuse rooms.")
@click.option("--measured", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="SOFA file or IR folder (positions.csv) used as a room instead of simulated ones; repeatable. "
                   "Its format is the single one given by --formats.")
def synth(bank_dir, out, preset, clips, ov, formats, rooms, duration, test_fraction, rt60, snr, moving, audio,
          seed, workers, shard, replay, cache, measured) -> None:
    """Synthesise a spatial SELD dataset: FOA / MIC audio, DCASE labels and a manifest."""
    from seld.synth.dataset import parse_shard, synthesize
    from seld.synth.presets import get_preset

    def ints(text):
        try:
            return tuple(int(v) for v in text.split(","))
        except ValueError:
            raise ConfigError(f"--ov expects comma-separated integers, got {text!r}") from None

    config = get_preset(preset, n_scenes=clips, ov=ints(ov) if ov else None,
                        formats=tuple(f.strip() for f in formats.split(",") if f.strip()) if formats else None,
                        n_rooms=rooms, test_fraction=test_fraction, audio=audio)
    scenes = config.scenes
    if duration is not None:
        scenes = replace(scenes, duration=duration)
    if snr is not None:
        scenes = replace(scenes, snr_db=None if snr.lower() == "none" else _floats(snr, 2, "snr"))
    if moving is not None:
        scenes = replace(scenes, moving_prob=moving)
    room_ranges = config.rooms if rt60 is None else replace(config.rooms, rt60=_floats(rt60, 2, "rt60"))
    config = replace(config, scenes=scenes, rooms=room_ranges)
    with _progress() as update:
        summary = synthesize(bank_dir, out, config, seed=seed, workers=workers, shard=parse_shard(shard),
                             replay=replay, cache=cache, progress=update, measured=list(measured) or None)
    click.echo(f"{summary['rendered']} scenes rendered, {summary['skipped']} already done, "
               f"{summary['rooms_built']} rooms prepared in {summary['seconds']:.1f} s -> {summary['out']}")
