"""``seld bank`` and ``seld synth`` from the command line (click's runner and the real entry point)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from seld.cli import cli, main
from seld.errors import ConfigError


def test_bank_build_info_and_quick_synth(clips, tmp_path):
    clips(tmp_path / "src")
    runner = CliRunner()
    built = runner.invoke(cli, ["bank", "build", "--from", str(tmp_path / "src"), "--out", str(tmp_path / "bank"),
                                "--test-fraction", "0.5"])
    assert built.exit_code == 0, built.output
    assert "6 clips at 24000 Hz" in built.output and "bell" in built.output
    info = runner.invoke(cli, ["bank", "info", str(tmp_path / "bank")])
    assert info.exit_code == 0 and "female_speech" in info.output
    made = runner.invoke(cli, ["synth", "--bank", str(tmp_path / "bank"), "--out", str(tmp_path / "out"),
                               "--preset", "quick", "--clips", "2", "--rooms", "1", "--duration", "2",
                               "--ov", "2", "--snr", "none", "--rt60", "0.2,0.2"])
    assert made.exit_code == 0, made.output
    assert "2 scenes rendered" in made.output
    assert len(list((tmp_path / "out" / "mic").glob("fold1_room1_mix00*.wav"))) == 2
    again = runner.invoke(cli, ["synth", "--bank", str(tmp_path / "bank"), "--out", str(tmp_path / "out"),
                                "--preset", "quick", "--clips", "2", "--rooms", "1", "--duration", "2",
                                "--ov", "2", "--snr", "none", "--rt60", "0.2,0.2"])
    assert "0 scenes rendered, 2 already done" in again.output
    other = runner.invoke(cli, ["synth", "--bank", str(tmp_path / "bank"), "--out", str(tmp_path / "out"),
                                "--preset", "quick", "--clips", "2", "--rooms", "1", "--duration", "2",
                                "--ov", "2", "--snr", "none", "--rt60", "0.2,0.2", "--balance", "time"])
    assert isinstance(other.exception, ConfigError)
    assert "config.scenes.class_balance: 'events' there, 'time' now" in str(other.exception)
    shifted = runner.invoke(cli, ["synth", "--bank", str(tmp_path / "bank"), "--out", str(tmp_path / "pitch"),
                                  "--preset", "quick", "--clips", "2", "--rooms", "1", "--duration", "2",
                                  "--snr", "none", "--rt60", "0.2,0.2", "--formats", "foa", "--pitch", "3,bell=0"])
    assert shifted.exit_code == 0, shifted.output
    manifest = json.loads((tmp_path / "pitch" / "manifest.json").read_text())
    assert manifest["generation"]["config"]["scenes"]["pitch_shift"] == 3.0
    assert manifest["generation"]["config"]["scenes"]["class_pitch_shift"] == {"bell": 0.0}
    plans = [json.loads(p.read_text()) for p in (tmp_path / "pitch" / "plans").glob("*.json")]
    rates = [e["rate"] for plan in plans for e in plan["events"]]
    assert rates and all(2 ** (-3.05 / 12) <= r <= 2 ** (3.05 / 12) for r in rates) and set(rates) != {1.0}


def test_user_errors_exit_2_with_one_line(tmp_path, capsys, tiny_bank):
    with pytest.raises(SystemExit) as err:
        main(["synth", "--bank", str(tmp_path), "--out", str(tmp_path / "out")])
    assert err.value.code == 2
    assert "not a sound bank" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        main(["bank", "build", "--out", str(tmp_path / "b")])
    assert err.value.code == 2
    assert "exactly one of --from" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        main(["synth", "--bank", str(tmp_path), "--out", str(tmp_path / "o"), "--ov", "x"])
    assert err.value.code == 2
    with pytest.raises(SystemExit) as err:
        main(["synth", "--bank", str(tmp_path), "--out", str(tmp_path / "o"), "--replay", str(tmp_path),
              "--moving", "0.5", "--balance", "time"])
    assert err.value.code == 2
    assert "--moving, --balance have no effect with --replay: the label files give" in capsys.readouterr().err
    for pitch, message in [("x", "--pitch takes semitones and class=semitones"), ("9", "0 to 6 semitones"),
                           ("2,dog=1", "class_pitch_shift names class(es) dog")]:
        with pytest.raises(SystemExit) as err:
            main(["synth", "--bank", str(tiny_bank), "--out", str(tmp_path / "o"), "--preset", "quick",
                  "--pitch", pitch])
        assert err.value.code == 2
        assert message in capsys.readouterr().err
