"""Issue 9: every input of the report, as a new user gave it, now ends in a result or a one-line error with exit
status 2, never a traceback, and no invalid input is accepted. One test per case of the issue, in its order."""

from __future__ import annotations

import json
import os
import pathlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seld.errors import FormatError
from seld.models import create_model
from seld.models.checkpoints import load_checkpoint, save_checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
from foreign_layouts import pseldnets_checkpoint  # noqa: E402


def _one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1 or lines[-1].startswith("Error:") or "Usage:" in err, err
    for needle in needles:
        assert needle in err, err


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _eval_dirs(tmp_path: Path, ref: str | bytes, pred: str | bytes | None = None, name: str = "a.csv"):
    _write(tmp_path / "ref" / name, ref)
    (tmp_path / "pred").mkdir(exist_ok=True)
    if pred is not None:
        _write(tmp_path / "pred" / name, pred)
    return tmp_path / "ref", tmp_path / "pred"


RANDOM_BYTES = bytes(np.random.default_rng(9).integers(0, 256, 2000, dtype=np.uint8))
EVENT_HEADER = "sound_event_recording,start_time,end_time,ele,azi,dist\n"


# ------------------------------------------------------------------------------------------ found crashing
def test_evaluate_unreadable_file_is_one_line_error(tmp_path, run_seld, monkeypatch):
    """PermissionError from formats/table.py came out as a traceback (simulated: the tests run as root)."""
    ref, pred = _eval_dirs(tmp_path, "0,1,0,10,0\n", "0,1,0,10,0\n")
    real = pathlib.Path.read_bytes

    def deny(self):
        if self.name == "a.csv" and self.parent.name == "pred":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", deny)
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2021")
    _one_line_error(code, err, "pred/a.csv", "Permission denied")


