"""Log-mel spectrograms of every channel: the spectral half of every SELD front end.

``log_mel`` is ``10 * log10(max(|X|^2 @ fb, amin))`` (reference power 1), optionally floored at ``top_db``
below its maximum. PSELDNets uses torchaudio's ``AmplitudeToDB(stype='power', top_db=None)``: amin 1e-10, no
floor. The DCASE baselines call ``librosa.power_to_db`` with its defaults, i.e. also ``top_db=80`` taken over
one whole file and channel; here the maximum is taken over each ``[T, F]`` map of the input given, so with
``top_db`` set, chunked extraction is not identical to whole-file extraction.
"""

from __future__ import annotations

import torch

from seld.errors import ConfigError
from seld.features.mel import mel_filterbank, mel_filterbank_torchaudio
from seld.features.spectral import SpectralFrontEnd, make_window

__all__ = ["CONSTANTS", "power_to_db", "log_mel", "LogMel"]

#: How a log-mel front end builds its window and mel filterbank (``constants``).
CONSTANTS = ("torchaudio", "float64")


def power_to_db(power: torch.Tensor, amin: float = 1e-10, top_db: float | None = None) -> torch.Tensor:
    """``10 log10(max(power, amin))``; with ``top_db``, values below each ``[..., T, F]`` map's maximum minus
    ``top_db`` are raised to it (librosa's ``power_to_db(ref=1.0)``)."""
    db = 10.0 * torch.log10(torch.clamp(power, min=amin))
    if top_db is not None:
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - top_db)
    return db


def log_mel(spec: torch.Tensor, mel_fb: torch.Tensor, amin: float = 1e-10, top_db: float | None = None) -> torch.Tensor:
    """Log-mel ``[B, C, T, n_mels]`` of a complex spectrum ``[B, C, T, F]`` with filterbank ``[F, n_mels]``."""
    power = spec.abs().square()
    return power_to_db(power @ mel_fb.to(device=power.device, dtype=power.dtype), amin, top_db)


class LogMel(SpectralFrontEnd):
    """Log-mel spectrogram of each of ``in_channels`` channels: ``[B, C, N] -> [B, C, T, n_mels]``.

    Defaults are PSELDNets' (``Logmel_Extractor``): 24 kHz, ``n_fft`` 1024, hop 240 (10 ms; 320 at 32 kHz),
    periodic Hann window of 1024, centred frames with reflect padding, 64 HTK-scale mel bands from 20 Hz to
    ``sample_rate / 2`` with Slaney (unit-area) normalisation, ``10 log10`` with floor 1e-10, no ``top_db``;
    window and filterbank built in float32 as torchaudio builds them, so that float32 audio gives PSELDNets'
    features bit for bit on the same CPU (checked against torchaudio 2.9.1 running PSELDNets' extractor).

    Args:
        n_mels, fmin, fmax, mel_scale, mel_norm: the filterbank (:func:`seld.features.mel.mel_filterbank`;
            ``fmax=None`` is ``sample_rate / 2``).
        amin, top_db: see :func:`power_to_db`.
        constants: how the window and the filterbank are built. ``'torchaudio'``: in float32 with
            torchaudio's arithmetic (``torch.hann_window`` and
            :func:`seld.features.mel.mel_filterbank_torchaudio`), PSELDNets' values; ``'float64'``: in float64
            (the exact values, and librosa's filterbank: the DCASE presets use it). Either is cast to the
            input's dtype, so float64 audio with ``'torchaudio'`` computes what PSELDNets' extractor does after
            ``.double()``.
        Other arguments: see :class:`seld.features.spectral.SpectralFrontEnd`.
    """

    def __init__(
        self,
        sample_rate: int = 24000,
        n_fft: int = 1024,
        hop_length: int | None = None,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        n_mels: int = 64,
        fmin: float = 20.0,
        fmax: float | None = None,
        mel_scale: str = "htk",
        mel_norm: str | None = "slaney",
        amin: float = 1e-10,
        top_db: float | None = None,
        trim_to_hops: bool = False,
        in_channels: int = 4,
        constants: str = "torchaudio",
    ):
        super().__init__(sample_rate, n_fft, hop_length, win_length, window, center, pad_mode, False, trim_to_hops,
                         in_channels)
        if constants not in CONSTANTS:
            raise ConfigError(f"unknown constants {constants!r}; choose one of {', '.join(CONSTANTS)}")
        self.constants = constants
        if constants == "torchaudio":
            self._constants["window"] = make_window(window, self.win_length, torch.float32)
            self._constants["mel_fb"] = mel_filterbank_torchaudio(sample_rate, n_fft, n_mels, fmin, fmax, mel_scale,
                                                                  mel_norm)
        else:
            self._constants["mel_fb"] = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax, mel_scale, mel_norm,
                                                       dtype=torch.float64)
        self.amin = float(amin)
        self.top_db = None if top_db is None else float(top_db)
        self.n_mels = int(n_mels)
        self.out_channels = self.in_channels
        self.n_features = self.n_mels

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        return log_mel(spec, self.constant("mel_fb", spec), self.amin, self.top_db)
