"""The offline bank: procedural recipes, MIDI files, speech, and the builder on a fake package cache.

Tests that need the synthesis tools skip with the package's name when it is absent (CI installs espeak-ng,
fluidsynth and timgm6mb-soundfont; see the project README). No test downloads a package: the sound packages
are fake trees written into a temporary cache.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile as sf
from click.testing import CliRunner

from seld.errors import ConfigError
from seld.synth import debian, hits, midi, offline, procedural
from seld.synth.bank import BankSettings
from seld.synth.cli import build, info

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
    low = []
    for seed in range(40):                # 2-6 knocks, 3-8 per second, then 0.25-0.4 s of ringing
        x = procedural.knock(np.random.default_rng(seed), FS).astype(np.float64)
        assert 2 / 8 + 0.25 - 0.01 <= len(x) / FS <= 6 / 3 + 0.4 + 0.01
        power = np.abs(np.fft.rfft(x)) ** 2
        low.append(power[np.fft.rfftfreq(len(x), 1 / FS) < 300].sum() / power.sum())
    # knuckles ring the panel above 100 Hz; fists and flat hands boom below 300 Hz: both kinds, often
    assert 10 <= sum(share > 0.5 for share in low) <= 30 and 10 <= sum(share < 0.3 for share in low) <= 30


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
    """Without the sound packages (an empty cache, no download) and the synthesis tools, a class uses its
    procedural recipe; what is missing is named with the fix."""
    fake = {name: offline.Package(p.name, str(tmp_path / "absent"), p.licence) for name, p in offline.PACKAGES.items()}
    monkeypatch.setattr(offline, "PACKAGES", fake)
    assert offline.ensure_packages(["espeak-ng"], install=False) == ["espeak-ng"]
    bank = offline.build_offline_bank(tmp_path / "bank", per_class=2, classes=("knock", "water_tap", "male_speech"),
                                      cache=tmp_path / "cache", download=False)
    counts = {name: n_train + n_test for name, n_train, n_test, _ in bank.summary()}
    assert counts["knock"] >= 2 and counts["water_tap"] >= 2 and counts["male_speech"] == 0
    missing = "\n".join(bank.meta["missing"])
    assert "apt-get install -y espeak-ng" in missing and "xboard is not in the cache" in missing
    assert "class male_speech: no source available" in missing
    assert all(c.source.startswith("generated/") for c in bank.clips)


def write_sound(path: Path, seconds: float, freq: float, fs: int = 16000, noise: bool = False) -> None:
    """A decaying tone or noise burst (OGG when the name says so), standing in for a packaged recording."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(int(freq))
    t = np.arange(int(seconds * fs)) / fs
    x = rng.standard_normal(len(t)) if noise else np.sin(2 * np.pi * freq * t)
    sf.write(path, 0.5 * x * np.exp(-t / max(seconds / 3, 0.02)), fs)


def fake_package(cache: Path, name: str, files: dict[str, tuple[float, float]], noise: bool = False) -> None:
    """An extracted package tree in the cache: ``files`` maps a path inside it to (seconds, frequency)."""
    for rel, (seconds, freq) in files.items():
        write_sound(cache / name / rel, seconds, freq, noise=noise)
    (cache / name / debian.MARKER).write_text("fake\n")


