"""``seld bank build --offline``: the 13 STARSS23 classes from real recordings in Debian packages, no account.

Real recordings come first. They are read from Debian ``main`` packages fetched with ``apt-get download`` and
``dpkg -x`` into a cache folder (:mod:`seld.synth.debian`; no root, nothing installed), per class as the
recipes in :data:`RECIPES` say (sources and licences: ``reference/sound-sources.md``):

- :class:`Real`: recordings used as they are (speech of Tux Paint, Fish Fillets, KLettres and Asterisk with the
  speaker's gender per language or file name; game soundtracks; applause, doors, bells, telephones, water ...);
- :class:`Hits`: recorded single hits (footsteps, hand claps, knocks, drum strokes, guitar strums) sequenced
  into events with human timing (:mod:`seld.synth.hits`): the sound is real, only the timing is drawn;
- :class:`Generated`: espeak-ng speech, fluidsynth MIDI and procedural synthesis (:mod:`seld.synth.procedural`)
  fill the gaps, in a documented share: a class gets at most ``per_class`` recordings, real ones first; generated
  ones make up at most a third of a class (:data:`GENERATED_SHARE`) unless its real recordings are fewer than
  :data:`MIN_RECORDINGS`, when they fill it up to that many (a class without any real source is all generated).

Only material whose licence lets a model trained on it be shipped is used (:func:`licence_allowed`); every
clip's manifest row names its package, the path inside it and the licence. Sources that were looked at
(spectrograms) and are not what their name says are left out of the recipes (see ``DROPPED``). A package that
cannot be fetched is reported (``bank.json`` ``missing``) and its classes use the other sources.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seld.errors import ConfigError, SeldError
from seld.formats.classes import get_classes
from seld.synth import debian, hits, midi, procedural
from seld.synth.bank import Bank, BankSettings, SourceFile, assign_splits, build_bank
from seld.synth.files import atomic_path, read_json, write_json

__all__ = ["PACKAGES", "SOUND_PACKAGES", "RECIPES", "DROPPED", "GENERATED_SHARE", "MIN_RECORDINGS",
           "ensure_packages", "speak", "build_offline_bank", "licence_allowed", "class_table", "Real", "Hits",
           "Generated", "SoundPackage"]

log = logging.getLogger(__name__)

#: at most this share of a class is generated when it has at least MIN_RECORDINGS real recordings
GENERATED_SHARE = 1 / 3
#: a class with fewer real recordings is filled up to this many with generated ones
MIN_RECORDINGS = 40
#: sequences made per recorded hit file (each sequence uses a few of them)
SEQUENCES_PER_HIT = 5


@dataclass(frozen=True)
class Package:
    """An installed Debian tool package, how to tell it is installed, and its licence."""

    name: str
    probe: str
    licence: str

    def installed(self) -> bool:
        return os.path.exists(self.probe)


#: tool packages the generated material needs (installed with ``--install``; CI installs them for the tests)
PACKAGES = {p.name: p for p in (
    Package("espeak-ng", "/usr/bin/espeak-ng", "espeak-ng speech synthesis (program GPL-3)"),
    Package("fluidsynth", "/usr/bin/fluidsynth", "fluidsynth rendering (program LGPL-2.1)"),
    Package("timgm6mb-soundfont", "/usr/share/sounds/sf2/TimGM6mb.sf2", "TimGM6mb soundfont GPL-2"),
)}


@dataclass(frozen=True)
class SoundPackage:
    """A Debian package of recordings: its licence (SPDX-like, from its copyright file) and whether it is large
    enough (over 1 GB) to be fetched only on request."""

    name: str
    licence: str
    large: bool = False


SOUND_PACKAGES = {p.name: p for p in (
    SoundPackage("tuxpaint-stamps-default", "GPL-2"),
    SoundPackage("fillets-ng-data-cs", "GPL-2"),
    SoundPackage("fillets-ng-data-nl", "GPL-2"),
    SoundPackage("klettres-data", "GPL-2+"),
    SoundPackage("asterisk-core-sounds-fr-wav", "CC-BY-SA-3.0"),
    SoundPackage("asterisk-core-sounds-es-wav", "CC-BY-SA-3.0"),
    SoundPackage("asterisk-core-sounds-ru-wav", "CC-BY-SA-3.0"),
    SoundPackage("asterisk-prompt-it-menardi-wav", "CC-BY-SA-3.0"),
    SoundPackage("asterisk-moh-opsound-wav", "CC-BY-SA-3.0"),
    SoundPackage("ufoai-sound", "CC-BY-SA-3.0 AND GPL-2+"),
    SoundPackage("minetest-data", "CC-BY-SA-3.0"),
    SoundPackage("minetest-mod-homedecor", "CC-BY-SA-4.0"),
    SoundPackage("hydrogen-drumkits", "GPL-2+"),
    SoundPackage("hydrogen-drumkits-effects", "CC-BY-3.0"),
    SoundPackage("hydrogen-data", "GPL-2+"),
    SoundPackage("scratch", "CC-BY-SA-3.0"),
    SoundPackage("libreoffice-common", "MPL-2.0"),
    SoundPackage("foobillardplus-data", "GPL-2"),
    SoundPackage("frozen-bubble-data", "GPL-2"),
    SoundPackage("freetennis-common", "GPL-2+"),
    SoundPackage("linphone-common", "GPL-3+"),
    SoundPackage("xboard", "GPL-3+ AND HPND"),
    SoundPackage("orage-data", "GPL-2+"),
    SoundPackage("sonic-pi-samples", "MIT"),
    SoundPackage("freefilesync", "GPL-3"),
    SoundPackage("tuxpaint-data", "GPL-2+"),
    SoundPackage("gnome-shell-pomodoro-data", "GPL-3+"),
    SoundPackage("dclock", "GPL-2+"),
    SoundPackage("dustracing2d-data", "GPL-3+"),
    SoundPackage("gcompris-qt-data", "GPL-3+"),
    SoundPackage("0ad-data", "CC-BY-SA-3.0", large=True),
)}

#: licence families whose material may train a model that is then shipped (GPL, LGPL, MPL, CC0, CC-BY(-SA),
#: public domain, BSD, MIT and the MIT-like historical permission notice)
_ALLOWED = re.compile(r"^(L?GPL-\d|MPL-\d|CC0|CC-BY-(SA-)?\d|public-domain$|PD$|BSD-|MIT$|Expat$|HPND$)")


def licence_allowed(licence: str) -> bool:
    """Whether an SPDX-like expression (``A AND B``, ``A OR B``) allows it; no stated licence is not allowed."""
    for alternative in re.split(r"\s+OR\s+", licence.strip()):
        parts = [p.strip("() ") for p in re.split(r"\s+AND\s+", alternative)]
        if all(p and _ALLOWED.match(p) and not re.search(r"-(NC|ND)\b", p) for p in parts):
            return True
    return False


@dataclass(frozen=True)
class Real:
    """Recordings used as they are: glob patterns inside one package's file tree (``exclude``: patterns of paths
    left out; ``licence``: when the files' licence differs from the package's)."""

    package: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    licence: str = ""


@dataclass(frozen=True)
class Hits:
    """Recorded single hits sequenced into events by a rhythm of :data:`seld.synth.hits.RHYTHMS`.

    Files are grouped into *takes* (a file name without its number or velocity word: ``carpet1..4`` ->
    ``carpet``, ``Snare-Hard`` -> ``Snare``). An event draws from one group: one take (``group="take"``), or for
    drum grooves all the takes of one kit folder (``group="folder"``), each take a kit piece. With ``split``, a
    file is a recording of several hits (a knock on a door), cut into its single hits
    (:func:`seld.synth.hits.load_hits`), each a variant of the file's take.
    """

    package: str
    patterns: tuple[str, ...]
    rhythm: str
    group: str = "take"
    exclude: tuple[str, ...] = ()
    licence: str = ""
    split: bool = False


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


_TP = "usr/share/tuxpaint/stamps/"
_FN = "usr/share/games/fillets-ng/sound/"
_KL = "usr/share/klettres/"
_AS = "usr/share/asterisk/sounds/"
_H2 = "usr/share/hydrogen/data/drumkits/"
_SC = "usr/share/scratch/Media/Sounds/"
_UFO = "usr/share/games/ufoai/base/0snd.pk3/sound/"
_MT = "usr/share/games/minetest/games/minetest_game/mods/"
_HD = "usr/share/games/minetest/mods/homedecor/"
_GC = "usr/share/gcompris-qt/rcc/"
_GCA = "/gcompris/src/activities/"
_0AD = "usr/share/games/0ad/mods/public/public.zip/audio/"
_LO = "usr/lib/libreoffice/share/gallery/sounds/"
_XB = "usr/share/games/xboard/sounds/"
_SP = "usr/share/sonic-pi/samples/"
_FFS = "usr/share/freefilesync/"
#: kit pieces that sound like events of other classes, kept out of the drum grooves (a recording belongs to one
#: class only): claps; bells, cowbells and agogos (BL is BJA_Pacific's ride bell, mc_cb Millo's cowbell); stick
#: clicks on wood and rims, which sound like knocks
_NOT_GROOVE = ("*clap*", "*Clap*", "*bell*", "*Bell*", "BL_*", "mc_cb*", "Agogo*", "*tick*", "RimClick*")
_ASTERISK_SKIP = ("*/silence/*", "*beep*", "*-2tone.wav", "*/tt-monkeys.wav")   # tones and monkeys, not speech


def _asterisk(package: str, voice: str) -> Real:
    return Real(package, (f"{_AS}{voice}/**/*.wav",), exclude=_ASTERISK_SKIP)


#: STARSS23 class -> where its recordings come from, real ones first
RECIPES: dict[str, tuple[Real | Hits | Generated, ...]] = {
    "female_speech": (
        # Tux Paint stamp descriptions, one volunteer per language: women read ro, es, be, el and English
        Real("tuxpaint-stamps-default", tuple(f"{_TP}**/*_desc_{lang}.ogg" for lang in ("ro", "es", "be", "el"))
             + (f"{_TP}**/*_desc.ogg",)),
        Real("fillets-ng-data-cs", (f"{_FN}**/*-m-*.ogg",)),        # the small fish: an actress
        Real("fillets-ng-data-nl", (f"{_FN}**/*-m-*.ogg",)),
        Real("klettres-data", tuple(f"{_KL}{lang}/**/*.ogg" for lang in (
            "ar", "cs", "en_GB", "es", "it", "nb", "nl", "pt_BR", "ru", "tn", "uk"))),
        _asterisk("asterisk-core-sounds-fr-wav", "fr_CA_f_June"),
        _asterisk("asterisk-core-sounds-es-wav", "es_MX_f_Allison"),
        _asterisk("asterisk-core-sounds-ru-wav", "ru_RU_f_IvrvoiceRU"),
        _asterisk("asterisk-prompt-it-menardi-wav", "it_IT_f_Menardi"),
        Real("0ad-data", (f"{_0AD}voice/*/civ/civ_female_*.ogg",)),
        Generated("speech-female")),
    "male_speech": (
        Real("tuxpaint-stamps-default", tuple(f"{_TP}**/*_desc_{lang}.ogg" for lang in ("fr", "ru", "bg", "lt", "nl"))),
        Real("fillets-ng-data-cs", (f"{_FN}**/*-v-*.ogg",)),        # the big fish: an actor
        Real("fillets-ng-data-nl", (f"{_FN}**/*-v-*.ogg",)),
        Real("klettres-data", tuple(f"{_KL}{lang}/**/*.ogg" for lang in ("en", "da", "fr", "lt", "ml", "hu"))),
        Real("0ad-data", (f"{_0AD}voice/*/civ/civ_male_*.ogg",)),
        Generated("speech-male")),
    "clapping": (
        Real("libreoffice-common", (f"{_LO}applause.wav",)),
        Real("foobillardplus-data", ("usr/share/games/foobillardplus/data/applause.wav",)),
        Real("frozen-bubble-data", ("usr/share/games/frozen-bubble/snd/applause.ogg",)),
        Hits("hydrogen-drumkits", (f"{_H2}Gimme A Hand 1.0/HandClap-*.wav", f"{_H2}Millo_MultiLayered2/clap_0*.flac",
                                   f"{_H2}Millo-Drums_v.1/clap_Dry_c.flac"), "claps"),
        Hits("hydrogen-data", (f"{_H2}GMRockKit/HandClap.wav",), "claps"),
        Hits("scratch", (f"{_SC}Percussion/HandClap.wav",), "claps"),
        Generated("procedural")),
    "telephone": (                      # a recorded ring, rung one to three times
        Hits("linphone-common", ("usr/share/sounds/linphone/rings/oldphone-mono.wav",), "phone"),
        Hits("xboard", (f"{_XB}phone.wav",), "phone"),
        Generated("procedural")),
    "laughter": (
        Real("scratch", (f"{_SC}Human/Laugh-*",)),
        Generated("procedural")),
    "domestic_sounds": (
        Real("tuxpaint-stamps-default", tuple(f"{_TP}household/{n}.ogg" for n in (
            "Washing-machine", "kettle", "toilet", "vacuum_cleaner", "dishes/bottle", "dishes/glass", "tools/saw",
            "tools/hammer", "arttools/scissors_small_closed", "arttools/scissors_small_open"))),
        Real("scratch", (f"{_SC}Effects/SewingMachine.mp3", f"{_SC}Effects/Typing.mp3")),
        Real("minetest-mod-homedecor", (f"{_HD}homedecor_bathroom/sounds/homedecor_toilet_flush.ogg",
                                        f"{_HD}homedecor_gastronomy/sounds/toaster.ogg",
                                        f"{_HD}homedecor_trash_cans/sounds/homedecor_trash_all.ogg")),
        Generated("procedural")),
    "footsteps": (
        Hits("ufoai-sound", tuple(f"{_UFO}footsteps/{m}*.ogg" for m in (
            "carpet", "dirt", "grass", "gravel", "linoleum", "metal", "sand", "snow", "stone", "tile", "wood")),
             "footsteps"),
        Hits("minetest-data", (f"{_MT}default/sounds/default_*_footstep*.ogg",), "footsteps",
             exclude=("*water*",)),
        Real("scratch", (f"{_SC}Human/Footsteps-*",)),
        Hits("0ad-data", (f"{_0AD}actor/singlesteps/fs_*.ogg",), "footsteps"),
        Real("0ad-data", (f"{_0AD}actor/human/movement/hstep_*.ogg",)),      # recorded walking and running
        Generated("procedural")),
    "door": (
        Real("ufoai-sound", (f"{_UFO}doors/*.ogg",)),
        Real("minetest-data", (f"{_MT}doors/sounds/*.ogg", f"{_MT}xpanes/sounds/*.ogg"), licence="CC-BY-3.0"),
        Real("minetest-mod-homedecor", (f"{_HD}homedecor_doors_and_gates/sounds/homedecor_*o*.ogg",),
             exclude=("*book*",)),
        Real("scratch", (f"{_SC}Effects/DoorClose.mp3", f"{_SC}Effects/DoorCreak.wav")),
        Real("gcompris-qt-data", (f"{_GC}canal_lock.rcc{_GCA}canal_lock/resource/door_*.wav",), licence="CC0-1.0"),
        Generated("procedural")),
    "music": (
        Real("asterisk-moh-opsound-wav", ("usr/share/asterisk/moh/*.wav",)),
        Real("frozen-bubble-data", ("usr/share/games/frozen-bubble/snd/*zik*.ogg",)),
        Real("foobillardplus-data", ("usr/share/games/foobillardplus/data/intro.wav",)),
        Real("scratch", (f"{_SC}Music Loops/*",)),
        Real("gcompris-qt-data", (f"{_GC}explore_world_music.rcc{_GCA}explore_world_music/resource/music/*.ogg",)),
        Real("0ad-data", (f"{_0AD}music/*.ogg",)),
        Generated("midi-music")),
    "musical_instrument": (
        Hits("hydrogen-drumkits-effects", (f"{_H2}belofilms_GuitarStrums/*.flac",), "strums"),
        Hits("hydrogen-drumkits", tuple(f"{_H2}{kit}/*.{ext}" for kit in (
            "The Black Pearl 1.0", "ColomboAcousticDrumkit", "Millo_MultiLayered2", "Millo_MultiLayered3",
            "Millo-Drums_v.1", "ForzeeStereo") for ext in ("wav", "flac")), "drums", group="folder",
             exclude=("*emptySample*", *_NOT_GROOVE)),
        Hits("hydrogen-drumkits", (f"{_H2}circAfrique v4/*.wav",), "drums", group="folder", licence="CC-BY-SA-3.0",
             exclude=_NOT_GROOVE),
        Hits("hydrogen-drumkits", (f"{_H2}BJA_Pacific/*.aiff",), "drums", group="folder",
             licence="CC-BY-SA-3.0", exclude=_NOT_GROOVE),
        Hits("hydrogen-data", (f"{_H2}GMRockKit/*.wav",), "drums", group="folder", exclude=_NOT_GROOVE),
        Real("gcompris-qt-data", (f"{_GC}instruments.rcc{_GCA}instruments/resource/*.ogg",),
             exclude=("*drum_kit*",)),
        Real("scratch", (f"{_SC}Instruments/*",)),
        Real("tuxpaint-stamps-default", (f"{_TP}hobbies/music/*/*.ogg",), exclude=("*_desc*",)),
        Generated("midi-instrument")),
    "water_tap": (
        Real("minetest-mod-homedecor", (f"{_HD}homedecor_common/sounds/homedecor_faucet.ogg",
                                        f"{_HD}homedecor_bathroom/sounds/homedecor_shower.ogg")),
        Real("scratch", (f"{_SC}Effects/WaterRunning.mp3",)),
        Real("ufoai-sound", (f"{_UFO}ambience/waterfontain.ogg",)),
        Real("gcompris-qt-data", (f"{_GC}canal_lock.rcc{_GCA}canal_lock/resource/water_fill.wav",),
             licence="CC-BY-3.0"),
        Real("gcompris-qt-data", (f"{_GC}core.rcc/gcompris/src/core/resource/sounds/water.wav",)),
        Generated("procedural")),
    "bell": (
        Real("scratch", (f"{_SC}Effects/BellToll.wav", f"{_SC}Percussion/Gong.wav")),
        Real("libreoffice-common", (f"{_LO}gong.wav",)),
        Real("xboard", (f"{_XB}gong.wav",)),
        Real("sonic-pi-samples", (f"{_SP}perc_bell.flac", f"{_SP}perc_till.flac"), licence="CC0-1.0"),
        Real("sonic-pi-samples", (f"{_SP}perc_bell2.flac",)),
        Real("dustracing2d-data", ("usr/share/games/dustracing2d/sounds/bell.ogg",)),
        Real("dclock", ("usr/share/sounds/dclock/bell.wav",)),
        Real("freefilesync", (f"{_FFS}gong.wav",)),
        Hits("freefilesync", (f"{_FFS}bell*.wav", f"{_FFS}ding.wav"), "rings"),
        Hits("tuxpaint-data", ("usr/share/tuxpaint/sounds/typewriterbell.wav",), "rings"),
        Hits("gnome-shell-pomodoro-data", ("usr/share/gnome-pomodoro/sounds/*bell.ogg",), "rings"),
        Hits("hydrogen-drumkits", (f"{_H2}Gimme A Hand 1.0/Cowbell-*.wav", f"{_H2}The Black Pearl 1.0/Cowbell-*.wav"),
             "rings"),
        Hits("hydrogen-drumkits", (f"{_H2}circAfrique v4/*Bell*.wav",), "rings", licence="CC-BY-SA-3.0"),
        Hits("hydrogen-data", (f"{_H2}GMRockKit/Cowbell-*.wav",), "rings"),
        Generated("midi-bell"), Generated("procedural")),
    "knock": (                          # recorded knocks cut into single knocks, and single wooden hits
        Hits("orage-data", ("usr/share/orage/sounds/Knock.wav",), "knocks", split=True),
        Hits("gcompris-qt-data", (f"{_GC}melody.rcc{_GCA}melody/resource/knock.wav",), "knocks", licence="GPL-3",
             split=True),
        Hits("sonic-pi-samples", (f"{_SP}elec_wood.flac",), "knocks", licence="CC0-1.0", split=True),
        Hits("xboard", (f"{_XB}woodthunk.wav",), "knocks"),
        Hits("hydrogen-drumkits", (f"{_H2}Gimme A Hand 1.0/CajonThumps-*.wav",), "knocks"),
        Generated("procedural")),
}

#: sources left out after looking at their spectrograms (path pattern -> why); never matched by a recipe
DROPPED: dict[str, str] = {
    "*/linphone/toy-mono.wav": "telephone: a toy ringtone melody (music), not a phone ringing",
    "*/gallery/sounds/kling.wav": "bell: clean partials with vibrato, synthetic",
    "*/xboard/sounds/ding1.wav": "bell: a 0.2 s synthetic beep",
    "*/freetennis-common/sfx/pubblico.wav": "clapping: crowd murmur, no claps",
    "*/homedecor_electrical/sounds/homedecor_doorbell.ogg": "bell: clean synthetic tones (reference measurements)",
}


def ensure_packages(names: list[str], install: bool) -> list[str]:
    """Install the missing tool packages ``names`` with apt-get when ``install`` (needs root); returns those
    still missing."""
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
    """One generated recording ``("generated", class name, kind, seed, class index, k, fs)`` or one sequence of
    hits ``("hits", rhythm, takes (tuples of files), seed, class index, k, fs)`` (``"split-hits"``: each file a
    recording of several hits, cut into them)."""
    what, name, kind, seed, cls, k, fs = job
    rng = np.random.default_rng([seed, cls, k])
    if what in ("hits", "split-hits"):
        takes = [[hit for f in files for hit in (hits.load_hits(f, fs) if what == "split-hits"
                                                 else (hits.load_hit(f, fs),))] for files in kind]
        onsets = hits.RHYTHMS[name](rng, len(takes))
        return hits.sequence(takes, onsets, fs, rng), fs
    if kind.startswith("speech"):
        return speak(rng, female=kind == "speech-female")
    if kind.startswith("midi"):
        notes, programs, tempo = _COMPOSERS[kind](rng)
        return midi.render(notes, programs, tempo, _soundfont(), fs), fs
    return procedural.GENERATORS[name](rng, fs), fs


def _make(job) -> str | None:
    """Worker: render one job of :func:`_generate` to ``path`` (FLAC, peak -1 dBFS); the reason it failed or None."""
    import soundfile as sf

    path, spec = job
    try:
        signal, sr = _generate(spec)
        signal = np.asarray(signal, dtype=np.float64)
        if signal.ndim == 2:
            signal = signal.mean(axis=1)
        peak = np.abs(signal).max() if signal.size else 0.0
        if not np.isfinite(peak) or peak == 0:
            return "silent or not finite"
        sf.write(path, 0.89 * signal / peak, sr, subtype="PCM_24")
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as err:
        return str(err) or type(err).__name__
    return None


_TAKE = re.compile(r"([-_. ]?(\d+|hardest|hard|med|softest|soft|up|down))+$", re.IGNORECASE)


def _take(rel: str) -> str:
    """A file's take: its folder and name without number or velocity word (``.../carpet3.ogg`` -> ``.../carpet``)."""
    path = Path(rel)
    return str(path.parent / (_TAKE.sub("", path.stem) or path.stem))


