"""The synthesis job end to end: layout, labels, determinism across workers and shards, resuming, errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.errors import ConfigError, InputError
from seld.formats import read_labels
from seld.synth.dataset import parse_shard, plan_dataset, synthesize
from seld.synth.bank import Bank


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "srir_cache" not in p.parts}


def test_layout_audio_and_labels(tiny_bank, tiny_config, tmp_path):
    config = tiny_config(test_fraction=0.25, n_scenes=4)
    summary = synthesize(tiny_bank, tmp_path / "out", config, seed=3, cache=tmp_path / "cache")
    assert summary["rendered"] == 4 and summary["rooms_built"] == 2
    out = tmp_path / "out"
    names = sorted(p.stem for p in (out / "metadata").glob("*.csv"))
    assert names == ["fold1_room1_mix001", "fold1_room1_mix002", "fold1_room1_mix003", "fold2_room2_mix001"]
    bank = Bank(tiny_bank)
    for name in names:
        for fmt in ("foa", "mic"):
            audio, fs = sf.read(out / fmt / f"{name}.wav")
            assert fs == 24000 and audio.shape == (48000, 4)
            assert 0.3 < np.abs(audio).max() <= 0.5 + 1e-4
        labels = read_labels(out / "metadata" / f"{name}.csv")
        assert labels.has_dist and len(labels) > 0
        assert labels.frame.max() < 20 and set(labels.cls) <= {bank.classes.index(c) for c in
                                                               ("female_speech", "clapping", "bell")}
        assert np.all((labels.dist > 0.9) & (labels.dist < 1.5))
        plan = json.loads((out / "plans" / f"{name}.json").read_text())
        split = "test" if name.startswith("fold2") else "train"
        used = {p[0] for e in plan["events"] for p in e["pieces"]}
        assert {c.split for c in bank.clips if c.id in used} == {split}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["generation"]["seed"] == 3 and manifest["versions"]["pyroomacoustics"]
    assert manifest["generation"]["config"]["n_scenes"] == 4
    assert "rooms/room<N>.json" in manifest["layout"]["rooms"]
    # each room's record: what it is, what it aimed at, what its responses measure
    for number in (1, 2):
        record = json.loads((out / "rooms" / f"room{number}.json").read_text())
        assert record["room"] == number and record["kind"] == "simulated"
        assert len(record["description"]["materials"]) == 6 and record["bands_hz"][3] == 1000
        measured = record["measured"]
        assert measured["positions"] >= 3 and measured["measured_on"] == "foa channel 0"
        assert len(measured["t30"]) == len(measured["edt"]) == 7
        assert measured["drr_db"]["min"] <= measured["drr_db"]["median"] <= measured["drr_db"]["max"]
        aimed = np.asarray(record["aimed"]["t30"])
        assert record["aimed"]["rt60"] == pytest.approx(np.mean(aimed[2:4]), abs=1e-3)
        t30 = np.asarray(measured["t30"][2:6], dtype=float)     # the responses are cut 0.12 s long: T30 is rough
        assert np.all(np.abs(t30 / aimed[2:6] - 1) < 0.3), (t30, aimed)


def test_shards_and_resume_reproduce_one_run(tiny_bank, tiny_config, tmp_path):
    config = tiny_config()
    cache = tmp_path / "cache"
    synthesize(tiny_bank, tmp_path / "whole", config, seed=1, cache=cache)
    first = synthesize(tiny_bank, tmp_path / "sharded", config, seed=1, shard=(2, 2), cache=cache)
    assert first["in_shard"] == 2 and first["rooms_built"] == 0          # rooms reused from the cache
    assert len(list((tmp_path / "sharded" / "metadata").glob("*.csv"))) == 2
    synthesize(tiny_bank, tmp_path / "sharded", config, seed=1, shard=(1, 2), cache=cache)
    assert files_of(tmp_path / "whole") == files_of(tmp_path / "sharded")
    # resuming skips finished scenes and redoes an unfinished one
    victim = next((tmp_path / "whole" / "metadata").glob("*.csv"))
    victim.unlink()
    again = synthesize(tiny_bank, tmp_path / "whole", config, seed=1, cache=cache)
    assert again["rendered"] == 1 and again["skipped"] == 3
    assert files_of(tmp_path / "whole") == files_of(tmp_path / "sharded")
    with pytest.raises(ConfigError, match="other settings"):
        synthesize(tiny_bank, tmp_path / "whole", config, seed=2, cache=cache)


def test_a_dataset_made_before_a_setting_existed_resumes(tiny_bank, tiny_config, tmp_path):
    """A manifest without the settings added since (class balance, pitch shift) reads as their defaults: the
    dataset resumes, and the old manifest is kept; a real difference is still refused."""
    config = tiny_config(n_scenes=2)
    out = tmp_path / "out"
    synthesize(tiny_bank, out, config, seed=1, cache=tmp_path / "cache")
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("class_balance", "pitch_shift", "class_pitch_shift"):
        del manifest["generation"]["config"]["scenes"][key]
    (out / "manifest.json").write_text(json.dumps(manifest))
    next((out / "metadata").glob("*.csv")).unlink()
    again = synthesize(tiny_bank, out, config, seed=1, cache=tmp_path / "cache")
    assert again["rendered"] == 1 and again["skipped"] == 1
    assert json.loads((out / "manifest.json").read_text()) == manifest
    with pytest.raises(ConfigError, match="config.scenes.pitch_shift: 0.0 there, 2.0 now"):
        synthesize(tiny_bank, out, replace(config, scenes=replace(config.scenes, pitch_shift=2.0)), seed=1,
                   cache=tmp_path / "cache")


@pytest.mark.slow
def test_workers_do_not_change_the_output(tiny_bank, tiny_config, tmp_path):
    config = tiny_config(n_scenes=3)
    synthesize(tiny_bank, tmp_path / "one", config, seed=4, workers=1)
    synthesize(tiny_bank, tmp_path / "two", config, seed=4, workers=2)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")


def test_plan_depends_only_on_the_seed(tiny_bank, tiny_config):
    bank = Bank(tiny_bank)
    a = plan_dataset(bank, tiny_config(), seed=9)
    b = plan_dataset(bank, tiny_config(n_scenes=6), seed=9)
    assert [s.to_dict() for s in a.scenes] == [s.to_dict() for s in b.scenes[:4]]
    assert a.rooms == b.rooms
    assert [s.to_dict() for s in plan_dataset(bank, tiny_config(), seed=10).scenes] != [s.to_dict() for s in a.scenes]


def test_bad_input_fails_early(tiny_bank, tiny_config, tmp_path):
    with pytest.raises(InputError, match="not a sound bank"):
        synthesize(tmp_path, tmp_path / "out", tiny_config())
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot create"):
        synthesize(tiny_bank, tmp_path / "file" / "out", tiny_config())
    with pytest.raises(ConfigError, match="unknown spatial format"):
        synthesize(tiny_bank, tmp_path / "out", tiny_config(formats=("foa", "ambix9")))
    with pytest.raises(ConfigError, match="test fold needs rooms"):
        tiny_config(n_rooms=1, test_fraction=0.5)
    with pytest.raises(ConfigError, match="no train clips for class.*knock"):
        synthesize(tiny_bank, tmp_path / "out2", tiny_config(
            scenes=tiny_config().scenes.__class__(duration=2.0, classes=("knock",))))
    assert not (tmp_path / "out" / "metadata").exists()
    for text in ("3", "0/2", "3/2", "a/b"):
        with pytest.raises(ConfigError):
            parse_shard(text)
    assert parse_shard("2/5") == (2, 5)


def test_other_formats_and_a_custom_array(tiny_bank, tiny_config, tmp_path):
    """Without FOA an omni reference is simulated for the SNR but not written; open arrays come from a file."""
    (tmp_path / "pair.txt").write_text("# two microphones 10 cm apart\n0.05,0,0\n-0.05,0,0\n")
    config = tiny_config(n_scenes=1, n_rooms=1, formats=("mic", "circular8", f"array:{tmp_path / 'pair.txt'}"))
    synthesize(tiny_bank, tmp_path / "out", config, seed=0)
    shapes = {fmt: sf.read(next((tmp_path / "out" / fmt).glob("*.wav")))[0].shape[1]
              for fmt in ("mic", "circular8", "pair")}
    assert shapes == {"mic": 4, "circular8": 8, "pair": 2}
    assert not (tmp_path / "out" / "omni").exists()
