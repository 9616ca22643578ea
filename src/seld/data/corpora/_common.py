"""What the corpus readers share: folder checks, file listings, name parsing, pairing and the DCASE layout.

Every check here raises one :class:`~seld.errors.InputError` naming the folder or files at fault and saying what
was expected, before any recording is returned: a reader never drops a file it does not understand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from seld.data.audio import AUDIO_SUFFIXES, audio_info
from seld.data.corpus import Corpus, Recording, pair_files
from seld.errors import ConfigError, InputError

__all__ = ["require_dir", "list_files", "unique_stems", "pair_by_key", "parse_names", "check_audio",
           "check_array", "check_unique_ids", "dcase_parts", "dcase_recordings", "read_dcase_layout", "some"]


def some(items: Sequence, n: int = 3) -> str:
    """The first ``n`` items, comma-separated, with ``...`` when there are more."""
    items = [str(i) for i in items]
    return ", ".join(items[:n]) + (", ..." if len(items) > n else "")


def require_dir(path: Path, holds: str) -> Path:
    """``path`` if it is a folder; otherwise an error saying which folder is expected and what it holds."""
    if not path.is_dir():
        problem = "is a file, expected a folder" if path.exists() else "missing folder"
        raise InputError(path, problem, f"expected {path.name}/ holding {holds}")
    return path


def list_files(folder: Path, suffixes: Iterable[str], depth: int = 1) -> list[Path]:
    """Files of ``folder`` with one of ``suffixes`` (case-insensitive), directly in it or in its subfolders up to
    ``depth`` levels down (the DCASE ``dev-train``/``dev-test`` folders), sorted; hidden files are listed too."""
    suffixes = tuple(s.lower() for s in suffixes)
    out: list[Path] = []
    level = [folder]
    for _ in range(depth + 1):
        below = []
        for d in level:
            for p in sorted(d.iterdir()):
                if p.is_dir():
                    below.append(p)
                elif p.suffix.lower() in suffixes:
                    out.append(p)
        level = below
    return sorted(out)


def unique_stems(files: Sequence[Path], folder: Path) -> list[Path]:
    """``files`` if no two share a stem (the recording id); otherwise an error naming the clashing files."""
    seen: dict[str, Path] = {}
    clashes = []
    for p in files:
        if p.stem in seen:
            clashes.append(f"{seen[p.stem]} and {p}")
        else:
            seen[p.stem] = p
    if clashes:
        raise InputError(folder, f"{len(clashes)} file name(s) occur twice ({some(clashes, 2)})",
                         "keep one copy of each recording (a file name is its recording id)")
    return list(files)


def pair_by_key(root: Path, audio: dict[str, Path], labels: dict[str, Path], what: str) -> list[tuple[str, Path, Path]]:
    """Pair audio and label files whose names differ (e.g. L3DAS' ``split0_ov1_1_A.wav`` and
    ``label_split0_ov1_1.csv``) by a key computed by the reader; unpaired files are one error naming them, as in
    :func:`~seld.data.corpus.pair_files`. Returns (key, audio, labels) sorted by key."""
    lonely_a = sorted(set(audio) - set(labels))
    lonely_l = sorted(set(labels) - set(audio))
    if lonely_a or lonely_l:
        parts = []
        if lonely_a:
            parts.append(f"{len(lonely_a)} audio file(s) without labels ({some([audio[k] for k in lonely_a])})")
        if lonely_l:
            parts.append(f"{len(lonely_l)} label file(s) without audio ({some([labels[k] for k in lonely_l])})")
        raise InputError(root, f"{what}: " + "; ".join(parts), "every recording needs its audio and label file")
    return [(k, audio[k], labels[k]) for k in sorted(audio)]


def parse_names(files: Sequence[Path], pattern: re.Pattern, folder: Path, expected: str) -> list[re.Match]:
    """``pattern.match`` of every file stem; files whose name does not follow the corpus' naming are one error
    naming them (the fold and room come from the name, so such a file could not be placed in any split)."""
    matches = [pattern.match(p.stem) for p in files]
    bad = [p for p, m in zip(files, matches) if m is None]
    if bad:
        raise InputError(folder, f"{len(bad)} file(s) not named like {expected} ({some(bad)})",
                         "remove or rename them; the fold and room of a recording come from its name")
    return matches  # type: ignore[return-value]


def check_audio(path: Path, corpus: str, sample_rate: int, channels: Iterable[int]) -> int:
    """Check the header of one file of a corpus (the sample rate and channel count every file must have; the data
    pipeline checks all of them later). Returns its channel count."""
    channels = tuple(channels)
    info = audio_info(path)
    if info.sample_rate != sample_rate:
        raise InputError(path, f"{info.sample_rate} Hz audio, {corpus} is read at {sample_rate} Hz",
                         "point to the original audio, or pass sample_rate= if every file was resampled")
    if info.channels not in channels:
        raise InputError(path, f"{info.channels}-channel audio, {corpus} has "
                               f"{' or '.join(str(c) for c in channels)} channels",
                         "point to the corpus' own audio folder")
    return info.channels


def check_array(array: str, corpus: str, allowed: Sequence[str] = ("foa", "mic")) -> str:
    if array not in allowed:
        raise ConfigError(f"{corpus}: array must be one of {', '.join(allowed)}, got {array!r}")
    return array


def check_unique_ids(root: Path, recordings: Sequence[Recording]) -> None:
    """Recording ids name prediction files: two recordings with one id (e.g. in dev and eval) are an error."""
    seen: dict[str, Path] = {}
    clashes = []
    for r in recordings:
        if r.id in seen:
            clashes.append(f"{seen[r.id]} and {r.audio}")
        seen.setdefault(r.id, r.audio)
    if clashes:
        raise InputError(root, f"{len(clashes)} recording id(s) occur twice ({some(clashes, 2)})",
                         "keep one copy of each recording")


# --------------------------------------------------------------------------------------------------------------
# The DCASE layout (TAU-SSE 2019, TAU-NIGENS 2020/2021, STARSS22/23): <array>_dev/ + metadata_dev/ and
# <array>_eval/ (+ metadata_eval/), each flat or with one level of subfolders (dev-train, dev-test-sony, ...).


def dcase_parts(root: Path, array: str, corpus: str, layout: str) -> list[tuple[str, Path, Path | None]]:
    """The parts of a DCASE-layout root as (part, audio folder, label folder or ``None``): ``dev`` from
    ``<array>_dev/`` with ``metadata_dev/`` (both required together), ``eval`` from ``<array>_eval/`` with
    ``metadata_eval/`` when it exists (an evaluation set without labels otherwise). ``layout`` describes the
    expected layout for the error messages."""
    dev, dev_meta = root / f"{array}_dev", root / "metadata_dev"
    ev, ev_meta = root / f"{array}_eval", root / "metadata_eval"
    parts: list[tuple[str, Path, Path | None]] = []
    if dev.is_dir():
        require_dir(dev_meta, f"the label files of {dev.name}/ ({layout})")
        parts.append(("dev", dev, dev_meta))
    elif dev_meta.is_dir():  # labels without their audio folder
        others = [f"{a}_dev/" for a in ("foa", "mic") if a != array and (root / f"{a}_dev").is_dir()]
        hint = f"; found {', '.join(others)}: pass array='{others[0][:3]}'" if others else ""
        raise InputError(dev, "missing folder", f"expected {dev.name}/ holding the {array.upper()} audio of "
                                                f"metadata_dev/ ({layout}){hint}")
    if ev.is_dir():
        parts.append(("eval", ev, ev_meta if ev_meta.is_dir() else None))
    elif ev_meta.is_dir():
        raise InputError(ev, "missing folder", f"expected {ev.name}/ holding the {array.upper()} audio of "
                                               f"metadata_eval/ (the evaluation recordings)")
    if not parts:
        raise InputError(dev, "missing folder", f"a {corpus} folder holds {dev.name}/ with the audio and "
                                                f"metadata_dev/ with the labels, and optionally {ev.name}/: {layout}")
    return parts


def dcase_recordings(root: Path, parts: Sequence[tuple[str, Path, Path | None]], pattern: re.Pattern,
                     expected: str, corpus: str, sample_rate: int, channels: Iterable[int]) -> list[Recording]:
    """Recordings of the parts found by :func:`dcase_parts`. Development files must be named by ``pattern``
    (named groups ``fold`` and ``room``); evaluation files get fold ``eval`` (and their room if named so). The
    header of the first file of each part is checked (``sample_rate``, ``channels``)."""
    channels = tuple(channels)
    recs: list[Recording] = []
    for part, audio_dir, label_dir in parts:
        audio = unique_stems(list_files(audio_dir, AUDIO_SUFFIXES), audio_dir)
        if not audio:
            raise InputError(audio_dir, "no audio files", f"expected the {part} recordings (WAV) here")
        if label_dir is None:
            pairs: list[tuple[Path, Path | None]] = [(a, None) for a in audio]
        else:
            labels = unique_stems(list_files(label_dir, (".csv",)), label_dir)
            pairs = list(pair_files(root, audio, labels, f"{audio_dir.name}/ and {label_dir.name}/"))
        if part == "dev":
            matches = parse_names([a for a, _ in pairs], pattern, audio_dir, expected)
            recs += [Recording(a.stem, a, lab, m["fold"], m["room"]) for (a, lab), m in zip(pairs, matches)]
        else:
            for a, lab in pairs:
                m = pattern.match(a.stem)
                recs.append(Recording(a.stem, a, lab, "eval", m["room"] if m else ""))
        check_audio(pairs[0][0], corpus, sample_rate, channels)
    check_unique_ids(root, recs)
    return recs


def read_dcase_layout(name: str, title: str, root: Path, array: str, sample_rate: int | None, default_rate: int,
                      pattern: re.Pattern, expected: str, layout: str, label_format: str, label_frame: float,
                      splits: dict[str, tuple[str, ...]], channels: int = 4, short: str | None = None) -> Corpus:
    """A corpus in the DCASE folder layout (``<array>_dev/`` + ``metadata_dev/``, optional ``<array>_eval/``):
    the readers of STARSS, TAU-NIGENS and TAU-SSE differ only in these arguments (``short``: the corpus' name in
    messages about its audio, default ``title``)."""
    from seld.formats import get_classes

    check_array(array, name)
    rate = int(sample_rate or default_rate)
    parts = dcase_parts(root, array, title, layout)
    recs = dcase_recordings(root, parts, pattern, expected, short or title, rate, (channels,))
    return Corpus(name, root, get_classes(name).names, rate, array, channels, label_format, label_frame,
                  tuple(recs), splits=dict(splits))