def test_evaluate_seldnet_tiny_frame_len_is_refused_not_out_of_memory(tmp_path, run_seld):
    ref, pred = _eval_dirs(tmp_path, EVENT_HEADER + "speech012,0.1,59.5,10,20,2\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "seldnet", "--frame-len", "1e-9")
    _one_line_error(code, err, "--frame-len")
    # a frame length in range with an event far beyond what fits in memory: the file is named
    ref, pred = _eval_dirs(tmp_path / "far", EVENT_HEADER + "speech012,0.1,500000,10,20,2\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "seldnet", "--frame-len", "0.001")
    _one_line_error(code, err, "a.csv", "frames")


def test_bank_build_from_csv_of_random_bytes(tmp_path, run_seld):
    csv = _write(tmp_path / "list.csv", RANDOM_BYTES)
    code, _, err = run_seld("bank", "build", "--from", csv, "--out", tmp_path / "bank")
    _one_line_error(code, err, "list.csv", "not a UTF-8 text file")


def test_bank_build_negative_top_db(tmp_path, run_seld):
    code, _, err = run_seld("bank", "build", "--from", tmp_path, "--out", tmp_path / "bank", "--top-db", "-10")
    _one_line_error(code, err, "--top-db")


def _copy_bank(bank: Path, to: Path) -> Path:
    to.mkdir(parents=True)
    for name in ("bank.json", "manifest.csv"):
        (to / name).write_bytes((bank / name).read_bytes())
    (to / "clips").symlink_to(bank / "clips")
    return to


@pytest.mark.parametrize("damage", ["binary-manifest", "json-list", "json-rate-abc", "duration-negative"])
def test_damaged_bank_is_one_line_error_in_info_and_synth(small_bank, tmp_path, run_seld, damage):
    bank = _copy_bank(small_bank, tmp_path / "bank")
    if damage == "binary-manifest":
        (bank / "manifest.csv").write_bytes(RANDOM_BYTES)
        needles = ["manifest.csv", "not a UTF-8 text file"]
    elif damage == "json-list":
        (bank / "bank.json").write_text("[]")
        needles = ["bank.json", "expected a JSON object"]
    elif damage == "json-rate-abc":
        meta = json.loads((bank / "bank.json").read_text())
        (bank / "bank.json").write_text(json.dumps({**meta, "sample_rate": "abc"}))
        needles = ["bank.json", "sample_rate"]
    else:  # a bank manifest with duration -1 was accepted
        rows = (bank / "manifest.csv").read_text().splitlines()
        cells = rows[1].split(",")
        cells[3] = "-1"
        rows[1] = ",".join(cells)
        (bank / "manifest.csv").write_text("\n".join(rows) + "\n")
        needles = ["manifest.csv:2:", "duration -1"]
    code, _, err = run_seld("bank", "info", bank)
    _one_line_error(code, err, *needles)
    code, _, err = run_seld("synth", "--bank", bank, "--out", tmp_path / "out")
    _one_line_error(code, err, *needles)


IMPORT = ["--from", "pseldnets", "--backbone", "test_htsat", "--method", "maccdoa"]


@pytest.fixture
def pseld_src(tmp_path) -> Path:
    source = create_model("test_htsat", method="maccdoa", num_classes=13, seed=3).eval()
    src = tmp_path / "pseld.ckpt"
    torch.save(pseldnets_checkpoint(source), src)
    return src


def test_import_bad_sources_and_outputs(tmp_path, run_seld, pseld_src):
    empty = _write(tmp_path / "empty.ckpt", b"")
    code, _, err = run_seld("import", empty, tmp_path / "o.ckpt", "--from", "pseldnets")
    _one_line_error(code, err, "empty.ckpt", "empty file")
    torch.save({"state_dict": [torch.zeros(2)]}, tmp_path / "list.ckpt")
    code, _, err = run_seld("import", tmp_path / "list.ckpt", tmp_path / "o.ckpt", "--from", "pseldnets")
    _one_line_error(code, err, "list.ckpt", "'state_dict' is a list")
    binary = _write(tmp_path / "classes.txt", RANDOM_BYTES)
    code, _, err = run_seld("import", pseld_src, tmp_path / "o.ckpt", *IMPORT, "--classes", binary)
    _one_line_error(code, err, "classes.txt", "not a UTF-8 text file")
    blocker = _write(tmp_path / "file", "I am a file")
    code, _, err = run_seld("import", pseld_src, blocker / "o.ckpt", *IMPORT)
    _one_line_error(code, err, "file/o.ckpt", "cannot write")
    code, out, err = run_seld("import", pseld_src, tmp_path / "ok.ckpt", *IMPORT)
    assert code == 0, err


@pytest.mark.parametrize("option,value", [("--duration", "nan"), ("--duration", "inf"), ("--rt60", "nan,1"),
                                          ("--snr", "30,6"), ("--seed", "-1"), ("--rt60", "1,0.2"),
                                          ("--moving", "2"), ("--moving", "-0.5"), ("--rt60", "-1,2"),
                                          ("--rt60", "0,0"), ("--duration", "-3"), ("--clips", "0"),
                                          ("--workers", "0"), ("--ov", "0,9")])
def test_synth_bad_numbers_are_usage_errors(small_bank, tmp_path, run_seld, option, value):
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", option, value)
    _one_line_error(code, err, option)
    assert not (tmp_path / "out").exists()


def test_synth_rt60_no_room_can_have_is_explained(small_bank, tmp_path, run_seld):
    """--rt60 0,0 was reported as a dataclass repr; a range no room of the preset can have names the sizes."""
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--preset", "pseld",
                            "--rt60", "0.05,0.05")
    _one_line_error(code, err, "--rt60 0.05,0.05", "smallest room")
    assert "RoomRanges(" not in err


def test_synth_array_file_that_is_binary(small_bank, tmp_path, run_seld):
    geometry = _write(tmp_path / "array.txt", RANDOM_BYTES)
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--formats", f"array:{geometry}")
    _one_line_error(code, err, "array.txt", "not a UTF-8 text file")
    for text, needle in (("1e300,0,0\n0,0.05,0\n", "from the array centre"),
                         ("0.05,0,0\n0.05,0,0\n0,0.05,0\n", "microphones 1 and 2 are less than 1 mm apart")):
        geometry = _write(tmp_path / "far.txt", text)
        code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--formats",
                                f"array:{geometry}")
        _one_line_error(code, err, "far.txt", needle)


@pytest.mark.parametrize("row", ["1000000000,1,0,10,0,150", "40000,1,0,10,0,150"])
def test_replay_of_a_label_far_away_is_refused(small_bank, tmp_path, run_seld, row):
    _write(tmp_path / "labels" / "fold1_room1_mix001.csv", f"0,1,0,10,0,150\n{row}\n")
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--replay", tmp_path / "labels")
    _one_line_error(code, err, "fold1_room1_mix001.csv", "frame")


