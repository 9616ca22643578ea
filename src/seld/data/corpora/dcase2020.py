"""TAU-NIGENS Spatial Sound Events 2020 (DCASE2020 task 3).

Synthetic one-minute mixtures of NIGENS sound events spatialised with TAU-SRIR room responses, with moving and
static sources: 14 classes, up to 2 overlapping events, 24 kHz, 4 channels as FOA (ACN/SN3D) or tetrahedral MIC,
labels at 100 ms. 600 development recordings in 6 folds (flat folders), 200 evaluation recordings.
Source: Zenodo, DOI 10.5281/zenodo.4064792 (Tampere University; as we know it, free for research use under the
licence shipped with the data, the NIGENS sounds under their own CC licences).

Layout (as unzipped from foa_dev.zip, metadata_dev.zip, foa_eval.zip, metadata_eval.zip)::

    ROOT/foa_dev/fold1_room1_mix001_ov1.wav         (or mic_dev/), all folds in one folder
    ROOT/metadata_dev/fold1_room1_mix001_ov1.csv
    ROOT/foa_eval/mix001.wav                        optional evaluation set, labelled when metadata_eval/
    ROOT/metadata_eval/mix001.csv                   is there

Labels: ``frame,class,track,azimuth,elevation`` (DCASE2020 format). Splits (the baseline's): ``train`` folds 3-6,
``val`` fold 2, ``test`` fold 1; ``dev`` (folds 1-6) and ``eval``. The polyphony is in the name: select it with
``corpus.select("train", ids=["*_ov1"])``.
"""

from __future__ import annotations

import re
from pathlib import Path

from seld.data.corpora._common import read_dcase_layout
from seld.data.corpus import Corpus, register_corpus

__all__ = ["read_dcase2020"]

SAMPLE_RATE = 24000
CHANNELS = 4
_DEV = tuple(f"fold{i}" for i in range(1, 7))
SPLITS = {"train": _DEV[2:], "val": ("fold2",), "test": ("fold1",), "dev": _DEV, "eval": ("eval",)}
_NAME = re.compile(r"^(?P<fold>fold\d+)_(?P<room>room\d+)_mix\d+_ov\d+$")
_LAYOUT = "files fold<F>_room<R>_mix<NNN>_ov<K>.wav / .csv"


@register_corpus("dcase2020", "TAU-NIGENS Spatial Sound Events 2020 (DCASE2020 task 3): foa_dev/ or mic_dev/ + "
                              "metadata_dev/, 24 kHz, 14 classes, folds 3-6 train / 2 val / 1 test, optional eval")
def read_dcase2020(root: Path, array: str = "foa", sample_rate: int | None = None) -> Corpus:
    """Read TAU-NIGENS Spatial Sound Events 2020 at ``root`` (``array`` ``"foa"`` or ``"mic"``)."""
    return read_dcase_layout("dcase2020", "TAU-NIGENS Spatial Sound Events 2020", Path(root), array, sample_rate,
                             SAMPLE_RATE, _NAME, "fold<F>_room<R>_mix<NNN>_ov<K>", _LAYOUT, "dcase2020", 0.1, SPLITS,
                             CHANNELS,
                             short="DCASE2020")
