"""Property tests of every reader of user files: random, and mostly mutated valid, inputs give a result whose
values are all in range, or a :class:`~seld.errors.SeldError`; never another exception.

Readers covered: frame-list labels and predictions of every year and layout, DCASE2019 / SELDnet event lists
(moving variants too), L3DAS event lists, bank source CSVs, bank manifests and bank.json, class-list files,
array geometry files (as ``seld synth --formats array:FILE`` reads them), checkpoints (ours, and any torch file),
and audio headers (bank input decoding, bank clips, the resume check of finished scenes).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from hypothesis import given
from hypothesis import strategies as st
from reliability_strategies import FUZZ, file_bytes, flipped

from seld.errors import SeldError
from seld.formats import read_frame_file, read_labels, read_predictions, read_segments
from seld.formats.frames import LAYOUTS, MAX_FRAMES, MAX_TRACKS
from seld.formats.io import LABEL_FORMAT_NAMES, PREDICTION_FORMAT_NAMES
from seld.formats.segments import MAX_SECONDS

FRAME_FILES = [
    "0,1,0,10,20\n1,1,0,-170,-40\n5,12,1,0,0\n",                  # DCASE2020-2022 labels
    "0,1,0,10,20,150\n3,4,2,-90,45,320\n",                         # DCASE2023/2024 labels (cm)
    "0,1,0,0.5,0.5,0.7\n2,3,1,-1,0,0\n",                           # cartesian predictions
    "0,1,0,0.5,0.5,0.7,1.5\n1,2,0,0,0,1,0.3\n",                    # cartesian-dist predictions
    "frame,class,track,x,y,z,dist\n0,1,0,0.5,0.5,0.7,1.5\n",       # with a header row
    "0,1,10,20\n1,2,-30,5\n",                                      # polar4 / DCASE2019 submissions
    "0,1,1.0,0.5,0.2\n4,13,-2,0.5,1\n",                            # L3DAS submissions (metres)
]
EVENT_LISTS = [
    "sound_event_recording,start_time,end_time,ele,azi,dist\nspeech012,0.1,0.5,10,20,2\ncough,1.0,2.5,-40,-170,1\n",
    "sound_event_recording,start_time,end_time,ele,azi,ele_dir,azi_dir,ang_vel,dist\n"
    "speech012,0.1,1.5,10,20,0,1,20,2\n",
    "sound_event_recording,start_time,end_time,ele,azi,ang_vel,dist\nknock001,0.5,1.0,0,90,-10,1.5\n",
    "File,Start,End,Class,X,Y,Z\nsplit0_1,0.25,0.75,Knock,1,0,0\nsplit0_1,1.0,1.2,Printer,0.5,-1.0,0.2\n",
]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check_events(ev, num_classes: int | None = None) -> None:
    """Every value of a read table in range."""
    assert ((ev.frame >= 0) & (ev.frame < MAX_FRAMES)).all()
    assert (ev.cls >= 0).all() and (num_classes is None or (ev.cls < num_classes).all())
    assert ((ev.track >= 0) & (ev.track < MAX_TRACKS)).all()
    assert np.isfinite(ev.xyz).all()
    assert np.allclose(np.linalg.norm(ev.xyz, axis=1), 1.0, atol=1e-6)
    if ev.dist is not None:
        assert np.isfinite(ev.dist).all() and (ev.dist >= 0).all()
    assert ev.frame_len > 0


@FUZZ
@given(data=file_bytes(FRAME_FILES + EVENT_LISTS), layout=st.sampled_from(["auto", *LAYOUTS]),
       reference=st.booleans(), classes=st.sampled_from([None, 13, "l3das22"]))
def test_frame_lists(tmp_path_factory, data, layout, reference, classes):
    path = _write(tmp_path_factory.mktemp("f"), "file.csv", data)
    try:
        ev = read_frame_file(path, layout, reference=reference, classes=classes)
    except SeldError:
        return
    check_events(ev, None if classes is None else (13 if classes == 13 else 14))


@FUZZ
@given(data=file_bytes(FRAME_FILES + EVENT_LISTS), fmt=st.sampled_from(LABEL_FORMAT_NAMES),
       pred_fmt=st.sampled_from(PREDICTION_FORMAT_NAMES),
       frame_len=st.sampled_from([None, 0.02, 0.1, 256 / 44100, 1e-4]))
def test_labels_and_predictions_of_every_year(tmp_path_factory, data, fmt, pred_fmt, frame_len):
    path = _write(tmp_path_factory.mktemp("l"), "file.csv", data)
    try:
        check_events(read_labels(path, fmt, frame_len=frame_len))
    except SeldError:
        pass
    try:
        check_events(read_predictions(path, pred_fmt, frame_len=frame_len))
    except SeldError:
        pass


@FUZZ
@given(data=file_bytes(EVENT_LISTS), classes=st.sampled_from([None, "dcase2019", "l3das21", 20]),
       frame_len=st.sampled_from([None, 0.02, 0.1, 1e-4, 1e-3]))
def test_event_lists(tmp_path_factory, data, classes, frame_len):
    path = _write(tmp_path_factory.mktemp("e"), "file.csv", data)
    try:
        seg = read_segments(path, classes)
    except SeldError:
        return
    assert (seg.onset >= 0).all() and (seg.offset >= seg.onset).all() and (seg.offset <= MAX_SECONDS).all()
    assert np.isfinite(seg.xyz).all() and (seg.dist >= 0).all()
    assert np.allclose(np.linalg.norm(seg.xyz, axis=1), 1.0, atol=1e-6)
    try:
        ev = seg.to_events(frame_len=frame_len)
    except SeldError:
        return
    check_events(ev)


# --------------------------------------------------------------------------------------------- bank inputs
BANK_CSVS = ["path,class,licence\nclips/a.wav,bell,CC0\nclips/b.wav,1\n", "a.wav,female_speech\nb.flac,Knock,CC-BY\n",
             'a.wav,bell\n"with,comma.wav",bell,"CC0"\n']


@FUZZ
@given(data=file_bytes(BANK_CSVS), classes=st.sampled_from(["starss23", "auto", "l3das22"]))
def test_bank_source_csvs(tmp_path_factory, data, classes):
    from seld.synth.bank import sources_from_csv

    path = _write(tmp_path_factory.mktemp("b"), "list.csv", data)
    try:
        class_list, sources = sources_from_csv(path, classes)
    except SeldError:
        return
    assert sources and len(class_list) >= 1
    assert all(name.strip() for name in class_list.names)
    assert all(0 <= s.cls < len(class_list) and Path(s.path).name for s in sources)
    if classes == "auto":
        assert list(class_list.names) == sorted(class_list.names, key=lambda n: (n.casefold(), n))


@FUZZ
@given(data=st.data(), which=st.sampled_from(["manifest.csv", "bank.json"]))
def test_bank_manifests(small_bank, tmp_path_factory, data, which):
    from seld.synth.bank import Bank

    root = tmp_path_factory.mktemp("bank")
    for name in ("manifest.csv", "bank.json"):
        shutil.copy(small_bank / name, root / name)
    valid = (small_bank / which).read_text()
    (root / which).write_bytes(data.draw(file_bytes([valid])))
    try:
        bank = Bank(root)
    except SeldError:
        return
    assert 8000 <= bank.sample_rate <= 384000 and len(bank.classes) >= 1 and len(bank) >= 1
    for clip in bank.clips:
        assert 0 <= clip.cls < len(bank.classes) and clip.split in ("train", "test")
        assert np.isfinite(clip.duration) and 0 < clip.duration <= 3600 and clip.sample_rate == bank.sample_rate
        assert np.isfinite(clip.loudness_db) and not Path(clip.path).is_absolute() and ".." not in Path(clip.path).parts
    assert len({c.id for c in bank.clips}) == len(bank)


# --------------------------------------------------------------------------------- class lists and arrays
CLASS_FILES = ["female_speech\nmale_speech\nclapping\n", "0\t/m/09x0r\tSpeech\n1\t/m/0ytgt\tChild speech\n",
               "alarm\n\nbaby\n"]


@FUZZ
@given(data=file_bytes(CLASS_FILES))
def test_class_list_files(tmp_path_factory, data):
    from seld.models.checkpoints import resolve_classes

    path = _write(tmp_path_factory.mktemp("c"), "classes.txt", data)
    try:
        names = resolve_classes(str(path))
    except SeldError:
        return
    assert names and all(n and n == n.strip() and n.isprintable() for n in names)
    assert len(set(names)) == len(names)


ARRAY_FILES = ["0.05,0,0\n0,0.05,0\n-0.05,0,0\n0,-0.05,0\n", "# tetra\n0.02 0.02 0.02\n-0.02 -0.02 0.02  # mic 2\n"]


@FUZZ
@given(data=file_bytes(ARRAY_FILES))
def test_array_geometry_files_as_synth_reads_them(tmp_path_factory, data):
    from seld.synth.arrays import get_format
    from seld.synth.cli import _parse_formats

    path = _write(tmp_path_factory.mktemp("a"), "array.txt", data)
    try:
        (spec,) = _parse_formats(f"array:{path}")
        fmt = get_format(spec)
    except SeldError:
        return
    xyz = fmt.positions
    assert np.isfinite(xyz).all() and xyz.shape[1] == 3 and len(xyz) >= 1 and np.abs(xyz).max() <= 10.0
    gaps = np.linalg.norm(xyz[:, None] - xyz[None], axis=-1) + np.eye(len(xyz))
    assert gaps.min() >= 1e-3


# ---------------------------------------------------------------------------------------------- checkpoints
@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory) -> tuple[bytes, dict]:
    from seld.models import create_model
    from seld.models.checkpoints import save_checkpoint

    path = save_checkpoint(create_model("test_crnn", num_classes=3), tmp_path_factory.mktemp("ck") / "m.ckpt")
    return path.read_bytes(), torch.load(path, weights_only=True)["state_dict"]


@FUZZ
@given(data=st.data())
def test_checkpoints(tmp_path_factory, checkpoint_bytes, data):
    from seld.models.checkpoints import load_checkpoint

    good, state = checkpoint_bytes
    raw = data.draw(st.one_of(flipped(good), st.binary(max_size=400)))
    path = _write(tmp_path_factory.mktemp("k"), "m.ckpt", raw)
    try:
        model, _ = load_checkpoint(path)
    except SeldError:
        return
    loaded = model.state_dict()   # whatever loads is exactly what was saved
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)


@FUZZ
@given(data=st.data())
def test_any_torch_file(tmp_path_factory, data):
    from seld.models.checkpoints import read_torch_file

    value = data.draw(st.sampled_from([
        {"state_dict": {"w": torch.ones(3)}}, {"state_dict": [1, 2]}, {"model": {"a": torch.zeros(2, 2)}},
        {"w": torch.full((2,), float("nan"))}, [torch.ones(1)], {"state_dict": {"w": 1.0}}, {}]))
    buf = io.BytesIO()
    torch.save(value, buf)
    raw = data.draw(st.one_of(st.just(buf.getvalue()), flipped(buf.getvalue())))
    path = _write(tmp_path_factory.mktemp("t"), "x.pt", raw)
    try:
        obj = read_torch_file(path)
    except SeldError:
        return
    assert isinstance(obj, dict)
    for key in ("state_dict", "model"):
        if key in obj:
            assert all(isinstance(v, torch.Tensor) and not torch.isnan(v).any() for v in obj[key].values())


# ---------------------------------------------------------------------------------------------- audio headers
@pytest.fixture(scope="module")
def audio_files() -> dict[str, bytes]:
    out = {}
    x = 0.3 * np.sin(2 * np.pi * 330 * np.arange(4800) / 16000)
    for kind, fmt in (("wav", "WAV"), ("flac", "FLAC")):
        buf = io.BytesIO()
        sf.write(buf, np.stack([x, -x], axis=1), 16000, format=fmt, subtype="PCM_16")
        out[kind] = buf.getvalue()
    return out


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["wav", "flac"]), damage=st.sampled_from(["cut", "flip", "noise"]))
def test_audio_headers(tmp_path_factory, audio_files, data, kind, damage):
    """Decoding user audio gives pieces or a reason, never an exception; the resume check catches every file cut
    short (what an interrupted copy or a full disk leaves) and never raises on a damaged one."""
    from seld.synth.bank import BankSettings, SourceFile, _load, _process
    from seld.synth.writer import audio_problem

    good = audio_files[kind]
    if damage == "cut":
        raw = good[:data.draw(st.integers(0, len(good) - 1))]
    elif damage == "flip":
        raw = data.draw(flipped(good, max_flips=3))
    else:
        raw = data.draw(st.binary(max_size=200))
    path = _write(tmp_path_factory.mktemp("w"), f"clip.{kind}", raw)
    pieces, reason = _process((SourceFile(str(path), 0), BankSettings(sample_rate=16000, min_len=0.05)))
    assert (reason is None) == bool(pieces)
    assert all(np.isfinite(p).all() and np.abs(p).max() <= 1.0 for p in pieces)
    problem = audio_problem(path, 4800, 16000)
    if damage == "cut":
        assert problem is not None
    try:
        _load.cache_clear()
        _load(str(path), 16000)
    except SeldError:
        pass


def test_strategies_produce_the_hard_cases():
    """The mutation strategy reaches the inputs that broke readers in issue 9 (a check of the test itself)."""
    from hypothesis import find
    from reliability_strategies import mutated

    assert "nan" in find(mutated(FRAME_FILES[0]), lambda t: "nan" in t.split("\n")[0].split(","))
    assert find(mutated(FRAME_FILES[0]), lambda t: t.split("\n")[0].count(",") == 5)
