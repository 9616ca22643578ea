"""The DCASE 2022-2024 Task 3 baseline CRNN, with the multi-head self-attention layers added in 2023.

Official code: https://github.com/sharathadavanne/seld-dcase2023 (``seldnet_model.py``) and
https://github.com/partha2409/DCASE2024_seld_baseline. Three blocks of (3x3 convolution with 64 filters,
BatchNorm, ReLU, max-pooling, dropout), a two-layer bidirectional GRU of 128 units whose tanh-ed directions are
multiplied, two self-attention layers (8 heads, residual connection, LayerNorm), then a linear 128-unit dense
layer and the output layer. The baseline's 20 ms frames are pooled by 5 in time; our 10 ms frames (100 per
second) are pooled by 5 then 2 so that one step is one 100 ms label frame; ``crnn_dcase`` keeps the baseline's
20 ms frames, time pooling (5, 1, 1) and dataset-level (not in-network) feature scaling, so that the baseline's
own weights import unchanged (:func:`seld.models.checkpoints.import_dcase_baseline`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from seld.errors import ConfigError
from seld.models.backbones.base import Backbone
from seld.models.layers import FrameProjection
from seld.models.registry import register_model
from seld.models.wrappers import build_model

__all__ = ["CRNN", "DCASE_BASELINE_RENAMES"]


class CRNN(Backbone):
    """DCASE baseline CRNN over ``[B, C, T, F]``; features ``[B, T // prod(t_pool), rnn_size]``.

    Args:
        in_chans: input channels (7 for FOA log-mel + intensity vectors, 10 for MIC log-mel + GCC-PHAT).
        n_freq: frequency bins of the input.
        conv_filters: filters of every convolution block.
        f_pool, t_pool: max-pooling along frequency and time after each block.
        rnn_size, rnn_layers: bidirectional GRU size and depth.
        mhsa_layers, mhsa_heads: self-attention layers (0 gives the 2022 baseline) and their heads.
        fnn_size: linear dense layers before the output layer.
        dropout: dropout of the convolution blocks, GRU and attention.
    """

    def __init__(self, in_chans: int = 7, n_freq: int = 64, conv_filters: int = 64,
                 f_pool: tuple[int, ...] = (4, 4, 2), t_pool: tuple[int, ...] = (5, 2, 1), rnn_size: int = 128,
                 rnn_layers: int = 2, mhsa_layers: int = 2, mhsa_heads: int = 8, fnn_size: tuple[int, ...] = (128,),
                 dropout: float = 0.05):
        super().__init__()
        if len(f_pool) != len(t_pool) or n_freq < math.prod(f_pool):
            raise ConfigError(f"CRNN: f_pool and t_pool need one entry per block and n_freq ({n_freq}) at least "
                              f"prod(f_pool) ({math.prod(f_pool)})")
        self.num_features = rnn_size
        self.step_frames = math.prod(t_pool)
        self.num_stages = len(f_pool) + 1
        self.stitch_points = tuple((i, conv_filters) for i in range(1, len(f_pool)))
        self.fnn_size = tuple(fnn_size)
        self.convs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(in_chans if i == 0 else conv_filters, conv_filters, 3, padding=1),
                          nn.BatchNorm2d(conv_filters), nn.ReLU(), nn.MaxPool2d((tp, fp)), nn.Dropout2d(dropout))
            for i, (tp, fp) in enumerate(zip(t_pool, f_pool)))
        self.gru = nn.GRU(conv_filters * (n_freq // math.prod(f_pool)), rnn_size, num_layers=rnn_layers,
                          batch_first=True, dropout=dropout if rnn_layers > 1 else 0.0, bidirectional=True)
        self.mhsa = nn.ModuleList(nn.MultiheadAttention(rnn_size, mhsa_heads, dropout=dropout, batch_first=True)
                                  for _ in range(mhsa_layers))
        self.norms = nn.ModuleList(nn.LayerNorm(rnn_size) for _ in range(mhsa_layers))

    def forward_stage(self, index: int, h: Tensor) -> Tensor:
        if index < len(self.convs):
            return self.convs[index](h)
        x, _ = self.gru(h.transpose(1, 2).flatten(2))
        forward, backward = torch.tanh(x).chunk(2, dim=-1)
        x = backward * forward
        for attn, norm in zip(self.mhsa, self.norms):
            x = norm(x + attn(x, x, x, need_weights=False)[0])
        return x

    def make_projection(self, out_dim: int, frames_per_label: int) -> nn.Module:
        return FrameProjection(self.num_features, out_dim, self.step_frames, frames_per_label, hidden=self.fnn_size)


@register_model
def crnn(**kwargs) -> nn.Module:
    """DCASE 2023 baseline CRNN: 3 x 64 conv filters, BiGRU 2 x 128, 2 x MHSA (8 heads), dense 128."""
    cfg = dict(in_channels=7, n_freq=64, conv_filters=64, f_pool=(4, 4, 2), t_pool=(5, 2, 1), rnn_size=128,
               rnn_layers=2, mhsa_layers=2, mhsa_heads=8, fnn_size=(128,), dropout=0.05)
    return build_model(CRNN, **{**cfg, **kwargs})


@register_model
def crnn_dcase(**kwargs) -> nn.Module:
    """DCASE 2023/2024 baseline CRNN at its 20 ms frames: time pooling (5, 1, 1), no input BatchNorm."""
    cfg = dict(in_channels=7, n_freq=64, frames_per_label=5, input_norm=False, conv_filters=64, f_pool=(4, 4, 2),
               t_pool=(5, 1, 1), rnn_size=128, rnn_layers=2, mhsa_layers=2, mhsa_heads=8, fnn_size=(128,),
               dropout=0.05)
    return build_model(CRNN, **{**cfg, **kwargs})


@register_model
def test_crnn(**kwargs) -> nn.Module:
    """Tiny DCASE baseline CRNN for tests: 8 filters, BiGRU 16, one MHSA layer."""
    cfg = dict(in_channels=7, n_freq=64, conv_filters=8, f_pool=(4, 4, 2), t_pool=(5, 2, 1), rnn_size=16,
               rnn_layers=2, mhsa_layers=1, mhsa_heads=2, fnn_size=(16,), dropout=0.05)
    return build_model(CRNN, **{**cfg, **kwargs})


def _conv_block(part: str):
    """Their ``conv_block_list`` interleaves (ConvBlock, MaxPool2d, Dropout2d): block ``i`` is entry ``3 i``."""
    def repl(m) -> str:
        index = int(m[1])
        return f"encoder.convs.{index // 3}.{part}." if index % 3 == 0 else m[0]
    return repl


#: ``seldnet_model.SeldModel`` of the DCASE 2023/2024 baselines -> ours (regex, replacement); the ``fnn_list``
#: entries depend on their count and are renamed by the importer.
DCASE_BASELINE_RENAMES = (
    (r"^conv_block_list\.(\d+)\.conv\.", _conv_block("0")),
    (r"^conv_block_list\.(\d+)\.bn\.", _conv_block("1")),
    (r"^gru\.", "encoder.gru."),
    (r"^mhsa_block_list\.", "encoder.mhsa."),
    (r"^layer_norm_list\.", "encoder.norms."),
)
