"""``seld bank`` and ``seld synth``: thin command-line mirrors of :func:`seld.synth.bank.build_bank`,
:func:`seld.synth.offline.build_offline_bank` and :func:`seld.synth.dataset.synthesize`."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import click

from seld.cli_types import SEED, WORKERS, Finite, FloatPair, IntList
from seld.errors import ConfigError

__all__ = ["bank", "synth"]


@contextlib.contextmanager
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
            tasks[phase] = bar.add_task(_PHASE_LABELS.get(phase, phase), total=total)
        bar.update(tasks[phase], completed=done, total=total)
        update.totals[phase] = total

    update.totals = {}
    try:
        yield update
    finally:
        if tasks:
            bar.stop()


#: progress phase -> bar label: room responses are computed in parts (slices of a room's positions, its
#: ambience), so the bar counts parts while the summary counts rooms
_PHASE_LABELS = {"rooms": "room parts"}


def _given(ctx: click.Context, name: str) -> bool:
    """Whether an option was given on the command line (not left at its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _only_with(ctx: click.Context, names: list[str], needed: str, why: str) -> None:
    """Refuse options that have no effect without (or with) another one, instead of ignoring them."""
    given = [f"--{n.replace('_', '-')}" for n in names if _given(ctx, n)]
    if given:
        raise ConfigError(f"{', '.join(given)} {'has' if len(given) == 1 else 'have'} no effect {needed}: {why}")


@click.group()
def bank() -> None:
    """Build and inspect sound banks (mono clips by class)."""


@bank.command("build")
@click.option("--from", "source", type=click.Path(exists=True, path_type=Path),
              help="Folder with one sub-folder of clips per class, or a CSV of path,class[,licence] rows.")
@click.option("--offline", is_flag=True,
              help="Build the 13 STARSS23 classes from real recordings in Debian packages (fetched with apt-get "
                   "download, no root), filling gaps with speech, MIDI and procedural synthesis.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Bank folder to create.")
@click.option("--classes", default="starss23", show_default=True,
              help="Class list the folder names / CSV classes belong to, or 'auto' (sorted names).")
@click.option("--sample-rate", default=24000, show_default=True, type=click.IntRange(8000, 384000),
              help="Rate of the stored clips (Hz).")
@click.option("--test-fraction", default=0.2, show_default=True, type=Finite(0.0, 1.0, hi_open=True),
              help="Share of each class's source files put in the test split.")
@click.option("--min-len", default=0.3, show_default=True, type=Finite(0.0, 3600.0, lo_open=True),
              help="Shortest clip kept (seconds, after trimming).")
@click.option("--max-len", default=10.0, show_default=True, type=Finite(0.0, 3600.0, lo_open=True),
              help="Longer clips are cut into pieces (seconds).")
@click.option("--level-db", default=-20.0, show_default=True, type=Finite(-100.0, 0.0),
              help="RMS level of active frames (dBFS).")
@click.option("--top-db", default=40.0, show_default=True, type=Finite(0.0, 200.0, lo_open=True),
              help="Silence threshold below the loudest frame (dB).")
@click.option("--workers", default=1, show_default=True, type=WORKERS, help="Processes decoding files in parallel.")
@click.option("--overwrite", is_flag=True, help="Replace an existing bank in --out.")
@click.option("--install/--no-install", default=False, show_default=True,
              help="--offline: install the missing synthesis tools (espeak-ng, fluidsynth) with apt-get (needs root).")
@click.option("--per-class", default=60, show_default=True, type=click.IntRange(1, 100000),
              help="--offline: at most this many source recordings per class (generated ones included).")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              help="--offline: folder of the fetched Debian packages (default $XDG_CACHE_HOME/seld/debian).")
@click.option("--download/--no-download", default=True, show_default=True,
              help="--offline: fetch missing packages with apt-get download (else use only those in the cache).")
@click.option("--large", is_flag=True, help="--offline: also use packages over 1 GB (0ad-data, 1.4 GB).")
@click.option("--fill-to", default=40, show_default=True, type=click.IntRange(0, 100000),
              help="--offline: a class with fewer real recordings is filled up to this many with generated ones "
                   "(else generated ones are at most a third of a class).")
