"""Short-time Fourier transform of batched multichannel audio, and how its frames line up with labels.

Every front end in :mod:`seld.features` starts from :func:`stft`, which maps audio ``[B, C, N]`` to a complex
spectrum ``[B, C, T, n_fft // 2 + 1]`` with plain ``torch.stft`` (no torchaudio), on the input's device and
in the input's dtype. :class:`SpectralFrontEnd` is their common base: it holds the STFT settings, checks the
audio it is given, and answers the questions a data pipeline asks (how many frames for N samples, how many
frames per label frame).

Frame alignment. With ``center=True`` (every front end except SELDnet's), frame ``t`` is centred on sample
``t * hop`` and sees samples ``[t * hop - n_fft // 2, t * hop + n_fft // 2)``; the signal is padded by
``n_fft // 2`` on each side (``pad_mode``), so N samples give ``1 + N // hop`` frames. At 24 kHz with hop 240
(10 ms, PSELDNets) the 100-ms label frame ``k`` (samples ``[2400 k, 2400 (k + 1))``) holds STFT frames
``10 k ... 10 k + 9``, and a 10-s chunk of 240,000 samples gives 1001 frames, the last one centred on the
first sample after the chunk (PSELDNets keeps it; its models crop or pool it away). The DCASE baselines keep
only ``N // hop`` frames (``trim_to_hops=True``), so a label frame is exactly ``label_hop / hop`` frames. With
``center=False`` (SELDnet), frame ``t`` starts at sample ``t * hop`` and N samples give
``1 + (N - n_fft) // hop`` frames.

Chunked and streaming extraction. Padding only touches the ``n_fft // 2`` samples at each end, so a long
recording cut into chunks gives the same frames as the whole recording if each chunk carries ``n_fft // 2``
samples of real audio before its first and after its last hop-aligned sample and is passed with
``has_context=True``: then no padding is added and frame ``t`` of the chunk is exactly frame ``t + start / hop``
of the recording (``start`` a multiple of ``hop``). Front ends with a clip-level operation (``top_db``) stay
chunk-dependent; their docstrings say so.
"""

from __future__ import annotations

import abc
from pathlib import Path

import torch
from torch import nn

from seld.errors import ConfigError, InputError

__all__ = ["WINDOWS", "make_window", "stft", "count_frames", "SpectralFrontEnd"]

#: Analysis windows by name: ``hann`` is the periodic Hann window of torch, scipy and librosa (DFT-even);
#: ``hann_symmetric`` is numpy's ``np.hanning`` (used by SELDnet).
WINDOWS = ("hann", "hann_symmetric")

_PAD_MODES = ("reflect", "constant", "replicate", "circular")


