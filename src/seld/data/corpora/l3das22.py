"""L3DAS22 task 2: 3D sound event localization and detection in an office room.

Synthetic 30-second mixtures of 14 FSD50K sound classes placed in an office, recorded with two first-order Ambisonic
microphones (A and B, 4 channels each, ACN/SN3D), 32 kHz, up to 3 overlapping events (``ov1``-``ov3``), positions
in metres relative to microphone A. Splits 0-3 train, 4 dev, 5 test (150 recordings each). Only microphone A is
read (as PSELDNets does): ``*_B.wav`` files are skipped.
Source: the L3DAS22 challenge (ICASSP 2022), on Kaggle (``l3dasteam/l3das22``) and Zenodo; as we know it,
CC BY 4.0 (see the licence shipped with the data).

Layouts read (any one)::

    ROOT/data/split0_ov1_1_A.wav                          one task folder as unzipped (L3DAS22_Task2_train,
    ROOT/data/split0_ov1_1_B.wav                          _dev or _test): audio of microphones A and B ...
    ROOT/labels/label_split0_ov1_1.csv                    ... and the labels of the recording

    ROOT/L3DAS22_Task2_train/data/..., /labels/...        the three task folders side by side (Kaggle nests
    ROOT/L3DAS22_Task2_dev/data/..., /labels/...          each once more: L3DAS22_Task2_dev/L3DAS22_Task2_dev/
    ROOT/L3DAS22_Task2_test/data/..., /labels/...         data/, read too)

    ROOT/data_train/split0_ov1_1_A.wav                    PSELDNets (scripts/prepare_l3das22.bash): splits 0-4
    ROOT/labels_train/label_split0_ov1_1.csv              in data_train/ + labels_train/, split 5 in data_test/
    ROOT/metadata_train/split0_ov1_1_A.csv                + labels_test/; and/or its DCASE-format conversion
    ROOT/data_test/..., labels_test/..., metadata_test/   metadata_train/, metadata_test/ (``labels="pseldnets"``)

Labels: the original files have a header ``File,Start,End,Class,X,Y,Z`` (seconds, class names, metres), turned into
100 ms frames by the official rule (label format ``l3das22``). PSELDNets' converted files are DCASE frame lists
``frame,class,event,azimuth,elevation`` in integer degrees (label format ``dcase2021``, no distance).
Splits: ``train`` (splits 0-3), ``dev`` (split 4), ``test`` (split 5); PSELDNets trains on splits 0-4 and tests on
split 5: ``pseldnets_train``, ``pseldnets_test``. The polyphony is in the name: ``select("train", ids=["*_ov1_*"])``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from seld.data.audio import AUDIO_SUFFIXES
from seld.data.corpora._common import (check_audio, check_unique_ids, list_files, pair_by_key, parse_names,
                                       require_dir, unique_stems)
from seld.data.corpus import Corpus, Recording, register_corpus
from seld.errors import ConfigError, InputError
from seld.formats import get_classes

__all__ = ["read_l3das22"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 32000
CHANNELS = 4
SPLITS = {"train": ("split0", "split1", "split2", "split3"), "dev": ("split4",), "test": ("split5",),
          "pseldnets_train": ("split0", "split1", "split2", "split3", "split4"), "pseldnets_test": ("split5",)}
TASK_FOLDERS = ("L3DAS22_Task2_train", "L3DAS22_Task2_dev", "L3DAS22_Task2_test")
_AUDIO = re.compile(r"^(?P<key>(?P<fold>split\d+)_ov\d+_\d+)_(?P<mic>[AB])$")
_ORIGINAL = re.compile(r"^label_(?P<key>split\d+_ov\d+_\d+)$")
_CONVERTED = re.compile(r"^(?P<key>split\d+_ov\d+_\d+)_A$")
_FORMATS = {"original": "l3das22", "pseldnets": "dcase2021"}
_HELP = ("an L3DAS22 task 2 folder holds data/ (split<X>_ov<K>_<N>_A.wav and _B.wav) and labels/ "
         "(label_split<X>_ov<K>_<N>.csv); or L3DAS22_Task2_train/, L3DAS22_Task2_dev/, L3DAS22_Task2_test/ each "
         "holding those two; or PSELDNets' data_train/, data_test/ with labels_train/, labels_test/ or "
         "metadata_train/, metadata_test/")


def _parts(root: Path, labels: str) -> tuple[list[tuple[Path, Path]], str]:
    """(audio folder, label folder) pairs of the layout at ``root`` and which labels they hold."""
    if labels not in ("auto", "original", "pseldnets"):
        raise ConfigError(f"l3das22: labels must be 'auto', 'original' or 'pseldnets', got {labels!r}")
    if (root / "data").is_dir() or (root / "labels").is_dir():
        kind = "original"
        parts = [(require_dir(root / "data", "the audio (split<X>_ov<K>_<N>_A.wav)"),
                  require_dir(root / "labels", "the labels (label_split<X>_ov<K>_<N>.csv)"))]
    elif any((root / t).is_dir() for t in TASK_FOLDERS):
        kind = "original"
        parts = []
        for t in TASK_FOLDERS:
            base = root / t
            if not base.is_dir():
                continue
            if (base / t).is_dir():  # the Kaggle archives nest each task folder once more
                base = base / t
            parts.append((require_dir(base / "data", f"the audio of {t} (split<X>_ov<K>_<N>_A.wav)"),
                          require_dir(base / "labels", f"the labels of {t} (label_split<X>_ov<K>_<N>.csv)")))
    elif (root / "data_train").is_dir() or (root / "data_test").is_dir():
        sets = [s for s in ("train", "test") if (root / f"data_{s}").is_dir()]
        have = {k: all((root / f"{d}_{s}").is_dir() for s in sets)
                for k, d in (("original", "labels"), ("pseldnets", "metadata"))}
        kind = labels
        if labels == "auto":
            kind = "pseldnets" if have["pseldnets"] and not have["original"] else "original"
        folder = "labels" if kind == "original" else "metadata"
        what = ("the original labels (label_split<X>_ov<K>_<N>.csv)" if kind == "original" else
                "PSELDNets' converted labels (split<X>_ov<K>_<N>_A.csv)")
        parts = [(root / f"data_{s}", require_dir(root / f"{folder}_{s}", f"{what} of data_{s}/")) for s in sets]
        return parts, kind
    else:
        raise InputError(root / "data", "missing folder", _HELP)
    if labels == "pseldnets":
        raise ConfigError(f"l3das22: labels='pseldnets' reads PSELDNets' metadata_train/ and metadata_test/, which "
                          f"{root} does not have; use labels='original' (or 'auto')")
    return parts, kind


@register_corpus("l3das22", "L3DAS22 task 2: data/ + labels/ (or the L3DAS22_Task2_* folders, or PSELDNets' "
                            "data_train/ ...), 32 kHz, mic A (4 ch), 14 classes, splits 0-3 train / 4 dev / 5 test")
def read_l3das22(root: Path, labels: str = "auto", sample_rate: int | None = None) -> Corpus:
    """Read L3DAS22 task 2 at ``root`` (microphone A). ``labels``: ``"original"`` (``label_split*.csv``),
    ``"pseldnets"`` (PSELDNets' converted ``metadata_*/``) or ``"auto"`` (the original ones when present)."""
    root = Path(root)
    rate = int(sample_rate or SAMPLE_RATE)
    parts, kind = _parts(root, labels)
    recs: list[Recording] = []
    for audio_dir, label_dir in parts:
        audio_files = unique_stems(list_files(audio_dir, AUDIO_SUFFIXES, depth=0), audio_dir)
        matches = parse_names(audio_files, _AUDIO, audio_dir, "split<X>_ov<K>_<N>_A.wav / _B.wav")
        audio = {m["key"]: p for p, m in zip(audio_files, matches) if m["mic"] == "A"}
        skipped = len(audio_files) - len(audio)
        if skipped:
            log.debug("%s: %d microphone-B files not read (only microphone A is)", audio_dir, skipped)
        if not audio:
            raise InputError(audio_dir, "no microphone-A audio files (split<X>_ov<K>_<N>_A.wav)",
                             "point to the folder holding the L3DAS22 task 2 recordings")
        label_files = list_files(label_dir, (".csv",), depth=0)
        pattern = _ORIGINAL if kind == "original" else _CONVERTED
        expected = "label_split<X>_ov<K>_<N>.csv" if kind == "original" else "split<X>_ov<K>_<N>_A.csv"
        label_keys = [m["key"] for m in parse_names(label_files, pattern, label_dir, expected)]
        by_key = dict(zip(label_keys, label_files))
        for _key, a, lab in pair_by_key(root, audio, by_key, f"{audio_dir.name}/ and {label_dir.name}/"):
            recs.append(Recording(a.stem, a, lab, _AUDIO.match(a.stem)["fold"], ""))
        check_audio(min(audio.values()), "L3DAS22 (microphone A)", rate, (CHANNELS,))
    check_unique_ids(root, recs)
    return Corpus("l3das22", root, get_classes("l3das22").names, rate, "foa", CHANNELS, _FORMATS[kind], 0.1,
                  tuple(recs), splits=dict(SPLITS))
