"""SELDnet's input: the magnitude and phase spectrogram of every channel (Adavanne et al., JSTSP 2018).

SELDnet (sharathadavanne/seld-net) frames the 44.1-kHz audio without centring (frame ``t`` starts at sample
``t * hop``), with a *symmetric* Hann window (``np.hanning``) of ``n_fft`` = 512 samples, hop ``n_fft / 2``, an
orthonormal FFT (``norm='ortho'``: divided by ``sqrt(n_fft)``), and keeps bins ``0 ... n_fft / 2 - 1`` (the
Nyquist bin is dropped). Magnitude ``|X|`` and phase ``angle(X)`` are used raw (no log), then standardised
per (channel, bin) over the training set (:class:`seld.features.normalize.FeatureNormalizer`). The DCASE2019
baseline kept the same input with librosa's centred STFT (48 kHz, hop 960, periodic Hann window of 1920 in an
``n_fft`` of 2048, bins ``1 ... 1024``, the first ``N // hop`` frames).

Layout quirk. seld-net stores each frame as ``[|X| (bin, channel) ..., angle(X) (bin, channel) ...]`` and its
data generator reshapes that vector to ``[n_bins, 2C]`` before moving the last axis to channels, so network
"channel" ``k`` at row ``f`` holds the value at flat position ``f * 2C + k``: rows of the first half hold
magnitudes of bins ``2f`` and ``2f + 1``, rows of the second half the phases. ``keras_layout=True`` reproduces
that order (needed only to match the original Keras models); the default is the plain
``[|X_0| ... |X_C-1|, angle(X_0) ... angle(X_C-1)]`` over ``[T, bins]``.
"""

from __future__ import annotations

import torch

from seld.errors import ConfigError
from seld.features.spectral import SpectralFrontEnd

__all__ = ["magnitude_phase", "MagPhase"]


def magnitude_phase(spec: torch.Tensor, keras_layout: bool = False) -> torch.Tensor:
    """``[B, 2C, T, F]`` magnitudes then phases of a complex spectrum ``[B, C, T, F]`` (module docstring)."""
    feats = torch.cat([spec.abs(), spec.angle()], dim=1)
    if not keras_layout:
        return feats
    b, c2, t, f = feats.shape
    # [B, 2, C, T, F] -> per frame [2, F, C] flattened (seld-net's file layout) -> read back as [F, 2C].
    flat = feats.reshape(b, 2, c2 // 2, t, f).permute(0, 3, 1, 4, 2).reshape(b, t, f, c2)
    return flat.permute(0, 3, 1, 2).contiguous()


class MagPhase(SpectralFrontEnd):
    """Magnitude + phase spectrogram: ``[B, C, N] -> [B, 2C, T, bin_stop - bin_start]``.

    Defaults are SELDnet's (module docstring): 44.1 kHz, ``n_fft`` 512, hop 256, symmetric Hann window, no
    centring, orthonormal FFT, bins 0-255, 4 channels (use ``in_channels=8`` for the circular array).

    Args:
        bin_start, bin_stop: the kept FFT bins ``[bin_start, bin_stop)``; ``bin_stop=None`` is ``n_fft // 2``.
        normalized: divide the spectrum by ``sqrt(n_fft)`` (numpy ``norm='ortho'``).
        keras_layout: reproduce seld-net's interleaved channel layout (module docstring).
        Other arguments: see :class:`seld.features.spectral.SpectralFrontEnd` (``hop_length=None`` is
        ``n_fft // 2`` here).
    """

    def __init__(
        self,
        sample_rate: int = 44100,
        n_fft: int = 512,
        hop_length: int | None = None,
        win_length: int | None = None,
        window: str = "hann_symmetric",
        center: bool = False,
        pad_mode: str = "reflect",
        normalized: bool = True,
        bin_start: int = 0,
        bin_stop: int | None = None,
        keras_layout: bool = False,
        trim_to_hops: bool = False,
        in_channels: int = 4,
    ):
        hop_length = n_fft // 2 if hop_length is None else hop_length
        super().__init__(sample_rate, n_fft, hop_length, win_length, window, center, pad_mode, normalized,
                         trim_to_hops, in_channels)
        bin_stop = self.n_fft // 2 if bin_stop is None else bin_stop
        if not 0 <= bin_start < bin_stop <= self.n_freqs:
            raise ConfigError(f"need 0 <= bin_start < bin_stop <= {self.n_freqs} (got {bin_start}, {bin_stop})")
        self.bin_start = int(bin_start)
        self.bin_stop = int(bin_stop)
        self.keras_layout = bool(keras_layout)
        self.out_channels = 2 * self.in_channels
        self.n_features = self.bin_stop - self.bin_start

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        return magnitude_phase(spec[..., self.bin_start: self.bin_stop], self.keras_layout)
