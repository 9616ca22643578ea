"""Front ends by name, so that models, configs and checkpoints can say which input they were trained on.

Each registered name is a small function that fills in a published system's settings and lets the caller
override any of them, as timm's ``create_model`` does. Unlike timm, a ``None`` override is passed on as
given, because ``None`` is a real setting here (``top_db=None``: no floor; ``fmax=None``: Nyquist); leave a
key out to keep the preset's value.

- ``logmel_iv``: PSELDNets FOA log-mel + IV, 24 kHz, hop 240 (``sample_rate=32000`` gives hop 320 for
  L3DAS22); ``[7, T, 64]``.
- ``logmel``: PSELDNets log-mel of every channel; ``[C, T, 64]``.
- ``logmel_iv_dcase``: DCASE2022-2024 baseline FOA, hop 20 ms, window 40 ms, energy-normalised IV;
  ``[7, T, 64]``.
- ``logmel_iv_dcase2020``: DCASE2020 baseline FOA, same STFT and log-mel, unit-normalised IV in X, Y, Z order;
  ``[7, T, 64]``.
- ``logmel_iv_dcase2021``: DCASE2021 baseline FOA, as 2020 with IV divided by half the total power;
  ``[7, T, 64]``.
- ``logmel_gcc``: DCASE2020-2024 baseline MIC, log-mel + GCC-PHAT; ``[10, T, 64]``.
- ``salsa_lite``: DCASE2024 baseline MIC SALSA-lite, zeroing quirk on; ``[7, T, 382]``.
- ``salsa``: full SALSA for FOA (thomeou/SALSA, DCASE2021 settings), 24 kHz, ``n_fft`` 512, hop 300;
  ``[7, T, 200]``.
- ``salsa_mic``: full SALSA for a microphone array, the same with eigenvector phases up to 4 kHz;
  ``[7, T, 200]`` for 4 mics.
- ``magphase``: SELDnet (seld-net, JSTSP 2018), 44.1 kHz, ``n_fft`` 512, magnitude + phase; ``[8, T, 256]``.
- ``magphase_dcase2019``: DCASE2019 baseline, 48 kHz, hop 960, window 1920, ``n_fft`` 2048, bins 1-1024;
  ``[8, T, 1024]``.

The DCASE presets derive their STFT from the sample rate as the baselines do (hop ``int(0.02 * fs)``, window
``2 * hop``, ``n_fft`` the next power of two), so ``create_frontend("logmel_gcc", sample_rate=48000)`` is the
baseline at 48 kHz.
"""

from __future__ import annotations

from typing import Any, Callable

from seld.errors import ConfigError
from seld.features.gcc import LogMelGcc
from seld.features.intensity import LogMelIV
from seld.features.logmel import LogMel
from seld.features.magphase import MagPhase
from seld.features.salsa import SalsaLite
from seld.features.salsa_full import Salsa
from seld.features.spectral import SpectralFrontEnd

__all__ = ["register_frontend", "create_frontend", "list_frontends"]

_REGISTRY: dict[str, Callable[..., SpectralFrontEnd]] = {}


def register_frontend(fn: Callable[..., SpectralFrontEnd]) -> Callable[..., SpectralFrontEnd]:
    """Register ``fn(**overrides) -> front end`` under its function name."""
    if fn.__name__ in _REGISTRY:
        raise ValueError(f"front end {fn.__name__!r} is registered twice")
    _REGISTRY[fn.__name__] = fn
    return fn


def list_frontends() -> list[str]:
    """Names accepted by :func:`create_frontend`."""
    return sorted(_REGISTRY)


def create_frontend(name: str, **overrides: Any) -> SpectralFrontEnd:
    """Build the front end registered as ``name`` with its published settings, overridden by ``overrides``.
    Unknown names and arguments raise :class:`seld.errors.ConfigError`."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown front end {name!r}; choose one of {', '.join(list_frontends())}")
    try:
        return _REGISTRY[name](**overrides)
    except TypeError as err:  # an argument the front end does not take
        raise ConfigError(f"front end {name!r}: {err}") from err


def _next_power_of_2(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


def _dcase_stft(sample_rate: int) -> dict[str, int]:
    """The DCASE baselines' STFT: hop 20 ms, window twice the hop, FFT the next power of two."""
    hop = int(sample_rate * 0.02)
    return {"sample_rate": sample_rate, "hop_length": hop, "win_length": 2 * hop, "n_fft": _next_power_of_2(2 * hop)}


