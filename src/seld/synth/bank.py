"""Sound banks: folders of clean mono clips by class, with a manifest.

A bank is ``<dir>/bank.json`` (sample rate, class list, processing settings), ``<dir>/manifest.csv`` (one row
per clip: ``id,class,path,duration,sample_rate,loudness_db,licence,source,split``) and the clips under
``<dir>/clips/<class>/``. ``rejected.csv`` lists every input file that was skipped and why.

Clips are made mono, resampled to the bank rate, trimmed of leading and trailing silence, cut into pieces of
at most ``max_len`` seconds and normalised to ``level_db`` dBFS RMS over their active frames. The train/test
split is made per source file, so that pieces of one recording never land in both.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np

from seld import __version__
from seld.errors import ConfigError, FormatError, InputError
from seld.formats.classes import ClassList, get_classes
from seld.synth.filters import remove_dc
from seld.synth.files import atomic_path, ensure_dir, read_json, write_audio, write_json
from seld.userio import read_user_text

__all__ = ["BankSettings", "Clip", "Bank", "SourceFile", "prepare_clip", "build_bank", "sources_from_dir",
           "sources_from_csv", "AUDIO_SUFFIXES", "MANIFEST_COLUMNS"]

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".aiff", ".aif", ".mp3")
MANIFEST_COLUMNS = ("id", "class", "path", "duration", "sample_rate", "loudness_db", "licence", "source", "split")
_FRAME = 0.02   # seconds per analysis frame for trimming and loudness
#: highest bank sample rate (Hz)
MAX_RATE = 384000
#: input files: sample rates (Hz) and length (seconds) accepted
MIN_SOURCE_RATE, MAX_SOURCE_RATE, MAX_SOURCE_SECONDS = 1000, 768000, 2 * 3600


@dataclass(frozen=True)
class BankSettings:
    """How input files become bank clips.

    Attributes:
        sample_rate: rate of the stored clips (Hz), the rate scenes are synthesised at.
        top_db: frames quieter than the loudest frame by more than this are silence (trimmed, not measured).
        level_db: RMS level (dBFS) of the active frames after normalisation.
        min_len: pieces shorter than this (seconds, after trimming) are dropped.
        max_len: longer clips are cut into pieces of at most this length.
        test_fraction: share of each class's source files that go to the test split.
    """

    sample_rate: int = 24000
    top_db: float = 40.0
    level_db: float = -20.0
    min_len: float = 0.3
    max_len: float = 10.0
    test_fraction: float = 0.2

    def __post_init__(self):
        if not isinstance(self.sample_rate, (int, np.integer)) or not 8000 <= self.sample_rate <= MAX_RATE:
            raise ConfigError(f"bank sample rate {self.sample_rate!r} Hz: use an integer from 8000 to {MAX_RATE}")
        for name in ("top_db", "level_db", "min_len", "max_len", "test_fraction"):
            if not np.isfinite(getattr(self, name)):
                raise ConfigError(f"bank setting {name} must be a finite number, got {getattr(self, name)!r}")
        if not 0 < self.top_db <= 200:
            raise ConfigError(f"top_db (silence threshold below the loudest frame) must be in (0, 200] dB, "
                              f"got {self.top_db}")
        if not -100 <= self.level_db <= 0:
            raise ConfigError(f"level_db must be in [-100, 0] dBFS, got {self.level_db}")
        if not 0 < self.min_len <= self.max_len <= 3600:
            raise ConfigError(f"need 0 < min_len <= max_len <= 3600 s, got {self.min_len} and {self.max_len}")
        if not 0 <= self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in [0, 1), got {self.test_fraction}")


@dataclass(frozen=True)
class SourceFile:
    """One input recording: its path (or, for generated material, a name), class index and licence.

    ``name``, when given, is the source name recorded in the manifest instead of the (relative) path, e.g.
    ``package:path`` for a file of a Debian package; ``split``, when given, puts the recording in that split
    (``train``/``test``) instead of the one drawn from its name, for material made from split sources.
    """

    path: str
    cls: int
    licence: str = ""
    name: str = ""
    split: str = ""


@dataclass(frozen=True)
class Clip:
    """One manifest row."""

    id: str
    cls: int
    path: str
    duration: float
    sample_rate: int
    loudness_db: float
    licence: str
    source: str
    split: str


# ------------------------------------------------------------------------------------------ signal processing
def _frame_db(x: np.ndarray, hop: int) -> np.ndarray:
    n = max(len(x) // hop, 1)
    frames = np.resize(x, n * hop).reshape(n, hop) if len(x) >= hop else x[None, :]
    return 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20)


def active_db(x: np.ndarray, sr: int, top_db: float) -> float:
    """RMS level (dBFS) over the frames within ``top_db`` of the loudest one."""
    db = _frame_db(np.asarray(x, dtype=np.float64), int(round(_FRAME * sr)))
    return float(10 * np.log10(np.mean(10 ** (db[db > db.max() - top_db] / 10))))


def prepare_clip(audio: np.ndarray, sr: int, settings: BankSettings) -> list[np.ndarray]:
    """Bank pieces (float32 mono at ``settings.sample_rate``) from decoded audio [N] or [N, C].

    Raises ``ValueError`` with a reason for unusable input (no samples, NaN, silence, too short).
    """
    from scipy.signal import resample_poly

    if not MIN_SOURCE_RATE <= int(sr) <= MAX_SOURCE_RATE:
        raise ValueError(f"sample rate {sr} Hz is not an audio rate ({MIN_SOURCE_RATE}-{MAX_SOURCE_RATE})")
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.size == 0:
        raise ValueError("no samples")
    if not np.all(np.isfinite(x)):
        raise ValueError("contains NaN or infinite samples")
    ac = float(np.mean((x - x.mean()) ** 2))
    if ac < 1e-10 or ac < 1e-4 * float(np.mean(x**2)):   # varies by less than -100 dBFS or 40 dB below its offset
        raise ValueError("no sound: the signal is a constant (DC) level")
    fs = settings.sample_rate
    if sr != fs:
        g = gcd(int(sr), int(fs))
        x = resample_poly(x, fs // g, int(sr) // g)
    hop = int(round(_FRAME * fs))
    db = _frame_db(x, hop)
    if db.max() < -100:
        raise ValueError("digital silence")
    active = np.flatnonzero(db > db.max() - settings.top_db)
    x = x[active[0] * hop:(active[-1] + 1) * hop]
    x = remove_dc(x, fs)      # an offset or drift would distort the level and the scenes' SNR
    size = int(settings.max_len * fs)
    pieces = []
    for start in range(0, len(x), size):
        seg = x[start:start + size]
        if len(seg) < settings.min_len * fs or _frame_db(seg, hop).max() < db.max() - settings.top_db:
            continue                                       # too short, or a stretch of silence
        gain = min(10 ** ((settings.level_db - active_db(seg, fs, settings.top_db)) / 20), 0.99 / np.abs(seg).max())
        fade = min(hop, len(seg) // 4)                     # no clicks where the clip was cut
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
        seg = seg * gain
        seg[:fade] *= ramp
        seg[len(seg) - fade:] *= ramp[::-1]
        pieces.append(seg.astype(np.float32))
    if not pieces:
        raise ValueError(f"shorter than {settings.min_len} s once silence is trimmed")
    return pieces


# ------------------------------------------------------------------------------------------------- inputs
def sources_from_dir(root: str | Path, classes: ClassList | str) -> tuple[ClassList, list[SourceFile]]:
    """Input files of a folder with one sub-folder per class (searched recursively for audio files).

    ``classes`` is a class list (folder names are matched to its names, case and spacing ignored) or
    ``"auto"``: the folder names, sorted ignoring case, become the classes. Files whose name has an audio
    suffix but that cannot be opened (broken links, link loops) are kept, so that building the bank lists them
    in ``rejected.csv``.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "folder not found", "give a folder with one sub-folder of clips per class")
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: (p.name.casefold(), p.name))
    if not folders:
        raise InputError(root, "has no sub-folders", "put the clips of each class in a sub-folder named after it")
    if classes == "auto":
        class_list = ClassList(root.name, tuple(p.name for p in folders))
    else:
        class_list = get_classes(classes)
    sources = []
    for folder in folders:
        try:
            cls = class_list.index(folder.name)
        except ConfigError:
            raise InputError(folder, f"folder name is not a class of {class_list.name!r}",
                             f"rename it to one of {', '.join(class_list.names)}, or use --classes auto") from None
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and not _is_dir(p))
        if not files:
            log.warning("%s: no audio files (%s)", folder, ", ".join(AUDIO_SUFFIXES))
        sources += [SourceFile(str(p), cls) for p in files]
    return class_list, sources


