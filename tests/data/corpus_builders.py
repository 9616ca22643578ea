"""Small corpora on disk, in each dataset's exact folder layout, for the corpus reader tests.

Labels are real files from ``tests/assets`` (STARSS22 frame lists, TAU-SSE 2019 event lists), cut to their first
``SECONDS`` so that the audio can be short; the audio is noise written at the corpus' own sample rate and channel
count, as long as the labels. Where the assets hold no file of a corpus' own (TAU-NIGENS 2020/2021, SELDnet, L3DAS22),
the stand-in is said at the builder.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

#: seconds of audio (and of labels kept) per recording
SECONDS = 2.0


@lru_cache(maxsize=None)
def _noise(samples: int, channels: int) -> np.ndarray:
    return (300 * np.random.default_rng(0).standard_normal((samples, channels))).astype(np.int16)


def write_noise(path: Path, rate: int, channels: int, seconds: float = SECONDS) -> Path:
    """``seconds`` of low-level noise, 16-bit PCM (the same noise in every file: the readers look at names and
    headers only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), _noise(int(round(seconds * rate)), channels), rate, subtype="PCM_16")
    return path


def frame_rows(src: Path, seconds: float = SECONDS, max_class: int | None = None) -> list[str]:
    """The rows of a DCASE frame-list file (100 ms frames) inside the first ``seconds``, optionally only those
    of classes below ``max_class`` (to reuse them under a shorter class list)."""
    rows = []
    for line in src.read_text().splitlines():
        if not line.strip():
            continue
        cells = line.split(",")
        if int(cells[0]) < round(seconds / 0.1) and (max_class is None or int(cells[1]) < max_class):
            rows.append(line.strip())
    return rows