# -------------------------------------------------------------------------------- found accepted silently
def test_evaluate_infinite_frame_len(tmp_path, run_seld):
    ref, pred = _eval_dirs(tmp_path, EVENT_HEADER + "speech012,0.1,0.5,10,20,2\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "seldnet", "--frame-len", "inf")
    _one_line_error(code, err, "--frame-len")


@pytest.mark.parametrize("row,needle", [("speech,0.1,0.5,200,20,2", "elevation 200"),
                                        ("speech,0.1,0.5,-95,20,2", "elevation -95"),
                                        ("speech,0.1,0.5,10,1000,2", "azimuth 1000"),
                                        ("speech,0.1,0.5,10,20,-2", "distance -2")])
def test_dcase2019_event_list_ranges(tmp_path, run_seld, row, needle):
    ref, pred = _eval_dirs(tmp_path, EVENT_HEADER + "speech,0.0,0.2,0,0,1\n" + row + "\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2019")
    _one_line_error(code, err, "a.csv:3:", needle)


def test_empty_event_list_reference(tmp_path, run_seld):
    ref, pred = _eval_dirs(tmp_path, "", "0,1,10,20\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2019")
    _one_line_error(code, err, "a.csv", "empty reference file")


def test_json_output_is_strict_json(tmp_path, run_seld):
    """Undefined values (an error rate without reference events) are null, never the non-JSON Infinity/NaN."""
    from seld.metrics.result import SeldResult

    d = SeldResult("dcase2019", "micro", ER=float("inf"), F=float("nan"), LE=-float("inf"), LR=0.5, SELD=1.0).to_dict()
    assert (d["ER"], d["F"], d["LE"], d["LR"]) == (None, None, None, 0.5)
    ref, pred = _eval_dirs(tmp_path, "", "0,1,0,10,0\n")
    code, out, err = run_seld("evaluate", ref, pred, "--metric", "dcase2021", "--json", "--fix-quirks")
    assert code == 0, err

    def refuse(name):
        raise AssertionError(f"{name} in the JSON output")

    json.loads(out, parse_constant=refuse)


def test_bank_build_silent_drops_and_ignored_options(tmp_path, run_seld):
    src = tmp_path / "src"
    (src / "bell").mkdir(parents=True)
    fs = 24000
    t = np.arange(fs) / fs
    sf.write(src / "bell" / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), fs)
    sf.write(src / "bell" / "dc.wav", np.full(fs, 0.25), fs)
    sf.write(src / "bell" / "slow.wav", np.sin(np.arange(fs) / 3), 1)  # a header saying 1 Hz: 24000x resampling
    (src / "bell" / "loop.wav").symlink_to(src / "bell" / "loop2.wav")
    (src / "bell" / "loop2.wav").symlink_to(src / "bell" / "loop.wav")
    code, out, err = run_seld("bank", "build", "--from", src, "--out", tmp_path / "bank")
    assert code == 0, err
    rejected = (tmp_path / "bank" / "rejected.csv").read_text()
    assert "loop.wav" in rejected and "loop2.wav" in rejected and "loop of links" in rejected
    assert "dc.wav" in rejected and "constant (DC)" in rejected
    assert "slow.wav" in rejected and "sample rate 1 Hz is not an audio rate" in rejected
    listing = _write(tmp_path / "list.csv", f"{src / 'bell' / 'tone.wav'},bell,CC0,extra\n")
    code, _, err = run_seld("bank", "build", "--from", listing, "--out", tmp_path / "b2")
    _one_line_error(code, err, "list.csv:1:", "4 cells")
    code, _, err = run_seld("bank", "build", "--from", src, "--out", tmp_path / "b3", "--workers", "0")
    _one_line_error(code, err, "--workers")
    code, _, err = run_seld("bank", "build", "--from", src, "--out", tmp_path / "b4", "--per-class", "5")
    _one_line_error(code, err, "--per-class", "without --offline")


def test_import_nan_weights_and_class_counts(tmp_path, run_seld, pseld_src):
    raw = torch.load(pseld_src, weights_only=True)
    key = next(iter(raw["state_dict"]))
    raw["state_dict"][key] = raw["state_dict"][key].clone().fill_(float("nan"))
    torch.save(raw, tmp_path / "nan.ckpt")
    code, _, err = run_seld("import", tmp_path / "nan.ckpt", tmp_path / "o.ckpt", "--from", "pseldnets")
    _one_line_error(code, err, "nan.ckpt", "NaN")
    for n in ("0", "-5"):
        code, _, err = run_seld("import", pseld_src, tmp_path / "o.ckpt", "--from", "pseldnets", "--num-classes", n)
        _one_line_error(code, err, "--num-classes")


