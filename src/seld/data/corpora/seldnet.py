"""SELDnet's datasets (Adavanne et al., JSTSP 2018): TUT Sound Events 2018 ANSIM, RESIM, CANSIM, CRESIM.

Synthetic 30-second mixtures of the 11 DCASE2016 task 2 isolated sound classes at 44.1 kHz with static point
sources: ANSIM (anechoic, synthetic impulse responses) and RESIM (reverberant) as first-order Ambisonics (4
channels), CANSIM and CRESIM the same scenes on an 8-microphone circular array. Each comes as three sub-datasets of
at most 1, 2 or 3 overlapping events (``ov1``-``ov3``), each with three cross-validation splits (``split1``-
``split3``), one zip per (ov, split), each zip holding its own training and testing files.
Source: Zenodo (Tampere University of Technology), DOIs as we know them: ANSIM 10.5281/zenodo.1237703, RESIM
10.5281/zenodo.1237707, CANSIM 10.5281/zenodo.1237752, CRESIM 10.5281/zenodo.1237754; as we know it, free for
academic use under the licence shipped with each zip. MANSIM (moving sources, FOA) reads the same way.

Layout (the zips unzipped side by side, as the SELDnet code expects)::

    ROOT/wav_ov1_split1_30db/train_0_desc_30_100.wav     audio; the SNR (30 dB) is part of the folder name
    ROOT/wav_ov1_split1_30db/test_0_desc_30_100.wav      a name holds "train" or "test": its part of the split
    ROOT/desc_ov1_split1/train_0_desc_30_100.csv         the event list of each recording, same names
    ROOT/wav_ov2_split3_30db/..., ROOT/desc_ov2_split3/...

Labels: event lists ``sound_event_recording,start_time,end_time,ele,azi,dist`` whose first column is the clip
name (``speech012``: class = the name without its last three characters); label format ``seldnet``, framed at
SELDnet's STFT hop, ``nfft / 2`` samples (nfft 512 as in its feature extraction: 256 / 44100 s).
Folds are ``ov<K>_split<S>_train`` and ``ov<K>_split<S>_test``; splits ``train<S>`` and ``test<S>`` gather the
split's training (testing) files of every ov present (SELDnet trains one model per ov: select the fold, e.g.
``corpus.select("ov1_split1_train")``). Recording ids are ``ov<K>_split<S>_<file name>`` (the file names repeat
across splits).

REAL (TUT Sound Events 2018 real-life impulse responses) names its classes by UrbanSound8K clip ids inside the
event names, which :mod:`seld.formats` does not read: it is refused with a clear error.
"""

from __future__ import annotations

import re
from pathlib import Path

from seld.data.audio import AUDIO_SUFFIXES, audio_info
from seld.data.corpora._common import (check_audio, check_unique_ids, list_files, parse_names, require_dir,
                                       unique_stems)
from seld.data.corpus import Corpus, Recording, pair_files, register_corpus
from seld.errors import ConfigError, InputError
from seld.formats import get_classes

__all__ = ["read_seldnet", "DATASETS"]

SAMPLE_RATE = 44100
#: dataset name -> (channels, array kind)
DATASETS = {"ansim": (4, "foa"), "resim": (4, "foa"), "mansim": (4, "foa"), "cansim": (8, "array"),
            "cresim": (8, "array")}
_WAV = re.compile(r"^wav_ov(?P<ov>\d+)_split(?P<split>\d+)_(?P<db>\d+)db$")
_DESC = re.compile(r"^desc_ov(?P<ov>\d+)_split(?P<split>\d+)$")
_PART = re.compile(r"^(?!.*train.*test)(?!.*test.*train).*(?P<part>train|test)")
_HELP = ("a SELDnet dataset folder holds wav_ov<K>_split<S>_<DB>db/ with the audio and desc_ov<K>_split<S>/ with "
         "the event lists, as unzipped from the ANSIM/RESIM/CANSIM/CRESIM zips")


