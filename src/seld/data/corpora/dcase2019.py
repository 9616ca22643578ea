"""TAU Spatial Sound Events 2019 (DCASE2019 task 3), "TAU-SSE 2019".

Synthetic one-minute mixtures of the 11 DCASE2016 task 2 sound classes spatialised with room responses measured
in 5 rooms (``ir0``-``ir4``), static sources, up to 2 overlapping events, 48 kHz, 4 channels as FOA (ACN/SN3D) or
tetrahedral MIC. 400 development recordings in 4 splits of 100, 100 evaluation recordings.
Source: Zenodo, development DOI 10.5281/zenodo.2599196, evaluation DOI 10.5281/zenodo.3377088 (Tampere
University; as we know it, free for research use under the licence shipped with the data).

Layout (as unzipped)::

    ROOT/foa_dev/split1_ir0_ov1_1.wav            (or mic_dev/), all splits in one folder
    ROOT/metadata_dev/split1_ir0_ov1_1.csv
    ROOT/foa_eval/split0_1.wav                   optional evaluation set, labelled when metadata_eval/ is there
    ROOT/metadata_eval/split0_1.csv

Labels are event lists ``sound_event_recording,start_time,end_time,ele,azi,dist`` (seconds, degrees, metres),
turned into 20 ms frames by the official rule (frames ``floor(onset/0.02)`` to ``ceil(offset/0.02)``, 3000
frames per file): ``label_frame`` is 0.02. Splits: the official 4-fold cross-validation of the baseline,
fold k = 1..4 tests on ``test<k>``, validates on ``val<k>`` and trains on ``train<k>``:

    ====  ======  =====  ================
    k     test    val    train
    ====  ======  =====  ================
    1     split1  split2 split3, split4
    2     split2  split3 split4, split1
    3     split3  split4 split1, split2
    4     split4  split1 split2, split3
    ====  ======  =====  ================

plus ``dev`` (splits 1-4) and ``eval``. Rooms are the impulse-response sets: ``select(rooms=["ir0"])``.
"""

from __future__ import annotations

import re
from pathlib import Path

from seld.data.corpora._common import read_dcase_layout
from seld.data.corpus import Corpus, register_corpus

__all__ = ["read_dcase2019"]

SAMPLE_RATE = 48000
CHANNELS = 4
LABEL_FRAME = 0.02


def _cross_validation() -> dict[str, tuple[str, ...]]:
    """The baseline's folds: test on split k, validate on the next one, train on the other two."""
    test, val, train = (1, 2, 3, 4), (2, 3, 4, 1), ((3, 4), (4, 1), (1, 2), (2, 3))
    splits: dict[str, tuple[str, ...]] = {}
    for k in range(4):
        splits[f"train{k + 1}"] = tuple(f"split{i}" for i in train[k])
        splits[f"val{k + 1}"] = (f"split{val[k]}",)
        splits[f"test{k + 1}"] = (f"split{test[k]}",)
    return {**splits, "dev": tuple(f"split{i}" for i in test), "eval": ("eval",)}


SPLITS = _cross_validation()
_NAME = re.compile(r"^(?P<fold>split\d+)_(?P<room>ir\d+)_ov\d+_\d+$")
_LAYOUT = "files split<S>_ir<R>_ov<K>_<N>.wav / .csv (event lists)"


@register_corpus("dcase2019", "TAU Spatial Sound Events 2019 (DCASE2019 task 3): foa_dev/ or mic_dev/ + "
                              "metadata_dev/, 48 kHz, 11 classes, 4-fold cross-validation train1..4/val1..4/test1..4")
def read_dcase2019(root: Path, array: str = "foa", sample_rate: int | None = None) -> Corpus:
    """Read TAU Spatial Sound Events 2019 at ``root`` (``array`` ``"foa"`` or ``"mic"``)."""
    return read_dcase_layout("dcase2019", "TAU Spatial Sound Events 2019", Path(root), array, sample_rate, SAMPLE_RATE,
                             _NAME, "split<S>_ir<R>_ov<K>_<N>", _LAYOUT, "dcase2019", LABEL_FRAME, SPLITS, CHANNELS,
                             short="DCASE2019")