def _flip_two_bytes_in_tensor_data(path: Path, out: Path) -> None:
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    local_extra = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + len(info.filename.encode()) + local_extra
    data[start + 5] ^= 0x10
    data[start + info.file_size // 2] ^= 0x01
    out.write_bytes(bytes(data))


def test_checkpoint_with_two_flipped_bytes_is_refused(tmp_path, run_seld, pseld_src):
    # a foreign file: the zip records' CRC-32
    _flip_two_bytes_in_tensor_data(pseld_src, tmp_path / "flipped.ckpt")
    code, _, err = run_seld("import", tmp_path / "flipped.ckpt", tmp_path / "o.ckpt", "--from", "pseldnets")
    _one_line_error(code, err, "flipped.ckpt", "damaged")
    # our own checkpoint: the checksum stored at save time (the zip CRCs recomputed, as a careless copy tool might)
    path = save_checkpoint(create_model("test_crnn", num_classes=3), tmp_path / "ours.ckpt")
    raw = torch.load(path, weights_only=True)
    w = raw["state_dict"]["head.proj.fc.weight"]
    w.view(-1).view(torch.uint8)[:2] ^= 0x01
    torch.save(raw, tmp_path / "ours_flipped.ckpt")
    with pytest.raises(FormatError, match="checksum does not match"):
        load_checkpoint(tmp_path / "ours_flipped.ckpt")
    load_checkpoint(path)  # the intact file loads


def test_synth_formats_empty_and_options_without_effect(small_bank, tmp_path, run_seld):
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--formats", "")
    _one_line_error(code, err, "--formats needs at least one format")
    _write(tmp_path / "labels" / "fold1_room1_mix001.csv", "0,1,0,10,0,150\n")
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--replay",
                            tmp_path / "labels", "--clips", "3")
    _one_line_error(code, err, "--clips", "with --replay")


def test_replay_of_event_list_with_elevation_200(small_bank, tmp_path, run_seld):
    _write(tmp_path / "labels" / "fold1_room1_mix001.csv", EVENT_HEADER + "speech,0.1,0.5,200,20,2\n")
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", "--replay", tmp_path / "labels")
    _one_line_error(code, err, "fold1_room1_mix001.csv:2:", "elevation 200")


QUICK = ["--clips", "2", "--rooms", "1", "--duration", "1", "--snr", "none", "--rt60", "0.2,0.2", "--formats", "foa"]