def _folders(root: Path, db: int | None) -> list[tuple[int, int, Path, Path]]:
    """(ov, split, audio folder, desc folder) of every sub-dataset at ``root``."""
    wav: dict[tuple[int, int], dict[int, Path]] = {}
    desc: dict[tuple[int, int], Path] = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if m := _WAV.match(d.name):
            wav.setdefault((int(m["ov"]), int(m["split"])), {})[int(m["db"])] = d
        elif m := _DESC.match(d.name):
            desc[(int(m["ov"]), int(m["split"]))] = d
    if not wav:
        raise InputError(root / "wav_ov1_split1_30db", "missing folder", _HELP)
    lonely = sorted(set(desc) - set(wav))
    if lonely:
        raise InputError(desc[lonely[0]], f"event lists without audio: no wav_ov{lonely[0][0]}_split{lonely[0][1]}_"
                                          f"<DB>db/ folder", _HELP)
    out = []
    for (ov, split), by_db in sorted(wav.items()):
        if db is not None:
            if db not in by_db:
                raise InputError(root / f"wav_ov{ov}_split{split}_{db}db", "missing folder",
                                 f"db={db} was asked for; ov{ov} split{split} has "
                                 f"{', '.join(p.name for p in by_db.values())}")
            folder = by_db[db]
        elif len(by_db) > 1:
            raise ConfigError(f"{root}: ov{ov} split{split} has audio at several SNRs "
                              f"({', '.join(p.name for p in by_db.values())}); choose one with db=")
        else:
            folder = next(iter(by_db.values()))
        holds = f"the event lists (.csv) of {folder.name}/"
        out.append((ov, split, folder, require_dir(root / f"desc_ov{ov}_split{split}", holds)))
    return out


@register_corpus("seldnet", "SELDnet's ANSIM/RESIM/CANSIM/CRESIM (TUT Sound Events 2018): wav_ov<K>_split<S>_<DB>db/ "
                            "+ desc_ov<K>_split<S>/, 44.1 kHz, 11 classes, 3-fold cross-validation per ov")
def read_seldnet(root: Path, dataset: str | None = None, db: int | None = None, nfft: int = 512,
                 sample_rate: int | None = None) -> Corpus:
    """Read a SELDnet dataset at ``root``. ``dataset``: ``ansim``, ``resim``, ``mansim`` (4-channel FOA),
    ``cansim``, ``cresim`` (8-channel circular array), or ``None`` to tell FOA from the circular array by the
    channel count; ``db``: the SNR of the audio folders when several are present; ``nfft``: SELDnet's STFT size,
    whose hop (``nfft / 2``) is the label frame."""
    root = Path(root)
    rate = int(sample_rate or SAMPLE_RATE)
    if dataset is not None:
        dataset = dataset.lower()
        if dataset in ("real", "mreal"):
            raise ConfigError(f"seldnet: {dataset.upper()} names its classes by UrbanSound8K clip ids, which "
                              "seld.formats does not read; only ansim, resim, mansim, cansim, cresim are supported")
        if dataset not in DATASETS:
            raise ConfigError(f"seldnet: unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    db = None if db is None else int(db)
    if int(nfft) < 2 or int(nfft) % 2:
        raise ConfigError(f"seldnet: nfft must be an even number of samples, got {nfft}")
    recs: list[Recording] = []
    channels = None
    for ov, split, wav_dir, desc_dir in _folders(root, db):
        audio = unique_stems(list_files(wav_dir, AUDIO_SUFFIXES, depth=0), wav_dir)
        if not audio:
            raise InputError(wav_dir, "no audio files", "expected the .wav recordings of this split")
        labels = unique_stems(list_files(desc_dir, (".csv",), depth=0), desc_dir)
        pairs = pair_files(root, audio, labels, f"{wav_dir.name}/ and {desc_dir.name}/")
        parts = parse_names([a for a, _ in pairs], _PART, wav_dir, "a name holding either 'train' or 'test'")
        prefix = f"ov{ov}_split{split}"
        recs += [Recording(f"{prefix}_{a.stem}", a, lab, f"{prefix}_{m['part']}", "")
                 for (a, lab), m in zip(pairs, parts)]
        if channels is None:
            channels = DATASETS[dataset][0] if dataset else audio_info(audio[0]).channels
            if channels not in (4, 8):
                raise InputError(audio[0], f"{channels}-channel audio, SELDnet's datasets have 4 (FOA) or 8 "
                                           "(circular array) channels", "point to a SELDnet dataset folder")
        check_audio(audio[0], f"SELDnet {dataset.upper() if dataset else 'data'}", rate, (channels,))
    check_unique_ids(root, recs)
    array = DATASETS[dataset][1] if dataset else ("foa" if channels == 4 else "array")
    splits: dict[str, tuple[str, ...]] = {}
    for part in ("train", "test"):
        for fold in sorted({r.fold for r in recs if r.fold.endswith(f"_{part}")}):
            s = fold.split("_")[1].removeprefix("split")
            splits[f"{part}{s}"] = splits.get(f"{part}{s}", ()) + (fold,)
    frame = (int(nfft) // 2) / rate
    return Corpus("seldnet", root, get_classes("seldnet").names, rate, array, int(channels), "seldnet", frame,
                  tuple(recs), splits=splits, label_options={"frame_len": frame})
