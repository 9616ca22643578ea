"""Corpus readers: each reads a small corpus built in its exact folder layout (real label files, short noise
audio at the corpus' rate) into recordings, folds and official splits whose labels read into Events, and refuses
bad folders with one error naming what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus_builders import (SECONDS, build_dcase2019, build_dcase2020, build_dcase2021, build_l3das22_pseldnets,
                             build_l3das22_tasks, build_seldnet, build_starss, write_l3das_split, write_noise)

from seld.data.corpus import Corpus, list_corpora, load_corpus
from seld.errors import ConfigError, InputError
from seld.formats import ClassList, Events, get_classes, read_labels

ALL = ("synth", "starss23", "starss22", "dcase2021", "dcase2020", "dcase2019", "l3das22", "seldnet")


def read_all(corpus: Corpus) -> dict[str, Events]:
    """Every label file of ``corpus`` read as the data pipeline (LabelStore.build) reads it."""
    classes = ClassList("corpus", corpus.classes)
    return {r.id: read_labels(r.labels, corpus.label_format, classes, **corpus.label_options)
            for r in corpus.recordings}


def ids(corpus: Corpus) -> set[str]:
    return {r.id for r in corpus.recordings}


def test_every_reader_is_registered():
    names = list_corpora()
    assert set(ALL) <= set(names)
    assert all(names[n] for n in ALL)


# ---------------------------------------------------------------------------------------------------- STARSS
def test_starss22_reads_folds_rooms_splits_and_labels(tmp_path: Path, starss22_dir: Path):
    written = build_starss(tmp_path, starss22_dir)
    c = load_corpus("starss22", tmp_path)
    assert (c.name, c.sample_rate, c.channels, c.array, c.label_format) == ("starss22", 24000, 4, "foa", "dcase2022")
    assert c.classes == get_classes("starss22").names and len(c.classes) == 13
    assert c.label_frame == 0.1 and len(c) == 8 and c.folds == ["fold3", "fold4"]
    rec = next(r for r in c.recordings if r.id == "fold3_room21_mix001")
    assert rec.audio == tmp_path / "foa_dev" / "dev-train-sony" / "fold3_room21_mix001.wav"
    assert rec.labels == tmp_path / "metadata_dev" / "dev-train-sony" / "fold3_room21_mix001.csv"
    assert (rec.fold, rec.room) == ("fold3", "room21")
    assert ids(c.select("train")) == {s for s in written if s.startswith("fold3")}
    assert ids(c.select("test")) == {s for s in written if s.startswith("fold4")}
    assert ids(c.select("train", rooms=["room4"])) == {"fold3_room4_mix001", "fold3_room4_mix004"}
    events = read_all(c)
    for stem, rows in written.items():
        ev = events[stem]
        assert isinstance(ev, Events) and len(ev) == len(rows) and ev.dist is None
        assert ev.frame.tolist() == sorted(int(r.split(",")[0]) for r in rows)
    assert len(events["fold4_room10_mix001"]) == 0  # no event in its first 2 s: an empty, valid label file
    assert sum(len(e) for e in events.values()) > 100


def test_starss23_reads_distances_and_an_unlabelled_eval_set(tmp_path: Path, starss22_dir: Path):
    written = build_starss(tmp_path, starss22_dir, distance=True, eval_files=2)
    c = load_corpus("starss23", tmp_path)
    assert (c.label_format, len(c)) == ("dcase2024", 10) and c.folds == ["eval", "fold3", "fold4"]
    ev = c.select("eval")
    assert ids(ev) == {"mix001", "mix002"} and all(r.labels is None and r.fold == "eval" for r in ev.recordings)
    labelled = c.select(["train", "test"])
    events = read_all(labelled)
    rows = written["fold3_room21_mix003"]
    e = events["fold3_room21_mix003"]
    assert len(e) == len(rows) > 0
    # the sixth column is centimetres (100 + 10 x class): read as metres
    np.testing.assert_allclose(np.sort(e.dist), np.sort([(100 + 10 * int(r.split(",")[1])) / 100 for r in rows]))


def test_starss23_reads_the_labelled_eval_set_when_metadata_eval_is_there(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path, starss22_dir, eval_files=1, eval_labels=True)
    c = load_corpus("starss23", tmp_path)
    rec = c.select("eval").recordings[0]
    assert rec.labels == tmp_path / "metadata_eval" / "mix001.csv"
    assert len(read_all(c.select("eval"))["mix001"]) > 0
    shutil.rmtree(tmp_path / "foa_eval")  # labels without their audio folder
    with pytest.raises(InputError, match=r"foa_eval: missing folder \(expected foa_eval/ holding the FOA audio"):
        load_corpus("starss23", tmp_path)


def test_starss23_eval_set_alone(tmp_path: Path):
    for n in (1, 2, 3):
        write_noise(tmp_path / "foa_eval" / f"mix{n:03d}.wav", 24000, 4)
    c = load_corpus("starss23", tmp_path)
    assert c.folds == ["eval"] and len(c) == 3 and all(r.labels is None for r in c.recordings)
    (tmp_path / "metadata_dev").mkdir()  # labels without their audio folder
    with pytest.raises(InputError, match="foa_dev: missing folder"):
        load_corpus("starss23", tmp_path)


def test_starss23_reads_pseldnets_flat_layout_like_the_official_one(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path / "official", starss22_dir)
    build_starss(tmp_path / "flat", starss22_dir, flat=True)
    a, b = load_corpus("starss23", tmp_path / "official"), load_corpus("starss23", tmp_path / "flat")
    assert [(r.id, r.fold, r.room) for r in a.recordings] == [(r.id, r.fold, r.room) for r in b.recordings]
    assert b.recordings[0].audio.parent == tmp_path / "flat" / "foa_dev"


def test_starss23_mic_array_and_a_missing_mic_folder(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path / "both", starss22_dir, arrays=("foa", "mic"))
    mic = load_corpus("starss23", tmp_path / "both", array="mic")
    assert mic.array == "mic" and all(r.audio.parts[-3] == "mic_dev" for r in mic.recordings)
    build_starss(tmp_path / "foa", starss22_dir)
    with pytest.raises(InputError, match=r"mic_dev.*missing folder.*array='foa'"):
        load_corpus("starss23", tmp_path / "foa", array="mic")
    with pytest.raises(ConfigError, match="array must be"):
        load_corpus("starss23", tmp_path / "foa", array="binaural")


# ------------------------------------------------------------------------------------------ TAU-NIGENS 2021
def test_dcase2021_official_and_pseldnets_splits(tmp_path: Path, starss22_dir: Path):
    written = build_dcase2021(tmp_path, starss22_dir)
    c = load_corpus("dcase2021", tmp_path)
    assert (c.sample_rate, c.channels, c.label_format, len(c.classes)) == (24000, 4, "dcase2021", 12)
    assert c.folds == ["eval"] + [f"fold{i}" for i in range(1, 7)]
    assert {r.fold for r in c.select("train").recordings} == {"fold1", "fold2", "fold3", "fold4"}
    assert ids(c.select("val")) == {"fold5_room3_mix005"} and ids(c.select("test")) == {"fold6_room1_mix006"}
    assert len(c.select("pseldnets_train")) == 6 and ids(c.select("pseldnets_test")) == {"mix001", "mix002"}
    assert c.select("val").recordings[0].audio.parent.name == "dev-val"
    events = read_all(c)
    assert all(len(events[s]) == len(rows) for s, rows in written.items())
    assert all(int(e.cls.max()) < 12 for e in events.values() if len(e))


# ------------------------------------------------------------------------------------------ TAU-NIGENS 2020
def test_dcase2020_flat_folders_and_baseline_splits(tmp_path: Path, starss22_dir: Path):
    written = build_dcase2020(tmp_path, starss22_dir)
    c = load_corpus("dcase2020", tmp_path)
    assert (c.sample_rate, c.label_format, len(c.classes), len(c)) == (24000, "dcase2020", 14, 12)
    assert {r.fold for r in c.select("train").recordings} == {"fold3", "fold4", "fold5", "fold6"}
    assert {r.fold for r in c.select("val").recordings} == {"fold2"}
    assert {r.fold for r in c.select("test").recordings} == {"fold1"}
    assert ids(c.select("test", ids=["*_ov1"])) == {"fold1_room1_mix001_ov1"}
    rec = c.select("test", ids=["*_ov2"]).recordings[0]
    assert rec.room == "room1" and rec.labels == tmp_path / "metadata_dev" / "fold1_room1_mix002_ov2.csv"
    events = read_all(c)
    assert all(len(events[s]) == len(rows) for s, rows in written.items())


# --------------------------------------------------------------------------------------------- TAU-SSE 2019
def test_dcase2019_cross_validation_splits_and_20ms_labels(tmp_path: Path, dcase2019_dir: Path):
    written = build_dcase2019(tmp_path, dcase2019_dir)
    c = load_corpus("dcase2019", tmp_path)
    assert (c.sample_rate, c.channels, c.label_format, len(c.classes), len(c)) == (48000, 4, "dcase2019", 11, 4)
    assert c.folds == ["split1", "split2", "split3", "split4"]
    by_fold = {r.fold: r.id for r in c.recordings}
    for k, (test, val, train) in enumerate([(1, 2, (3, 4)), (2, 3, (4, 1)), (3, 4, (1, 2)), (4, 1, (2, 3))], 1):
        assert ids(c.select(f"test{k}")) == {by_fold[f"split{test}"]}
        assert ids(c.select(f"val{k}")) == {by_fold[f"split{val}"]}
        assert ids(c.select(f"train{k}")) == {by_fold[f"split{i}"] for i in train}
    assert {r.room for r in c.recordings} == {"ir0", "ir1"}
    events = read_all(c)
    for stem, rows in written.items():
        ev = events[stem]
        assert ev.frame_len == pytest.approx(c.label_frame) == 0.02
        assert sorted(set(ev.frame.tolist()))[:1] == sorted(int(float(r.split(",")[1]) / 0.02) for r in rows)[:1]
        assert ev.frame.max(initial=0) < SECONDS / 0.02  # the cut labels lie inside the 2 s of audio
    assert sum(len(e) for e in events.values()) > 0


def test_dcase2019_with_resampled_audio_needs_sample_rate(tmp_path: Path, dcase2019_dir: Path):
    build_dcase2019(tmp_path, dcase2019_dir)
    for p in (tmp_path / "foa_dev").glob("*.wav"):
        write_noise(p, 24000, 4)
    with pytest.raises(InputError, match=r"24000 Hz audio, DCASE2019 is read at 48000 Hz.*sample_rate="):
        load_corpus("dcase2019", tmp_path)
    assert load_corpus("dcase2019", tmp_path, sample_rate=24000).sample_rate == 24000


# -------------------------------------------------------------------------------------------------- L3DAS22
def test_l3das22_one_task_folder_reads_mic_a_only(tmp_path: Path):
    keys = write_l3das_split(tmp_path / "data", tmp_path / "labels", 0, recordings=3)
    c = load_corpus("l3das22", tmp_path)
    assert (c.sample_rate, c.channels, c.label_format, len(c.classes)) == (32000, 4, "l3das22", 14)
    assert ids(c) == {f"{k}_A" for k in keys} and all(r.audio.stem.endswith("_A") for r in c.recordings)
    rec = c.recordings[0]
    assert rec.labels == tmp_path / "labels" / f"label_{keys[0]}.csv" and rec.fold == "split0"
    events = read_all(c)
    assert [len({int(t) for t in events[f"{k}_A"].track}) for k in keys] == [1, 2, 3]  # 1, 2, 3 events
    knock = events[f"{keys[0]}_A"]
    assert knock.frame.tolist() == [2, 3, 4, 5, 6, 7] and get_classes("l3das22")[int(knock.cls[0])] == "Knock"
    np.testing.assert_allclose(knock.dist, 1.0)


@pytest.mark.parametrize("nested", [False, True])
def test_l3das22_task_folders_and_splits(tmp_path: Path, nested: bool):
    build_l3das22_tasks(tmp_path, nested=nested)
    c = load_corpus("l3das22", tmp_path)
    assert c.folds == [f"split{i}" for i in range(6)]
    assert {r.fold for r in c.select("train").recordings} == {"split0", "split1", "split2", "split3"}
    assert {r.fold for r in c.select("dev").recordings} == {"split4"}
    assert {r.fold for r in c.select("test").recordings} == {"split5"}
    assert len(c.select("pseldnets_train")) == 5
    assert sum(len(e) for e in read_all(c).values()) > 0


def test_l3das22_pseldnets_layout_original_and_converted_labels(tmp_path: Path):
    build_l3das22_pseldnets(tmp_path)
    orig = load_corpus("l3das22", tmp_path)
    conv = load_corpus("l3das22", tmp_path, labels="pseldnets")
    assert (orig.label_format, conv.label_format) == ("l3das22", "dcase2021")
    assert ids(orig) == ids(conv) and ids(conv.select("pseldnets_test")) == {"split5_ov1_0_A"}
    assert conv.recordings[0].labels.parent.name == "metadata_train"
    eo, ec = read_all(orig), read_all(conv)
    for rid in ids(orig):
        assert ec[rid].frame.tolist() == eo[rid].frame.tolist() and ec[rid].cls.tolist() == eo[rid].cls.tolist()
        # integer (truncated) degrees in the conversion: directions agree within a degree
        cos = np.sum(ec[rid].xyz * eo[rid].xyz, axis=1)
        assert np.all(np.degrees(np.arccos(np.clip(cos, -1, 1))) < 1.5)
    build_l3das22_pseldnets(tmp_path / "converted_only", original=False)
    assert load_corpus("l3das22", tmp_path / "converted_only").label_format == "dcase2021"
    with pytest.raises(InputError, match="labels_train.*missing folder"):
        load_corpus("l3das22", tmp_path / "converted_only", labels="original")
    write_l3das_split(tmp_path / "single" / "data", tmp_path / "single" / "labels", 0)
    with pytest.raises(ConfigError, match="metadata_train"):
        load_corpus("l3das22", tmp_path / "single", labels="pseldnets")


# -------------------------------------------------------------------------------------------------- SELDnet
def test_seldnet_folds_splits_ids_and_stft_hop_frames(tmp_path: Path, dcase2019_dir: Path):
    written = build_seldnet(tmp_path, dcase2019_dir)
    c = load_corpus("seldnet", tmp_path, dataset="ansim")
    assert (c.sample_rate, c.channels, c.array, c.label_format, len(c)) == (44100, 4, "foa", "seldnet", 8)
    assert c.classes == get_classes("seldnet").names
    assert c.label_frame == pytest.approx(256 / 44100) and c.label_options == {"frame_len": c.label_frame}
    assert set(c.splits) == {"train1", "train2", "test1", "test2"}
    assert {r.fold for r in c.select("train1").recordings} == {"ov1_split1_train", "ov2_split1_train"}
    one = c.select("ov2_split2_test")
    assert len(one) == 1 and one.recordings[0].id == "ov2_split2_test_7_desc_30_100"
    assert one.recordings[0].audio == tmp_path / "wav_ov2_split2_30db" / "test_7_desc_30_100.wav"
    events = read_all(c)
    for rid, rows in written.items():
        ev = events[rid]
        assert ev.frame_len == pytest.approx(256 / 44100)
        assert len(set(ev.cls.tolist())) == len({r.split(",")[0][:-3] for r in rows})  # clip name -> class
        assert ev.frame.max(initial=0) <= SECONDS * 44100 / 256 + 1
    nfft = load_corpus("seldnet", tmp_path, nfft=1024)
    assert nfft.label_frame == pytest.approx(512 / 44100)


def test_seldnet_circular_array_and_snr_choice(tmp_path: Path, dcase2019_dir: Path):
    build_seldnet(tmp_path, dcase2019_dir, ovs=(1,), splits=(1,), channels=8)
    c = load_corpus("seldnet", tmp_path)
    assert (c.channels, c.array) == (8, "array")
    with pytest.raises(InputError, match="8-channel audio.*4 channels"):
        load_corpus("seldnet", tmp_path, dataset="resim")
    assert load_corpus("seldnet", tmp_path, dataset="cresim").channels == 8
    build_seldnet(tmp_path, dcase2019_dir, ovs=(1,), splits=(1,), channels=8, db=20)
    with pytest.raises(ConfigError, match="several SNRs.*db="):
        load_corpus("seldnet", tmp_path)
    assert len(load_corpus("seldnet", tmp_path, db=20)) == 2
    with pytest.raises(ConfigError, match="UrbanSound8K"):
        load_corpus("seldnet", tmp_path, dataset="real")


# ---------------------------------------------------------------------------------------------- bad folders
def _starss(root, a22, a19):
    build_starss(root, a22)
    return "starss23", root / "foa_dev" / "dev-train-sony" / "fold3_room21_mix001.wav", \
        root / "metadata_dev" / "dev-test-sony" / "fold4_room23_mix004.csv"


def _dcase2021(root, a22, a19):
    build_dcase2021(root, a22)
    return "dcase2021", root / "foa_dev" / "dev-val" / "fold5_room3_mix005.wav", \
        root / "metadata_eval" / "eval-test" / "mix002.csv"


def _dcase2020(root, a22, a19):
    build_dcase2020(root, a22)
    return "dcase2020", root / "foa_dev" / "fold2_room2_mix001_ov1.wav", \
        root / "metadata_dev" / "fold6_room6_mix002_ov2.csv"


def _dcase2019(root, a22, a19):
    build_dcase2019(root, a19)
    return "dcase2019", root / "foa_dev" / "split2_ir0_ov2_11.wav", root / "metadata_dev" / "split4_ir1_ov2_31.csv"


def _l3das22(root, a22, a19):
    build_l3das22_tasks(root)
    return "l3das22", root / "L3DAS22_Task2_dev" / "data" / "split4_ov1_0_A.wav", \
        root / "L3DAS22_Task2_train" / "labels" / "label_split2_ov1_0.csv"


def _seldnet(root, a22, a19):
    build_seldnet(root, a19)
    return "seldnet", root / "wav_ov1_split2_30db" / "test_3_desc_30_100.wav", \
        root / "desc_ov2_split1" / "train_4_desc_30_100.csv"


BUILDERS = [_starss, _dcase2021, _dcase2020, _dcase2019, _l3das22, _seldnet]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_audio_without_labels_names_the_file(tmp_path: Path, starss22_dir: Path, dcase2019_dir: Path, build):
    name, audio, labels = build(tmp_path, starss22_dir, dcase2019_dir)
    load_corpus(name, tmp_path)  # intact first
    _label_of(name, audio, tmp_path).unlink()
    with pytest.raises(InputError, match=rf"1 audio file\(s\) without labels \({audio}\)"):
        load_corpus(name, tmp_path)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_labels_without_audio_names_the_file(tmp_path: Path, starss22_dir: Path, dcase2019_dir: Path, build):
    name, audio, labels = build(tmp_path, starss22_dir, dcase2019_dir)
    _audio_of(name, labels, tmp_path).unlink()
    with pytest.raises(InputError, match=rf"1 label file\(s\) without audio \({labels}\)"):
        load_corpus(name, tmp_path)


DCASE_HOLDS = "foa_dev/ with the audio and metadata_dev/ with the labels"


@pytest.mark.parametrize("name, expected, holds", [
    *[(n, "foa_dev", DCASE_HOLDS) for n in ("starss23", "starss22", "dcase2021", "dcase2020", "dcase2019")],
    ("l3das22", "data", "labels/ (label_split"),
    ("seldnet", "wav_ov1_split1_30db", "desc_ov<K>_split<S>/ with the event lists")])
def test_an_empty_folder_says_which_folder_is_expected(tmp_path: Path, name: str, expected: str, holds: str):
    (tmp_path / "unrelated").mkdir()
    with pytest.raises(InputError, match="missing folder") as err:
        load_corpus(name, tmp_path)
    assert err.value.path == tmp_path / expected and holds in str(err.value)


def test_a_missing_label_folder_is_named(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path, starss22_dir)
    shutil.rmtree(tmp_path / "metadata_dev")
    with pytest.raises(InputError, match=r"metadata_dev: missing folder \(expected metadata_dev/ holding the label"):
        load_corpus("starss23", tmp_path)


def test_files_not_named_like_the_corpus_are_an_error(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path, starss22_dir)
    write_noise(tmp_path / "foa_dev" / "dev-train-sony" / "recording1.wav", 24000, 4)
    (tmp_path / "metadata_dev" / "dev-train-sony" / "recording1.csv").write_text("")
    with pytest.raises(InputError, match=r"1 file\(s\) not named like fold<F>_room<R>_mix<NNN>.*recording1.wav"):
        load_corpus("starss23", tmp_path)


def test_the_same_recording_in_two_subfolders_is_an_error(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path, starss22_dir)
    src = tmp_path / "foa_dev" / "dev-train-sony" / "fold3_room21_mix001.wav"
    (tmp_path / "foa_dev" / "dev-test-sony" / src.name).write_bytes(src.read_bytes())
    with pytest.raises(InputError, match="occur twice.*fold3_room21_mix001.wav"):
        load_corpus("starss23", tmp_path)


def test_wrong_channel_count_is_an_error(tmp_path: Path, starss22_dir: Path):
    build_starss(tmp_path, starss22_dir)
    for p in (tmp_path / "foa_dev").rglob("*.wav"):
        write_noise(p, 24000, 2)
    with pytest.raises(InputError, match="2-channel audio, STARSS23 has 4 channels"):
        load_corpus("starss23", tmp_path)


def _label_of(name: str, audio: Path, root: Path) -> Path:
    """The label file of an audio file in each layout."""
    if name == "l3das22":
        return audio.parent.parent / "labels" / f"label_{audio.stem[:-2]}.csv"
    if name == "seldnet":
        ov_split = audio.parent.name.split("_")[1:3]
        return root / f"desc_{'_'.join(ov_split)}" / f"{audio.stem}.csv"
    rel = audio.relative_to(root)
    return root / rel.parts[0].replace("foa_", "metadata_") / Path(*rel.parts[1:]).with_suffix(".csv")


def _audio_of(name: str, labels: Path, root: Path) -> Path:
    """The audio file of a label file in each layout."""
    if name == "l3das22":
        return labels.parent.parent / "data" / f"{labels.stem.removeprefix('label_')}_A.wav"
    if name == "seldnet":
        ov, split = labels.parent.name.split("_")[1:3]
        return root / f"wav_{ov}_{split}_30db" / f"{labels.stem}.wav"
    rel = labels.relative_to(root)
    return root / rel.parts[0].replace("metadata_", "foa_") / Path(*rel.parts[1:]).with_suffix(".wav")
