"""Measured room responses (a SOFA file or a folder of multichannel IRs) used in place of a simulated room.

- SOFA (read with sofar): ``Data.IR`` [M, R, N] holds M measurements of R receivers (the format's channels);
  source positions are Cartesian (made relative to the listener) or spherical (azimuth, elevation in degrees
  counter-clockwise from the front, radius in metres: DCASE's convention), the listener looking along +x.
- A folder: multichannel audio files plus ``positions.csv`` with a header ``file,x,y,z`` (metres from the
  array centre) or ``file,azi,ele,dist`` (degrees, metres).

Positions that share a distance and an elevation and follow each other in azimuth (at most 10 degrees
apart) form trajectories, as the circles of TAU-SRIR DB do, so measured rooms support moving sources.
Converted responses (resampled, and high-passed as the simulated ones are: no DC) are stored in the cache folder
so that worker processes memory-map them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from seld.errors import FormatError, InputError
from seld.geometry import polar_to_unit, unit_to_polar
from seld.synth.arrays import get_format
from seld.synth.files import ensure_dir, write_npy
from seld.synth.filters import RESPONSE_HIGHPASS, highpass
from seld.synth.srir import ResponseSet, make_ambience, split_channels
from seld.synth.trajectories import PositionSet

__all__ = ["MeasuredRoom", "read_sofa", "read_ir_folder", "group_paths"]

_SPEED = 343.0


def _resample(ir: np.ndarray, sr: int, fs: int) -> np.ndarray:
    if sr == fs:
        return ir
    from scipy.signal import resample_poly

    g = gcd(int(sr), int(fs))
    return resample_poly(ir, fs // g, int(sr) // g, axis=-1)


def read_sofa(path: str | Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(positions [M, 3] relative to the listener, IRs [M, R, N], sample rate) of a SOFA file."""
    import sofar

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "SOFA file not found")
    try:
        sofa = sofar.read_sofa(str(path), verify=False, verbose=False)
        ir = np.asarray(sofa.Data_IR, dtype=np.float64)
        src = np.atleast_2d(np.asarray(sofa.SourcePosition, dtype=np.float64))
        kind = str(sofa.SourcePosition_Type).lower()
        listener = np.atleast_2d(np.asarray(sofa.ListenerPosition, dtype=np.float64))
        sr = int(np.asarray(sofa.Data_SamplingRate).ravel()[0])
    except Exception as err:   # noqa: BLE001 - any unreadable SOFA file is the user's to fix
        raise InputError(path, f"cannot read this SOFA file ({err})", "check that it is a valid SOFA file") from None
    if ir.ndim != 3:
        raise FormatError(path, None, f"Data.IR has shape {ir.shape}, expected [measurements, receivers, samples]")
    src = np.broadcast_to(src, (ir.shape[0], 3))
    rel = (polar_to_unit(src[:, 0], src[:, 1]) * src[:, 2:3] if kind.startswith("spherical")
           else src - np.broadcast_to(listener, src.shape))
    return rel, ir, sr