def _files(root: Path, recipe: Real | Hits) -> list[str]:
    """Paths (relative to the package root) matching the recipe, sorted; excluded and dropped ones left out."""
    found = {str(p.relative_to(root)) for pattern in recipe.patterns for p in root.glob(pattern)
             if p.is_file() and p.suffix.lower() in debian.AUDIO}
    skip = recipe.exclude + tuple(DROPPED)
    return sorted(f for f in found if not any(Path(f).match(x) for x in skip))


def _share(n: int, sizes: list[int]) -> list[int]:
    """Split ``n`` picks over sources of ``sizes`` items as evenly as they allow (water filling)."""
    take = [0] * len(sizes)
    left = n
    open_ = [i for i, s in enumerate(sizes) if s > 0]
    while left > 0 and open_:
        each = max(left // len(open_), 1)
        for i in list(open_):
            step = min(each, sizes[i] - take[i], left)
            take[i] += step
            left -= step
            if take[i] == sizes[i]:
                open_.remove(i)
            if left == 0:
                break
    return take


def _n_generated(per_class: int, n_real: int, fill_to: int = MIN_RECORDINGS) -> int:
    """Generated recordings for a class with ``n_real`` real ones (see the module docstring)."""
    room = per_class - n_real
    if n_real == 0:
        return per_class
    share = int(np.ceil(n_real * GENERATED_SHARE / (1 - GENERATED_SHARE)))
    return max(min(room, max(share, min(per_class, fill_to) - n_real)), 0)


def _fetch_all(names: list[str], cache: Path, download: bool, workers: int) -> tuple[dict[str, Path], list[str]]:
    """Package trees by name, and one note per package that could not be had."""
    def one(name):
        try:
            if not download:
                root = debian.cached(name, cache)
                if root is None:
                    return name, None, (f"package {name} is not in the cache {cache} (run without --no-download "
                                        "to fetch it)")
                return name, root, None
            return name, debian.fetch(name, cache), None
        except SeldError as err:
            return name, None, f"package {name}: {err}"

    roots, notes = {}, []
    with ThreadPoolExecutor(max(min(workers, 4), 2)) as pool:
        for name, root, note in pool.map(one, names):
            if root is not None:
                roots[name] = root
            else:
                log.warning("%s", note)
                notes.append(note)
    return roots, notes


def build_offline_bank(out: str | Path, settings: BankSettings = BankSettings(), install: bool = False,
                       per_class: int = 60, seed: int = 0, workers: int = 1, overwrite: bool = False,
                       progress: Callable[[int, int], None] | None = None,
                       classes: tuple[str, ...] | None = None, cache: str | Path | None = None,
                       download: bool = True, large: bool = False, fill_to: int = MIN_RECORDINGS) -> Bank:
    """Build the STARSS23 bank offline (see the module docstring).

    ``classes`` limits it to some classes; ``cache`` is the package cache (default
    :func:`seld.synth.debian.default_cache`); ``download=False`` uses only packages already there; ``large``
    also fetches the packages over 1 GB (0ad-data). ``per_class`` caps the recordings of a class; a class with
    fewer than ``fill_to`` real recordings is filled up to that many with generated ones (0: generated ones are
    never more than :data:`GENERATED_SHARE` of a class that has real ones).
    """
    out = Path(out)
    if (out / "manifest.csv").exists() and not overwrite:
        from seld.errors import InputError

        raise InputError(out, "already holds a bank", "choose another --out or pass --overwrite")
    cache = Path(cache) if cache is not None else debian.default_cache()
    class_list = get_classes("starss23")
    wanted = sorted({class_list.index(c) for c in classes}) if classes else list(range(len(class_list)))
    recipes = {c: RECIPES[class_list[c]] for c in wanted}
    tools = sorted({p for rs in recipes.values() for r in rs if isinstance(r, Generated) for p in r.packages})
    missing_tools = ensure_packages(tools, install)
    if missing_tools:
        log.warning("missing Debian packages: %s (install with: apt-get install -y %s, or pass --install)",
                    ", ".join(missing_tools), " ".join(missing_tools))
    names = sorted({r.package for rs in recipes.values() for r in rs if not isinstance(r, Generated)
                    and (large or not SOUND_PACKAGES[r.package].large)})
    roots, notes = _fetch_all(names, cache, download, workers)
    notes = [f"package {p} (install with: apt-get install -y {p})" for p in missing_tools] + notes
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sources, jobs, hit_files = [], [], {}
    owner: dict[str, str] = {}             # package:path -> the class that took it (a recording has one label)
    for c, rs in recipes.items():
        name = class_list[c]
        rng = np.random.default_rng([seed, 1000 + c])
        real, groups = [], []              # real: [(path, name, licence)] per recipe; groups: (key, takes, licence)
        for r in rs:
            if isinstance(r, Generated) or r.package not in roots:
                continue
            licence = r.licence or SOUND_PACKAGES[r.package].licence
            if not licence_allowed(licence):
                notes.append(f"class {name}: {r.package} {r.patterns[0]} left out: licence {licence!r} does not "
                             "allow shipping a model trained on it")
                continue
            files = _files(roots[r.package], r)
            taken = [f for f in files if owner.setdefault(f"{r.package}:{f}", name) != name]
            if taken:
                notes.append(f"class {name}: {len(taken)} file(s) of {r.package} left out, already used for "
                             f"{owner[f'{r.package}:{taken[0]}']} (e.g. {taken[0]})")
                files = [f for f in files if f not in taken]
            if not files:
                notes.append(f"class {name}: nothing matches {r.package}:{r.patterns[0]}")
                continue
            if isinstance(r, Real):
                real.append([(str(roots[r.package] / f), f"{r.package}:{f}", licence) for f in files])
                continue
            by_group: dict[str, dict[str, list[str]]] = {}
            for f in files:
                key = str(Path(f).parent) if r.group == "folder" else _take(f)
                by_group.setdefault(key, {}).setdefault(_take(f), []).append(str(roots[r.package] / f))
            groups += [(f"{r.package}:{key}", r.rhythm, tuple(tuple(v) for v in takes.values()), licence,
                        "split-hits" if r.split else "hits") for key, takes in sorted(by_group.items())]
        n_hit_files = sum(len(v) for g in groups for v in g[2])
        *picks, n_seq = _share(per_class, [len(files) for files in real] + [SEQUENCES_PER_HIT * n_hit_files])
        for files, n in zip(real, picks):
            for i in sorted(rng.choice(len(files), n, replace=False)):
                path, source, licence = files[i]
                sources.append(SourceFile(path, c, licence, name=source))
        if groups:
            split = assign_splits([g[0] for g in groups], [c] * len(groups), settings.test_fraction)
            for key, _rhythm, takes, _licence, _what in groups:
                hit_files[(c, key)] = (split[key], [f for v in takes for f in v])
            by_split = {s: [g for g in groups if split[g[0]] == s] for s in ("train", "test")}
            n_test = int(round(settings.test_fraction * n_seq)) if by_split["test"] else 0
            for k in range(n_seq):
                part = "test" if k < n_test else "train"
                key, rhythm, takes, licence, what = by_split[part][int(rng.integers(len(by_split[part])))]
                path = work / f"{c:02d}-hits-{k:04d}.flac"
                jobs.append((str(path), (what, rhythm, takes, seed, c, k, settings.sample_rate)))
                sources.append(SourceFile(str(path), c, licence, name=f"hits:{key}#{k:04d}", split=part))
        n_real = sum(picks) + n_seq
        makers = [r.kind for r in rs if isinstance(r, Generated) and not set(r.packages) & set(missing_tools)]
        for k in range(_n_generated(per_class, n_real, fill_to) if makers else 0):
            kind = makers[k % len(makers)]
            path = work / f"{c:02d}-gen-{k:04d}.flac"
            jobs.append((str(path), ("generated", name, kind, seed, c, k, settings.sample_rate)))
            licence = "generated by seld" + ("" if kind == "procedural" else f" ({kind}: " + ", ".join(
                PACKAGES[p].licence for p in Generated(kind).packages) + ")")
            sources.append(SourceFile(str(path), c, licence, name=f"generated/{name}/{kind}-{k:04d}"))
    failed = _run(jobs, workers)
    for (path, _spec), reason in zip(jobs, failed):
        if reason is not None:
            log.warning("could not make %s: %s", Path(path).name, reason)
    starved = [class_list[c] for c in wanted if not any(s.cls == c for s in sources)]
    notes += [f"class {c}: no source available" for c in starved]
    try:
        bank = build_bank(sources, class_list, out, settings, workers=workers, overwrite=overwrite,
                          progress=progress,
                          extra={"offline": {"seed": seed, "per_class": per_class, "cache": str(cache),
                                             "packages": {p: SOUND_PACKAGES[p].licence for p in sorted(roots)},
                                             "generated_share": GENERATED_SHARE, "fill_to": fill_to,
                                             "dropped": DROPPED},
                                 "missing": notes})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = class_table(bank, hit_files)
    meta = read_json(out / "bank.json", "rebuild the bank")
    meta["offline"]["classes"] = table
    write_json(out / "bank.json", meta)
    _write_sources(out / "sources.csv", bank, hit_files, roots)
    return Bank(out)


def _run(jobs: list, workers: int) -> list[str | None]:
    if workers > 1 and len(jobs) > 1:
        from seld.synth.workers import worker_pool

        with worker_pool(workers) as pool:
            return pool.map(_make, jobs, chunksize=4)
    return [_make(job) for job in jobs]


def _kind(source: str) -> str:
    return "generated" if source.startswith("generated/") else "hits" if source.startswith("hits:") else "real"


def class_table(bank: Bank, hit_files: dict | None = None) -> list[dict]:
    """Per class: clips that are real recordings, sequences of real hits and generated; source recordings
    (real files and hit files); minutes of real (incl. sequenced) and generated audio; train and test clips."""
    rows = []
    for c, name in enumerate(bank.classes):
        mine = [cl for cl in bank.clips if cl.cls == c]
        count = {k: sum(_kind(cl.source) == k for cl in mine) for k in ("real", "hits", "generated")}
        files = {cl.source for cl in mine if _kind(cl.source) == "real"}
        hit = {f for (k, _key), (_s, fs) in (hit_files or {}).items() if k == c for f in fs}
        rows.append({"class": name, "real": count["real"], "hits": count["hits"], "generated": count["generated"],
                     "sources": len(files) + len(hit),
                     "minutes_real": round(sum(cl.duration for cl in mine if _kind(cl.source) != "generated") / 60, 2),
                     "minutes_generated": round(sum(cl.duration for cl in mine
                                                    if _kind(cl.source) == "generated") / 60, 2),
                     "train": sum(cl.split == "train" for cl in mine), "test": sum(cl.split == "test" for cl in mine)})
    return rows


def _write_sources(path: Path, bank: Bank, hit_files: dict, roots: dict[str, Path]) -> None:
    """``sources.csv``: one row per source recording (real file, or hit file used in sequences) and per
    generator: class, kind, package, path inside it, licence, split, clips, minutes."""
    rows: dict[tuple, list] = {}
    for cl in bank.clips:
        kind = _kind(cl.source)
        if kind == "real":
            package, _, inside = cl.source.partition(":")
        elif kind == "generated":
            package, inside = "", "/".join(cl.source.split("/")[:2] + [cl.source.split("/")[2].rsplit("-", 1)[0]])
        else:
            continue
        row = rows.setdefault((bank.classes[cl.cls], kind, package, inside),
                              [bank.classes[cl.cls], kind, package, inside, cl.licence, cl.split, 0, 0.0])
        row[6] += 1
        row[7] += cl.duration / 60
    hits_by_key: dict[tuple, list] = {}
    for cl in bank.clips:
        if _kind(cl.source) == "hits":
            key = cl.source[len("hits:"):].rsplit("#", 1)[0]
            entry = hits_by_key.setdefault((cl.cls, key), [0, 0.0, cl.licence])
            entry[0] += 1
            entry[1] += cl.duration / 60
    for (c, key), (split, files) in hit_files.items():
        package = key.split(":", 1)[0]
        clips, minutes, licence = hits_by_key.get((c, key), [0, 0.0, SOUND_PACKAGES[package].licence])
        for f in files:
            inside = str(Path(f).relative_to(roots[package]))
            rows[(bank.classes[c], "hit", package, inside)] = [bank.classes[c], "hit", package, inside, licence,
                                                               split, clips, minutes / max(len(files), 1)]
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["class", "kind", "package", "path", "licence", "split", "clips", "minutes"])
        for row in sorted(rows.values(), key=lambda r: (bank.classes.index(r[0]), r[1], r[2], r[3])):
            w.writerow(row[:7] + [round(row[7], 3)])
