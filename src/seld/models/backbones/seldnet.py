"""SELDnet: the convolutional recurrent network of Adavanne et al., "Sound event localization and detection of
overlapping sources using convolutional recurrent neural networks", IEEE JSTSP 2018
(https://github.com/sharathadavanne/seld-net, Keras).

Three layers of 64 3x3 convolutions with BatchNorm, ReLU and max-pooling along frequency only (8, 8, 2), two
bidirectional GRU layers of 128 units whose directions are multiplied ("mul" merge), then, per output branch, a
linear 128-unit dense layer and the output layer. The input is the magnitude and phase spectrogram of every
channel (8 channels for FOA; 256 bins for the seed's 512-point FFT). The seed predicts one output per STFT
frame; here the recurrent features are averaged to 100 ms label frames before the dense layers. The seed's DOA
branch ends in tanh; the ``seddoa`` head of :mod:`seld.models.heads` keeps the DOA regression linear.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from seld.errors import ConfigError
from seld.models.backbones.base import Backbone
from seld.models.layers import FrameProjection
from seld.models.registry import register_model
from seld.models.wrappers import build_model

__all__ = ["SELDnet", "MulMergeGRU"]


class MulMergeGRU(nn.Module):
    """One bidirectional GRU layer whose forward and backward outputs are multiplied (Keras ``merge_mode='mul'``)."""

    def __init__(self, in_dim: int, hidden: int):
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, x: Tensor) -> Tensor:
        y, _ = self.gru(x)
        forward, backward = y.chunk(2, dim=-1)
        return forward * backward


class SELDnet(Backbone):
    """SELDnet CRNN over ``[B, C, T, F]``; features ``[B, T // prod(t_pool), rnn_size[-1]]``.

    Args:
        in_chans: input channels (magnitudes and phases: 8 for FOA).
        n_freq: frequency bins (256 for the seed's 512-point FFT).
        conv_filters: filters of every convolution layer.
        f_pool, t_pool: max-pooling along frequency and time after each convolution layer (the seed pools
            frequency only).
        rnn_size: units of each bidirectional GRU layer.
        fnn_size: linear dense layers of each output branch.
        dropout: dropout after convolutions, GRU layers and dense layers.
    """

    def __init__(self, in_chans: int = 8, n_freq: int = 256, conv_filters: int = 64,
                 f_pool: tuple[int, ...] = (8, 8, 2), t_pool: tuple[int, ...] = (1, 1, 1),
                 rnn_size: tuple[int, ...] = (128, 128), fnn_size: tuple[int, ...] = (128,), dropout: float = 0.0):
        super().__init__()
        if len(f_pool) != len(t_pool) or n_freq < math.prod(f_pool) or not rnn_size:
            raise ConfigError(f"SELDnet: f_pool and t_pool need one entry per convolution layer, n_freq ({n_freq}) "
                              f"at least prod(f_pool) ({math.prod(f_pool)}), and one GRU layer or more")
        self.num_features = rnn_size[-1]
        self.step_frames = math.prod(t_pool)
        self.num_stages = len(f_pool) + 1
        self.stitch_points = tuple((i, conv_filters) for i in range(1, len(f_pool)))
        self.fnn_size = tuple(fnn_size)
        self.dropout = dropout
        layers = []
        for i, (tp, fp) in enumerate(zip(t_pool, f_pool)):
            layers.append(nn.Sequential(
                nn.Conv2d(in_chans if i == 0 else conv_filters, conv_filters, 3, padding=1),
                nn.BatchNorm2d(conv_filters), nn.ReLU(), nn.MaxPool2d((tp, fp)), nn.Dropout(dropout)))
        self.convs = nn.ModuleList(layers)
        dims = (conv_filters * (n_freq // math.prod(f_pool)), *rnn_size)
        self.rnn = nn.ModuleList(MulMergeGRU(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.rnn_drop = nn.Dropout(dropout)

    def forward_stage(self, index: int, h: Tensor) -> Tensor:
        if index < len(self.convs):
            return self.convs[index](h)
        x = h.transpose(1, 2).flatten(2)  # [B, T', C * F']
        for layer in self.rnn:
            x = self.rnn_drop(layer(x))
        return x

    def make_projection(self, out_dim: int, frames_per_label: int) -> nn.Module:
        return FrameProjection(self.num_features, out_dim, self.step_frames, frames_per_label, hidden=self.fnn_size,
                               dropout=self.dropout)


@register_model
def seldnet(**kwargs) -> nn.Module:
    """SELDnet (JSTSP 2018): 3 x 64 conv filters, frequency pools 8-8-2, 2 x BiGRU 128, dense 128."""
    cfg = dict(in_channels=8, n_freq=256, conv_filters=64, f_pool=(8, 8, 2), t_pool=(1, 1, 1), rnn_size=(128, 128),
               fnn_size=(128,), dropout=0.0)
    return build_model(SELDnet, **{**cfg, **kwargs})


@register_model
def test_seldnet(**kwargs) -> nn.Module:
    """Tiny SELDnet for tests: 8 filters, BiGRU 16, dense 16, time pooled by 10."""
    cfg = dict(in_channels=8, n_freq=64, conv_filters=8, f_pool=(4, 4, 2), t_pool=(5, 2, 1), rnn_size=(16, 16),
               fnn_size=(16,), dropout=0.1)
    return build_model(SELDnet, **{**cfg, **kwargs})