def write_rows(path: Path, rows: list[str], header: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{r}\n" for r in ([header] if header else []) + rows))
    return path


def event_rows(src: Path, seconds: float = SECONDS) -> tuple[str, list[str]]:
    """Header and rows of a TAU-SSE 2019 event list whose events end inside the first ``seconds``."""
    header, *body = [ln.strip() for ln in src.read_text().splitlines() if ln.strip()]
    return header, [r for r in body if float(r.split(",")[2]) < seconds]


# ------------------------------------------------------------------------------------------------- STARSS22/23
#: STARSS22 label files used (2 per subfolder; some have no event in the first 2 s: empty label files)
STARSS_FILES = {
    "dev-train-sony": ("fold3_room21_mix001", "fold3_room21_mix003"),
    "dev-train-tau": ("fold3_room4_mix001", "fold3_room4_mix004"),
    "dev-test-sony": ("fold4_room23_mix001", "fold4_room23_mix004"),
    "dev-test-tau": ("fold4_room10_mix001", "fold4_room10_mix002"),
}


def build_starss(root: Path, assets: Path, arrays=("foa",), distance: bool = False, flat: bool = False,
                 eval_files: int = 0, eval_labels: bool = False) -> dict[str, list[str]]:
    """STARSS22/23 development set (``foa_dev/dev-train-sony/...``; ``flat``: PSELDNets' layout, every file moved
    up), from the real STARSS22 labels cut to ``SECONDS``; ``distance``: a sixth column in cm as in STARSS23's
    DCASE2024 metadata (derived: 100 + 10 x class index). Optional evaluation recordings ``mix001...`` in
    ``foa_eval/`` (with ``metadata_eval/`` when ``eval_labels``). Returns the label rows written, by stem."""
    written = {}
    for sub, stems in STARSS_FILES.items():
        for i, stem in enumerate(stems):
            rows = frame_rows(assets / sub / f"{stem}.csv")
            if distance:
                rows = [f"{r},{100 + 10 * int(r.split(',')[1])}" for r in rows]
            where = "" if flat else f"{sub}/"
            write_rows(root / "metadata_dev" / f"{where}{stem}.csv", rows)
            for array in arrays:
                write_noise(root / f"{array}_dev" / f"{where}{stem}.wav", 24000, 4)
            written[stem] = rows
    for n in range(1, eval_files + 1):
        for array in arrays:
            write_noise(root / f"{array}_eval" / f"mix{n:03d}.wav", 24000, 4)
        if eval_labels:
            rows = frame_rows(assets / "dev-test-sony" / "fold4_room23_mix001.csv")
            written[f"mix{n:03d}"] = rows
            write_rows(root / "metadata_eval" / f"mix{n:03d}.csv", rows)
    return written


# ------------------------------------------------------------------------------------- TAU-NIGENS 2020 / 2021
def build_dcase2021(root: Path, assets: Path, eval_files: int = 2) -> dict[str, list[str]]:
    """TAU-NIGENS 2021 layout: one recording per fold, fold1-4 in ``dev-train``, 5 in ``dev-val``, 6 in
    ``dev-test``, plus ``foa_eval/eval-test/mix00N.wav`` with ``metadata_eval/eval-test/``. No TAU-NIGENS label
    file is in the assets: the labels are real STARSS22 rows of the same ``frame,class,track,azi,ele`` format,
    kept to the 12 class indices of DCASE2021."""
    written = {}
    src = assets / "dev-train-sony" / "fold3_room21_mix003.csv"
    for fold in range(1, 7):
        sub = "dev-train" if fold <= 4 else "dev-val" if fold == 5 else "dev-test"
        stem = f"fold{fold}_room{fold % 3 + 1}_mix{fold:03d}"
        written[stem] = frame_rows(src, max_class=12)
        write_rows(root / "metadata_dev" / sub / f"{stem}.csv", written[stem])
        write_noise(root / "foa_dev" / sub / f"{stem}.wav", 24000, 4)
    for n in range(1, eval_files + 1):
        write_noise(root / "foa_eval" / "eval-test" / f"mix{n:03d}.wav", 24000, 4)
        written[f"mix{n:03d}"] = frame_rows(src, max_class=12)
        write_rows(root / "metadata_eval" / "eval-test" / f"mix{n:03d}.csv", written[f"mix{n:03d}"])
    return written


def build_dcase2020(root: Path, assets: Path) -> dict[str, list[str]]:
    """TAU-NIGENS 2020 layout (flat ``foa_dev/`` and ``metadata_dev/``), one ov1 and one ov2 recording per fold
    (STARSS22 rows as stand-in labels: the same 5-column format, all 13 indices fit DCASE2020's 14 classes)."""
    written = {}
    src = assets / "dev-test-sony" / "fold4_room23_mix001.csv"
    for fold in range(1, 7):
        for ov in (1, 2):
            stem = f"fold{fold}_room{fold}_mix{ov:03d}_ov{ov}"
            written[stem] = frame_rows(src)
            write_rows(root / "metadata_dev" / f"{stem}.csv", written[stem])
            write_noise(root / "foa_dev" / f"{stem}.wav", 24000, 4)
    return written


# --------------------------------------------------------------------------------------------- TAU-SSE 2019
def build_dcase2019(root: Path, assets: Path, arrays=("foa",)) -> dict[str, list[str]]:
    """TAU-SSE 2019 layout (flat ``foa_dev/``, ``metadata_dev/``): the 4 real split1 event lists of the assets,
    one copied to each of split1..split4 (``split<k>_<rest of its name>``), events ending in the first 2 s."""
    written = {}
    for k, src in enumerate(sorted(assets.glob("split1_*.csv")), start=1):
        stem = f"split{k}_" + src.stem.split("_", 1)[1]
        header, rows = event_rows(src)
        write_rows(root / "metadata_dev" / f"{stem}.csv", rows, header)
        for array in arrays:
            write_noise(root / f"{array}_dev" / f"{stem}.wav", 48000, 4)
        written[stem] = rows
    return written


# -------------------------------------------------------------------------------------------------- L3DAS22
L3DAS_HEADER = "File,Start,End,Class,X,Y,Z"


def l3das_rows(key: str, n: int) -> list[str]:
    """``n`` events in the L3DAS22 label format (no L3DAS22 file is in the assets; these are written by hand
    in its exact header and units: seconds, class names, metres from microphone A)."""
    events = [("0.25", "0.75", "Knock", "1.0", "0.0", "0.0"), ("0.5", "1.04", "Laughter", "0.0", "-1.5", "0.5"),
              ("1.1", "1.9", "Writing", "-0.7", "0.7", "-0.3")]
    return [",".join((key,) + e) for e in events[:n]]


def l3das_converted(rows: list[str]) -> list[str]:
    """PSELDNets' conversion of L3DAS rows: ``frame,class,event,azi,ele`` at 100 ms, integer (truncated) angles."""
    from seld.formats import get_classes

    classes = get_classes("l3das22")
    out = []
    for idx, row in enumerate(rows):
        _, start, end, cls, x, y, z = row.split(",")
        x, y, z = float(x), float(y), float(z)
        azi = int(math.degrees(math.atan2(y, x)))
        ele = int(math.degrees(math.atan2(z, math.hypot(x, y))))
        for f in range(round(float(start) / 0.1), round(float(end) / 0.1)):
            out.append((f, f"{f},{classes.index(cls)},{idx},{azi},{ele}"))
    return [r for _, r in sorted(out, key=lambda t: t[0])]


def write_l3das_split(data: Path, labels: Path | None, split: int, recordings: int = 2,
                      converted: Path | None = None) -> list[str]:
    """``recordings`` recordings of one L3DAS22 split: audio of microphones A and B in ``data``, original labels
    in ``labels`` and/or PSELDNets' converted ones in ``converted``. Returns the keys ``split<X>_ov<K>_<N>``."""
    keys = []
    for n in range(recordings):
        key = f"split{split}_ov{n % 3 + 1}_{n}"
        for mic in "AB":
            write_noise(data / f"{key}_{mic}.wav", 32000, 4)
        rows = l3das_rows(key, n % 3 + 1)
        if labels is not None:
            write_rows(labels / f"label_{key}.csv", rows, L3DAS_HEADER)
        if converted is not None:
            write_rows(converted / f"{key}_A.csv", l3das_converted(rows))
        keys.append(key)
    return keys


def build_l3das22_tasks(root: Path, nested: bool = False) -> list[str]:
    """The three task folders side by side (``L3DAS22_Task2_train/data``, ...; ``nested``: as in the Kaggle
    archives, ``L3DAS22_Task2_dev/L3DAS22_Task2_dev/data``): splits 0-3 train, 4 dev, 5 test."""
    keys = []
    for name, splits in (("train", (0, 1, 2, 3)), ("dev", (4,)), ("test", (5,))):
        base = root / f"L3DAS22_Task2_{name}"
        if nested:
            base = base / f"L3DAS22_Task2_{name}"
        for s in splits:
            keys += write_l3das_split(base / "data", base / "labels", s, recordings=1)
    return keys


def build_l3das22_pseldnets(root: Path, original: bool = True, converted: bool = True) -> list[str]:
    """PSELDNets' layout: splits 0-4 in ``data_train/`` (+ ``labels_train/``, ``metadata_train/``), split 5 in
    ``data_test/``."""
    keys = []
    for part, splits in (("train", (0, 1, 2, 3, 4)), ("test", (5,))):
        for s in splits:
            keys += write_l3das_split(root / f"data_{part}", root / f"labels_{part}" if original else None, s,
                                      recordings=1, converted=root / f"metadata_{part}" if converted else None)
    return keys


# -------------------------------------------------------------------------------------------------- SELDnet
def build_seldnet(root: Path, assets: Path, ovs=(1, 2), splits=(1, 2), channels: int = 4,
                  db: int = 30) -> dict[str, list[str]]:
    """SELDnet's layout (``wav_ov<K>_split<S>_<DB>db/`` + ``desc_ov<K>_split<S>/``), one training and one testing
    recording per folder. Desc files are the real TAU-SSE 2019 event lists of the assets (SELDnet's desc format
    is the same), events ending in the first 2 s, with the class names written as SELDnet's clip names
    (``cough`` -> ``cough017``)."""
    written = {}
    sources = sorted(assets.glob("split1_*.csv"))
    i = 0
    for ov in ovs:
        for s in splits:
            for part in ("train", "test"):
                stem = f"{part}_{i}_desc_30_100"  # the same names at every SNR (one desc folder)
                header, rows = event_rows(sources[i % len(sources)])
                rows = [f"{r.split(',', 1)[0]}{17 + j:03d},{r.split(',', 1)[1]}" for j, r in enumerate(rows)]
                write_rows(root / f"desc_ov{ov}_split{s}" / f"{stem}.csv", rows, header)
                write_noise(root / f"wav_ov{ov}_split{s}_{db}db" / f"{stem}.wav", 44100, channels)
                written[f"ov{ov}_split{s}_{stem}"] = rows
                i += 1
    return written
