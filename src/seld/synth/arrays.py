"""Spatial formats: how an array hears a set of image sources (room responses) or a plane wave (noise).

Every format renders from the same :class:`~seld.synth.images.ImageSet`, so a label written once is exact for
all of them. Built in (see :func:`get_format`):

- ``foa``: first-order Ambisonics, ACN order W, Y, Z, X with SN3D gains (the ideal DCASE/STARSS encoding).
- ``mic``: the DCASE tetrahedral array, four capsules on a rigid sphere of 4.2 cm (STARSS23 README formula),
  see :mod:`seld.synth.sphere`.
- ``omni``: one omnidirectional microphone at the array centre (equal to the FOA W channel).
- ``mic-open``: the tetrahedral capsule positions without the sphere (what SELD-Data-Generator simulates).
- ``circular8``: eight omni microphones on a horizontal circle of 5 cm radius (a uniform circular array like
  the one of SELDnet's CANSIM/CRESIM sets; their exact radius is not documented here, so it is a choice).
- ``array:FILE``: any open array, one microphone per line of FILE as ``x,y,z`` in metres from the centre.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import scipy.fft

from seld.errors import ConfigError, FormatError, InputError
from seld.geometry import polar_to_unit
from seld.synth.images import ImageSet
from seld.synth.sphere import legendre, modal_response_fft, plane_wave_response

__all__ = ["SpatialFormat", "Omni", "Ambisonics", "SphericalArray", "OpenArray", "get_format", "FORMAT_NAMES",
           "DCASE_CAPSULES", "DCASE_RADIUS"]

#: DCASE tetrahedral capsule directions (azimuth, elevation) in degrees, M1..M4
DCASE_CAPSULES = ((45.0, 35.0), (-45.0, -35.0), (135.0, -35.0), (-135.0, 35.0))
#: radius of the em32 sphere the capsules sit on (metres)
DCASE_RADIUS = 0.042


class SpatialFormat(ABC):
    """A way of hearing sound fields: ``channels`` signals from image sources or from plane waves."""

    name: str
    channels: int

    @abstractmethod
    def srir(self, images: ImageSet) -> np.ndarray:
        """Spatial room impulse response float32 [channels, images.n_samples]."""

    @abstractmethod
    def plane_wave(self, dirs: np.ndarray, freqs: np.ndarray, c: float) -> np.ndarray:
        """Complex [D, channels, F] far-field response to plane waves arriving from unit vectors ``dirs``."""

    def describe(self) -> dict:
        """JSON-able description, stored in dataset manifests and SRIR caches."""
        return {"name": self.name, "channels": self.channels, "kind": type(self).__name__}

    def _key(self) -> str:
        return json.dumps(self.describe(), sort_keys=True)

    def __eq__(self, other) -> bool:
        return isinstance(other, SpatialFormat) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class Omni(SpatialFormat):
    """One omnidirectional pressure microphone at the array centre."""

    def __init__(self, name: str = "omni"):
        self.name, self.channels = name, 1

    def srir(self, images: ImageSet) -> np.ndarray:
        return images.render(1.0 / images.dist[None, :])

    def plane_wave(self, dirs, freqs, c):
        return np.ones((len(dirs), 1, len(freqs)), dtype=np.complex128)


class Ambisonics(SpatialFormat):
    """First-order Ambisonics, ACN channel order (W, Y, Z, X), SN3D normalisation (first-order gain 1)."""

    def __init__(self, name: str = "foa"):
        self.name, self.channels = name, 4

    @staticmethod
    def gains(dirs: np.ndarray) -> np.ndarray:
        """SN3D gains [4, D] (W, Y, Z, X) of unit vectors [D, 3]."""
        dirs = np.asarray(dirs, dtype=np.float64)
        return np.stack([np.ones(len(dirs)), dirs[:, 1], dirs[:, 2], dirs[:, 0]])

    def srir(self, images: ImageSet) -> np.ndarray:
        return images.render(self.gains(images.dirs) / images.dist[None, :])

    def plane_wave(self, dirs, freqs, c):
        return np.repeat(self.gains(dirs).T[:, :, None], len(freqs), axis=2).astype(np.complex128)


class SphericalArray(SpatialFormat):
    """Pressure capsules on a rigid sphere (plane-wave scattering, Legendre series truncated at ``order``).

    The series converges once n exceeds kR; the default order is ``min(max_order, ceil(1.5 kR) + 5)`` at the
    Nyquist frequency (19 terms at 24 kHz for the em32, where dropping the rest changes the response by about
    1e-7; at 48 kHz the README's 30).
    """

    def __init__(self, name: str, capsules_deg, radius: float, max_order: int = 30):
        self.name = name
        self.capsules_deg = tuple(tuple(float(v) for v in c) for c in capsules_deg)
        caps = np.asarray(self.capsules_deg)
        self.capsules = polar_to_unit(caps[:, 0], caps[:, 1])
        self.radius, self.max_order, self.channels = float(radius), int(max_order), len(caps)

    def order(self, f_max: float, c: float) -> int:
        """Highest Legendre order used for frequencies up to ``f_max`` (Hz)."""
        kr = 2 * np.pi * f_max * self.radius / c
        return int(min(self.max_order, np.ceil(1.5 * kr) + 5))

    def srir(self, images: ImageSet) -> np.ndarray:
        n = images.n_samples
        order = self.order(images.fs / 2, images.c)
        # the scattered response reaches a few samples before the centre delay and rings briefly after it;
        # padding keeps the circular convolution linear over [0, n)
        nfft = scipy.fft.next_fast_len(n + 256, real=True)
        modes = modal_response_fft(order, self.radius, nfft, images.fs, float(images.c))
        out = np.empty((self.channels, n), dtype=np.float32)
        cos = np.clip(images.dirs @ self.capsules.T, -1.0, 1.0)           # [K, M]
        inv = (1.0 / images.dist).astype(np.float32)
        for m in range(self.channels):
            weights = legendre(order, cos[:, m], dtype=np.float32) * inv[None, :]
            spec = images.spectra(weights, nfft)                            # [N+1, F]
            out[m] = scipy.fft.irfft(np.einsum("nf,nf->f", spec, modes), nfft)[:n]
        return out

    def plane_wave(self, dirs, freqs, c):
        order = self.order(float(np.max(freqs)), c) if len(freqs) else 0
        return plane_wave_response(dirs, self.capsules, self.radius, order, freqs, c)

    def describe(self) -> dict:
        return {**super().describe(), "capsules_deg": [list(c) for c in self.capsules_deg],
                "radius": self.radius, "max_order": self.max_order}


class OpenArray(SpatialFormat):
    """Omnidirectional microphones at fixed offsets (metres) from the array centre, nothing in between."""

    def __init__(self, name: str, positions):
        self.name = name
        self.positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
        self.channels = len(self.positions)

    def srir(self, images: ImageSet) -> np.ndarray:
        out = np.empty((self.channels, images.n_samples), dtype=np.float32)
        for m, offset in enumerate(self.positions):
            out[m] = images.render((1.0 / images.distances(offset))[None, :], offset=offset)[0]
        return out

    def plane_wave(self, dirs, freqs, c):
        lead = np.asarray(dirs, dtype=np.float64) @ self.positions.T / c          # [D, M] seconds early
        return np.exp(2j * np.pi * lead[:, :, None] * np.asarray(freqs, dtype=np.float64)[None, None, :])

    def describe(self) -> dict:
        return {**super().describe(), "positions": self.positions.round(6).tolist()}


def _circle(n: int, radius: float) -> np.ndarray:
    az = 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(az), radius * np.sin(az), np.zeros(n)], axis=1)


def _read_positions(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InputError(path, "array geometry file not found", "give a text file with one 'x,y,z' line per "
                         "microphone, in metres from the array centre")
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.split("#")[0].strip()
        if not text:
            continue
        parts = text.replace(",", " ").split()
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 3 or not np.all(np.isfinite(values)):
            raise FormatError(path, i, f"expected three numbers x,y,z, got {text!r}", "one microphone per line")
        rows.append(values)
    if not rows:
        raise InputError(path, "no microphone positions in the file", "one 'x,y,z' line per microphone")
    return np.asarray(rows)


def _builtin(name: str) -> SpatialFormat | None:
    caps = np.asarray(DCASE_CAPSULES)
    return {
        "foa": lambda: Ambisonics("foa"),
        "mic": lambda: SphericalArray("mic", DCASE_CAPSULES, DCASE_RADIUS),
        "omni": lambda: Omni("omni"),
        "mic-open": lambda: OpenArray("mic-open", DCASE_RADIUS * polar_to_unit(caps[:, 0], caps[:, 1])),
        "circular8": lambda: OpenArray("circular8", _circle(8, 0.05)),
    }.get(name, lambda: None)()


#: names accepted by :func:`get_format` besides ``array:FILE``
FORMAT_NAMES = ("foa", "mic", "omni", "mic-open", "circular8")


def get_format(spec: str | SpatialFormat) -> SpatialFormat:
    """A format by name (:data:`FORMAT_NAMES`) or ``array:FILE`` for an open array read from FILE."""
    if isinstance(spec, SpatialFormat):
        return spec
    text = str(spec).strip()
    if text.startswith("array:"):
        path = Path(text[len("array:"):])
        return OpenArray(path.stem, _read_positions(path))
    fmt = _builtin(text.lower())
    if fmt is None:
        raise ConfigError(f"unknown spatial format {spec!r}; use one of {', '.join(FORMAT_NAMES)} or array:FILE")
    return fmt