def _resolve(path: Path) -> Path:
    """``path`` with links resolved; a broken link or a loop of links keeps its own name in its resolved folder."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.parent.resolve() / path.name


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:   # a link loop: not a folder, reported when the file is read
        return False


def sources_from_csv(path: str | Path, classes: ClassList | str) -> tuple[ClassList, list[SourceFile]]:
    """Input files listed in a CSV of ``path,class[,licence]`` rows (a header row is allowed; relative paths
    are relative to the CSV's folder; the class is a name of ``classes`` or its index; ``"auto"``: the class
    names found, sorted ignoring case)."""
    path = Path(path)
    text = read_user_text(path, "CSV of path,class[,licence] rows", "give a CSV of path,class[,licence] rows")
    try:
        parsed = list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as err:
        raise FormatError(path, None, f"not a readable CSV file ({err})",
                          "one path,class[,licence] row per clip") from None
    rows = [(line, row) for line, row in parsed if row and "".join(row).strip()]
    if rows and rows[0][1][0].strip().lower() == "path":
        rows = rows[1:]
    for line, row in rows:
        if not 2 <= len(row) <= 3 or not row[0].strip() or not row[1].strip():
            raise FormatError(path, line, f"expected path,class[,licence], got {len(row)} cells: {','.join(row)!r}",
                              "one clip per row; quote cells that contain commas")
    if classes == "auto":
        class_list = ClassList(path.stem, tuple(sorted({r[1].strip() for _, r in rows},
                                                       key=lambda n: (n.casefold(), n))))
    else:
        class_list = get_classes(classes)
    sources = []
    for line, row in rows:
        name = row[1].strip()
        try:
            cls = int(name) if name.isdecimal() and name.isascii() else class_list.index(name)
        except ConfigError:
            raise FormatError(path, line, f"unknown class {name!r}",
                              f"use one of {', '.join(class_list.names)} or its index, or --classes auto") from None
        if not 0 <= cls < len(class_list):
            raise FormatError(path, line, f"class index {cls} out of range 0..{len(class_list) - 1}")
        file = Path(row[0].strip())
        file = file if file.is_absolute() else path.parent / file
        sources.append(SourceFile(str(file), cls, row[2].strip() if len(row) > 2 else ""))
    if not sources:
        raise InputError(path, "lists no files", "one path,class row per clip")
    return class_list, sources


# ------------------------------------------------------------------------------------------------ building
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "clip"


def _source_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def assign_splits(sources: list[str], cls: list[int], test_fraction: float) -> dict[str, str]:
    """``train``/``test`` per source, per class, by a hash of the source name (stable across runs)."""
    split = {}
    for c in sorted(set(cls)):
        names = sorted({s for s, k in zip(sources, cls) if k == c}, key=_source_hash)
        n_test = int(round(test_fraction * len(names)))
        if test_fraction > 0 and len(names) >= 2:
            n_test = min(max(n_test, 1), len(names) - 1)
        for i, name in enumerate(names):
            split[name] = "test" if i < n_test else "train"
    return split


def _process(args) -> tuple[list[np.ndarray], str | None]:
    """Worker: decode and prepare one file; returns (pieces, reason it was rejected or None)."""
    source, settings = args
    import soundfile as sf

    if not os.path.isfile(source.path):
        if os.path.islink(source.path):
            return [], "broken symbolic link or a loop of links"
        if os.path.isdir(source.path):
            return [], "is a folder, not an audio file"
        return [], "file not found (check the path in the CSV or folder)"
    try:
        info = sf.info(source.path)
        if not MIN_SOURCE_RATE <= info.samplerate <= MAX_SOURCE_RATE:
            return [], f"sample rate {info.samplerate} Hz is not an audio rate ({MIN_SOURCE_RATE}-{MAX_SOURCE_RATE})"
        if info.frames > MAX_SOURCE_SECONDS * info.samplerate:
            return [], f"longer than {MAX_SOURCE_SECONDS // 3600} hours; cut it into shorter files"
        audio, sr = sf.read(source.path, dtype="float32", always_2d=True)
    except Exception as err:   # noqa: BLE001 - any decoding failure is reported for this file only
        return [], f"cannot decode: {err}"
    try:
        return prepare_clip(audio, sr, settings), None
    except ValueError as err:
        return [], str(err)


def build_bank(sources: Iterable[SourceFile], class_list: ClassList, out: str | Path,
               settings: BankSettings = BankSettings(), workers: int = 1, overwrite: bool = False,
               base: str | Path | None = None, extra: dict | None = None,
               progress: Callable[[int, int], None] | None = None,
               generated: Iterable[tuple[SourceFile, np.ndarray, int]] = ()) -> "Bank":
    """Write a bank from input files and from generated signals ``(source, samples, sample rate)``.

    Returns the bank. Files that cannot be used are logged, listed in ``rejected.csv`` and skipped; classes
    left without clips are reported. ``base`` makes source names relative (the manifest is portable).
    Clips are written as they are made, so memory stays small however large the corpus.
    """
    out = Path(out)
    if (out / "manifest.csv").exists() and not overwrite:
        raise InputError(out, "already holds a bank", "choose another --out or pass --overwrite")
    ensure_dir(out)
    sources = sorted(set(sources), key=lambda s: (s.cls, s.path))
    generated = list(generated)

    def source_name(path: str) -> str:
        if base is not None:
            try:
                return str(_resolve(Path(path)).relative_to(Path(base).resolve()))
            except ValueError:
                pass
        return path

    everything = sources + [g[0] for g in generated]
    names = [s.name or source_name(s.path) for s in everything]
    free = [(name, s.cls) for name, s in zip(names, everything) if not s.split]
    splits = assign_splits([n for n, _ in free], [c for _, c in free], settings.test_fraction)
    splits.update({name: s.split for name, s in zip(names, everything) if s.split})
    clips, rejected = [], []

    def keep(i: int, pieces: list[np.ndarray], reason: str | None) -> None:
        src, name = everything[i], names[i]
        if reason is not None:
            log.warning("skipped %s: %s", src.path, reason)
            rejected.append((src.path, reason))
        for k, piece in enumerate(pieces):
            cid = f"{src.cls:02d}-{_slug(Path(name).stem)}-{_source_hash(name)[:6]}-{k:02d}"
            rel = f"clips/{_slug(class_list[src.cls])}/{cid}.flac"
            write_audio(out / rel, piece, settings.sample_rate, "flac")
            clips.append(Clip(cid, src.cls, rel, round(len(piece) / settings.sample_rate, 4), settings.sample_rate,
                              round(active_db(piece, settings.sample_rate, settings.top_db), 2), src.licence, name,
                              splits[name]))
        if progress:
            progress(i + 1, len(everything))

    jobs = [(s, settings) for s in sources]
    if workers > 1 and len(jobs) > 1:
        from seld.synth.workers import worker_pool

        with worker_pool(workers) as pool:
            for i, result in enumerate(pool.imap(_process, jobs, chunksize=4)):
                keep(i, *result)
    else:
        for i, job in enumerate(jobs):
            keep(i, *_process(job))
    for j, (_src, signal, sr) in enumerate(generated):
        try:
            keep(len(jobs) + j, prepare_clip(signal, sr, settings), None)
        except ValueError as err:
            keep(len(jobs) + j, [], str(err))

    _write_rejected(out / "rejected.csv", rejected)
    if not clips:
        raise InputError(out, "no usable clips: every input file was rejected", f"see {out / 'rejected.csv'}")
    empty = [class_list[c] for c in range(len(class_list)) if not any(cl.cls == c for cl in clips)]
    if empty:
        log.warning("classes without clips: %s", ", ".join(empty))
    _write_manifest(out / "manifest.csv", clips)
    write_json(out / "bank.json", {"sample_rate": settings.sample_rate, "class_list": class_list.name,
                                   "classes": list(class_list.names), "settings": asdict(settings),
                                   "rejected": len(rejected), "seld_version": __version__, **(extra or {})})
    return Bank(out)


def _write_rejected(path: Path, rejected: list[tuple[str, str]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "reason"])
        w.writerows(rejected)


def _write_manifest(path: Path, clips: list[Clip]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(MANIFEST_COLUMNS)
        for c in clips:
            w.writerow([c.id, c.cls, c.path, c.duration, c.sample_rate, c.loudness_db, c.licence, c.source, c.split])


# ------------------------------------------------------------------------------------------------- reading
class Bank:
    """A sound bank on disk (see the module docstring)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(self.root, "sound bank folder not found" if not self.root.exists() else
                             "is a file, not a sound bank folder", "give the --out folder of `seld bank build`")
        if not (self.root / "manifest.csv").is_file() or not (self.root / "bank.json").is_file():
            raise InputError(self.root, "is not a sound bank (no manifest.csv / bank.json)",
                             "build one with `seld bank build --from DIR --out BANK`")
        meta = read_json(self.root / "bank.json", "rebuild the bank")
        self.meta = _check_meta(self.root / "bank.json", meta)
        self.sample_rate = int(meta["sample_rate"])
        self.classes = ClassList(str(meta.get("class_list", "bank")), tuple(meta["classes"]))
        self.clips = self._read_manifest(self.root / "manifest.csv")
        if not self.clips:
            raise InputError(self.root / "manifest.csv", "the bank has no clips", "rebuild it from more files")

    def _read_manifest(self, path: Path) -> list[Clip]:
        text = read_user_text(path, "bank manifest (CSV)", "rebuild the bank")
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as err:
            raise FormatError(path, None, f"not a readable CSV file ({err})", "rebuild the bank") from None
        if not rows or tuple(rows[0]) != MANIFEST_COLUMNS:
            raise FormatError(path, 1, f"header must be {','.join(MANIFEST_COLUMNS)}", "rebuild the bank")
        clips, seen = [], set()
        for line, row in enumerate(rows[1:], start=2):
            if not row:
                continue
            try:
                if len(row) != len(MANIFEST_COLUMNS):
                    raise ValueError(f"{len(row)} columns, expected {len(MANIFEST_COLUMNS)}")
                clip = Clip(row[0], int(row[1]), row[2], float(row[3]), int(row[4]), float(row[5]), row[6], row[7],
                            row[8])
                _check_clip(clip, len(self.classes), self.sample_rate, seen)
            except ValueError as err:
                raise FormatError(path, line, f"malformed manifest row ({err})", "rebuild the bank") from None
            seen.add(clip.id)
            clips.append(clip)
        return clips

    def __len__(self) -> int:
        return len(self.clips)

    def by_class(self, split: str | None = None) -> dict[int, list[int]]:
        """Clip indices per class index (only classes with clips), optionally of one split."""
        out: dict[int, list[int]] = {}
        for i, c in enumerate(self.clips):
            if split is None or c.split == split:
                out.setdefault(c.cls, []).append(i)
        return out

    def load(self, index: int) -> np.ndarray:
        """Samples (float32 mono) of clip ``index``."""
        return _load(str(self.root / self.clips[index].path), self.sample_rate)

    def summary(self) -> list[tuple[str, int, int, float]]:
        """(class, train clips, test clips, total minutes) per class."""
        rows = []
        for c, name in enumerate(self.classes):
            mine = [cl for cl in self.clips if cl.cls == c]
            rows.append((name, sum(cl.split == "train" for cl in mine), sum(cl.split == "test" for cl in mine),
                         sum(cl.duration for cl in mine) / 60))
        return rows


