"""Log-mel + acoustic intensity vectors for first-order Ambisonics (FOA, ACN order W, Y, Z, X; SN3D).

The active intensity of a TF bin is ``I_c = Re(conj(W) * P_c)`` for the three dipoles ``P_c``; for a plane wave
from unit direction ``u`` an SN3D FOA signal has ``P_c = u_c * W`` (c = y, z, x), so ``I`` points at the source.
Two channel orders are in use (``order``):

- ``'yzx'``: ACN order **Y, Z, X** (PSELDNets calls them "IVx, IVy, IVz", but they are Y, Z, X; the
  DCASE2022-2024 baselines use the same order).
- ``'xyz'``: the DCASE2020 and DCASE2021 baselines compute ``IVx`` from channel 3 (X), ``IVy`` from channel 1
  (Y) and ``IVz`` from channel 2 (Z) and stack them in that order, i.e. Cartesian **X, Y, Z**.

Three normalisations are in use before the mel projection:

- ``'unit'`` (PSELDNets, DCASE2020 baseline): each TF bin is divided by ``|I| + eps``, so every bin counts as
  a unit direction whatever its energy. PSELDNets' eps is ``torch.finfo(torch.float32).eps`` (the default
  here); the DCASE2020 baseline's is 1e-8.
- ``'half_power'`` (DCASE2021 baseline): divided by ``eps + (|W|^2 + |Y|^2 + |Z|^2 + |X|^2) / 2`` with
  ``eps = 1e-8``; for a plane wave in SN3D (``|Y|^2 + |Z|^2 + |X|^2 = |W|^2``) this is ``|W|^2``, so the
  vector has norm 1 where one source dominates and less where the field is diffuse.
- ``'energy'`` (DCASE2022-2024 baselines): divided by ``eps + |W|^2 + (|Y|^2 + |Z|^2 + |X|^2) / 3`` with
  ``eps = 1e-8``, so quiet bins weigh less.

The normalised vectors are then projected with the *same* mel filterbank as the log-mel (``I_norm @ fb``,
no re-normalisation), giving 3 maps ``[T, n_mels]``.
"""

from __future__ import annotations

from typing import Any

import torch

from seld.errors import ConfigError
from seld.features.logmel import LogMel, log_mel

__all__ = ["IV_NORMALIZATIONS", "IV_ORDERS", "intensity_vectors", "LogMelIV"]

IV_NORMALIZATIONS = ("unit", "half_power", "energy")
IV_ORDERS = ("yzx", "xyz")
_DEFAULT_EPS = {"unit": float(torch.finfo(torch.float32).eps), "half_power": 1e-8, "energy": 1e-8}
_XYZ_FROM_YZX = [2, 0, 1]


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown intensity {what} {value!r}; choose one of {', '.join(choices)}")


def intensity_vectors(
    spec: torch.Tensor,
    mel_fb: torch.Tensor,
    normalization: str = "unit",
    eps: float | None = None,
    order: str = "yzx",
) -> torch.Tensor:
    """Mel-projected intensity vectors ``[B, 3, T, n_mels]`` of an FOA spectrum ``[B, 4, T, F]``.

    ``normalization`` is ``'unit'``, ``'half_power'`` or ``'energy'``, ``order`` is ``'yzx'`` or ``'xyz'``
    (module docstring); ``eps=None`` takes the normalisation's usual value.
    """
    _check_choice("normalisation", normalization, IV_NORMALIZATIONS)
    _check_choice("channel order", order, IV_ORDERS)
    eps = _DEFAULT_EPS[normalization] if eps is None else eps
    w, dipoles = spec[:, :1], spec[:, 1:4]
    iv = w.real * dipoles.real + w.imag * dipoles.imag  # Re(conj(W) * P), [B, 3, T, F]
    if normalization == "unit":
        iv = iv / (torch.sqrt(iv.square().sum(dim=1, keepdim=True)) + eps)
    elif normalization == "half_power":
        iv = iv / (eps + (w.abs().square() + dipoles.abs().square().sum(dim=1, keepdim=True)) / 2.0)
    else:
        energy = w.abs().square() + dipoles.abs().square().sum(dim=1, keepdim=True) / 3.0
        iv = iv / (energy + eps)
    if order == "xyz":
        iv = iv[:, _XYZ_FROM_YZX]
    return iv @ mel_fb.to(device=iv.device, dtype=iv.dtype)


class LogMelIV(LogMel):
    """FOA log-mel + intensity vectors: ``[B, 4, N] -> [B, 7, T, n_mels]``.

    Channels: ``[log-mel W, Y, Z, X, IV Y, IV Z, IV X]`` (``iv_order='xyz'``: ``IV X, IV Y, IV Z``). The
    defaults are exactly PSELDNets' front end (``LogmelIV_Extractor``): 24 kHz (use ``sample_rate=32000``,
    which sets hop 320, for L3DAS22), ``n_fft`` 1024, hop 240, periodic Hann window of 1024 samples,
    ``center=True`` with reflect padding (1001 frames per 10 s), 64 HTK-scale mel bands from 20 Hz to
    ``sample_rate / 2`` with Slaney normalisation, log-mel ``10 log10(max(P, 1e-10))`` without ``top_db``, and
    unit-normalised intensity vectors projected with the same filterbank; window and filterbank built in
    float32 as torchaudio builds them (``constants='torchaudio'``), so float32 audio gives PSELDNets' features
    bit for bit on the same CPU (0 difference against its extractor run with torchaudio 2.9.1, at 24 and 32 kHz;
    CPUs with other float32 FFT kernels differ in the last bits, up to 5e-5 dB). PSELDNets
    checkpoints hold the window and filterbank as ``af_extractor.stft_extractor.window`` and
    ``af_extractor.mel_scale.fb``; they follow from these settings (``constant('window' | 'mel_fb', x)`` gives
    ours, equal to them), so this module has no buffers and an importer can check and drop those keys.

    Args:
        iv_normalization: ``'unit'`` (PSELDNets, DCASE2020), ``'half_power'`` (DCASE2021) or ``'energy'``
            (DCASE2022-2024 baselines).
        iv_eps: the normalisation's epsilon (``None``: float32 eps for ``'unit'``, 1e-8 for the others).
        iv_order: ``'yzx'`` (PSELDNets, DCASE2022-2024) or ``'xyz'`` (DCASE2020-2021 baselines).
        **kwargs: the STFT and mel settings of :class:`seld.features.logmel.LogMel` (not ``in_channels``:
            FOA has 4).
    """

    def __init__(self, iv_normalization: str = "unit", iv_eps: float | None = None, iv_order: str = "yzx",
                 **kwargs: Any):
        if "in_channels" in kwargs and kwargs["in_channels"] != 4:
            raise ConfigError(f"LogMelIV takes 4 FOA channels (W, Y, Z, X), not in_channels={kwargs['in_channels']}")
        kwargs["in_channels"] = 4
        super().__init__(**kwargs)
        _check_choice("normalisation", iv_normalization, IV_NORMALIZATIONS)
        _check_choice("channel order", iv_order, IV_ORDERS)
        self.iv_normalization = iv_normalization
        self.iv_eps = iv_eps
        self.iv_order = iv_order
        self.out_channels = 7

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        mel_fb = self.constant("mel_fb", spec)
        logmel = log_mel(spec, mel_fb, self.amin, self.top_db)
        iv = intensity_vectors(spec, mel_fb, self.iv_normalization, self.iv_eps, self.iv_order)
        return torch.cat([logmel, iv], dim=1)
