"""``seld bank build --offline``: the 13 STARSS23 classes from what a Debian machine can install, no download.

Sources per class (synthesis.md section 5): real clips from Debian sound packages (Asterisk prompts, the
freedesktop and Oxygen sound themes, Sonic Pi and LMMS samples), speech from ``espeak-ng`` voices, music and
instruments from ``fluidsynth`` with a General MIDI soundfont, and procedural synthesis
(:mod:`seld.synth.procedural`) for the classes without enough real clips (water tap, door, laughter, knock,
footsteps, clapping, domestic sounds). At most half of a class's recordings are real clips; generated ones
fill the rest. Packages are installed with apt-get when ``install`` is set; whatever is missing is reported
(and recorded in ``bank.json``), and the classes it would have fed use the other sources.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seld.errors import ConfigError
from seld.formats.classes import get_classes
from seld.synth import midi, procedural
from seld.synth.bank import Bank, BankSettings, SourceFile, build_bank

__all__ = ["PACKAGES", "RECIPES", "ensure_packages", "speak", "build_offline_bank", "Files", "Generated"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Package:
    """A Debian package, how to tell it is installed, and the licence of what it ships."""

    name: str
    probe: str
    licence: str

    def installed(self) -> bool:
        return os.path.exists(self.probe)


PACKAGES = {p.name: p for p in (
    Package("espeak-ng", "/usr/bin/espeak-ng", "espeak-ng speech synthesis (program GPL-3)"),
    Package("fluidsynth", "/usr/bin/fluidsynth", "fluidsynth rendering (program LGPL-2.1)"),
    Package("timgm6mb-soundfont", "/usr/share/sounds/sf2/TimGM6mb.sf2", "TimGM6mb soundfont GPL-2"),
    Package("sound-theme-freedesktop", "/usr/share/sounds/freedesktop/stereo/bell.oga", "CC-BY-SA-3.0 / GPL-2"),
    Package("oxygen-sounds", "/usr/share/sounds/Oxygen-Im-Phone-Ring.ogg", "LGPL-3"),
    Package("sonic-pi-samples", "/usr/share/sonic-pi/samples/perc_bell.flac", "Sonic Pi samples (mostly CC0)"),
    Package("lmms-common", "/usr/share/lmms/samples/misc/applause01.ogg", "LMMS samples GPL-2+"),
    Package("asterisk-core-sounds-en-wav", "/usr/share/asterisk/sounds/en_US_f_Allison",
            "CC-BY-SA-3.0 (Allison Smith, 8 kHz telephone band)"),
)}


@dataclass(frozen=True)
class Files:
    """Real clips of one package, by glob pattern."""

    package: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Generated:
    """Generated clips: ``kind`` is ``speech-female``, ``speech-male``, ``midi-music``, ``midi-instrument``,
    ``midi-bell`` or ``procedural`` (the class's recipe in :data:`seld.synth.procedural.GENERATORS`)."""

    kind: str

    @property
    def packages(self) -> tuple[str, ...]:
        if self.kind.startswith("speech"):
            return ("espeak-ng",)
        if self.kind.startswith("midi"):
            return ("fluidsynth", "timgm6mb-soundfont")
        return ()


_SP, _LM, _FD = "/usr/share/sonic-pi/samples/", "/usr/share/lmms/samples/", "/usr/share/sounds/freedesktop/stereo/"

#: STARSS23 class -> where its clips come from
RECIPES: dict[str, tuple[Files | Generated, ...]] = {
    "female_speech": (Files("asterisk-core-sounds-en-wav", ("/usr/share/asterisk/sounds/en_US_f_Allison/*.wav",)),
                      Generated("speech-female")),
    "male_speech": (Generated("speech-male"),),
    "clapping": (Files("lmms-common", (_LM + "misc/applause01.ogg",)), Generated("procedural")),
    "telephone": (Files("sound-theme-freedesktop", tuple(_FD + f"{n}.oga" for n in (
                      "phone-incoming-call", "phone-outgoing-calling", "phone-outgoing-busy", "alarm-clock-elapsed"))),
                  Files("oxygen-sounds", ("/usr/share/sounds/Oxygen-Im-Phone-Ring.ogg",)),
                  Files("sonic-pi-samples", (_SP + "mehackit_phone*.flac",)), Generated("procedural")),
    "laughter": (Generated("procedural"),),
    "domestic_sounds": (Files("sonic-pi-samples", (_SP + "ambi_sauna.flac", _SP + "ambi_soft_buzz.flac")),
                        Generated("procedural")),
    "footsteps": (Generated("procedural"),),
    "door": (Files("sonic-pi-samples", (_SP + "perc_door.flac",)), Generated("procedural")),
    "music": (Files("sonic-pi-samples", (_SP + "loop_*.flac",)), Files("lmms-common", (_LM + "beats/*.ogg",)),
              Generated("midi-music")),
    "musical_instrument": (Files("sonic-pi-samples", (_SP + "guit_*.flac", _SP + "tabla_*.flac",
                                                      _SP + "ambi_piano.flac", _SP + "drum_cowbell.flac")),
                           Files("lmms-common", (_LM + "instruments/*.ogg", _LM + "latin/latin_guitar*.ogg")),
                           Generated("midi-instrument")),
    "water_tap": (Generated("procedural"),),
    "bell": (Files("sound-theme-freedesktop", (_FD + "bell.oga",)),
             Files("sonic-pi-samples", (_SP + "perc_bell*.flac", _SP + "elec_bell.flac", _SP + "elec_chime.flac",
                                        _SP + "elec_triangle.flac")),
             Files("lmms-common", (_LM + "misc/dong0*.ogg", _LM + "misc/metalish_dong01.ogg",
                                   _LM + "effects/wind_chimes01.ogg")),
             Generated("midi-bell"), Generated("procedural")),
    "knock": (Files("lmms-common", (_LM + "drums/wood01.ogg",)), Files("sonic-pi-samples", (_SP + "elec_wood.flac",)),
              Generated("procedural")),
}


def ensure_packages(names: list[str], install: bool) -> list[str]:
    """Install the missing ``names`` with apt-get when ``install`` (needs root); returns those still missing."""
    missing = [n for n in names if not PACKAGES[n].installed()]
    if missing and install:
        if shutil.which("apt-get") is None:
            raise ConfigError(f"apt-get not found; install {' '.join(missing)} with your package manager")
        if hasattr(os, "geteuid") and os.geteuid() != 0:
            raise ConfigError("installing Debian packages needs root; run as root or install them first: "
                              f"apt-get install -y {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        log.info("apt-get install %s", " ".join(missing))
        install_cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        for cmd in (["apt-get", "update", "-q"], install_cmd):
            done = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                log.warning("%s failed: %s", " ".join(cmd[:2]), done.stderr.strip().splitlines()[-1:] or "")
        missing = [n for n in names if not PACKAGES[n].installed()]
    return missing


_WORDS = ("the a this my your our time people way day man thing woman life child world school state family "
          "student group country problem hand part place case week company system program question work night "
          "point home water room mother area money story fact month lot right study book eye job word business "
          "issue side kind head house service friend father power hour game line end member law car city name "
          "is was will can said made went saw took gave found told asked felt left called kept began seemed "
          "good new first last long great little own other old right big high different small large next early "
          "and but or because so then when where while before after today tomorrow again maybe really").split()
_FEMALE_VOICES = ("en-us+f1", "en-us+f2", "en-us+f3", "en-us+f4", "en-us+f5", "en-gb+f2", "en-gb-x-rp+f3",
                  "fr+f2", "de+f3", "es+f4", "it+f1", "nl+f2", "pt+f5", "pl+f3", "fi+f1", "sv+f4")
_MALE_VOICES = ("en-us+m1", "en-us+m2", "en-us+m3", "en-us+m4", "en-us+m5", "en-us+m6", "en-us+m7",
                "en-gb+m3", "en-gb-scotland+m2", "fr+m1", "de+m2", "es+m3", "it+m4", "nl+m5", "pl+m6", "sv+m7")


def speak(rng: np.random.Generator, female: bool, espeak: str = "espeak-ng") -> tuple[np.ndarray, int]:
    """One to three spoken sentences of random words by a random espeak-ng voice: (samples, sample rate)."""
    import soundfile as sf

    voices = _FEMALE_VOICES if female else _MALE_VOICES
    text = ". ".join(" ".join(rng.choice(_WORDS, int(rng.integers(4, 12)))).capitalize()
                     for _ in range(int(rng.integers(1, 4)))) + "."
    pitch = int(rng.integers(45, 85) if female else rng.integers(15, 50))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "tts.wav"
        subprocess.run([espeak, "-v", str(rng.choice(voices)), "-s", str(int(rng.integers(130, 190))),
                        "-p", str(pitch), "-w", str(wav), text], check=True, capture_output=True, timeout=60)
        audio, sr = sf.read(wav, dtype="float32")
    return audio, sr


def _soundfont() -> str | None:
    return next((s for s in midi.SOUNDFONTS if os.path.exists(s)), None)


_COMPOSERS = {"midi-music": midi.compose_music, "midi-instrument": midi.compose_instrument,
              "midi-bell": midi.compose_bell}


def _generate(job) -> tuple[np.ndarray, int]:
    """Worker: one generated recording ``(class name, kind, seed, class index, k, fs, claps)``."""
    name, kind, seed, cls, k, fs, claps = job
    rng = np.random.default_rng([seed, cls, k])
    if kind.startswith("speech"):
        return speak(rng, female=kind == "speech-female")
    if kind.startswith("midi"):
        notes, programs, tempo = _COMPOSERS[kind](rng)
        return midi.render(notes, programs, tempo, _soundfont(), fs), fs
    if name == "clapping" and claps and rng.uniform() < 0.5:        # sequence a recorded clap
        import soundfile as sf
        from scipy.signal import resample_poly

        clap, sr = sf.read(claps[int(rng.integers(len(claps)))], dtype="float32", always_2d=True)
        clap = resample_poly(clap.mean(axis=1), fs, sr) if sr != fs else clap.mean(axis=1)
        return procedural.clapping(rng, fs, clap=clap), fs
    return procedural.GENERATORS[name](rng, fs), fs


def build_offline_bank(out: str | Path, settings: BankSettings = BankSettings(), install: bool = False,
                       per_class: int = 60, seed: int = 0, workers: int = 1, overwrite: bool = False,
                       progress: Callable[[int, int], None] | None = None,
                       classes: tuple[str, ...] | None = None) -> Bank:
    """Build the STARSS23 bank offline (see the module docstring); ``classes`` limits it to some classes."""
    class_list = get_classes("starss23")
    wanted = [class_list.index(c) for c in classes] if classes else list(range(len(class_list)))
    needed = sorted({p for c in wanted for r in RECIPES[class_list[c]]
                     for p in ((r.package,) if isinstance(r, Files) else r.packages)})
    missing = ensure_packages(needed, install)
    if missing:
        log.warning("missing Debian packages: %s (install with: apt-get install -y %s, or pass --install)",
                    ", ".join(missing), " ".join(missing))
    claps = sorted(glob.glob(_LM + "drums/clap0*.ogg")) if "lmms-common" not in missing else []
    sources, jobs = [], []
    for c in wanted:
        name = class_list[c]
        rng = np.random.default_rng([seed, 1000 + c])
        real = sorted({(f, PACKAGES[r.package].licence) for r in RECIPES[name]
                       if isinstance(r, Files) and r.package not in missing
                       for pattern in r.patterns for f in glob.glob(pattern)})
        makers = [r.kind for r in RECIPES[name] if isinstance(r, Generated) and not set(r.packages) & set(missing)]
        n_real = min(len(real), per_class if not makers else per_class // 2)
        for i in sorted(rng.choice(len(real), n_real, replace=False)) if n_real else []:
            sources.append(SourceFile(real[i][0], c, real[i][1]))
        for k in range(per_class - n_real if makers else 0):
            jobs.append((name, makers[k % len(makers)], seed, c, k, settings.sample_rate, claps))
    generated = []
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            signals = pool.map(_generate, jobs, chunksize=4)
    else:
        signals = [_generate(job) for job in jobs]
    for (name, kind, _seed, c, k, _fs, _claps), (signal, sr) in zip(jobs, signals):
        licence = "generated by seld" + ("" if kind == "procedural" else f" ({kind}: " + ", ".join(
            PACKAGES[p].licence for p in Generated(kind).packages) + ")")
        generated.append((SourceFile(f"generated/{name}/{kind}-{k:04d}", c, licence), signal, sr))
    starved = [class_list[c] for c in wanted
               if not any(s.cls == c for s in sources) and not any(g[0].cls == c for g in generated)]
    notes = [f"package {p} (install with: apt-get install -y {p})" for p in missing]
    notes += [f"class {c}: no source available" for c in starved]
    return build_bank(sources, class_list, out, settings, workers=workers, overwrite=overwrite, base="/usr/share",
                      progress=progress, generated=generated,
                      extra={"offline": {"seed": seed, "per_class": per_class, "packages": [p for p in needed
                                                                                           if p not in missing]},
                             "missing": notes})
