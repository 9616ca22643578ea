"""Log-mel + GCC-PHAT for microphone arrays, the DCASE2020-2024 baselines' MIC input.

For every microphone pair ``(m, n)`` with ``m < n`` (order (0,1), (0,2), (0,3), (1,2), (1,3), (2,3) for four
mics) and every frame, the phase transform keeps only the phase of the cross-spectrum,
``R = exp(j * angle(conj(X_m) * X_n))``, and its inverse real FFT (length ``n_fft``) is the generalised
cross-correlation over lags. The ``n_lags`` central lags ``-n_lags/2 ... n_lags/2 - 1`` are kept, in that
order, so that they stack with ``n_lags = n_mels`` log-mel bands. A bin where the cross-spectrum is exactly zero
contributes ``exp(0) = 1``, as ``np.angle(0) = 0`` makes it in the baseline.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import torch

from seld.errors import ConfigError
from seld.features.logmel import LogMel, log_mel

__all__ = ["gcc_phat", "LogMelGcc"]


def gcc_phat(spec: torch.Tensor, n_lags: int) -> torch.Tensor:
    """GCC-PHAT ``[B, C (C - 1) / 2, T, n_lags]`` of a spectrum ``[B, C, T, F]`` (pairs m < n, central lags)."""
    n_fft = 2 * (spec.shape[-1] - 1)
    if not 0 < n_lags <= n_fft or n_lags % 2:
        raise ConfigError(f"n_lags must be even and in 2..n_fft={n_fft} (got {n_lags})")
    first, second = zip(*combinations(range(spec.shape[1]), 2))
    cross = spec[:, list(first)].conj() * spec[:, list(second)]
    phat = torch.polar(torch.ones_like(cross.real), cross.angle())
    cc = torch.fft.irfft(phat, n=n_fft, dim=-1)
    half = n_lags // 2
    return torch.cat([cc[..., n_fft - half:], cc[..., :half]], dim=-1)


class LogMelGcc(LogMel):
    """Microphone-array log-mel + GCC-PHAT: ``[B, C, N] -> [B, C + C (C - 1) / 2, T, n_mels]`` (4 mics: 10).

    Channels: the log-mels of the C mics, then the GCC-PHAT of each pair (see the module docstring) with
    ``n_lags = n_mels``. The constructor takes the settings of :class:`seld.features.logmel.LogMel`; the
    DCASE-baseline values (hop 480, window 960, ``n_fft`` 1024, Slaney mel from 0 Hz, ``top_db=80``, first
    ``N // hop`` frames) are the registered preset ``logmel_gcc`` (:mod:`seld.features.registry`).
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.in_channels < 2:
            raise ConfigError(f"GCC-PHAT needs at least 2 microphones (got in_channels={self.in_channels})")
        if self.n_mels % 2 or self.n_mels > self.n_fft:
            raise ConfigError(
                f"GCC-PHAT keeps n_mels={self.n_mels} lags: it must be even and at most n_fft={self.n_fft}"
            )
        self.out_channels = self.in_channels + self.in_channels * (self.in_channels - 1) // 2

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        mel_fb = self.constant("mel_fb", spec)
        logmel = log_mel(spec, mel_fb, self.amin, self.top_db)
        return torch.cat([logmel, gcc_phat(spec, self.n_mels)], dim=1)
