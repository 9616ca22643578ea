"""CNN14-Conformer: the six convolution blocks of PANNs CNN14 followed by Conformer blocks (PSELDNets' "CRNN").

PANNs: Kong et al., "PANNs: Large-scale pretrained audio neural networks", TASLP 2020
(https://github.com/qiuqiangkong/audioset_tagging_cnn). PSELDNets (https://github.com/Jinbo-Hu/PSELDNets) keeps
CNN14's widths 64-2048 but pools time only in the first three blocks (time / 8, frequency / 64), averages over
frequency and runs one Conformer block (Gulati et al. 2020) of width 2048 on the 12.5 Hz sequence; the output
is repeated back to the frame rate and averaged to label frames.
"""

from __future__ import annotations

import math
import re

from torch import Tensor, nn

from seld.errors import ConfigError
from seld.models.backbones.base import Backbone
from seld.models.layers import ConformerBlock, ConvBlock
from seld.models.registry import register_model
from seld.models.wrappers import build_model

__all__ = ["CNN14Conformer", "checkpoint_filter_panns", "PSELDNETS_RENAMES", "PSELDNETS_DROP"]


class CNN14Conformer(Backbone):
    """CNN14 convolution blocks and Conformer blocks over ``[B, C, T, F]``; features ``[B, T // 8, 2048]``.

    Args:
        in_chans: input channels.
        n_freq: frequency bins of the input (at least the product of the frequency pools).
        channels: output channels of the convolution blocks.
        pools: (time, frequency) average pooling after each block.
        conformer_layers, num_heads, ff_expansion, kernel_size, dropout: Conformer blocks of width
            ``channels[-1]``.
    """

    first_conv = "blocks.0.conv1.weight"  # inflated from one channel when importing AudioSet weights

    def __init__(self, in_chans: int = 7, n_freq: int = 64,
                 channels: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048),
                 pools: tuple[tuple[int, int], ...] = ((2, 2), (2, 2), (2, 2), (1, 2), (1, 2), (1, 2)),
                 conformer_layers: int = 1, num_heads: int = 8, ff_expansion: int = 4, kernel_size: int = 31,
                 dropout: float = 0.1):
        super().__init__()
        if len(channels) != len(pools) or n_freq < math.prod(p[1] for p in pools):
            raise ConfigError(f"CNN14-Conformer: one pool per block, and n_freq ({n_freq}) at least the product "
                              f"of the frequency pools ({math.prod(p[1] for p in pools)})")
        self.num_features = channels[-1]
        self.num_stages = len(channels)
        self.step_frames = math.prod(p[0] for p in pools)
        self.stitch_points = tuple((i, channels[i - 1]) for i in range(1, len(channels)))
        ins = (in_chans, *channels[:-1])
        self.blocks = nn.ModuleList(ConvBlock(a, b, tuple(p)) for a, b, p in zip(ins, channels, pools))
        self.conformer = nn.ModuleList(ConformerBlock(channels[-1], num_heads, ff_expansion, kernel_size, dropout)
                                       for _ in range(conformer_layers))
        for m in self.blocks.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)

    def forward_stage(self, index: int, h: Tensor) -> Tensor:
        return self.blocks[index](h)

    def forward_neck(self, h: Tensor) -> Tensor:
        x = h.mean(dim=3).transpose(1, 2)  # [B, T', C]
        for block in self.conformer:
            x = block(x)
        return x


# --- weight import ---------------------------------------------------------------------------------------------

def _block(m: re.Match) -> str:
    return f"encoder.blocks.{int(m.group(1)) - 1}."


