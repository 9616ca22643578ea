"""Music and instrument clips from General MIDI: random phrases written as MIDI files, rendered by fluidsynth.

:func:`midi_bytes` writes a Standard MIDI File (format 1) from notes; :func:`compose_music`,
:func:`compose_instrument` and :func:`compose_bell` draw phrases from a seeded generator; :func:`render`
runs ``fluidsynth`` with a General MIDI soundfont (reverb and chorus off: the room adds its own).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Note", "midi_bytes", "compose_music", "compose_instrument", "compose_bell", "render", "SOUNDFONTS"]

#: General MIDI soundfonts shipped by Debian packages, best first
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2")
_TICKS = 480            # per quarter note
_DRUMS = 9              # MIDI channel 10


@dataclass(frozen=True)
class Note:
    """A note: start and length in quarter notes, MIDI channel, pitch and velocity."""

    start: float
    length: float
    channel: int
    pitch: int
    velocity: int = 90


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _track(events: list[tuple[int, bytes]]) -> bytes:
    body, now = b"", 0
    for tick, data in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80)):
        body += _vlq(tick - now) + data
        now = tick
    body += _vlq(0) + b"\xff\x2f\x00"
    return b"MTrk" + len(body).to_bytes(4, "big") + body


def midi_bytes(notes: list[Note], programs: dict[int, int], tempo_bpm: float) -> bytes:
    """A format-1 Standard MIDI File: a tempo track and one track per channel (``programs``: channel ->
    General MIDI program, ignored for the drum channel 10)."""
    tempo = int(round(60_000_000 / tempo_bpm))
    tracks = [_track([(0, b"\xff\x51\x03" + tempo.to_bytes(3, "big"))])]
    for channel in sorted({n.channel for n in notes}):
        events = [] if channel == _DRUMS else [(0, bytes([0xC0 | channel, programs.get(channel, 0)]))]
        for n in (n for n in notes if n.channel == channel):
            on = int(round(n.start * _TICKS))
            off = on + max(int(round(n.length * _TICKS)), 1)
            events.append((on, bytes([0x90 | channel, n.pitch, n.velocity])))
            events.append((off, bytes([0x80 | channel, n.pitch, 0])))
        tracks.append(_track(events))
    header = b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big") + len(tracks).to_bytes(2, "big") + \
        _TICKS.to_bytes(2, "big")
    return header + b"".join(tracks)


_MAJOR, _MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)


def compose_music(rng: np.random.Generator) -> tuple[list[Note], dict[int, int], float]:
    """A few bars of pop-like music: bass, chords, melody and often drums."""
    tempo = float(rng.uniform(70, 140))
    scale = _MAJOR if rng.uniform() < 0.6 else _MINOR
    root = int(rng.integers(45, 57))
    bars = int(rng.integers(4, 9))
    progression = [[0, 4, 5, 3], [0, 5, 3, 4], [0, 3, 4, 4], [5, 3, 0, 4]][int(rng.integers(4))]
    programs = {0: int(rng.choice([32, 33, 34, 38])), 1: int(rng.choice([0, 4, 16, 24, 48, 88])),
                2: int(rng.choice([0, 11, 56, 65, 73, 80]))}
    notes = []
    for bar in range(bars):
        degree = progression[bar % 4]
        chord = [root + 12 + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
        notes.append(Note(bar * 4, 4, 0, root - 12 + scale[degree]))
        for beat in (0, 2):
            notes += [Note(bar * 4 + beat, 2, 1, p, 70) for p in chord]
        at = bar * 4.0
        while at < bar * 4 + 4:
            length = float(rng.choice([0.5, 0.5, 1.0, 1.5]))
            notes.append(Note(at, length, 2, chord[int(rng.integers(3))] + 12 + int(rng.choice([0, 0, 2, -1])), 95))
            at += length
        if rng.uniform() < 0.7:
            for beat in range(8):
                notes.append(Note(bar * 4 + beat / 2, 0.25, _DRUMS, 42, 60))
                if beat % 4 == 0:
                    notes.append(Note(bar * 4 + beat / 2, 0.25, _DRUMS, 36, 100))
                if beat % 4 == 2:
                    notes.append(Note(bar * 4 + beat / 2, 0.25, _DRUMS, 38, 90))
    return notes, programs, tempo


#: acoustic instruments of the STARSS23 "musical instrument" class: General MIDI programs, and drum notes
INSTRUMENT_PROGRAMS = (0, 1, 24, 25, 12, 13, 11, 40, 42, 73)
#: (no cowbell or wood block: those are the bell and knock classes)
PERCUSSION_NOTES = (70, 69, 54, 60, 62)        # maracas, cabasa, tambourine, high bongo, mute high conga


def compose_instrument(rng: np.random.Generator) -> tuple[list[Note], dict[int, int], float]:
    """A short phrase on one acoustic instrument, or a rhythm on a hand percussion instrument."""
    tempo = float(rng.uniform(60, 150))
    if rng.uniform() < 0.25:
        pitch = int(rng.choice(PERCUSSION_NOTES))
        beats = np.cumsum(rng.choice([0.25, 0.5, 0.5, 1.0], size=int(rng.integers(4, 16))))
        return [Note(float(b), 0.25, _DRUMS, pitch, int(rng.integers(60, 120))) for b in beats], {}, tempo
    program = int(rng.choice(INSTRUMENT_PROGRAMS))
    scale = _MAJOR if rng.uniform() < 0.5 else _MINOR
    root = int(rng.integers(48, 67))
    notes, at = [], 0.0
    for _ in range(int(rng.integers(4, 17))):
        length = float(rng.choice([0.25, 0.5, 0.5, 1.0, 2.0]))
        step = int(rng.integers(-3, 4))
        pitch = root + scale[step % 7] + 12 * (step // 7)
        notes.append(Note(at, length, 0, pitch, int(rng.integers(60, 115))))
        if rng.uniform() < 0.3:                                           # chords on piano and guitar
            notes.append(Note(at, length, 0, pitch + 4 if scale is _MAJOR else pitch + 3, 70))
        at += length
    return notes, {0: program}, tempo


#: General MIDI bells: celesta, glockenspiel, music box, tubular bells, tinkle bell, agogo
BELL_PROGRAMS = (8, 9, 10, 14, 112, 113)


def compose_bell(rng: np.random.Generator) -> tuple[list[Note], dict[int, int], float]:
    """One to three strikes of a bell-like instrument."""
    program = int(rng.choice(BELL_PROGRAMS))
    pitch = int(rng.integers(60, 90))
    notes = [Note(float(k) * float(rng.uniform(0.5, 1.5)), 2.0, 0, pitch + int(rng.choice([0, 0, 5, 7, 12])),
                  int(rng.integers(70, 120))) for k in range(int(rng.integers(1, 4)))]
    return notes, {0: program}, 100.0


def render(notes: list[Note], programs: dict[int, int], tempo: float, soundfont: str | Path, fs: int,
           fluidsynth: str = "fluidsynth") -> np.ndarray:
    """Render notes to float32 mono at ``fs`` with fluidsynth (no reverb, no chorus)."""
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "in.mid", Path(tmp) / "out.wav"
        mid.write_bytes(midi_bytes(notes, programs, tempo))
        subprocess.run([fluidsynth, "-n", "-i", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(fs), "-F",
                        str(wav), str(soundfont), str(mid)], check=True, capture_output=True, timeout=120)
        audio, _ = sf.read(wav, dtype="float32", always_2d=True)
    return audio.mean(axis=1)
