"""Full SALSA for first-order Ambisonics and microphone arrays, as in thomeou/SALSA (Nguyen et al., "SALSA:
Spatial Cue-Augmented Log-Spectrogram Features for Polyphonic Sound Event Localization and Detection",
IEEE/ACM TASLP 2022).

Per TF bin the feature stacks

- the log-linear power ``10 log10(max(|X_c|^2, 1e-10))`` of every channel (no ``top_db``), on bins
  ``1 .. cutoff_bin`` one by one, then (``compress_high_freq``) the bins above ``cutoff_bin`` up to
  ``n_fft / 2 - 1`` averaged in groups of 8; the reference divides every group by 8, also its last, shorter
  one (7 bins at ``n_fft`` 512), and drops the Nyquist bin; both are kept so features match. 24 kHz,
  ``n_fft`` 512, 9 kHz: 192 + 8 = 200 bins;
- the principal eigenvector ``u`` of the spatial covariance ``R = mean(x x^H)`` of the C-channel STFT vector
  ``x`` over ``2 * n_hopframes + 1`` frames centred on the bin (the clip wraps around circularly, as the
  reference's ``np.pad(..., 'wrap')``), turned into a direction ``real(u[1:] / u[0])`` scaled to unit length.
  For a single plane wave ``x`` is proportional to ``(1, y, z, x)`` in SN3D, so the three maps are the ACN-
  ordered direction **Y, Z, X** of the dominant source. We compute ``real(u[1:] * conj(u[0]))``, which is
  the same vector times ``|u[0]|^2 > 0`` and so has the same unit direction, without dividing by ``u[0]``.
  For a microphone array (``array='mic'``) the C - 1 maps are instead the phase differences to mic 0,
  ``angle(u[1:] * conj(u[0]))``, divided by ``2 pi f_k / c`` (``f_k = k * sample_rate / n_fft``, c = 343 m/s)
  into path differences in metres, as in SALSA-lite (:mod:`seld.features.salsa`); the reference uses
  ``fmax_doa`` 4 kHz there (preset ``salsa_mic``).

The eigenvector is kept only in bins ``lower_bin <= k < upper_bin`` (``lower_bin = max(1, floor(fmin_doa *
n_fft / sample_rate))``, ``upper_bin = floor(min(fmax_doa, sample_rate // 2) * n_fft / sample_rate)``) that
pass two tests, and is 0 elsewhere:

- noise-floor tracking (``noise_tracking``), per bin along time on channel 0 (W, or mic 0): the tracked
  magnitude is the RMS of ``|X_0|`` over the current and two previous frames (circularly), the floor starts
  at half its mean over the first 5 frames, and each frame it rises by 2 % (0.2 % once the bin has been above
  it for more than 3 frames in a row) where the magnitude exceeds it, falls by 2 % elsewhere, and never drops
  below 1e-6 (an absolute level: audio is expected in full-scale units, |sample| <= 1). A bin passes when its
  magnitude exceeds 1.5 times the updated floor;
- the coherence test (``condition_number``): the largest eigenvalue exceeds ``condition_number`` (5) times
  the second, i.e. one source dominates.

The reference's ``is_tracking=False`` skips both tests; here that is ``noise_tracking=False,
condition_number=None``. Bins whose covariance is zero then get 0 (the reference divides by zero). Bin ``k``
of the eigenvector maps sits at feature index ``k - 1``, aligned with the spectrum; the reference puts it at
``k - lower_bin``, the same for its settings (``lower_bin = 1``). Because the tracker runs over the whole clip
and the covariance wraps around it, chunked extraction is not identical to whole-clip extraction.
"""

from __future__ import annotations

import math

import torch

from seld.errors import ConfigError
from seld.features.logmel import power_to_db
from seld.features.salsa import SOUND_SPEED
from seld.features.spectral import SpectralFrontEnd

__all__ = ["ARRAYS", "salsa_spectrum_matrix", "noise_floor_mask", "principal_eigenvectors", "salsa_features",
           "Salsa"]

ARRAYS = ("foa", "mic")

_GROUP = 8  # high bins averaged per compressed band
# The reference's noise-floor tracker (module docstring):
_TRACK_FRAMES = 3  # frames in the tracked RMS magnitude
_INIT_FRAMES = 5  # frames averaged for the initial floor
_RATE = 0.02  # relative rise / fall of the floor per frame
_SLOW = 0.1  # rise factor of the rate once a bin has been above the floor for more than _SIG_FRAMES frames
_SIG_FRAMES = 3
_SNR = 1.5  # a bin passes above _SNR times the floor
_FLOOR_MIN = 1e-6