@click.option("--seed", default=0, show_default=True, type=SEED, help="--offline: seed of the generated material.")
@click.pass_context
def build(ctx, source, offline, out, classes, sample_rate, test_fraction, min_len, max_len, level_db, top_db,
          workers, overwrite, install, per_class, cache, download, large, fill_to, seed) -> None:
    """Build a sound bank from your clips (--from) or from offline material (--offline)."""
    from seld.synth.bank import BankSettings, build_bank, sources_from_csv, sources_from_dir

    if (source is None) == (not offline):
        raise ConfigError("give exactly one of --from DIR|CSV and --offline")
    if offline:
        _only_with(ctx, ["classes"], "with --offline", "it builds the 13 STARSS23 classes")
    else:
        _only_with(ctx, ["install", "per_class", "cache", "download", "large", "fill_to", "seed"], "without --offline",
                   "they set up the offline material")
    if min_len > max_len:
        raise ConfigError(f"--min-len {min_len:g} is longer than --max-len {max_len:g}")
    settings = BankSettings(sample_rate=sample_rate, top_db=top_db, level_db=level_db, min_len=min_len,
                            max_len=max_len, test_fraction=test_fraction)
    with _progress() as update:
        progress = lambda done, total: update("clips", done, total)  # noqa: E731
        if offline:
            from seld.synth.offline import build_offline_bank

            result = build_offline_bank(out, settings, install=install, per_class=per_class, seed=seed,
                                        workers=workers, overwrite=overwrite, progress=progress, cache=cache,
                                        download=download, large=large, fill_to=fill_to)
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
    table = b.meta.get("offline", {}).get("classes")
    if table:
        click.echo("sources (real: recordings as they are; hits: sequences of real single hits; generated: "
                   "synthesis; see sources.csv)")
        click.echo(f"{'class':<22}{'real':>6}{'hits':>6}{'gen':>6}{'gen %':>7}{'sources':>9}{'min real':>10}"
                   f"{'min gen':>9}")
        for r in table:
            n = r["real"] + r["hits"] + r["generated"]
            click.echo(f"{r['class']:<22}{r['real']:>6}{r['hits']:>6}{r['generated']:>6}"
                       f"{100 * r['generated'] / max(n, 1):>7.0f}{r['sources']:>9}{r['minutes_real']:>10.1f}"
                       f"{r['minutes_generated']:>9.1f}")
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
              type=click.Choice(["quick", "starss", "seldnet", "default", "pseld"]), help="Base configuration.")
@click.option("--clips", type=click.IntRange(1, 1_000_000), help="Number of scenes (default: the preset's).")
@click.option("--ov", type=IntList(1, 5), help="Maximum polyphonies used in turn, e.g. 1,2,3 (each 1..5).")
@click.option("--formats", help="Formats to write, e.g. foa,mic (also omni, mic-open, circular8, array:FILE).")
@click.option("--rooms", type=click.IntRange(1, 10000), help="Number of simulated rooms.")
@click.option("--duration", type=Finite(0.1, 3600.0), help="Scene length in seconds (0.1 to 3600).")
@click.option("--test-fraction", type=Finite(0.0, 1.0, hi_open=True),
              help="Share of scenes (and rooms) in the test fold.")
@click.option("--rt60", type=FloatPair(0.05, 10.0), help="RT60 range in seconds, e.g. 0.2,0.8.")
@click.option("--snr", type=FloatPair(-30.0, 100.0, none_word="none"),
              help="Ambient noise SNR range in dB, e.g. 6,30, or 'none'.")
@click.option("--moving", type=Finite(0.0, 1.0), help="Probability that a long enough event moves.")
@click.option("--balance", type=click.Choice(["events", "time"]),
              help="Draw every class equally often (events, the preset's) or equally long (time: short sounds "
                   "such as knocks more often).")
@click.option("--pitch", help="Play each event's clip up to this many semitones faster or slower (pitch and length "
                             "change together; more variants of classes with few recordings), e.g. 3; per class: "
                             "3,female_speech=0,male_speech=0.")
@click.option("--audio", type=click.Choice(["wav", "flac"]), help="Audio container.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the whole dataset.")
@click.option("--workers", default=1, show_default=True, type=WORKERS,
              help="Processes (the output does not depend on it).")
@click.option("--shard", help="K/N: make only the K-th of N disjoint parts (1 <= K <= N).")
@click.option("--replay", type=click.Path(path_type=Path),
              help="Folder of DCASE label files whose scenes are rendered with clips from the bank.")
@click.option("--cache", type=click.Path(path_type=Path),
              help="Room response cache folder (default OUT/srir_cache); share it to reuse rooms.")
@click.option("--measured", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="SOFA file or IR folder (positions.csv) used as a room instead of simulated ones; repeatable. "
                   "Its format is the single one given by --formats.")
@click.pass_context
def synth(ctx, bank_dir, out, preset, clips, ov, formats, rooms, duration, test_fraction, rt60, snr, moving, balance,
          pitch, audio, seed, workers, shard, replay, cache, measured) -> None:
    """Synthesise a spatial SELD dataset: FOA / MIC audio, DCASE labels and a manifest."""
    _synth(ctx, bank_dir, out, preset, clips, ov, formats, rooms, duration, test_fraction, rt60, snr, moving, balance,
           pitch, audio, seed, workers, shard, replay, cache, measured)


