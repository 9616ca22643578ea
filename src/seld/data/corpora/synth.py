"""Datasets written by ``seld synth``.

Layout (see :mod:`seld.synth.writer`)::

    ROOT/manifest.json            generation settings; ``layout.classes`` and ``layout.sample_rate``
    ROOT/<format>/<name>.wav      foa/, mic/ or a custom array folder (4-channel or more)
    ROOT/metadata/<name>.csv      DCASE2024 labels (frame, class, source, azi, ele, dist_cm), 100 ms frames

Names are ``fold<F>_room<R>_mix<NNN>``: fold 1 holds the training rooms, fold 2 the test rooms (official splits
``train`` and ``test``). PSELDNets' synthetic sets (``foa/``, ``metadata/``, ``fold0_room0_mix*`` for training,
``fold1_room<R>`` for tests, 170 classes from ``cls_indices_train.tsv``) read with ``classes=`` that file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from seld.data.corpus import Corpus, Recording, pair_files, register_corpus
from seld.data.audio import AUDIO_SUFFIXES, audio_channels
from seld.errors import InputError

_NAME = re.compile(r"^(fold\d+)_(room\d+)_")


@register_corpus("synth", "a dataset written by `seld synth` (make one with `seld synth --bank BANK --out DIR`)")
def read_synth(root: Path, array: str = "foa", classes=None, sample_rate: int | None = None) -> Corpus:
    """Read a ``seld synth`` dataset (or any DCASE-style ``<array>/`` + ``metadata/`` folder with a class list)."""
    manifest = root / "manifest.json"
    layout = {}
    if manifest.is_file():
        try:
            layout = json.loads(manifest.read_text(encoding="utf-8")).get("layout", {})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as err:
            raise InputError(manifest, f"unreadable manifest ({err})", "re-run `seld synth` on this folder") from None
    if classes is None:
        classes = layout.get("classes")
    if classes is None:
        raise InputError(root, "no manifest.json with a class list",
                         "give the classes (data.classes=starss23, or a file with one name per line) or make the "
                         "dataset with `seld synth`")
    from seld.models.checkpoints import resolve_classes

    names = tuple(resolve_classes(classes))
    audio_dir, label_dir = root / array, root / "metadata"
    for d in (audio_dir, label_dir):
        if not d.is_dir():
            raise InputError(d, "missing folder", f"a synthetic dataset holds {array}/ and metadata/; make one with "
                                                  "`seld synth --bank BANK --out DIR`")
    pairs = pair_files(root, [p for p in audio_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES],
                       label_dir.glob("*.csv"), f"{array}/ and metadata/")
    if not pairs:
        raise InputError(audio_dir, "no audio files", "run `seld synth` to fill the dataset")
    recs = []
    for audio, labels in pairs:
        m = _NAME.match(audio.stem)
        recs.append(Recording(audio.stem, audio, labels, m[1] if m else "", m[2] if m else ""))
    rate = int(sample_rate or layout.get("sample_rate") or 24000)
    pseldnets = any(r.fold == "fold0" for r in recs)    # PSELDNets: fold0 trains, fold1 tests
    splits = {"train": ("fold0",), "test": ("fold1",)} if pseldnets else {"train": ("fold1",), "test": ("fold2",)}
    return Corpus("synth", root, names, rate, array if array in ("foa", "mic") else "array",
                  audio_channels(pairs[0][0]), "dcase2024", 0.1, tuple(recs), splits=splits)