_SOOFTWARE = r"^decoder\.decoder\.layers\.(\d+)\.sequential\."
#: PSELDNets key renames for CNN14-Conformer models (the sooftware Conformer's nested Sequentials included).
PSELDNETS_RENAMES = (
    (r"^convs\.conv_block(\d+)\.", _block),
    (_SOOFTWARE + r"0\.module\.sequential\.0\.", r"encoder.conformer.\1.ff1.norm."),
    (_SOOFTWARE + r"0\.module\.sequential\.1\.", r"encoder.conformer.\1.ff1.fc1."),
    (_SOOFTWARE + r"0\.module\.sequential\.4\.", r"encoder.conformer.\1.ff1.fc2."),
    (_SOOFTWARE + r"1\.module\.layer_norm\.", r"encoder.conformer.\1.mhsa.norm."),
    (_SOOFTWARE + r"1\.module\.attention\.query_proj\.", r"encoder.conformer.\1.mhsa.q."),
    (_SOOFTWARE + r"1\.module\.attention\.key_proj\.", r"encoder.conformer.\1.mhsa.k."),
    (_SOOFTWARE + r"1\.module\.attention\.value_proj\.", r"encoder.conformer.\1.mhsa.v."),
    (_SOOFTWARE + r"1\.module\.attention\.pos_proj\.", r"encoder.conformer.\1.mhsa.pos."),
    (_SOOFTWARE + r"1\.module\.attention\.out_proj\.", r"encoder.conformer.\1.mhsa.out."),
    (_SOOFTWARE + r"1\.module\.attention\.(u_bias|v_bias)$", r"encoder.conformer.\1.mhsa.\2"),
    (_SOOFTWARE + r"2\.module\.sequential\.0\.", r"encoder.conformer.\1.conv.norm."),
    (_SOOFTWARE + r"2\.module\.sequential\.2\.conv\.", r"encoder.conformer.\1.conv.pw1."),
    (_SOOFTWARE + r"2\.module\.sequential\.4\.conv\.", r"encoder.conformer.\1.conv.dw."),
    (_SOOFTWARE + r"2\.module\.sequential\.5\.", r"encoder.conformer.\1.conv.bn."),
    (_SOOFTWARE + r"2\.module\.sequential\.7\.conv\.", r"encoder.conformer.\1.conv.pw2."),
    (_SOOFTWARE + r"3\.module\.sequential\.0\.", r"encoder.conformer.\1.ff2.norm."),
    (_SOOFTWARE + r"3\.module\.sequential\.1\.", r"encoder.conformer.\1.ff2.fc1."),
    (_SOOFTWARE + r"3\.module\.sequential\.4\.", r"encoder.conformer.\1.ff2.fc2."),
    (_SOOFTWARE + r"4\.", r"encoder.conformer.\1.norm."),
    (r"^fc\.", "head.proj.fc."),
)
#: The sinusoidal table (10000 x 2048, 82 MB) is recomputed for each input length.
PSELDNETS_DROP = (r"\.positional_encoding\.pe$",)


def checkpoint_filter_panns(state: dict[str, Tensor], num_blocks: int) -> tuple[dict, dict, list[str]]:
    """Split a PANNs CNN14 state dict into our convolution blocks (``conv_block<i>`` -> ``blocks.<i-1>``),
    the input BatchNorm ``bn0`` and ignored keys (front end, ``fc1``, ``fc_audioset``, unused blocks)."""
    blocks, bn0, ignored = {}, {}, []
    for key, value in state.items():
        m = re.match(r"conv_block(\d+)\.(.*)$", key)
        if m and int(m.group(1)) <= num_blocks:
            blocks[f"blocks.{int(m.group(1)) - 1}.{m.group(2)}"] = value
        elif key.startswith("bn0."):
            bn0[key[4:]] = value
        else:
            ignored.append(key)
    return blocks, bn0, ignored


# --- variants --------------------------------------------------------------------------------------------------

def _create(arch: dict, kwargs: dict) -> nn.Module:
    return build_model(CNN14Conformer, **{"in_channels": 7, "n_freq": 64, **arch, **kwargs})


@register_model
def cnn14_conformer(**kwargs) -> nn.Module:
    """CNN14-Conformer of PSELDNets (176 M encoder): CNN14 blocks 64-2048 and one 2048-wide Conformer block."""
    return _create(dict(channels=(64, 128, 256, 512, 1024, 2048),
                        pools=((2, 2), (2, 2), (2, 2), (1, 2), (1, 2), (1, 2)), conformer_layers=1, num_heads=8),
                   kwargs)


@register_model
def test_cnn14_conformer(**kwargs) -> nn.Module:
    """Tiny CNN14-Conformer for tests: blocks 8-32 and one 32-wide Conformer block."""
    return _create(dict(channels=(8, 16, 32), pools=((2, 4), (2, 4), (2, 4)), conformer_layers=1, num_heads=4,
                        kernel_size=7), kwargs)
