"""TAU-NIGENS Spatial Sound Events 2021 (DCASE2021 task 3).

Synthetic one-minute mixtures of NIGENS sound events spatialised with TAU-SRIR room responses, with directional
interferers: 12 classes, up to 3 overlapping events (same class included), 24 kHz, 4 channels as FOA (ACN/SN3D)
or tetrahedral MIC, labels at 100 ms. 600 development recordings in 6 folds, 200 evaluation recordings.
Source: Zenodo, DOI 10.5281/zenodo.5476980 (Tampere University; as we know it, free for research use under the
licence shipped with the data, the NIGENS sounds under their own CC licences).

Layout (as unzipped from foa_dev.zip, metadata_dev.zip, foa_eval.zip, metadata_eval.zip)::

    ROOT/foa_dev/dev-train/fold1_room1_mix001.wav        (or mic_dev/); folds 1-4 in dev-train,
    ROOT/foa_dev/dev-val/fold5_room1_mix001.wav           fold 5 in dev-val, fold 6 in dev-test
    ROOT/foa_dev/dev-test/fold6_room2_mix001.wav
    ROOT/metadata_dev/dev-train/fold1_room1_mix001.csv    the same subfolders and names
    ROOT/foa_eval/eval-*/mix001.wav                       optional evaluation set (``mix001`` ... ``mix200``, in
    ROOT/metadata_eval/eval-*/mix001.csv                  one subfolder), labelled when metadata_eval/ is there

PSELDNets' layout (``scripts/prepare_dcase2021.bash`` moves every file up: ``foa_dev/*.wav``,
``metadata_dev/*.csv``, ``foa_eval/*.wav``, ``metadata_eval/*.csv``) reads the same way.

Labels: ``frame,class,track,azimuth,elevation`` (DCASE2021 format). Splits: the official ``train`` (folds 1-4),
``val`` (fold 5), ``test`` (fold 6); ``dev`` (folds 1-6) and ``eval``; PSELDNets fine-tunes on all six development
folds and tests on the evaluation set: ``pseldnets_train`` (= ``dev``) and ``pseldnets_test`` (= ``eval``).
"""

from __future__ import annotations

import re
from pathlib import Path

from seld.data.corpora._common import read_dcase_layout
from seld.data.corpus import Corpus, register_corpus

__all__ = ["read_dcase2021"]

SAMPLE_RATE = 24000
CHANNELS = 4
_DEV = tuple(f"fold{i}" for i in range(1, 7))
SPLITS = {"train": _DEV[:4], "val": ("fold5",), "test": ("fold6",), "dev": _DEV, "eval": ("eval",),
          "pseldnets_train": _DEV, "pseldnets_test": ("eval",)}
_NAME = re.compile(r"^(?P<fold>fold\d+)_(?P<room>room\d+)_mix\d+$")
_LAYOUT = ("files fold<F>_room<R>_mix<NNN>.wav / .csv in subfolders dev-train, dev-val, dev-test, or directly in "
           "the folders as PSELDNets moves them")


@register_corpus("dcase2021", "TAU-NIGENS Spatial Sound Events 2021 (DCASE2021 task 3): foa_dev/ or mic_dev/ + "
                              "metadata_dev/, 24 kHz, 12 classes, folds 1-4 train / 5 val / 6 test, optional eval")
def read_dcase2021(root: Path, array: str = "foa", sample_rate: int | None = None) -> Corpus:
    """Read TAU-NIGENS Spatial Sound Events 2021 at ``root`` (``array`` ``"foa"`` or ``"mic"``)."""
    return read_dcase_layout("dcase2021", "TAU-NIGENS Spatial Sound Events 2021", Path(root), array, sample_rate,
                             SAMPLE_RATE, _NAME, "fold<F>_room<R>_mix<NNN>", _LAYOUT, "dcase2021", 0.1, SPLITS,
                             CHANNELS,
                             short="DCASE2021")
