"""`seld evaluate`: folders in, table or JSON out, user errors on one line with exit status 2."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from metric_cases import frame_case, write_frame_case
from oracle_golden import GOLDEN, build_case, write_case
from seld.cli import main
from seld.formats import read_labels
from seld.formats.io import read_predictions
from seld.metrics import score


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """Three STARSS-like files: references in two sub-folders, predictions flat (7 columns, distances)."""
    files = frame_case(3, n_files=3)
    write_frame_case(files[:2], tmp_path / "ref" / "dev-test-sony", tmp_path / "pred", "polar-dist",
                     "cartesian-dist")
    write_frame_case(files[2:], tmp_path / "ref" / "dev-test-tau", tmp_path / "pred", "polar-dist",
                     "cartesian-dist")
    return tmp_path / "ref", tmp_path / "pred"


def _run(args, capsys) -> tuple[str, str]:
    with pytest.raises(SystemExit) as err:
        main([str(a) for a in args])
    assert err.value.code == 0
    out = capsys.readouterr()
    return out.out, out.err


def _fail(args, capsys) -> str:
    with pytest.raises(SystemExit) as err:
        main([str(a) for a in args])
    assert err.value.code == 2
    return capsys.readouterr().err


def test_json_equals_the_python_api(folders, capsys):
    ref, pred = folders
    out, _ = _run(["evaluate", ref, pred, "--metric", "dcase2024", "--json"], capsys)
    d = json.loads(out)
    refs = {p.stem: read_labels(p) for p in ref.rglob("*.csv")}
    preds = {p.stem: read_predictions(p) for p in pred.glob("*.csv")}
    expected = score(refs, preds, "dcase2024").to_dict()
    assert d == expected
    assert d["files"] == 3 and {"ER", "F", "LE", "LR", "SELD", "DE", "RDE"} <= set(d)


def test_table_per_class_and_jackknife(folders, capsys):
    ref, pred = folders
    out, _ = _run(["evaluate", ref, pred, "--metric", "dcase2023", "--jackknife"], capsys)
    assert out.startswith("dcase2023 (macro), 3 files")
    assert "95% CI" in out and "female_speech" in out and "knock" in out  # the table always has the classes
    out, _ = _run(["evaluate", ref, pred, "--metric", "dcase2023", "--json"], capsys)
    assert "per_class" not in json.loads(out)
    out, _ = _run(["evaluate", ref, pred, "--metric", "dcase2023", "--json", "--per-class", "--jackknife",
                   "--average", "micro"], capsys)
    d = json.loads(out)
    assert d["average"] == "micro" and set(d["per_class"]) >= {"female_speech", "knock"}
    assert len(d["ci"]["F"]) == 2 and "per_class_ci" in d


def test_matches_the_official_numbers_of_a_golden_case(tmp_path, capsys):
    golden = json.loads(Path(GOLDEN).read_text())["dcase2019_s11"]
    write_case(golden["case"], build_case(golden["case"]), tmp_path / "ref", tmp_path / "pred")
    out, _ = _run(["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "dcase2019", "--json"], capsys)
    d = json.loads(out)
    for key in ("ER", "F", "LE", "LR", "SELD"):
        assert d[key] == pytest.approx(golden["official"][key], abs=1e-6)


def test_missing_prediction_warns_and_counts_as_empty(folders, capsys, caplog):
    ref, pred = folders
    victim = sorted(pred.glob("*.csv"))[0]
    victim.unlink()
    with caplog.at_level(logging.WARNING):
        _run(["evaluate", ref, pred, "--metric", "dcase2023", "--json"], capsys)
    assert victim.stem in caplog.text and "empty prediction" in caplog.text


def test_prediction_without_reference_is_an_error(folders, capsys):
    ref, pred = folders
    (pred / "stray.csv").write_text("0,0,0,1.0,0.0,0.0,1.0\n")
    err = _fail(["evaluate", ref, pred, "--metric", "dcase2023"], capsys)
    assert "stray.csv" in err and "no reference" in err


def test_duplicate_names_are_an_error(folders, capsys):
    ref, pred = folders
    first = sorted(ref.rglob("*.csv"))[0]
    (ref / "again").mkdir()
    (ref / "again" / first.name).write_text(first.read_text())
    err = _fail(["evaluate", ref, pred, "--metric", "dcase2023"], capsys)
    assert first.name in err and "same name" in err and str(first) in err


def test_malformed_line_names_file_and_line(folders, capsys):
    ref, pred = folders
    victim = sorted(pred.glob("*.csv"))[1]
    lines = victim.read_text().splitlines()
    lines[2] = "3,1,0,oops,0,0,1"
    victim.write_text("\n".join(lines) + "\n")
    err = _fail(["evaluate", ref, pred, "--metric", "dcase2023"], capsys)
    assert f"{victim}:3:" in err and err.count("\n") == 1


def test_wrong_class_count_is_an_error(folders, capsys):
    ref, pred = folders
    err = _fail(["evaluate", ref, pred, "--metric", "dcase2023", "--classes", "3"], capsys)
    assert "class" in err and "--classes" in err


def test_importing_the_command_does_not_import_torch():
    code = "import sys, seld.metrics.cli\nassert 'torch' not in sys.modules\nassert 'scipy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dcase2019_event_lists_against_20ms_predictions(tmp_path, capsys):
    # one event 0.1-0.5 s -> 20 ms frames floor(5) .. ceil(25) = 5..25; a prediction on exactly those frames and
    # at the same grid direction is perfect: ER 0, F 1, DOA error 0, frame recall 1 (all 3000 frames agree)
    (tmp_path / "ref").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "ref" / "split1_ir0_ov1_1.csv").write_text(
        "sound_event_recording,start_time,end_time,ele,azi,dist\nspeech,0.1,0.5,10,20,2\n")
    (tmp_path / "pred" / "split1_ir0_ov1_1.csv").write_text("".join(f"{f},5,20,10\n" for f in range(5, 26)))
    out, _ = _run(["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "dcase2019", "--json"], capsys)
    d = json.loads(out)
    # (the official polar formula gives sin^2 + cos^2 = 1 - 1e-16 at 10 degrees: an angle of 8.5e-7 degrees)
    assert d["ER"] == 0.0 and d["F"] == pytest.approx(1.0) and d["LE"] == pytest.approx(0.0, abs=1e-5)
    assert d["LR"] == 1.0
    # dropping the last 11 predicted frames leaves the block detected but 11 of 3000 frames with a wrong count
    (tmp_path / "pred" / "split1_ir0_ov1_1.csv").write_text("".join(f"{f},5,20,10\n" for f in range(5, 15)))
    d = json.loads(_run(["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "dcase2019", "--json"],
                        capsys)[0])
    assert d["ER"] == 0.0 and d["LR"] == pytest.approx(1 - 11 / 3000)


def test_l3das22_label_files_against_position_predictions(tmp_path, capsys):
    # Knock at (1, 0, 0) m in 100 ms frames round(2.5)=2 .. round(7.5)-1=7 (6 frames). Predictions: frames 2-7,
    # 4 of them 1 m off (inside the 2 m threshold) and 2 of them 3 m off (misses): TP 4, FP 2, FN 2 -> F 2/3.
    (tmp_path / "ref").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "ref" / "split0_ov1_0.csv").write_text("File,Start,End,Class,X,Y,Z\nsplit0_ov1_0,0.25,0.75,Knock,1,0,0\n")
    rows = [f"{f},7,1.0,1.0,0.0\n" for f in range(2, 6)] + [f"{f},7,1.0,3.0,0.0\n" for f in (6, 7)]
    (tmp_path / "pred" / "split0_ov1_0.csv").write_text("".join(rows))
    out, _ = _run(["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "l3das22", "--json"], capsys)
    assert json.loads(out)["F"] == pytest.approx(2 / 3, abs=1e-6)


def test_centimetre_distances_in_predictions_are_refused_unless_the_unit_is_given(tmp_path, capsys):
    """Issue 9: a DCASE2024 label file (dist in cm, as `seld synth` writes) used as a prediction scored F 0 with
    only a warning and exit 0. Now it is an error naming the file, and --pred-dist-unit cm reads it as such."""
    (tmp_path / "ref").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "ref" / "a.csv").write_text("0,1,0,10,0,150\n1,1,0,10,0,150\n")
    (tmp_path / "pred" / "a.csv").write_text("0,1,0,10,0,150\n1,1,0,10,0,150\n")
    args = ["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "dcase2024", "--average", "micro", "--json"]
    err = _fail(args, capsys)
    assert "look like centimetres" in err and "a.csv" in err and "--pred-dist-unit cm" in err
    out, _ = _run(args + ["--pred-dist-unit", "cm"], capsys)
    result = json.loads(out)
    assert result["F"] == pytest.approx(1.0) and result["DE"] == pytest.approx(0.0)
    out, _ = _run(args + ["--pred-dist-unit", "m"], capsys)   # explicitly metres: scored as given
    assert json.loads(out)["DE"] == pytest.approx(148.5)
    assert "--pred-dist-unit is for --metric dcase2024" in _fail(
        ["evaluate", tmp_path / "ref", tmp_path / "pred", "--metric", "dcase2023", "--pred-dist-unit", "cm"], capsys)
