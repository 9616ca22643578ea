"""STARSS23 and STARSS22: Sony-TAu Realistic Spatial Soundscapes (DCASE2023/2024 and DCASE2022 task 3).

Real recordings (Tampere University and Sony) of 13 sound classes in 16 rooms, 24 kHz, 4 channels as FOA (ACN/SN3D)
or tetrahedral MIC, labels at 100 ms. STARSS22: 121 development recordings; STARSS23: 168 development and 79
evaluation recordings. Source: Zenodo, STARSS22 DOI 10.5281/zenodo.6600531, STARSS23 DOI 10.5281/zenodo.7880637
(the version PSELDNets downloads; both as we know them), MIT licence (see the README shipped with the data).

Layout (as unzipped from foa_dev.zip, mic_dev.zip, metadata_dev.zip, foa_eval.zip, mic_eval.zip)::

    ROOT/foa_dev/dev-train-sony/fold3_room21_mix001.wav     (or mic_dev/; also dev-train-tau, dev-test-sony,
    ROOT/foa_dev/dev-test-tau/fold4_room2_mix001.wav          dev-test-tau)
    ROOT/metadata_dev/dev-train-sony/fold3_room21_mix001.csv  the same subfolders and names
    ROOT/foa_eval/mix001.wav                                  optional; no labels released (``labels=None``),
    ROOT/metadata_eval/mix001.csv                             unless a metadata_eval/ folder is there

PSELDNets' layout (``scripts/prepare_starss23.bash`` moves every file up: ``foa_dev/*.wav``,
``metadata_dev/*.csv``) reads the same way: files may sit directly in the folders or one level below.

Labels: ``frame,class,source,azimuth,elevation`` (STARSS22, DCASE2022 format) and, in the STARSS23 release used by
DCASE2024, a sixth column with the distance in cm (DCASE2024 format; read as metres). Splits: fold3 = ``train``
(dev-train-*), fold4 = ``test`` (dev-test-*), ``eval`` = the evaluation recordings. PSELDNets' room lists
(train fold3 rooms 4, 6, 7, 9, 12, 13, 14, 21, 22; test fold4 rooms 2, 8, 10, 15, 16, 23, 24) are exactly these
folds; other room subsets: ``corpus.select("train", rooms=["room21", "room22"])``.
"""

from __future__ import annotations

import re
from pathlib import Path

from seld.data.corpora._common import read_dcase_layout
from seld.data.corpus import Corpus, register_corpus

__all__ = ["read_starss23", "read_starss22"]

SAMPLE_RATE = 24000
CHANNELS = 4
SPLITS = {"train": ("fold3",), "test": ("fold4",), "eval": ("eval",)}
_NAME = re.compile(r"^(?P<fold>fold\d+)_(?P<room>room\d+)_mix\d+$")
_LAYOUT = ("files fold<F>_room<R>_mix<NNN>.wav / .csv in subfolders dev-train-sony, dev-train-tau, dev-test-sony, "
           "dev-test-tau, or directly in the folders as PSELDNets moves them")


def _read(name: str, title: str, root: Path, array: str, sample_rate: int | None, label_format: str) -> Corpus:
    return read_dcase_layout(name, title, root, array, sample_rate, SAMPLE_RATE, _NAME, "fold<F>_room<R>_mix<NNN>",
                             _LAYOUT, label_format, 0.1, SPLITS, CHANNELS)


@register_corpus("starss23", "STARSS23 (DCASE2023/2024 task 3): foa_dev/ or mic_dev/ + metadata_dev/, 24 kHz, "
                             "13 classes, fold3 train / fold4 test, optional foa_eval/")
def read_starss23(root: Path, array: str = "foa", sample_rate: int | None = None) -> Corpus:
    """Read STARSS23 at ``root`` (``array`` ``"foa"`` or ``"mic"``); labels with or without the distance
    column (DCASE2024 format, distances in metres once read)."""
    return _read("starss23", "STARSS23", Path(root), array, sample_rate, "dcase2024")


@register_corpus("starss22", "STARSS22 (DCASE2022 task 3): foa_dev/ or mic_dev/ + metadata_dev/, 24 kHz, "
                             "13 classes, fold3 train / fold4 test, optional foa_eval/")
def read_starss22(root: Path, array: str = "foa", sample_rate: int | None = None) -> Corpus:
    """Read STARSS22 at ``root`` (``array`` ``"foa"`` or ``"mic"``); 5-column DCASE2022 labels."""
    return _read("starss22", "STARSS22", Path(root), array, sample_rate, "dcase2022")