# The DCASE baselines: librosa.stft (centred, zero padding since librosa 0.9), the first N // hop frames,
# librosa.filters.mel(sr, n_fft, 64) (Slaney scale and norm, 0 Hz to sr / 2; built in float64), power_to_db
# defaults (top_db 80).
_DCASE_MEL = {"pad_mode": "constant", "trim_to_hops": True, "n_mels": 64, "fmin": 0.0, "fmax": None,
              "mel_scale": "slaney", "mel_norm": "slaney", "top_db": 80.0, "constants": "float64"}


@register_frontend
def logmel_iv(**kw: Any) -> LogMelIV:
    """PSELDNets FOA log-mel + intensity vectors (:class:`seld.features.intensity.LogMelIV` defaults)."""
    return LogMelIV(**kw)


@register_frontend
def logmel(**kw: Any) -> LogMel:
    """PSELDNets log-mel of every channel (:class:`seld.features.logmel.LogMel` defaults)."""
    return LogMel(**kw)


@register_frontend
def logmel_iv_dcase(sample_rate: int = 24000, **kw: Any) -> LogMelIV:
    """DCASE2022-2024 baseline FOA input: log-mel + intensity vectors normalised by the bin energy."""
    return LogMelIV(**{**_dcase_stft(sample_rate), **_DCASE_MEL, "iv_normalization": "energy", **kw})


@register_frontend
def logmel_iv_dcase2020(sample_rate: int = 24000, **kw: Any) -> LogMelIV:
    """DCASE2020 baseline FOA input: log-mel + unit-normalised intensity vectors (eps 1e-8) in X, Y, Z order.

    Two parts of that baseline are left out on purpose. It zero-pads every file to 60 s with 1e-8-scale
    noise and adds 1e-8 to the audio, so its frame count is ``ceil(60 s / hop)`` (3000, the same as
    ``N // hop`` for a 60-s file); we take ``N // hop`` frames of the audio given, unaltered. Its data
    generator reshapes each frame's 448 values, stored mel-bin-major per feature group, straight to
    ``[64, 7]``, which mixes channels and bins (fixed in 2021); we return the intended ``[7, T, 64]``.
    """
    return LogMelIV(**{**_dcase_stft(sample_rate), **_DCASE_MEL, "iv_normalization": "unit", "iv_eps": 1e-8,
                       "iv_order": "xyz", **kw})


@register_frontend
def logmel_iv_dcase2021(sample_rate: int = 24000, **kw: Any) -> LogMelIV:
    """DCASE2021 baseline FOA input: log-mel + intensity vectors divided by ``(|W|^2 + |Y|^2 + |Z|^2 + |X|^2)
    / 2`` in X, Y, Z order (same 60-s padding left out as for :func:`logmel_iv_dcase2020`)."""
    return LogMelIV(**{**_dcase_stft(sample_rate), **_DCASE_MEL, "iv_normalization": "half_power",
                       "iv_order": "xyz", **kw})


@register_frontend
def logmel_gcc(sample_rate: int = 24000, **kw: Any) -> LogMelGcc:
    """DCASE2020-2024 baseline MIC input: log-mel + GCC-PHAT of the 6 mic pairs."""
    return LogMelGcc(**{**_dcase_stft(sample_rate), **_DCASE_MEL, **kw})


@register_frontend
def salsa_lite(sample_rate: int = 24000, **kw: Any) -> SalsaLite:
    """DCASE2024 baseline SALSA-lite (:class:`seld.features.salsa.SalsaLite` defaults, STFT from the rate)."""
    return SalsaLite(**{**_dcase_stft(sample_rate), **kw})


@register_frontend
def salsa(**kw: Any) -> Salsa:
    """Full SALSA for FOA (:class:`seld.features.salsa_full.Salsa` defaults, thomeou/SALSA's settings)."""
    return Salsa(**kw)


@register_frontend
def salsa_mic(**kw: Any) -> Salsa:
    """Full SALSA for microphone arrays (thomeou/SALSA's MIC settings: eigenvector band 50 Hz-4 kHz)."""
    return Salsa(**{"array": "mic", "fmax_doa": 4000.0, **kw})


@register_frontend
def magphase(**kw: Any) -> MagPhase:
    """SELDnet's magnitude + phase input (:class:`seld.features.magphase.MagPhase` defaults)."""
    return MagPhase(**kw)


@register_frontend
def magphase_dcase2019(sample_rate: int = 48000, **kw: Any) -> MagPhase:
    """DCASE2019 baseline: SELDnet's input from librosa's centred STFT (reflect padding in librosa 0.6),
    bins 1-1024, the first ``N // hop`` frames."""
    stft = _dcase_stft(sample_rate)
    defaults = {**stft, "window": "hann", "center": True, "pad_mode": "reflect", "normalized": False,
                "bin_start": 1, "bin_stop": stft["n_fft"] // 2 + 1, "trim_to_hops": True}
    return MagPhase(**{**defaults, **kw})