def make_window(name: str, length: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The analysis window ``name`` (one of :data:`WINDOWS`) of ``length`` samples."""
    if name not in WINDOWS:
        raise ConfigError(f"unknown window {name!r}; choose one of {', '.join(WINDOWS)}")
    return torch.hann_window(length, periodic=name == "hann", dtype=dtype)


def count_frames(
    n_samples: int, n_fft: int, hop_length: int, *, center: bool = True, trim_to_hops: bool = False,
    has_context: bool = False,
) -> int:
    """Number of STFT frames for ``n_samples`` samples (see the module docstring for the alignment).

    ``has_context`` means the input carries ``n_fft // 2`` extra samples on each side instead of padding.
    """
    if not center:
        return 1 + (n_samples - n_fft) // hop_length if n_samples >= n_fft else 0
    if has_context:  # the context replaces the padding: an uncentred STFT over the longer input
        core = n_samples - 2 * (n_fft // 2)
        full = 1 + (n_samples - n_fft) // hop_length if n_samples >= n_fft else 0
    else:
        core = n_samples
        full = 1 + n_samples // hop_length
    return min(full, max(core // hop_length, 0)) if trim_to_hops else full


def stft(
    audio: torch.Tensor,
    n_fft: int,
    hop_length: int,
    window: torch.Tensor,
    *,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
) -> torch.Tensor:
    """Complex one-sided STFT ``[B, C, T, n_fft // 2 + 1]`` of real audio ``[B, C, N]``.

    ``window`` may be shorter than ``n_fft``: it is zero-padded on both sides to ``n_fft`` (as torch and
    librosa do). ``normalized`` divides by ``sqrt(n_fft)`` (numpy's ``norm='ortho'``, used by SELDnet).
    The window follows the audio's device and dtype.
    """
    b, c, n = audio.shape
    window = window.to(device=audio.device, dtype=audio.dtype)
    spec = torch.stft(
        audio.reshape(b * c, n), n_fft=n_fft, hop_length=hop_length, win_length=window.shape[0],
        window=window, center=center, pad_mode=pad_mode, normalized=normalized, onesided=True,
        return_complex=True,
    )
    return spec.reshape(b, c, spec.shape[-2], spec.shape[-1]).transpose(-1, -2)


class SpectralFrontEnd(nn.Module, abc.ABC):
    """Base of every front end: STFT settings, input checks and frame bookkeeping.

    Subclasses implement :meth:`features` (complex spectrum ``[B, C, T, n_fft // 2 + 1]`` to features
    ``[B, out_channels, T, n_features]``) and set ``out_channels`` and ``n_features``.

    Args:
        sample_rate: sample rate in Hz the front end is built for.
        n_fft: FFT size.
        hop_length: hop in samples; ``None`` means 10 ms (``sample_rate // 100``: 240 at 24 kHz, 320 at 32 kHz).
        win_length: window length in samples (``None``: ``n_fft``), centred in the FFT frame when shorter.
        window: a name from :data:`WINDOWS`.
        center: centre frame ``t`` on sample ``t * hop`` (pad ``n_fft // 2`` each side) or start it there.
        pad_mode: padding for ``center=True``: ``reflect`` (torch/torchaudio default, PSELDNets) or
            ``constant`` (zeros, librosa >= 0.9 default, DCASE baselines run with it).
        normalized: divide the spectrum by ``sqrt(n_fft)``.
        trim_to_hops: keep only ``N // hop`` frames, as the DCASE baselines do (needs ``center=True``).
        in_channels: number of audio channels the front end accepts.
    """

    out_channels: int
    n_features: int

    def __init__(
        self,
        sample_rate: int,
        n_fft: int,
        hop_length: int | None,
        win_length: int | None,
        window: str,
        center: bool,
        pad_mode: str,
        normalized: bool,
        trim_to_hops: bool,
        in_channels: int,
    ):
        super().__init__()
        hop_length = sample_rate // 100 if hop_length is None else hop_length
        win_length = n_fft if win_length is None else win_length
        if sample_rate <= 0 or n_fft <= 0 or hop_length <= 0:
            raise ConfigError(
                f"sample_rate, n_fft and hop_length must be positive (got {sample_rate}, {n_fft}, {hop_length})"
            )
        if not 0 < win_length <= n_fft:
            raise ConfigError(f"win_length must be in 1..n_fft={n_fft} (got {win_length})")
        if pad_mode not in _PAD_MODES:
            raise ConfigError(f"unknown pad_mode {pad_mode!r}; choose one of {', '.join(_PAD_MODES)}")
        if trim_to_hops and not center:
            raise ConfigError("trim_to_hops needs center=True (it reproduces the DCASE baselines' centred STFT)")
        if in_channels < 1:
            raise ConfigError(f"in_channels must be at least 1 (got {in_channels})")
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.win_length = int(win_length)
        self.center = bool(center)
        self.pad_mode = pad_mode
        self.normalized = bool(normalized)
        self.trim_to_hops = bool(trim_to_hops)
        self.in_channels = int(in_channels)
        # Constants derived from the settings (window, filterbank) are kept in float64 (the log-mel front ends
        # may keep torchaudio's float32 values instead, see LogMel's `constants`) and handed out on the input's
        # device and dtype (see `constant`): no buffers, so state dicts stay free of them, `.half()` cannot
        # degrade them, and the device always follows the input.
        self._constants: dict[str, torch.Tensor] = {"window": make_window(window, self.win_length, torch.float64)}
        self._cache: dict[tuple[str, torch.device, torch.dtype], torch.Tensor] = {}

    def constant(self, name: str, like: torch.Tensor) -> torch.Tensor:
        """The constant ``name`` (``'window'``, ``'mel_fb'``) on ``like``'s device, in its real dtype."""
        dtype = like.real.dtype if like.is_complex() else like.dtype
        key = (name, like.device, dtype)
        if key not in self._cache:
            self._cache[key] = self._constants[name].to(device=like.device, dtype=dtype)
        return self._cache[key]

    # ------------------------------------------------------------------------------------------ bookkeeping
    @property
    def n_freqs(self) -> int:
        """Bins of the one-sided spectrum."""
        return self.n_fft // 2 + 1

    @property
    def context_samples(self) -> int:
        """Samples of real audio a chunk needs on each side for ``has_context=True`` (0 without centring)."""
        return self.n_fft // 2 if self.center else 0

    @property
    def frames_per_second(self) -> float:
        """STFT frames per second (100 for every 10-ms hop)."""
        return self.sample_rate / self.hop_length

    def n_frames(self, n_samples: int, has_context: bool = False) -> int:
        """Frames produced for ``n_samples`` samples of audio."""
        return count_frames(
            n_samples, self.n_fft, self.hop_length, center=self.center, trim_to_hops=self.trim_to_hops,
            has_context=has_context,
        )

    def frames_per_label(self, label_hop_s: float = 0.1) -> int:
        """STFT frames per label frame (10 at hop 240 / 24 kHz for 100-ms labels); refuses a fractional ratio."""
        ratio = label_hop_s * self.sample_rate / self.hop_length
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ConfigError(
                f"a {label_hop_s} s label frame is {ratio:g} STFT frames at hop {self.hop_length} and "
                f"{self.sample_rate} Hz; choose a hop that divides {label_hop_s * self.sample_rate:g} samples"
            )
        return int(round(ratio))

    def check_sample_rate(self, sample_rate: int, path: str | Path | None = None) -> None:
        """Raise :class:`InputError` naming ``path`` if audio at ``sample_rate`` does not suit this front end."""
        if int(sample_rate) != self.sample_rate:
            raise InputError(
                path, f"audio is at {sample_rate} Hz but the {type(self).__name__} front end expects "
                f"{self.sample_rate} Hz", f"resample the audio to {self.sample_rate} Hz or build the front end "
                f"with sample_rate={sample_rate}",
            )

    def _check_audio(self, audio: torch.Tensor, has_context: bool) -> None:
        name = type(self).__name__
        if not isinstance(audio, torch.Tensor) or audio.ndim != 3:
            shape = tuple(audio.shape) if isinstance(audio, torch.Tensor) else type(audio).__name__
            raise InputError(
                None, f"{name} takes audio [batch, channels, samples], got {shape}",
                "add a batch dimension with audio[None]" if getattr(audio, "ndim", 0) == 2 else None,
            )
        if not audio.is_floating_point():
            raise InputError(None, f"{name} takes floating-point audio, got {audio.dtype}",
                             "convert integer PCM with audio.float() / 32768")
        if audio.shape[1] != self.in_channels:
            raise InputError(
                None, f"{name} expects {self.in_channels} audio channels, got {audio.shape[1]}",
                "pass the channels this front end was built for (FOA is W, Y, Z, X) or set in_channels",
            )
        need = self.n_fft if (has_context or not self.center) else self.n_fft // 2 + 1
        if audio.shape[-1] < need:
            raise InputError(
                None, f"{name} needs at least {need} samples, got {audio.shape[-1]}",
                "pad the clip or pass a longer one",
            )
        if not torch.compiler.is_compiling() and not bool(torch.isfinite(audio).all()):
            raise InputError(None, "audio contains NaN or infinite samples", "check the file and any augmentation")

    # ------------------------------------------------------------------------------------------------ compute
    def spectrum(self, audio: torch.Tensor, has_context: bool = False) -> torch.Tensor:
        """Complex STFT ``[B, C, T, n_fft // 2 + 1]`` of audio ``[B, C, N]`` with this front end's settings."""
        self._check_audio(audio, has_context)
        center = self.center and not has_context
        spec = stft(audio, self.n_fft, self.hop_length, self.constant("window", audio), center=center,
                    pad_mode=self.pad_mode, normalized=self.normalized)
        if self.trim_to_hops:
            spec = spec[:, :, : self.n_frames(audio.shape[-1], has_context)]
        return spec

    @abc.abstractmethod
    def features(self, spec: torch.Tensor) -> torch.Tensor:
        """Features ``[B, C', T, F]`` from the complex STFT ``[B, C, T, n_fft // 2 + 1]``."""

    def forward(self, audio: torch.Tensor, has_context: bool = False) -> torch.Tensor:
        """Features ``[B, out_channels, T, n_features]`` of audio ``[B, in_channels, N]``.

        ``has_context``: the audio carries ``context_samples`` of real signal on each side, which replace the
        padding (chunked / streaming extraction identical to whole-file extraction).
        """
        return self.features(self.spectrum(audio, has_context))

    def extra_repr(self) -> str:
        return (f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, hop_length={self.hop_length}, "
                f"win_length={self.win_length}, in_channels={self.in_channels}, "
                f"out=[{self.out_channels}, T, {self.n_features}]")