def test_real_recordings_come_first_with_their_package_path_and_licence(tmp_path, monkeypatch):
    """Footsteps are sequences of the packaged steps, split by take (no take in both splits); laughter takes
    the two recordings, and generated laughs fill the class up to MIN_RECORDINGS; a recipe whose licence
    does not allow shipping a model is left out and said so, and so is a recording another class has taken."""
    cache = tmp_path / "cache"
    steps = "usr/share/games/ufoai/base/0snd.pk3/sound/footsteps/"
    floors = ("carpet", "wood", "gravel", "snow")
    fake_package(cache, "ufoai-sound", {f"{steps}{floor}{k}.ogg": (0.15, 100 + 40 * i + k)
                                        for i, floor in enumerate(floors) for k in (1, 2)}, noise=True)
    laughs = "usr/share/scratch/Media/Sounds/Human/"
    fake_package(cache, "scratch", {f"{laughs}Laugh-female.wav": (1.5, 300), f"{laughs}Laugh-male1.wav": (1.2, 150),
                                    "usr/share/scratch/Media/Sounds/Human/Footsteps-1.wav": (2.0, 80)})
    recipes = dict(offline.RECIPES)
    recipes["laughter"] += (offline.Real("scratch", (f"{laughs}Footsteps-*",), licence="CC-BY-NC-4.0"),)
    recipes["footsteps"] += (offline.Real("scratch", (f"{laughs}Laugh-*",)),)     # taken by laughter already
    monkeypatch.setattr(offline, "RECIPES", recipes)
    settings = BankSettings(sample_rate=16000, test_fraction=0.25)
    bank = offline.build_offline_bank(tmp_path / "bank", settings, per_class=12, classes=("footsteps", "laughter"),
                                      cache=cache, download=False, workers=1)
    by_class = {name: [c for c in bank.clips if bank.classes[c.cls] == name] for name in ("footsteps", "laughter")}
    real_laughs = sorted(c.source for c in by_class["laughter"] if not c.source.startswith("generated/"))
    assert real_laughs == [f"scratch:{laughs}Laugh-female.wav", f"scratch:{laughs}Laugh-male1.wav"]
    assert {c.licence for c in by_class["laughter"] if c.source.startswith("scratch:")} == {"CC-BY-SA-3.0"}
    assert len(by_class["laughter"]) == 12          # 2 real + 10 generated (fewer than MIN_RECORDINGS real)
    assert "licence 'CC-BY-NC-4.0' does not allow" in "\n".join(bank.meta["missing"])
    assert "class footsteps: 2 file(s) of scratch left out, already used for laughter" in "\n".join(
        bank.meta["missing"])

    sequences = [c for c in by_class["footsteps"] if c.source.startswith("hits:ufoai-sound:")]
    assert len(sequences) >= 10 and {c.licence for c in sequences} == {"CC-BY-SA-3.0 AND GPL-2+"}
    take_split = {}
    for c in sequences:
        take_split.setdefault(c.source.split("#")[0], set()).add(c.split)
    assert all(len(s) == 1 for s in take_split.values()) and {"train", "test"} == set().union(*take_split.values())
    durations = [c.duration for c in sequences]
    assert min(durations) > 2 * 0.4                # at least 3 steps at most 2.2 steps/s

    with open(tmp_path / "bank" / "sources.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    hit_rows = [r for r in rows if r["kind"] == "hit"]
    assert len(hit_rows) == 8 and all(r["package"] == "ufoai-sound" and r["path"].startswith(steps) for r in hit_rows)
    for r in hit_rows:                              # a step file is in the split of the sequences made from it
        assert {r["split"]} == take_split[f"hits:ufoai-sound:{steps}{r['path'][len(steps):].rstrip('.og0123456789')}"]
    table = {r["class"]: r for r in bank.meta["offline"]["classes"]}
    assert table["laughter"]["real"] == 2 and table["laughter"]["generated"] == 10
    assert table["footsteps"]["hits"] == len(sequences) and table["footsteps"]["sources"] >= 8
    shown = CliRunner().invoke(info, [str(tmp_path / "bank")])
    assert shown.exit_code == 0 and "gen %" in shown.output and "laughter" in shown.output


@pytest.mark.parametrize("licence, ok", [("GPL-2", True), ("CC-BY-SA-3.0 AND GPL-2+", True), ("MPL-2.0", True),
                                         ("CC0-1.0", True), ("public-domain", True), ("GPL-3+ AND HPND", True),
                                         ("CC-BY-NC-3.0", False), ("CC-BY-ND-4.0", False), ("", False),
                                         ("free-art", False), ("CC-sampling-plus-1.0", False),
                                         ("CC-BY-NC-3.0 OR GPL-2+", True)])
def test_only_licences_that_allow_shipping_a_trained_model_pass(licence, ok):
    assert offline.licence_allowed(licence) is ok


def test_every_recipe_names_a_known_package_with_an_allowed_licence():
    for name, recipes in offline.RECIPES.items():
        for r in recipes:
            if not isinstance(r, offline.Generated):
                assert r.package in offline.SOUND_PACKAGES, (name, r.package)
                assert offline.licence_allowed(r.licence or offline.SOUND_PACKAGES[r.package].licence), (name, r)


def test_the_command_builds_from_the_cache_only_and_refuses_offline_options_without_offline(tmp_path):
    """``--no-download --cache DIR`` reads only what the cache holds; the other classes are generated and the
    table of real and generated clips is printed."""
    cache = tmp_path / "cache"
    fake_package(cache, "scratch", {"usr/share/scratch/Media/Sounds/Human/Laugh-female.wav": (1.5, 300)})
    result = CliRunner().invoke(build, ["--offline", "--no-download", "--cache", str(cache), "--per-class", "1",
                                        "--fill-to", "0", "--out", str(tmp_path / "bank")])
    assert result.exit_code == 0, result.output
    laughter = next(line for line in result.output.splitlines() if line.startswith("laughter") and "%" not in line
                    and len(line.split()) == 8)
    assert laughter.split()[1:4] == ["1", "0", "0"]                  # one real clip, nothing generated
    assert "tuxpaint-stamps-default is not in the cache" in result.output
    refused = CliRunner().invoke(build, ["--from", str(tmp_path), "--cache", str(cache), "--out", str(tmp_path / "b")])
    assert isinstance(refused.exception, ConfigError) and "--cache has no effect without --offline" in str(
        refused.exception)


def test_a_recording_of_several_knocks_is_sequenced_knock_by_knock(tmp_path):
    """A ``split`` Hits recipe cuts a recorded series of knocks into single knocks: a sequence then holds as
    many knocks as its rhythm has onsets, not a whole recorded series per onset."""
    fs = 16000
    t = np.arange(int(0.1 * fs)) / fs
    knock = np.sin(2 * np.pi * 400 * t) * np.exp(-t / 0.02)
    series = 1e-4 * np.random.default_rng(0).standard_normal(fs)
    for at in (0.1, 0.35, 0.6):
        series[int(at * fs):int(at * fs) + len(knock)] += knock
    sf.write(tmp_path / "Knock.wav", series, fs)
    for seed in range(5):
        job = ("split-hits", "knocks", ((str(tmp_path / "Knock.wav"),),), seed, 12, 0, fs)
        audio, sr = offline._generate(job)
        expected = hits.knocks(np.random.default_rng([seed, 12, 0]), 1)
        assert sr == fs and len(hits.onsets(audio.astype(np.float64), fs)) == len(expected)
        whole, _ = offline._generate(("hits",) + job[1:])
        assert len(whole) > len(audio)           # unsplit, every onset plays the whole 0.6 s series


def test_generated_clips_are_made_in_parallel_from_a_script_read_on_standard_input(tmp_path):
    """With several workers the generated clips are made in a pool of forked workers: a caller whose main
    module cannot be imported again (``python -``, a notebook) gets the bank, not workers restarting forever, and
    the same bank as with one worker."""
    import subprocess
    import sys

    script = ("import sys\nfrom seld.synth import offline\nfrom seld.synth.bank import BankSettings\n"
              "offline.build_offline_bank(sys.argv[1], BankSettings(sample_rate=16000), per_class=4, "
              "classes=('knock', 'water_tap'), cache=sys.argv[2], download=False, workers=int(sys.argv[3]))\n")
    for workers in (1, 2):
        done = subprocess.run([sys.executable, "-", str(tmp_path / f"bank{workers}"), str(tmp_path / "cache"),
                               str(workers)], input=script, text=True, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    one, two = ((tmp_path / f"bank{w}" / "manifest.csv").read_text() for w in (1, 2))
    assert one == two and len(one.splitlines()) == 1 + 8


# kit-piece names as the Hydrogen packages spell them: drums, and pieces that sound like other classes' events
_KIT = {"hydrogen-drumkits": {
            "The Black Pearl 1.0": ("PearlKick-Hard.wav", "PearlSideStick-Med.wav", "Cowbell-Soft.wav",
                                    "HandClap.wav", "PaisteBell-Med.wav", "PearlTom1-Hard.wav"),
            "Millo_MultiLayered3": ("bd_01.flac", "mc_cb.flac", "sd_02.flac"),
            "Millo-Drums_v.1": ("stick_Woody.flac", "misc_Cowbell.flac", "snare.flac"),
            "ForzeeStereo": ("AgogoHigh.wav", "RimClick.wav", "Stick.wav", "Kick.wav"),
            "BJA_Pacific": ("BD_01.aiff", "BL_01.aiff", "CB_01.aiff", "SN_01.aiff"),     # BL ride bell, CB crash
            "Gimme A Hand 1.0": ("CajonThumps-01.wav", "Cowbell-01.wav", "HandClap-01.wav")},
        "hydrogen-data": {"GMRockKit": ("Kick-Hard.wav", "Cowbell-Med.wav", "SideStick-Soft.wav", "Bell-Hard.wav")}}
_DRUMS = {"PearlKick-Hard.wav", "PearlTom1-Hard.wav", "bd_01.flac", "sd_02.flac", "snare.flac", "Kick.wav",
          "BD_01.aiff", "CB_01.aiff", "SN_01.aiff", "Kick-Hard.wav"}


def test_drum_grooves_leave_out_kit_pieces_that_sound_like_bells_knocks_or_claps(tmp_path):
    roots = {}
    for package, kits in _KIT.items():
        roots[package] = tmp_path / package
        for kit, names in kits.items():
            for name in names:
                path = roots[package] / "usr/share/hydrogen/data/drumkits" / kit / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
    used: dict[str, str] = {}
    for cls, recipes in offline.RECIPES.items():
        for r in recipes:
            if isinstance(r, offline.Hits) and r.package in roots:
                for f in offline._files(roots[r.package], r):
                    key = f"{r.package}:{f}"
                    assert used.setdefault(key, cls) == cls, f"{key} is in {used[key]} and in {cls}"
    assert {Path(f).name for f, cls in used.items() if cls == "musical_instrument"} == _DRUMS
    assert not set(midi.PERCUSSION_NOTES) & {56, 67, 68, 75, 76, 77}   # GM cowbell, agogos, claves, wood blocks