def salsa_spectrum_matrix(n_fft: int, cutoff_bin: int, compress_high_freq: bool = True) -> torch.Tensor:
    """``[n_fft // 2 + 1, n_out]`` float64 matrix taking a power spectrum to SALSA's bins (module docstring);
    without compression it keeps bins ``1 .. n_fft / 2`` (``n_out = n_fft / 2``)."""
    n_freqs = n_fft // 2 + 1
    if not compress_high_freq:
        return torch.eye(n_freqs, dtype=torch.float64)[:, 1:]
    if not 1 <= cutoff_bin < n_fft // 2:
        raise ConfigError(f"SALSA cutoff bin {cutoff_bin} is outside 1 .. {n_fft // 2 - 1} for n_fft {n_fft}; "
                          f"lower fmax_spectra")
    n_groups = math.ceil((n_fft // 2 - 1 - cutoff_bin) / _GROUP)
    matrix = torch.zeros(n_freqs, cutoff_bin + n_groups, dtype=torch.float64)
    matrix[1:cutoff_bin + 1, :cutoff_bin] = torch.eye(cutoff_bin, dtype=torch.float64)
    for g in range(n_groups):
        start = cutoff_bin + 1 + g * _GROUP
        matrix[start:min(start + _GROUP, n_fft // 2), cutoff_bin + g] = 1.0 / _GROUP
    return matrix


def noise_floor_mask(w_magnitude: torch.Tensor) -> torch.Tensor:
    """Bins above the tracked noise floor (module docstring): boolean like ``w_magnitude`` ``[..., F, T]``.

    The tracker is a recursion along time, so it loops over frames, vectorised over everything else; it runs
    in float64 so that its threshold decisions do not depend on the input precision more than the input does.
    """
    mag2 = w_magnitude.to(torch.float64).square()
    tracked = sum(torch.roll(mag2, shifts=i, dims=-1) for i in range(_TRACK_FRAMES)).div(_TRACK_FRAMES).sqrt()
    floor = 0.5 * tracked[..., :_INIT_FRAMES].mean(dim=-1)
    countdown = torch.full_like(floor, _SIG_FRAMES)
    up, up_slow, down = 1.0 + _RATE, 1.0 + _SLOW * _RATE, 1.0 - _RATE
    mask = torch.empty_like(tracked, dtype=torch.bool)
    for t in range(tracked.shape[-1]):
        level = tracked[..., t]
        above = level > floor
        countdown = torch.where(above, countdown - 1, torch.full_like(countdown, _SIG_FRAMES))
        rate = torch.where(above, torch.where(countdown < 0, up_slow, up), torch.full_like(floor, down))
        floor = (floor * rate).clamp(min=_FLOOR_MIN)
        mask[..., t] = level > _SNR * floor
    return mask


def principal_eigenvectors(
    spec: torch.Tensor, n_hopframes: int = 3, condition_number: float | None = 5.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal eigenvector ``[B, T, F, C]`` (arbitrary phase) of each bin's spatial covariance over
    ``2 * n_hopframes + 1`` circular frames of ``spec`` ``[B, C, T, F]``, and the coherence mask ``[B, T, F]``
    (all true when ``condition_number`` is None)."""
    x = spec.permute(0, 2, 3, 1)  # [B, T, F, C]
    outer = x[..., :, None] * x[..., None, :].conj()  # x x^H per bin
    cov = sum(torch.roll(outer, shifts=s, dims=1) for s in range(-n_hopframes, n_hopframes + 1))
    eigvals, eigvecs = torch.linalg.eigh(cov / (2 * n_hopframes + 1))  # ascending eigenvalues
    if condition_number is None:
        coherent = torch.ones(eigvals.shape[:-1], dtype=torch.bool, device=spec.device)
    else:
        coherent = eigvals[..., -1] > condition_number * eigvals[..., -2].abs()
    return eigvecs[..., -1], coherent


def salsa_features(
    spec: torch.Tensor,
    doa_bins: tuple[int, int],
    spectrum_matrix: torch.Tensor,
    array: str = "foa",
    n_hopframes: int = 3,
    condition_number: float | None = 5.0,
    noise_tracking: bool = True,
    amin: float = 1e-10,
    sample_rate: int = 24000,
    sound_speed: float = SOUND_SPEED,
) -> torch.Tensor:
    """SALSA ``[B, 2C - 1, T, n_out]`` of a spectrum ``[B, C, T, F]``: C log-linear spectra, then the C - 1
    eigenvector maps (FOA: Y, Z, X direction; mic: path differences in metres, which need ``sample_rate`` and
    ``sound_speed``) at ``lower <= k < upper`` (``doa_bins``) where the tests pass (module docstring)."""
    if array not in ARRAYS:
        raise ConfigError(f"unknown SALSA array {array!r}; choose one of {', '.join(ARRAYS)}")
    lower, upper = doa_bins
    matrix = spectrum_matrix.to(device=spec.device, dtype=spec.real.dtype)
    log_power = power_to_db(spec.abs().square() @ matrix, amin)
    band = spec[..., lower:upper]
    u, valid = principal_eigenvectors(band, n_hopframes, condition_number)
    relative = u[..., 1:] * u[..., :1].conj()  # u[1:] / u[0] times |u[0]|^2: phase-free
    if array == "foa":
        doa = relative.real
        doa = doa / doa.norm(dim=-1, keepdim=True).clamp(min=torch.finfo(doa.dtype).tiny)
    else:
        n_fft = 2 * (spec.shape[-1] - 1)
        k = torch.arange(lower, upper, device=spec.device, dtype=log_power.dtype)
        doa = relative.angle() / (2.0 * math.pi * sample_rate / (n_fft * sound_speed) * k)[:, None]
    if noise_tracking:
        valid = valid & noise_floor_mask(band[:, 0].abs().transpose(-1, -2)).transpose(-1, -2)
    out = log_power.new_zeros(log_power.shape[0], spec.shape[1] - 1, *log_power.shape[2:])
    out[..., lower - 1:upper - 1] = (doa * valid[..., None]).permute(0, 3, 1, 2)
    return torch.cat([log_power, out], dim=1)


class Salsa(SpectralFrontEnd):
    """Full SALSA: ``[B, C, N] -> [B, 2C - 1, T, 200]``, FOA by default, with the defaults of thomeou/SALSA
    (DCASE2021 FOA; its MIC setting differs only in ``fmax_doa`` 4 kHz, preset ``salsa_mic``): 24 kHz,
    ``n_fft`` 512, hop 300 (12.5 ms), periodic Hann window of 512, centred frames with reflect padding
    (``1 + N // 300`` frames), spectra up to 9 kHz with the high bins compressed, eigenvector maps for
    50 Hz-9 kHz over 7 frames, condition number 5, noise-floor tracking (module docstring).

    Args:
        array: ``'foa'`` (4 channels W, Y, Z, X; direction maps) or ``'mic'`` (C >= 2 mics; path differences).
        fmin_doa, fmax_doa: band of the eigenvector maps in Hz.
        fmax_spectra: last bin kept one by one in the spectra (``floor(fmax_spectra * n_fft / sample_rate)``).
        compress_high_freq: average the bins above ``fmax_spectra`` in groups of 8 (else keep bins 1 .. n/2).
        n_hopframes: frames on each side in the covariance.
        condition_number: coherence-test ratio of the two largest eigenvalues (``None``: no test).
        noise_tracking: apply the noise-floor tracker.
        sound_speed: speed of sound in m/s for the mic path differences.
        Other arguments: see :class:`seld.features.spectral.SpectralFrontEnd`.
    """

    def __init__(
        self,
        sample_rate: int = 24000,
        n_fft: int = 512,
        hop_length: int | None = 300,
        win_length: int | None = 512,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        array: str = "foa",
        fmin_doa: float = 50.0,
        fmax_doa: float = 9000.0,
        fmax_spectra: float = 9000.0,
        compress_high_freq: bool = True,
        n_hopframes: int = 3,
        condition_number: float | None = 5.0,
        noise_tracking: bool = True,
        amin: float = 1e-10,
        sound_speed: float = SOUND_SPEED,
        trim_to_hops: bool = False,
        in_channels: int = 4,
    ):
        if array not in ARRAYS:
            raise ConfigError(f"unknown SALSA array {array!r}; choose one of {', '.join(ARRAYS)}")
        if (array == "foa" and in_channels != 4) or in_channels < 2:
            raise ConfigError(f"SALSA takes 4 FOA channels (W, Y, Z, X) or at least 2 mics, not "
                              f"in_channels={in_channels} for array={array!r}")
        super().__init__(sample_rate, n_fft, hop_length, win_length, window, center, pad_mode, False, trim_to_hops,
                         in_channels)
        cutoff = math.floor(fmax_spectra * self.n_fft / self.sample_rate)
        self._constants["spectrum_matrix"] = salsa_spectrum_matrix(self.n_fft, cutoff, compress_high_freq)
        lower = max(1, math.floor(fmin_doa * self.n_fft / self.sample_rate))
        upper = math.floor(min(fmax_doa, self.sample_rate // 2) * self.n_fft / self.sample_rate)
        self.n_features = self._constants["spectrum_matrix"].shape[1]
        if not lower < upper <= self.n_features + 1:
            raise ConfigError(f"SALSA eigenvector band {lower} .. {upper} (bins) is empty or wider than the "
                              f"{self.n_features} feature bins; check fmin_doa < fmax_doa <= fmax_spectra")
        if n_hopframes < 0 or (condition_number is not None and condition_number < 0):
            raise ConfigError(f"SALSA needs n_hopframes >= 0 and condition_number >= 0 or None, got "
                              f"{n_hopframes} and {condition_number}")
        self.doa_bins = (lower, upper)
        self.n_hopframes = int(n_hopframes)
        self.condition_number = None if condition_number is None else float(condition_number)
        self.noise_tracking = bool(noise_tracking)
        self.array = array
        self.amin = float(amin)
        self.sound_speed = float(sound_speed)
        self.out_channels = 2 * self.in_channels - 1

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        return salsa_features(spec, self.doa_bins, self.constant("spectrum_matrix", spec), self.array,
                              self.n_hopframes, self.condition_number, self.noise_tracking, self.amin,
                              self.sample_rate, self.sound_speed)
