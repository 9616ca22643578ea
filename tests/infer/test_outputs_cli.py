"""What ``seld infer`` writes and says: CSVs of every format and JSON read back, scores with --labels, streaming
to a file and to standard output, files/folders/globs, and a one-line error (exit 2) for every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import CLASSES, make_system, noise_foa, run_seld, write_wav

from seld.errors import ConfigError, FormatError, InputError, SeldError
from seld.formats import read_predictions, write_labels
from seld.infer import (BUILTIN_MODELS, events_to_json, expand_inputs, infer_file, load_model, resolve_model,
                        score_events, write_csv)
from seld.models.checkpoints import save_checkpoint

THR = "0.2"


def test_csv_and_json_outputs_read_back(system, checkpoint, recordings, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run_seld(["infer", str(recordings), "--model", str(checkpoint), "--out", str(out), "--csv",
                            "--json", "--threshold", THR], capsys)
    assert code == 0
    summary = json.loads(stdout)
    assert [f["file"] for f in summary["files"]] == [str(recordings / f"rec{i}.wav") for i in range(3)]
    for i, entry in enumerate(summary["files"]):
        expected = infer_file(system, recordings / f"rec{i}.wav", thresholds=0.2)
        assert len(expected) > 0 and entry["events"] == len(expected) and entry["frames"] == 30 + 10 * i
        back = read_predictions(out / f"rec{i}.csv", "polar", classes=3)
        assert back.equals(expected, atol=1e-6)
        doc = json.loads((out / f"rec{i}.json").read_text())
        assert doc["classes"] == list(CLASSES) and doc["frames"] == 30 + 10 * i and doc["duration"] == 3.0 + i
        assert len(doc["events"]) == len(expected)
        first = doc["events"][0]
        azi, ele = expected.azi_ele()
        assert first["class"] == CLASSES[expected.cls[0]] and first["frame"] == expected.frame[0]
        assert first["start"] == pytest.approx(expected.frame[0] * 0.1)
        assert first["end"] == pytest.approx(first["start"] + 0.1)
        assert first["azimuth"] == pytest.approx(azi[0], abs=1e-3) and "distance" not in first


def test_csv_formats(tmp_path):
    system = make_system("maccdoa", distance=True)
    audio = noise_foa(3.0, seed=30)
    events = infer_file(system, write_wav(tmp_path / "r.wav", audio), thresholds=0.2)
    assert len(events) > 0 and events.has_dist
    task = system.task
    for fmt, layout in (("dcase2024", "polar-dist"), ("dcase2023", "polar"), ("cartesian-dist", "cartesian-dist"),
                        ("cartesian", "cartesian")):
        back = read_predictions(write_csv(tmp_path / f"{fmt}.csv", events, task, fmt), layout, classes=3)
        assert back.frame.tolist() == events.frame.tolist() and np.allclose(back.xyz, events.xyz, atol=1e-6)
        assert (back.dist is not None) == layout.endswith("-dist")
    default = read_predictions(write_csv(tmp_path / "d.csv", events, task), "polar-dist")   # 2024 by default
    assert np.allclose(default.dist, events.dist, atol=1e-6)
    old = read_predictions(write_csv(tmp_path / "2019.csv", events, task, "dcase2019"), "dcase2019")
    assert old.frame_len == 0.02 and len(old) == 5 * len(events)
    assert set(zip((old.frame // 5).tolist(), old.cls.tolist())) == set(zip(events.frame.tolist(), events.cls.tolist()))
    with pytest.raises(ConfigError, match="needs distances"):
        write_csv(tmp_path / "x.csv", events, make_system().task, "dcase2024")


def test_distance_scores_are_told_with_the_dcase2024_terms_and_undefined_values_as_na(recordings, tmp_path,
                                                                                       capsys):
    """A distance model scored on its own metric (DCASE2024: SELD = mean of 1 - F, LE / 180, RDE): a file where
    nothing matches has no LE (None in the JSON), which the summary for a person reads as n/a."""
    system = make_system("maccdoa", distance=True)
    ckpt = save_checkpoint(system.model, tmp_path / "dist.ckpt", task=system.task)
    ref = infer_file(system, recordings / "rec1.wav", thresholds=0.2).sorted()
    ref.dist = np.full(len(ref), 2.0)  # the random network's distances are near 0, which no label may be
    labels = tmp_path / "labels"
    write_labels(labels / "rec1.csv", ref, "dcase2024")
    for threshold, matched in (("0.2", True), ("0.999", False)):
        code, stdout, guide = run_seld(["infer", str(recordings / "rec1.wav"), "--model", str(ckpt), "--out",
                                        str(tmp_path / threshold), "--labels", str(labels), "--threshold",
                                        threshold], capsys)
        assert code == 0, guide
        scores = json.loads(stdout)["scores"]
        assert scores["metric"] == "dcase2024" and (scores["LE"] is not None) == matched
        assert f"all files (dcase2024, macro): SELD {scores['SELD']:.3f} = mean of 1 - F (F {scores['F']:.3f}), " \
               f"LE / 180 (LE {'n/a' if not matched else format(scores['LE'], '.1f') + ' deg'}), " \
               f"RDE {'n/a' if not matched else format(scores['RDE'], '.3f')}" in guide


def test_labels_give_scores(system, checkpoint, recordings, tmp_path, capsys):
    labels = tmp_path / "labels"
    labels.mkdir()
    for i in range(3):
        pred = infer_file(system, recordings / f"rec{i}.wav", thresholds=0.2)
        ref = pred.select(pred.frame >= 10) if i == 0 else pred         # file 0: its first second is missed
        write_labels(labels / f"rec{i}.csv", ref.sorted(), "dcase2022")
    out = tmp_path / "out"
    code, stdout, guide = run_seld(["infer", str(recordings / "rec*.wav"), "--model", str(checkpoint), "--out",
                                str(out), "--labels", str(labels), "--threshold", THR], capsys)
    assert code == 0
    summary = json.loads(stdout)
    # the person at the terminal is told where the files are, what they show, and the scores
    assert f"3 recording(s) -> {out}/" in guide and "*.csv: DCASE CSV" in guide
    assert f"rec1.wav: {summary['files'][1]['events']} frame-wise detections; against its labels: SELD 0.00" in guide
    assert f"SELD {summary['scores']['SELD']:.3f}" in guide and str(out / "scores.json") in guide
    assert summary["metric"] == "dcase2023" and summary["scores"]["files"] == 3
    per_file = {e["file"].rsplit("/", 1)[-1]: e["scores"] for e in summary["files"]}
    assert per_file["rec1.wav"]["F"] == pytest.approx(1.0) and per_file["rec1.wav"]["ER"] == pytest.approx(0.0)
    assert per_file["rec0.wav"]["ER"] > 0
    assert set(per_file["rec1.wav"]["per_class"]) <= set(CLASSES)
    stored = json.loads((out / "scores.json").read_text())
    assert stored["overall"] == summary["scores"] and set(stored["files"]) == {"rec0", "rec1", "rec2"}
    # another year's metric on request (DCASE2021 counts detections in 1 s segments: other ER and F for file 0)
    code, stdout, guide = run_seld(["infer", str(recordings / "rec*.wav"), "--model", str(checkpoint), "--out",
                                    str(tmp_path / "out2021"), "--labels", str(labels), "--threshold", THR,
                                    "--metric", "dcase2021"], capsys)
    other = json.loads(stdout)
    assert code == 0 and other["metric"] == "dcase2021" and "(dcase2021, " in guide
    assert other["files"][1]["scores"]["F"] == pytest.approx(1.0) and other["scores"] != summary["scores"]
    # DCASE2024 scores distances, which this model does not predict: one line, before any work
    code, _, err = run_seld(["infer", str(recordings), "--model", str(checkpoint), "--labels", str(labels), "--out",
                             str(tmp_path / "out2024"), "--metric", "dcase2024"], capsys)
    assert code == 2 and "use another --metric" in err and not (tmp_path / "out2024").exists()
    # a recording without its label file
    (labels / "rec2.csv").unlink()
    code, _, err = run_seld(["infer", str(recordings), "--model", str(checkpoint), "--labels", str(labels), "--out",
                         str(out)], capsys)
    assert code == 2 and "rec2.csv: no label file for this recording" in err


def test_label_files_are_found_in_subfolders(tmp_path):
    """DCASE datasets keep labels per room (metadata_dev/dev-test-sony/...): --labels may name the top folder."""
    from seld.infer.outputs import find_labels

    for room in ("dev-test-sony", "dev-test-tau"):
        (tmp_path / room).mkdir()
    (tmp_path / "dev-test-sony" / "fold4_room23_mix001.csv").write_text("0,1,0,10,0\n")
    (tmp_path / "top.csv").write_text("0,1,0,10,0\n")
    assert find_labels(tmp_path, ["top"])["top"] == tmp_path / "top.csv"
    both = find_labels(tmp_path, ["top", "fold4_room23_mix001"])
    assert both["fold4_room23_mix001"] == tmp_path / "dev-test-sony" / "fold4_room23_mix001.csv"
    assert both["top"] == tmp_path / "top.csv"
    with pytest.raises(InputError, match="no label file for this recording"):
        find_labels(tmp_path, ["fold4_room23_mix002"])
    (tmp_path / "dev-test-tau" / "fold4_room23_mix001.csv").write_text("0,1,0,10,0\n")
    with pytest.raises(InputError, match="2 label files named fold4_room23_mix001.csv") as err:
        find_labels(tmp_path, ["fold4_room23_mix001"])
    assert "give the subfolder" in str(err.value)


def test_stream_cli_to_file_and_stdout(system, checkpoint, recordings, tmp_path, capsys):
    expected = infer_file(system, recordings / "rec1.wav", thresholds=0.2)
    out = tmp_path / "s"
    code, stdout, _ = run_seld(["infer", "--stream", str(recordings / "rec1.wav"), "--model", str(checkpoint), "--out",
                            str(out), "--json", "--csv", "--threshold", THR], capsys)
    assert code == 0 and json.loads(stdout)["files"][0]["events"] == len(expected)
    assert read_predictions(out / "rec1.csv", "polar", classes=3).equals(expected, atol=1e-6)
    lines = [json.loads(line) for line in (out / "rec1.jsonl").read_text().splitlines()]
    reference = events_to_json(expected, system.task)["events"]
    assert [(r["frame"], r["class"], r["track"]) for r in lines] == [(r["frame"], r["class"], r["track"])
                                                                     for r in reference]
    assert np.allclose([r["azimuth"] for r in lines], [r["azimuth"] for r in reference], atol=2e-3)
    # rows to standard output, the summary to standard error
    code, stdout, err = run_seld(["infer", "--stream", str(recordings / "rec1.wav"), "--model", str(checkpoint),
                              "--threshold", THR], capsys)
    assert code == 0
    (tmp_path / "stdout.csv").write_text(stdout)
    assert read_predictions(tmp_path / "stdout.csv", "polar", classes=3).equals(expected, atol=1e-6)
    assert json.loads(err.strip().splitlines()[-1])["files"][0]["events"] == len(expected)
    code, _, err = run_seld(["infer", "--stream", str(recordings / "rec1.wav"), "--model", str(checkpoint), "--plot"],
                        capsys)
    assert code == 2 and "without --stream" in err


def test_stdin_in_a_real_process(checkpoint, recordings, system):
    """``seld infer --stream -`` reading a WAV from a pipe, as ``sox ... -t wav - | seld infer --stream -``."""
    expected = infer_file(system, recordings / "rec0.wav", thresholds=0.2)
    data = (recordings / "rec0.wav").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "seld.cli", "infer", "--stream", "-", "--model", str(checkpoint),
                           "--threshold", THR, "--block", "0.5"], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    got = recordings.parent / "stdin.csv"
    got.write_bytes(proc.stdout)
    assert len(expected) > 0 and read_predictions(got, "polar", classes=3).equals(expected, atol=1e-6)


def test_inputs_expand(recordings, tmp_path):
    assert expand_inputs([str(recordings)]) == [str(recordings / f"rec{i}.wav") for i in range(3)]
    assert expand_inputs([str(recordings / "rec[01].wav"), str(recordings / "rec0.wav")]) == \
        [str(recordings / "rec0.wav"), str(recordings / "rec1.wav")]
    with pytest.raises(InputError, match="matches no file"):
        expand_inputs([str(recordings / "*.flac")])
    with pytest.raises(InputError, match="nothing.wav: file not found"):
        expand_inputs([str(tmp_path / "nothing.wav")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder holds no audio files"):
        expand_inputs([str(tmp_path / "empty")])
    other = write_wav(tmp_path / "b" / "rec0.wav", noise_foa(0.5))
    with pytest.raises(ConfigError, match="two inputs are named 'rec0'"):
        expand_inputs([str(recordings / "rec0.wav"), str(other)])
    with pytest.raises(ConfigError, match="needs --stream"):
        expand_inputs(["-"])


def test_model_names_and_paths(checkpoint, tmp_path, monkeypatch):
    assert BUILTIN_MODELS == {} or all(isinstance(v, str) for v in BUILTIN_MODELS.values())
    with pytest.raises(ConfigError, match="unknown model 'starss23'; built-in models: .*; or give a checkpoint path"):
        resolve_model("starss23")
    with pytest.raises(InputError, match="nope.ckpt: model file not found"):
        resolve_model(tmp_path / "nope.ckpt")
    assert resolve_model(checkpoint) == checkpoint
    # a built-in name resolves to a file inside the package
    import seld

    pkg = __import__("pathlib").Path(seld.__file__).resolve().parent
    monkeypatch.setitem(BUILTIN_MODELS, "tiny-test", os.path.relpath(checkpoint, pkg))
    assert resolve_model("tiny-test").resolve() == checkpoint.resolve()
    assert load_model("tiny-test").task.classes == CLASSES
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"onnx")
    with pytest.raises(SeldError, match="m.onnx"):
        load_model(onnx)


def test_bad_inputs_are_one_line_errors(system, checkpoint, tmp_path, capsys):
    no_task = tmp_path / "no_task.ckpt"
    save_checkpoint(system.model, no_task)
    stereo = write_wav(tmp_path / "stereo.wav", noise_foa(1.0)[:2])
    mono = write_wav(tmp_path / "mono.wav", noise_foa(1.0)[:1])
    nan = noise_foa(1.0)
    nan[0, 5] = np.nan
    nan_path = write_wav(tmp_path / "nan.wav", nan)
    short = write_wav(tmp_path / "short.wav", noise_foa(0.02))
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(write_wav(tmp_path / "full.wav", noise_foa(1.0)).read_bytes()[:5000])
    good = write_wav(tmp_path / "good.wav", noise_foa(1.0))
    cases = [
        ([str(stereo)], str(checkpoint), "stereo.wav: a stereo file"),
        ([str(mono)], str(checkpoint), "mono.wav: a mono file"),
        ([str(nan_path)], str(checkpoint), "nan.wav: has 1 NaN or infinite samples"),
        ([str(short)], str(checkpoint), "short.wav: 0.02 s of audio"),
        ([str(truncated)], str(checkpoint), "truncated.wav: truncated WAV file"),
        ([str(good)], "no_such_model", "unknown model 'no_such_model'"),
        ([str(good)], str(no_task), "no_task.ckpt: the checkpoint has no task description"),
        ([str(good)], str(tmp_path / "gone.ckpt"), "gone.ckpt: model file not found"),
        ([str(tmp_path / "gone.wav")], str(checkpoint), "gone.wav: file not found"),
    ]
    for inputs, model, message in cases:
        code, _, err = run_seld(["infer", *inputs, "--model", model, "--out", str(tmp_path / "o")], capsys)
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert code == 2 and len(lines) == 1 and message in lines[0], (message, err)
        assert "Traceback" not in err
    with pytest.raises(FormatError, match="no task description"):
        load_model(no_task)
    code, _, err = run_seld(["infer", str(good), "--model", str(checkpoint), "--threshold", "1.5"], capsys)
    assert code == 2 and "--threshold 1.5 must lie in (0, 1]" in err
    code, _, err = run_seld(["infer", str(good), "--model", str(checkpoint), "--chunk", "0.15"], capsys)
    assert code == 2 and "--chunk 0.15 s must be a positive whole number of label frames" in err


def test_python_api_takes_a_path_or_a_system(checkpoint, recordings, system):
    a = infer_file(str(checkpoint), recordings / "rec0.wav", thresholds=0.2)
    b = infer_file(system, recordings / "rec0.wav", thresholds=0.2)
    assert a.equals(b, atol=1e-6)
    scores = score_events({"r": b}, {"r": a}, system.task)
    assert scores["F"] == pytest.approx(1.0) and scores["metric"] == "dcase2023"
    torch.set_num_threads(torch.get_num_threads())   # nothing above changed the thread count
