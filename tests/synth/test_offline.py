"""The offline bank: procedural recipes, MIDI files, speech, and the builder with and without packages.

Tests that need Debian packages skip with the package's name when it is absent (CI installs espeak-ng,
fluidsynth and timgm6mb-soundfont; see the project README).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.signal

from seld.synth import midi, offline, procedural
from seld.synth.bank import Bank

FS = 24000


def needs(package: str):
    return pytest.mark.skipif(not offline.PACKAGES[package].installed(),
                              reason=f"Debian package {package} is not installed (apt-get install -y {package})")


@pytest.mark.parametrize("name", sorted(procedural.GENERATORS))
def test_procedural_recipes_are_reproducible_finite_and_audible(name):
    make = procedural.GENERATORS[name]
    a, b = make(np.random.default_rng(3), FS), make(np.random.default_rng(3), FS)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and np.all(np.isfinite(a)) and 0.3 * FS < len(a) < 12 * FS
    assert np.abs(a).max() > 0 and not np.array_equal(a, make(np.random.default_rng(4), FS))


def test_struck_objects_ring_at_their_modes_and_knocks_come_in_short_series():
    modes = np.array([180.0, 450.0, 1300.0])
    hit = procedural.modal_hit(np.random.default_rng(0), FS, modes, [0.2, 0.2, 0.2], [1.0, 1.0, 1.0], 1.0)
    freqs, psd = scipy.signal.welch(hit, FS, nperseg=8192)
    peaks, _ = scipy.signal.find_peaks(psd, height=psd.max() * 1e-3)
    found = freqs[peaks[np.argsort(psd[peaks])[-3:]]]
    np.testing.assert_allclose(np.sort(found), modes, atol=FS / 8192)
    for seed in range(5):                 # 2-5 knocks, 4-8 per second, then 0.3 s of ringing
        seconds = len(procedural.knock(np.random.default_rng(seed), FS)) / FS
        assert 2 / 8 + 0.3 - 0.01 <= seconds <= 5 / 4 + 0.3 + 0.01


def test_laughter_is_voiced_at_a_human_pitch():
    x = procedural.laughter(np.random.default_rng(1), FS).astype(np.float64)
    frame = x[np.argmax(np.abs(x)) - 1200:np.argmax(np.abs(x)) + 1200]
    ac = np.correlate(frame, frame, "full")[len(frame) - 1:]
    lag = np.argmax(ac[FS // 400:FS // 100]) + FS // 400
    assert 100 < FS / lag < 400


def parse_notes(data: bytes) -> list[tuple[int, int, int]]:
    """(absolute tick, channel, pitch) of the note-on events of a Standard MIDI File."""
    assert data[:4] == b"MThd" and int.from_bytes(data[10:12], "big") >= 2
    pos, notes = 14, []
    while pos < len(data):
        assert data[pos:pos + 4] == b"MTrk"
        end = pos + 8 + int.from_bytes(data[pos + 4:pos + 8], "big")
        pos, tick = pos + 8, 0
        while pos < end:
            delta = 0
            while True:
                delta = (delta << 7) | (data[pos] & 0x7F)
                pos += 1
                if data[pos - 1] < 0x80:
                    break
            tick += delta
            status = data[pos]
            if status == 0xFF:
                pos += 3 + data[pos + 2]
            elif status & 0xF0 == 0xC0:
                pos += 2
            else:
                if status & 0xF0 == 0x90:
                    notes.append((tick, status & 0x0F, data[pos + 1]))
                pos += 3
        pos = end
    return sorted(notes)


def test_midi_files_hold_the_composed_notes():
    notes, programs, tempo = midi.compose_music(np.random.default_rng(0))
    parsed = parse_notes(midi.midi_bytes(notes, programs, tempo))
    assert parsed == sorted((int(round(n.start * 480)), n.channel, n.pitch) for n in notes)


@needs("fluidsynth")
@needs("timgm6mb-soundfont")
def test_fluidsynth_renders_a_phrase():
    notes, programs, tempo = midi.compose_instrument(np.random.default_rng(2))
    audio = midi.render(notes, programs, tempo, offline.PACKAGES["timgm6mb-soundfont"].probe, FS)
    end = max(n.start + n.length for n in notes) * 60 / tempo
    assert np.abs(audio).max() > 0.01 and len(audio) >= end * FS


@needs("espeak-ng")
def test_female_voices_speak_higher_than_male_voices():
    def f0(x, sr):
        """Median autocorrelation pitch of the loud, periodic 40 ms frames."""
        n, found = int(0.04 * sr), []
        for i in range(0, len(x) - n, n):
            frame = x[i:i + n] - x[i:i + n].mean()
            if np.sqrt(np.mean(frame**2)) < 0.3 * np.sqrt(np.mean(x**2)):
                continue
            ac = np.correlate(frame, frame, "full")[n - 1:]
            lag = np.argmax(ac[sr // 400:sr // 70]) + sr // 400
            if ac[lag] > 0.4 * ac[0]:
                found.append(sr / lag)
        return np.median(found)

    female = [f0(*offline.speak(np.random.default_rng(s), female=True)) for s in range(4)]
    male = [f0(*offline.speak(np.random.default_rng(s), female=False)) for s in range(4)]
    assert min(female) > 160 > max(male)          # the usual female / male boundary (155-160 Hz)


def test_builder_reports_missing_packages_and_falls_back(tmp_path, monkeypatch):
    """Without the sound packages a class uses its procedural recipe; the missing packages are named."""
    fake = {name: offline.Package(p.name, str(tmp_path / "absent"), p.licence) for name, p in offline.PACKAGES.items()}
    monkeypatch.setattr(offline, "PACKAGES", fake)
    assert offline.ensure_packages(["lmms-common"], install=False) == ["lmms-common"]
    bank = offline.build_offline_bank(tmp_path / "bank", per_class=2, classes=("knock", "water_tap", "male_speech"))
    counts = {name: n_train + n_test for name, n_train, n_test, _ in bank.summary()}
    assert counts["knock"] >= 2 and counts["water_tap"] >= 2 and counts["male_speech"] == 0
    missing = "\n".join(bank.meta["missing"])
    assert "apt-get install -y lmms-common" in missing and "espeak-ng" in missing
    assert "class male_speech: no source available" in missing
    assert all(c.source.startswith("generated/") for c in bank.clips)


@needs("espeak-ng")
@needs("sonic-pi-samples")
def test_offline_bank_mixes_real_and_generated_clips(tmp_path):
    bank = offline.build_offline_bank(tmp_path / "bank", per_class=4, classes=("bell", "female_speech"))
    assert isinstance(bank, Bank)
    sources = {c.source.split("/")[0] for c in bank.clips}
    assert "generated" in sources and len(sources) > 1
    assert not bank.meta["missing"] or "class" not in " ".join(bank.meta["missing"])
    assert shutil.which("espeak-ng")
