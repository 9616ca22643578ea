"""Sound banks: building from a folder or a CSV, processing of clips, splits by source, bad input."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf

from seld.errors import ConfigError, FormatError, InputError
from seld.synth.bank import Bank, BankSettings, active_db, build_bank, prepare_clip, sources_from_csv, sources_from_dir


def test_build_from_folder_resamples_trims_normalises_and_reports_broken_files(tmp_path, clips):
    clips(tmp_path / "src", per_class=3)
    (tmp_path / "src" / "bell" / "broken.wav").write_bytes(b"not audio")
    sf.write(tmp_path / "src" / "bell" / "silent.wav", np.zeros(16000), 16000)
    class_list, sources = sources_from_dir(tmp_path / "src", "starss23")
    bank = build_bank(sources, class_list, tmp_path / "bank", BankSettings(level_db=-23.0), base=tmp_path / "src")
    assert len(bank) == 9 and bank.sample_rate == 24000
    rejected = list(csv.reader(open(tmp_path / "bank" / "rejected.csv")))
    assert {r[0].split("/")[-1] for r in rejected[1:]} == {"broken.wav", "silent.wav"}
    for i, clip in enumerate(bank.clips):
        x = bank.load(i)
        assert x.dtype == np.float32 and x.ndim == 1
        assert len(x) == pytest.approx(0.8 * 24000, abs=0.02 * 24000)     # the 0.1 s silences are trimmed
        assert abs(active_db(x, 24000, 40.0) + 23.0) < 0.3 and abs(clip.loudness_db + 23.0) < 0.3
        assert not clip.source.startswith("/")                           # relative to the input folder
    assert bank.classes.name == "starss23" and bank.clips[0].cls == 0


def test_split_is_by_source_file_so_pieces_of_one_recording_stay_together(tmp_path):
    fs = 24000
    for name in ("knock", "bell"):
        (tmp_path / "src" / name).mkdir(parents=True)
        for k in range(4):
            x = 0.1 * np.random.default_rng(k).standard_normal(int(3.5 * fs))
            sf.write(tmp_path / "src" / name / f"long{k}.wav", x, fs)
    class_list, sources = sources_from_dir(tmp_path / "src", "starss23")
    bank = build_bank(sources, class_list, tmp_path / "bank", BankSettings(max_len=1.0, test_fraction=0.5))
    by_source = {}
    for clip in bank.clips:
        by_source.setdefault(clip.source, set()).add(clip.split)
        assert clip.duration <= 1.0 + 1e-6
    assert all(len(s) == 1 for s in by_source.values())
    assert {next(iter(s)) for s in by_source.values()} == {"train", "test"}
    assert sum(1 for c in bank.clips if c.source.endswith("knock/long0.wav")) == 4     # 3.5 s -> 4 pieces


def test_build_from_csv_with_header_relative_paths_and_licence(tmp_path, clips):
    clips(tmp_path / "audio", classes=("knock", "bell"), per_class=1)
    (tmp_path / "list.csv").write_text("path,class,licence\naudio/knock/take0.wav,knock,CC0\n"
                                       "audio/bell/take0.wav,11,CC-BY\n")
    class_list, sources = sources_from_csv(tmp_path / "list.csv", "starss23")
    bank = build_bank(sources, class_list, tmp_path / "bank")
    assert sorted((c.cls, c.licence) for c in bank.clips) == [(11, "CC-BY"), (12, "CC0")]


def test_auto_classes_come_from_folder_names(tmp_path, clips):
    clips(tmp_path / "src", classes=("zebra", "aardvark"), per_class=1)
    class_list, sources = sources_from_dir(tmp_path / "src", "auto")
    assert class_list.names == ("aardvark", "zebra")
    assert len(build_bank(sources, class_list, tmp_path / "bank").summary()) == 2


def test_bad_inputs_fail_clearly(tmp_path, clips):
    clips(tmp_path / "src", classes=("not_a_class",), per_class=1)
    with pytest.raises(InputError, match="not_a_class.*not a class"):
        sources_from_dir(tmp_path / "src", "starss23")
    (tmp_path / "bad.csv").write_text("a.wav,knock\nb.wav,unicorn\n")
    with pytest.raises(FormatError, match=r"bad.csv:2: unknown class 'unicorn'"):
        sources_from_csv(tmp_path / "bad.csv", "starss23")
    with pytest.raises(InputError, match="not a sound bank"):
        Bank(tmp_path)
    with pytest.raises(ConfigError):
        BankSettings(min_len=2.0, max_len=1.0)
    with pytest.raises(ValueError, match="NaN"):
        prepare_clip(np.array([0.1, np.nan, 0.2]), 24000, BankSettings())


def test_existing_bank_is_not_overwritten_silently(tmp_path, clips):
    clips(tmp_path / "src", per_class=1)
    class_list, sources = sources_from_dir(tmp_path / "src", "starss23")
    build_bank(sources, class_list, tmp_path / "bank")
    with pytest.raises(InputError, match="already holds a bank"):
        build_bank(sources, class_list, tmp_path / "bank")
    assert len(build_bank(sources, class_list, tmp_path / "bank", overwrite=True)) == 3


def test_malformed_manifest_row_names_the_line(tmp_path, tiny_bank):
    import shutil

    shutil.copytree(tiny_bank, tmp_path / "b")
    lines = (tmp_path / "b" / "manifest.csv").read_text().splitlines()
    lines[2] = lines[2].replace(",train", ",validation").replace(",test", ",validation")
    (tmp_path / "b" / "manifest.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"manifest.csv:3"):
        Bank(tmp_path / "b")


def test_clips_are_stored_without_dc_offset():
    """A clip riding on an offset (a cheap recorder, a bad conversion) is stored centred: the offset would
    otherwise count in its level and in the scenes' SNR."""
    from seld.synth.bank import BankSettings, prepare_clip

    t = np.arange(24000) / 24000
    clip = 0.3 + 0.1 * np.sin(2 * np.pi * 440 * t)
    (piece,) = prepare_clip(clip, 24000, BankSettings())
    spectrum = np.abs(np.fft.rfft(piece))
    assert abs(float(np.mean(piece))) < 1e-2 * float(np.std(piece))     # it was 3x the signal's deviation
    assert spectrum[0] < 0.02 * spectrum.max()              # the 0 Hz bin was larger than the tone's
