"""Corpora: what a SELD dataset on disk holds, described once by its reader (the lhotse habit).

A reader (one file per corpus in :mod:`seld.data.corpora`) knows its corpus' folder layout, classes, sample
rate, label format and official splits, and turns a root folder into a :class:`Corpus`: a list of
:class:`Recording` (audio file, label file, fold, room) plus those facts. Everything downstream (the label
store, the chunk index, the torch dataset) works on a :class:`Corpus` and knows no layout.

Readers register themselves with :func:`register_corpus`; :func:`load_corpus` finds them by name.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from seld.errors import ConfigError, InputError

__all__ = ["Recording", "Corpus", "register_corpus", "load_corpus", "list_corpora", "pair_files"]


@dataclass(frozen=True)
class Recording:
    """One recording of a corpus.

    Attributes:
        id: unique name within the corpus (the file stem, e.g. ``fold3_room21_mix001``); prediction files are
            written under it.
        audio: the audio file.
        labels: its label file (``None`` for an unlabelled evaluation set).
        fold: fold or split the recording belongs to (``fold3``, ``split1``, ...); official splits select folds.
        room: room name when the corpus has rooms (``room21``), for room filters.
    """

    id: str
    audio: Path
    labels: Path | None
    fold: str = ""
    room: str = ""


@dataclass(frozen=True)
class Corpus:
    """A dataset on disk, described by its reader.

    Attributes:
        name: reader name (``starss23``, ``synth``, ...).
        root: the folder it was read from.
        classes: class names in label-index order.
        sample_rate: Hz of its audio.
        array: ``foa``, ``mic`` or ``array``.
        channels: audio channels of every file.
        label_format: ``fmt`` of :func:`seld.formats.read_labels` for its label files.
        label_frame: seconds per frame of the labels as read (0.1, or e.g. 0.02 for DCASE2019).
        recordings: every recording found.
        splits: official split name -> folds (``{"train": ("fold3",), "test": ("fold4",)}``).
        label_options: extra keyword arguments of :func:`seld.formats.read_labels` (e.g. ``frame_len``).
    """

    name: str
    root: Path
    classes: tuple[str, ...]
    sample_rate: int
    array: str
    channels: int
    label_format: str
    label_frame: float
    recordings: tuple[Recording, ...]
    splits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    label_options: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.recordings)

    @property
    def folds(self) -> list[str]:
        """Folds present, sorted."""
        return sorted({r.fold for r in self.recordings})

    def select(self, split: str | Sequence[str] | None = None, rooms: Iterable[str] | None = None,
               ids: Iterable[str] | None = None) -> "Corpus":
        """The recordings of an official ``split`` name (``"train"``) or of the listed folds, optionally only
        those whose room (or id) matches one of ``rooms`` (``ids``), shell patterns allowed. Selecting nothing
        is an error that lists what there is."""
        recs = list(self.recordings)
        if split is not None:
            folds = self._folds_of(split)
            recs = [r for r in recs if r.fold in folds]
        if rooms is not None:
            pats = [str(p) for p in rooms]
            recs = [r for r in recs if any(fnmatch.fnmatch(r.room, p) for p in pats)]
        if ids is not None:
            pats = [str(p) for p in ids]
            recs = [r for r in recs if any(fnmatch.fnmatch(r.id, p) for p in pats)]
        if not recs:
            raise InputError(self.root, f"no {self.name} recording matches split={split!r} rooms={rooms!r} "
                                        f"ids={ids!r}", f"folds present: {', '.join(self.folds) or 'none'}; "
                                                        f"official splits: {', '.join(self.splits) or 'none'}")
        return replace(self, recordings=tuple(recs))

    def _folds_of(self, split: str | Sequence[str]) -> set[str]:
        if isinstance(split, str):
            if split in self.splits:
                return set(self.splits[split])
            if split in self.folds:
                return {split}
            raise ConfigError(f"{self.name} at {self.root} has no split or fold {split!r}; splits: "
                              f"{', '.join(self.splits) or 'none'}; folds: {', '.join(self.folds) or 'none'}")
        out: set[str] = set()
        for s in split:
            out |= self._folds_of(str(s))
        return out


Reader = Callable[..., Corpus]
_READERS: dict[str, tuple[Reader, str]] = {}


def register_corpus(name: str, description: str) -> Callable[[Reader], Reader]:
    """Decorator registering ``fn(root, **options) -> Corpus`` as the reader of corpus ``name``."""

    def deco(fn: Reader) -> Reader:
        if name in _READERS:
            raise ValueError(f"corpus {name!r} is registered twice")
        _READERS[name] = (fn, description)
        return fn

    return deco


def _load_builtin() -> None:
    import seld.data.corpora  # noqa: F401  (registers the built-in readers)


def list_corpora() -> dict[str, str]:
    """Registered corpus names and their one-line descriptions."""
    _load_builtin()
    return {n: d for n, (_, d) in sorted(_READERS.items())}


def load_corpus(name: str, root: str | Path, **options) -> Corpus:
    """Read the corpus ``name`` at ``root`` with its reader (``options`` such as ``array="mic"``; ``array`` is
    checked, not passed, for readers of corpora with one format)."""
    _load_builtin()
    if name not in _READERS:
        raise ConfigError(f"unknown corpus {name!r}; known: {', '.join(sorted(_READERS))}")
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "no such dataset folder", f"check data.root; {_READERS[name][1]}")
    reader = _READERS[name][0]
    accepted = set(inspect.signature(reader).parameters) - {"root"}
    array = options.pop("array", None) if "array" not in accepted else None
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ConfigError(f"the {name} reader takes no option {', '.join(unknown)}; its options: "
                          f"{', '.join(sorted(accepted)) or 'none'}")
    corpus = reader(root, **options)
    if array is not None and array != corpus.array:
        raise ConfigError(f"{root}: the {name} corpus has {corpus.array} audio only, not {array}")
    return corpus


def pair_files(root: Path, audio: Iterable[Path], labels: Iterable[Path], what: str) -> list[tuple[Path, Path]]:
    """Pair audio and label files by stem. Audio without labels or labels without audio is one error naming
    (some of) the files on both sides, never a silent drop."""
    by_stem_a, by_stem_l = _by_stem(root, audio), _by_stem(root, labels)
    lonely_a = sorted(set(by_stem_a) - set(by_stem_l))
    lonely_l = sorted(set(by_stem_l) - set(by_stem_a))
    if lonely_a or lonely_l:
        parts = []
        if lonely_a:
            parts.append(f"{len(lonely_a)} audio file(s) without labels ({', '.join(str(by_stem_a[s]) for s in lonely_a[:3])}"
                         f"{', ...' if len(lonely_a) > 3 else ''})")
        if lonely_l:
            parts.append(f"{len(lonely_l)} label file(s) without audio ({', '.join(str(by_stem_l[s]) for s in lonely_l[:3])}"
                         f"{', ...' if len(lonely_l) > 3 else ''})")
        raise InputError(root, f"{what}: " + "; ".join(parts), "every recording needs its audio and label file")
    return [(by_stem_a[s], by_stem_l[s]) for s in sorted(by_stem_a)]


def _by_stem(root: Path, files: Iterable[Path]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in files:
        if p.stem in out:
            raise InputError(root, f"two files named {p.stem}: {out[p.stem]} and {p}", "keep one of them")
        out[p.stem] = p
    return out