def read_ir_folder(folder: str | Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(positions [M, 3], IRs [M, C, N], sample rate) of a folder of IR files listed in positions.csv."""
    import soundfile as sf

    folder = Path(folder)
    table = folder / "positions.csv"
    if not table.is_file():
        raise InputError(folder, "no positions.csv", "list the IR files as file,x,y,z or file,azi,ele,dist rows")
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8-sig"))))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header not in (["file", "x", "y", "z"], ["file", "azi", "ele", "dist"]):
        raise FormatError(table, 1, f"header {','.join(header)!r}", "use file,x,y,z or file,azi,ele,dist")
    positions, irs, rates = [], [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            values = np.array([float(v) for v in row[1:4]])
            if len(values) != 3 or not np.all(np.isfinite(values)):
                raise ValueError
        except ValueError:
            raise FormatError(table, line, f"expected a file name and three numbers, got {','.join(row)!r}") from None
        xyz = values if header[1] == "x" else polar_to_unit(values[0], values[1]) * values[2]
        try:
            audio, sr = sf.read(folder / row[0].strip(), dtype="float64", always_2d=True)
        except Exception as err:   # noqa: BLE001
            raise FormatError(table, line, f"cannot read {row[0]!r} ({err})") from None
        positions.append(xyz)
        irs.append(audio.T)
        rates.add(sr)
    if not irs:
        raise InputError(table, "lists no IR files")
    if len(rates) > 1 or len({ir.shape[0] for ir in irs}) > 1:
        raise InputError(folder, "the IR files differ in sample rate or channel count", "make them uniform")
    n = max(ir.shape[1] for ir in irs)
    return np.asarray(positions), np.stack([np.pad(ir, ((0, 0), (0, n - ir.shape[1]))) for ir in irs]), rates.pop()


def group_paths(xyz: np.ndarray, max_gap_deg: float = 10.0) -> list[np.ndarray]:
    """Trajectories through positions on a common circle (same distance to 5 cm and elevation to 1 degree),
    ordered by azimuth and split where neighbours are more than ``max_gap_deg`` apart."""
    azi, ele = unit_to_polar(xyz)
    dist = np.linalg.norm(xyz, axis=1)
    keys = np.stack([np.round(dist / 0.05), np.round(ele)], axis=1)
    paths = []
    for key in np.unique(keys, axis=0):
        members = np.flatnonzero(np.all(keys == key, axis=1))
        members = members[np.argsort(azi[members])]
        cut = np.flatnonzero(np.diff(azi[members]) > max_gap_deg) + 1
        paths += [p for p in np.split(members, cut) if len(p) >= 3]
    return paths


@dataclass(frozen=True)
class MeasuredRoom:
    """Measured responses of one format at ``path`` (a SOFA file or an IR folder)."""

    path: str
    format: str

    def to_dict(self) -> dict:
        return {"measured": self.path, "format": self.format}

    def _key(self, fs: int) -> str:
        """A hash of the files' contents, the format and the rate: the same on every machine."""
        p = Path(self.path)
        digest = hashlib.sha1(f"{self.format}|{fs}|{RESPONSE_HIGHPASS}".encode())
        for q in [p] if p.is_file() else sorted(q for q in p.iterdir() if q.is_file()):
            digest.update(q.name.encode())
            digest.update(q.read_bytes())
        return digest.hexdigest()[:16]

    def load(self, cache: str | Path, fs: int, ambience_seconds: float) -> ResponseSet:
        """The responses at rate ``fs`` (converted once into ``cache``) with the room's ambient noise."""
        fmt = get_format(self.format)
        entry = Path(cache) / f"measured-{self._key(fs)}"
        files = {"xyz": entry / "positions.npy", "ir": entry / "responses.npy"}
        if not all(f.is_file() for f in files.values()):
            xyz, ir, sr = read_sofa(self.path) if Path(self.path).is_file() else read_ir_folder(self.path)
            if ir.shape[1] != fmt.channels:
                raise InputError(self.path, f"the responses have {ir.shape[1]} channels but format {fmt.name!r} "
                                 f"has {fmt.channels}", "give the format these responses were measured in")
            ensure_dir(entry)
            # the simulated responses' DC-removing high-pass, so that both kinds of rooms are alike below 20 Hz
            write_npy(files["ir"], highpass(_resample(ir, sr, fs), fs, *RESPONSE_HIGHPASS).astype(np.float32))
            write_npy(files["xyz"], xyz)
        xyz = np.load(files["xyz"])
        positions = PositionSet(xyz, group_paths(xyz))
        ambience = None
        if ambience_seconds > 0:
            noise = entry / f"ambience-{ambience_seconds:g}s.npy"
            if not noise.is_file():
                seed = int(entry.name.split("-")[1], 16)
                write_npy(noise, make_ambience([fmt], fs, _SPEED, 1.0, ambience_seconds, seed))
            ambience = split_channels(np.load(noise, mmap_mode="r"), [fmt])
        return ResponseSet(positions, {fmt.name: np.load(files["ir"], mmap_mode="r")}, fs, _SPEED, None,
                           {fmt.name: fmt}, ambience)