def _check_meta(path: Path, meta) -> dict:
    """``bank.json`` as a dict whose fields have the right types and ranges."""
    def bad(problem: str):
        return FormatError(path, None, problem, "rebuild the bank with `seld bank build`")

    if not isinstance(meta, dict):
        raise bad(f"expected a JSON object, found {type(meta).__name__}")
    rate = meta.get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 8000 <= rate <= MAX_RATE:
        raise bad(f"sample_rate must be an integer from 8000 to {MAX_RATE} Hz, found {rate!r}")
    names = meta.get("classes")
    if (not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names)
            or len(set(names)) != len(names)):
        raise bad("classes must be a non-empty list of distinct class names")
    if not isinstance(meta.get("class_list", "bank"), str):
        raise bad("class_list must be a name")
    return meta


def _check_clip(clip: Clip, num_classes: int, sample_rate: int, seen: set[str]) -> None:
    """Raise ``ValueError`` naming the first field of a manifest row that is out of range."""
    if not clip.id or clip.id in seen:
        raise ValueError(f"clip id {clip.id!r} is empty or repeated")
    if not 0 <= clip.cls < num_classes:
        raise ValueError(f"class {clip.cls} outside 0..{num_classes - 1}")
    if clip.split not in ("train", "test"):
        raise ValueError(f"split {clip.split!r} is neither train nor test")
    if not (np.isfinite(clip.duration) and 0 < clip.duration <= 3600):
        raise ValueError(f"duration {clip.duration} is not in (0, 3600] seconds")
    if clip.sample_rate != sample_rate:
        raise ValueError(f"sample rate {clip.sample_rate} differs from the bank's {sample_rate}")
    if not (np.isfinite(clip.loudness_db) and -200 <= clip.loudness_db <= 20):
        raise ValueError(f"loudness {clip.loudness_db} dB is not a level in [-200, 20]")
    rel = Path(clip.path)
    if not clip.path or rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"clip path {clip.path!r} is not a path inside the bank")


@lru_cache(maxsize=256)
def _load(path: str, sample_rate: int) -> np.ndarray:
    import soundfile as sf

    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=False)
    except Exception as err:   # noqa: BLE001 - reported as a user-fixable problem with this file
        raise InputError(path, f"cannot read bank clip ({err})", "rebuild the bank") from None
    if sr != sample_rate or audio.ndim != 1:
        raise InputError(path, f"bank clip is {sr} Hz with shape {audio.shape}, expected mono {sample_rate} Hz",
                         "rebuild the bank")
    audio.setflags(write=False)
    return audio
