"""The built-in default model: shipped inside the package with its task description and model card, it finds the
loud isolated events of the demo recording (a room and bank clips that training never saw) at the right time
and within 20 degrees (criteria: :mod:`event_checks`), and README's first command runs on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from event_checks import check_events

import seld
from seld.formats import get_classes, read_labels
from seld.infer import infer_file, load_model
from seld.infer.models import model_card, resolve_model

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
#: README's first command, after the install (``seld infer ...``)
README_JOB = ["infer", str(DEMO / "demo_foa.flac"), "--model", "default", "--labels", str(DEMO / "labels"),
              "--csv", "--plot", "--html"]


def test_default_model_ships_inside_the_package_with_its_task_and_card():
    path = resolve_model("default")
    assert path.resolve().is_relative_to(Path(seld.__file__).resolve().parent)
    assert path.stat().st_size < 8 * 2**20            # small enough for the wheel
    task = load_model("default").task
    assert task.classes == get_classes("starss23").names
    assert (task.array, task.channels, task.channel_convention, task.sample_rate) == ("foa", 4, "acn-sn3d", 24000)
    assert task.method == "maccdoa" and task.label_frame == 0.1
    card = model_card("default")
    for section in ("## Task", "## Training data", "## Recipe", "## Held-out scores", "## Limits"):
        assert section in card


def test_default_model_finds_the_demo_events():
    pred = infer_file("default", DEMO / "demo_foa.flac")
    ref = read_labels(DEMO / "labels" / "demo_foa.csv", classes=13, n_frames=pred.n_frames)
    assert len(set(ref.track.tolist())) == 4
    problems = check_events(pred, ref, 13)
    assert not problems, "\n".join(problems)


def test_readme_main_job(tmp_path, capsys):
    from seld.cli import main

    with pytest.raises(SystemExit) as done:
        main(README_JOB + ["--out", str(tmp_path)])
    out = capsys.readouterr()
    assert done.value.code == 0, out.err
    summary = json.loads(out.out)
    assert summary["scores"]["files"] == 1
    assert {p.name for p in tmp_path.iterdir()} >= {"demo_foa.csv", "demo_foa.png", "demo_foa.html", "scores.json"}
    assert "open it in a browser" in out.err and "SELD" in out.err


def test_model_card_on_the_command_line(capsys):
    from seld.cli import main

    with pytest.raises(SystemExit) as done:
        main(["models", "--card", "default"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == model_card("default").strip()


def test_models_lists_the_builtin_model(capsys):
    from seld.cli import main

    with pytest.raises(SystemExit) as done:
        main(["models", "--pattern", "crnn", "--no-counts", "--json"])
    assert done.value.code == 0
    assert json.loads(capsys.readouterr().out)["builtin"] == {"default": "seld/pretrained/default.ckpt"}


def test_card_tables_of_a_recipe_run(tmp_path):
    """recipes/default_model/card_tables.py turns a run's bank.json and score files into the card's tables."""
    import subprocess
    import sys

    script = DEMO.parents[1] / "recipes" / "default_model" / "card_tables.py"
    (tmp_path / "bank").mkdir()
    row = {"class": "bell", "real": 4, "hits": 85, "generated": 53, "minutes_real": 3.2, "minutes_generated": 2.8,
           "train": 111, "test": 31}
    (tmp_path / "bank" / "bank.json").write_text(json.dumps(
        {"offline": {"classes": [row], "packages": {"xboard": "GPL-3+"}}}))
    scores = {"files": 3, "ER": 0.5, "F": 0.25, "LE": 40.0, "LR": 0.75, "SELD": 0.4,
              "per_class": {"bell": {"F": 0.0, "LE": 180.0, "LR": 0.0, "SELD": 0.9}}}
    for name in ("synth", "replay", "synth-tta"):
        (tmp_path / f"scores-{name}.json").write_text(json.dumps({"scores": scores}))
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=True)
    assert "Bank of 142 clips." in out.stdout and "| bell | 4 | 85 | 53 | 3.2 / 2.8 | 111 / 31 |" in out.stdout
    assert "Sources: xboard (GPL-3+)." in out.stdout
    assert out.stdout.count("**SELD 0.400**") == 3 and "| bell | 0.000 | 180.0 | 0.000 | 0.900 |" in out.stdout
    assert "With `--tta acs`: synth: ER 0.500" in out.stdout and "replay: ER" not in out.stdout.split("tta")[-1]
    # a distance model: its DCASE2024 tables too, with DE and RDE, and n/a where the metric leaves a value undefined
    dist = {**scores, "metric": "dcase2024", "DE": 0.8, "RDE": 0.3,
            "per_class": {"bell": {"F": 0.0, "LE": None, "LR": 0.0, "DE": None, "RDE": None, "SELD": 1.0}}}
    (tmp_path / "scores-replay-dcase2024.json").write_text(json.dumps({"scores": dist}))
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=True)
    assert "bank test clips** (3 files): ER 0.500" in out.stdout
    assert "another seed** (3 files, dcase2024): ER 0.500, F 0.250, LE 40.0 deg, LR 0.750, DE 0.80 m, RDE 0.300" \
           in out.stdout
    assert "| class | F | LE | LR | DE | RDE | SELD |" in out.stdout
    assert "| bell | 0.000 | n/a | 0.000 | n/a | n/a | 1.000 |" in out.stdout


def test_per_source_table_of_a_test_set(tmp_path):
    """recipes/default_model/per_source.py: detection per class and bank source from scene plans, labels and
    predictions; frames of other events are not counted as confusions, a missing prediction is a one-line exit."""
    import subprocess
    import sys

    script = DEMO.parents[1] / "recipes" / "default_model" / "per_source.py"
    bank, scenes, pred = tmp_path / "bank", tmp_path / "synth", tmp_path / "pred"
    for d in (bank, scenes / "plans" / "sub", scenes / "metadata" / "sub", pred):
        d.mkdir(parents=True)
    (bank / "manifest.csv").write_text(
        "id,class,path,duration,sample_rate,loudness_db,licence,source,split\n"
        "12-cajon-00,12,c.flac,1,24000,-20,GPL-2+,hits:hydrogen-drumkits:usr/share/kit/CajonThumps#0003,test\n"
        "12-proc-00,12,p.flac,1,24000,-20,generated by seld,generated/knock/procedural-0001,test\n"
        "07-door-00,7,d.flac,1,24000,-20,CC0-1.0,gcompris-qt-data:usr/share/door_open.wav,test\n")
    events = [{"cls": 12, "track": 0, "first_frame": 0, "positions": [0] * 4, "pieces": [["12-cajon-00", 0, 1]]},
              {"cls": 12, "track": 0, "first_frame": 10, "positions": [0] * 2, "pieces": [["12-proc-00", 0, 1]]},
              {"cls": 7, "track": 1, "first_frame": 0, "positions": [0] * 2, "pieces": [["07-door-00", 0, 1]]}]
    (scenes / "plans" / "sub" / "fold2_room1_mix001.json").write_text(json.dumps({"events": events}))
    (scenes / "plans" / "sub" / "fold1_room1_mix001.json").write_text(json.dumps({"events": []}))
    rows = [f"{f},12,0,10,0" for f in range(4)] + ["10,12,0,10,0", "11,12,0,10,0", "0,7,1,-90,0", "1,7,1,-90,0"]
    (scenes / "metadata" / "sub" / "fold2_room1_mix001.csv").write_text("\n".join(rows) + "\n")
    # the cajon knock: knock in frames 0 and 1, door in 0, 2 and 3 (in 0 the door is a reference event: no
    # confusion); the procedural knock found in both its frames; the door in frame 0 of its 2
    (pred / "fold2_room1_mix001.csv").write_text("0,12,0,10,0\n1,12,0,10,0\n0,7,0,10,0\n2,7,0,10,0\n3,7,0,10,0\n"
                                                 "10,12,0,10,0\n11,12,0,10,0\n")
    args = [sys.executable, str(script), str(bank), str(scenes), str(pred), "--fold", "2"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    assert "| knock | hydrogen-drumkits: CajonThumps | 1 | 4 | 50% | door (2) |" in out
    assert "| knock | generated | 1 | 2 | 100% | - |" in out
    assert "| door | gcompris-qt-data: door_open | 1 | 2 | 50% | - |" in out
    assert "knock" not in subprocess.run(args + ["--classes", "door"], capture_output=True, text=True,
                                         check=True).stdout
    (pred / "fold2_room1_mix001.csv").write_text("0,12,zero\n")
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 1 and "fold2_room1_mix001.csv" in done.stderr and "Traceback" not in done.stderr
    (pred / "fold2_room1_mix001.csv").unlink()
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 1 and "no prediction" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = subprocess.run(args + ["--classes", "knok"], capture_output=True, text=True)
    assert done.returncode == 1 and "unknown class(es) knok" in done.stderr