@pytest.mark.parametrize("audio", ["wav", "flac"])
def test_resume_redoes_a_finished_scene_that_was_damaged(small_bank, tmp_path, run_seld, audio):
    """A finished WAV truncated by hand was kept on re-run: resume now checks what it skips."""
    args = ["synth", "--bank", small_bank, "--out", tmp_path / "out", "--audio", audio, *QUICK]
    code, out, err = run_seld(*args)
    assert code == 0 and "2 scenes rendered" in out, err
    files = sorted((tmp_path / "out" / "foa").glob(f"*.{audio}"))
    original = [f.read_bytes() for f in files]
    files[0].write_bytes(original[0][: len(original[0]) * 2 // 3])
    code, out, err = run_seld(*args)
    assert code == 0 and "1 scenes rendered, 1 already done" in out, err
    assert [f.read_bytes() for f in files] == original
    code, out, _ = run_seld(*args)
    assert "0 scenes rendered, 2 already done" in out


# ---------------------------------------------------------------------------------------------- unclear
def test_huge_frame_number_is_reported_as_such(tmp_path, run_seld):
    ref, pred = _eval_dirs(tmp_path, "0,1,0,10,0\n", "0,1,0,10,0\n10000000000000000000,1,0,10,0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2021")
    _one_line_error(code, err, "a.csv:2:", "frame 1e+19 is not an integer in [0, 9999999]")
    assert "negative" not in err


def test_bad_number_forms_name_the_line(tmp_path, run_seld):
    ref, pred = _eval_dirs(tmp_path, "0,1,0,10,0\n", "0,1,0,10,0\n1_0,1,0,10,0\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2021")
    _one_line_error(code, err, "a.csv:2:", "'1_0' is not a number")


def test_event_list_without_header_says_so(tmp_path, run_seld):
    ref, pred = _eval_dirs(tmp_path, "cough,0.1,0.5,10,20,2\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2019")
    _one_line_error(code, err, "a.csv:1:", "'cough' is not a number", "header")


def test_missing_bank_is_not_found(tmp_path, run_seld):
    code, _, err = run_seld("bank", "info", tmp_path / "nowhere")
    _one_line_error(code, err, "nowhere", "folder not found")


def test_other_settings_are_named(small_bank, tmp_path, run_seld):
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", *QUICK)
    assert code == 0, err
    code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", *QUICK[:-2], "--formats", "foa",
                            "--seed", "4", "--duration", "2")
    _one_line_error(code, err, "already holds a dataset", "config.scenes.duration: 1.0 there, 2.0 now",
                    "seed: 0 there, 4 now")


def test_models_pattern_matching_nothing(run_seld):
    code, _, err = run_seld("models", "--pattern", "no_such_model*")
    _one_line_error(code, err, "no model name matches 'no_such_model*'")


# ------------------------------------------------------------------------------------------- also seen
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_plain_open_mode(small_bank, tmp_path, run_seld, umask):
    old = os.umask(umask)
    try:
        want = 0o666 & ~umask
        code, _, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", *QUICK[:1], "1",
                                *QUICK[2:])
        assert code == 0, err
        made = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
        assert {p.suffix for p in made} >= {".wav", ".csv", ".json", ".npy"}
        src = tmp_path / "src" / "bell"
        src.mkdir(parents=True)
        sf.write(src / "a.wav", 0.3 * np.sin(np.arange(24000) / 10), 24000)
        code, _, err = run_seld("bank", "build", "--from", tmp_path / "src", "--out", tmp_path / "bank")
        assert code == 0, err
        made += [p for p in (tmp_path / "bank").rglob("*") if p.is_file()]
        made.append(save_checkpoint(create_model("test_crnn", num_classes=3), tmp_path / "m.ckpt"))
        modes = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in made}
        assert any("srir_cache" in k for k in modes) and any("clips" in k for k in modes)
        assert {k: v for k, v in modes.items() if v != oct(want)} == {}
    finally:
        os.umask(old)


def test_progress_counts_room_parts_and_summary_rooms(small_bank, tmp_path, run_seld):
    code, out, err = run_seld("synth", "--bank", small_bank, "--out", tmp_path / "out", *QUICK)
    assert code == 0, err
    assert "1 rooms prepared (" in out and " room parts)" in out
    parts = int(out.split("rooms prepared (")[1].split(" room parts")[0])
    assert f"{parts}/{parts}" in err and "room parts" in err


def test_classes_auto_sorts_ignoring_case(tmp_path, run_seld):
    for name in ("bell", "Alarm", "clapping"):
        (tmp_path / "src" / name).mkdir(parents=True)
        sf.write(tmp_path / "src" / name / "a.wav", 0.3 * np.sin(np.arange(24000) / (3 + len(name))), 24000)
    code, _, err = run_seld("bank", "build", "--from", tmp_path / "src", "--out", tmp_path / "bank", "--classes",
                            "auto")
    assert code == 0, err
    assert json.loads((tmp_path / "bank" / "bank.json").read_text())["classes"] == ["Alarm", "bell", "clapping"]
    rows = [f"{tmp_path / 'src' / n / 'a.wav'},{n}" for n in ("bell", "Alarm", "clapping")]
    listing = _write(tmp_path / "list.csv", "\n".join(rows) + "\n")
    code, _, err = run_seld("bank", "build", "--from", listing, "--out", tmp_path / "bank2", "--classes", "auto")
    assert code == 0, err
    assert json.loads((tmp_path / "bank2" / "bank.json").read_text())["classes"] == ["Alarm", "bell", "clapping"]


def test_non_ascii_text_never_reaches_numpys_parser(tmp_path, run_seld):
    """Found by the property tests: numpy 2.4's loadtxt crashed the whole process (segmentation fault / bus
    error, intermittently) on some lines with non-ASCII characters. Such lines are refused, naming the line."""
    ref, pred = _eval_dirs(tmp_path, "0,1,0,10,0\n", "0,1,0,10,0\n1,1,0,١٠,0\n")
    code, _, err = run_seld("evaluate", ref, pred, "--metric", "dcase2021")
    _one_line_error(code, err, "a.csv:2:", "'١' in", "is not part of a number")
