"""SALSA-lite for microphone arrays (Nguyen et al., ICASSP 2022), as in the DCASE2024 baseline.

Per TF bin: the log-linear power ``10 log10(max(|X_m|^2, 1e-10))`` of each of the C mics (no ``top_db``), and
for each mic ``m = 1 .. C-1`` the phase difference to mic 0 normalised into a path difference in metres,
``angle(X_m * conj(X_0)) / (2 pi f_k / c)`` with ``f_k = k * sample_rate / n_fft`` (bin 0 uses ``k = 1``) and
``c = 343`` m/s. Only bins ``lower_bin <= k < cutoff_bin`` are kept, with

- ``lower_bin = max(1, floor(fmin_doa * n_fft / sample_rate))``,
- ``upper_bin = floor(min(fmax_doa, sample_rate // 2) * n_fft / sample_rate)``,
- ``cutoff_bin = floor(fmax_spectra * n_fft / sample_rate)``,

and the phase maps set to zero above ``fmax_doa`` (spatial aliasing of the 4.2-cm tetrahedral array).

Zeroing quirk. The reference code (thomeou/SALSA and the DCASE2024 baseline) crops to ``lower_bin:cutoff_bin``
*first* and then zeroes ``phase[..., upper_bin:]`` of the cropped array, so the zeroed region starts at original
bin ``lower_bin + upper_bin`` instead of ``upper_bin``. With the baseline's defaults (24 kHz, ``n_fft`` 1024,
50 Hz / 2 kHz / 9 kHz: ``lower_bin`` 2, ``upper_bin`` 85, ``cutoff_bin`` 384, 382 bins) the phase is kept for
bins 2-86 (up to 2015.6 Hz) instead of 2-84 (up to 1968.8 Hz). ``zeroing_quirk=True`` (default) reproduces it,
so features and baseline-trained weights match; ``False`` zeroes from ``upper_bin`` as intended.
"""

from __future__ import annotations

import math

import torch

from seld.errors import ConfigError
from seld.features.logmel import power_to_db
from seld.features.spectral import SpectralFrontEnd

__all__ = ["SOUND_SPEED", "salsa_lite_bins", "salsa_lite", "SalsaLite"]

SOUND_SPEED = 343.0  # m/s, as in the reference code


def salsa_lite_bins(
    sample_rate: int, n_fft: int, fmin_doa: float, fmax_doa: float, fmax_spectra: float,
) -> tuple[int, int, int]:
    """``(lower_bin, upper_bin, cutoff_bin)`` exactly as the reference code computes them (module docstring)."""
    lower = max(1, math.floor(fmin_doa * n_fft / sample_rate))
    upper = math.floor(min(fmax_doa, sample_rate // 2) * n_fft / sample_rate)
    cutoff = math.floor(fmax_spectra * n_fft / sample_rate)
    if not lower < cutoff <= n_fft // 2 + 1 or upper > cutoff:
        raise ConfigError(
            f"SALSA-lite bins out of order: lower {lower}, upper {upper}, cutoff {cutoff} of {n_fft // 2 + 1} "
            f"(need fmin_doa < fmax_doa <= fmax_spectra <= sample_rate / 2)"
        )
    return lower, upper, cutoff


def salsa_lite(
    spec: torch.Tensor,
    sample_rate: int,
    bins: tuple[int, int, int],
    sound_speed: float = SOUND_SPEED,
    amin: float = 1e-10,
    zeroing_quirk: bool = True,
) -> torch.Tensor:
    """SALSA-lite ``[B, 2C - 1, T, cutoff - lower]`` of a mic spectrum ``[B, C, T, F]`` (module docstring)."""
    lower, upper, cutoff = bins
    n_fft = 2 * (spec.shape[-1] - 1)
    band = spec[..., lower:cutoff]
    log_power = power_to_db(band.abs().square(), amin)
    k = torch.arange(lower, cutoff, device=spec.device, dtype=log_power.dtype).clamp(min=1)
    scale = 2.0 * math.pi * sample_rate / (n_fft * sound_speed) * k  # 2 pi f_k / c
    phase = (band[:, 1:] * band[:, :1].conj()).angle() / scale
    stop = upper if zeroing_quirk else max(upper - lower, 0)  # first zeroed index within the cropped band
    phase[..., stop:] = 0.0
    return torch.cat([log_power, phase], dim=1)


class SalsaLite(SpectralFrontEnd):
    """SALSA-lite: ``[B, C, N] -> [B, 2C - 1, T, cutoff_bin - lower_bin]`` (4 mics, baseline: ``[B, 7, T, 382]``).

    Defaults are the DCASE2024 baseline's: 24 kHz, hop 480 (20 ms), periodic Hann window of 960 in an
    ``n_fft`` of 1024, centred frames with zero padding (librosa >= 0.9), the first ``N // hop`` frames, DOA band
    50 Hz-2 kHz, spectra up to 9 kHz, and the zeroing quirk (module docstring). thomeou/SALSA used ``n_fft`` 512,
    hop 300, window 512 and reflect padding.

    Args:
        fmin_doa, fmax_doa, fmax_spectra: band limits in Hz (module docstring).
        sound_speed: speed of sound in m/s for the phase normalisation.
        zeroing_quirk: zero the phase from cropped index ``upper_bin`` as the reference code does.
        Other arguments: see :class:`seld.features.spectral.SpectralFrontEnd`.
    """

    def __init__(
        self,
        sample_rate: int = 24000,
        n_fft: int = 1024,
        hop_length: int | None = 480,
        win_length: int | None = 960,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        fmin_doa: float = 50.0,
        fmax_doa: float = 2000.0,
        fmax_spectra: float = 9000.0,
        sound_speed: float = SOUND_SPEED,
        amin: float = 1e-10,
        zeroing_quirk: bool = True,
        trim_to_hops: bool = True,
        in_channels: int = 4,
    ):
        super().__init__(sample_rate, n_fft, hop_length, win_length, window, center, pad_mode, False, trim_to_hops,
                         in_channels)
        if self.in_channels < 2:
            raise ConfigError(f"SALSA-lite needs at least 2 microphones (got in_channels={self.in_channels})")
        self.bins = salsa_lite_bins(self.sample_rate, self.n_fft, fmin_doa, fmax_doa, fmax_spectra)
        self.sound_speed = float(sound_speed)
        self.amin = float(amin)
        self.zeroing_quirk = bool(zeroing_quirk)
        self.out_channels = 2 * self.in_channels - 1
        self.n_features = self.bins[2] - self.bins[0]

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        return salsa_lite(spec, self.sample_rate, self.bins, self.sound_speed, self.amin, self.zeroing_quirk)