def _synth(ctx, bank_dir, out, preset, clips, ov, formats, rooms, duration, test_fraction, rt60, snr, moving, balance,
           pitch, audio, seed, workers, shard, replay, cache, measured) -> None:
    from seld.synth.dataset import parse_shard, synthesize
    from seld.synth.presets import get_preset

    if replay is not None:
        _only_with(ctx, ["clips", "ov", "rooms", "moving", "balance", "pitch", "test_fraction"], "with --replay",
                   "the label files give the scenes, their classes, polyphony, rooms, motion and folds")
    if measured:
        _only_with(ctx, ["rooms", "rt60"], "with --measured", "the measured responses are the rooms")
    shard_kn = parse_shard(shard)
    format_list = _parse_formats(formats)
    config = get_preset(preset, n_scenes=clips, ov=ov, formats=format_list, n_rooms=rooms,
                        test_fraction=test_fraction, audio=audio)
    scenes = config.scenes
    if duration is not None:
        scenes = replace(scenes, duration=duration)
    if _given(ctx, "snr"):
        scenes = replace(scenes, snr_db=snr)
    if moving is not None:
        scenes = replace(scenes, moving_prob=moving)
    if balance is not None:
        scenes = replace(scenes, class_balance=balance)
    if pitch is not None:
        scenes = replace(scenes, **_parse_pitch(pitch))
    room_ranges = config.rooms if rt60 is None else replace(config.rooms, rt60=rt60)
    if rt60 is not None:
        _check_rt60(room_ranges)
    config = replace(config, scenes=scenes, rooms=room_ranges)
    with _progress() as update:
        summary = synthesize(bank_dir, out, config, seed=seed, workers=workers, shard=shard_kn,
                             replay=replay, cache=cache, progress=update, measured=list(measured) or None)
    parts = update.totals.get("rooms", 0)
    click.echo(f"{summary['rendered']} scenes rendered, {summary['skipped']} already done, "
               f"{summary['rooms_built']} rooms prepared" + (f" ({parts} room parts)" if parts else "")
               + f" in {summary['seconds']:.1f} s -> {summary['out']}")


def _parse_pitch(text: str) -> dict:
    """``--pitch``: semitones for every class, then ``class=semitones`` overrides, separated by commas."""
    settings = {"pitch_shift": 0.0, "class_pitch_shift": {}}
    for item in (part.strip() for part in text.split(",")):
        name, _, value = item.rpartition("=")
        try:
            semitones = float(value)
        except ValueError:
            raise ConfigError(f"--pitch takes semitones and class=semitones items separated by commas (e.g. "
                              f"3,male_speech=0), got {item!r} in {text!r}") from None
        if name:
            settings["class_pitch_shift"][name.strip()] = semitones
        else:
            settings["pitch_shift"] = semitones
    return settings


def _parse_formats(text: str | None) -> tuple[str, ...] | None:
    """``--formats``: names separated by commas; ``array:FILE`` files are checked (see :func:`_check_array_file`)."""
    if text is None:
        return None
    names = tuple(f.strip() for f in text.split(","))
    if not any(names):
        raise ConfigError(f"--formats needs at least one format (e.g. foa,mic), got {text!r}")
    if not all(names):
        raise ConfigError(f"--formats has an empty name in {text!r}; separate names by single commas")
    for name in names:
        if name.startswith("array:"):
            _check_array_file(Path(name[len("array:"):]))
    return names


def _check_array_file(path: Path) -> None:
    """An ``array:FILE`` geometry: readable text, microphones within 10 m of the centre and 1 mm apart."""
    import numpy as np

    from seld.errors import FormatError
    from seld.synth.arrays import get_format
    from seld.userio import read_user_text

    read_user_text(path, "array geometry file (one x,y,z line per microphone)")
    xyz = get_format(f"array:{path}").positions
    if np.abs(xyz).max() > 10.0:
        raise FormatError(path, None, f"a microphone lies {np.abs(xyz).max():g} m from the array centre",
                          "positions are in metres from the centre (at most 10 m)")
    gaps = np.linalg.norm(xyz[:, None, :] - xyz[None, :, :], axis=-1) + np.eye(len(xyz))
    if len(xyz) > 1 and gaps.min() < 1e-3:
        i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
        raise FormatError(path, None, f"microphones {min(i, j) + 1} and {max(i, j) + 1} are less than 1 mm apart",
                          "one line per distinct microphone")


def _check_rt60(ranges) -> None:
    """Refuse an RT60 range that no room of the preset's sizes can have (Sabine), with the sizes in the message."""
    from seld.synth.rooms import sabine_absorption

    lo, hi = ranges.rt60
    try:
        sabine_absorption(ranges.size_min, hi)
    except ConfigError:
        raise ConfigError(f"--rt60 {lo:g},{hi:g}: even the smallest room of this preset "
                          f"({' x '.join(f'{v:g}' for v in ranges.size_min)} m) cannot reverberate that briefly "
                          "(Sabine: the walls would have to absorb more than all the sound); use a longer RT60 range"
                          ) from None
