"""PaSST: patchout spectrogram transformer (Koutini et al., Interspeech 2022), as used by PSELDNets.

Paper: https://arxiv.org/abs/2110.05069; SELD use and weights: PSELDNets (https://github.com/Jinbo-Hu/PSELDNets),
which takes the 7-block distilled "PaSST-L" with 16x16 patches at stride 10. PSELDNets pads the patch
embedding by 3 on each side, so 64 mel bins give 6 frequency patches and T frames give T // 10 time patches:
one token column per 100 ms label frame. Separate frequency and time positional embeddings are added, the
class and distillation tokens are prepended, and the token grid is averaged over frequency at the end.

Inputs shorter than the time embedding use its first columns. (PSELDNets draws a random offset into it for
short training inputs; its recipes train on 10 s chunks, where the offset is always 0.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seld.errors import ConfigError
from seld.models.backbones.base import Backbone
from seld.models.layers import Attention, DropPath, Mlp, PatchEmbed, trunc_normal_init
from seld.models.registry import register_model
from seld.models.wrappers import build_model

__all__ = ["PaSST", "Block", "adapt_pos_embed", "checkpoint_filter_audioset", "PSELDNETS_RENAMES",
           "PSELDNETS_DROP"]


class Block(nn.Module):
    """Pre-norm ViT block: attention and MLP with residual connections and stochastic depth."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, qkv_bias: bool, drop: float, attn_drop: float,
                 drop_path: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PaSST(Backbone):
    """PaSST encoder over ``[B, C, T, F]`` features; features ``[B, T // patch_stride, D]``.

    Args:
        in_chans: input channels.
        n_freq: frequency bins of the input.
        patch_size, patch_stride: square patches and their stride (padding ``(patch - stride) // 2``).
        embed_dim, depth, num_heads, mlp_ratio, qkv_bias: transformer size.
        time_patches: length of the time positional embedding, i.e. the longest input in patches
            (100 = 10 s); shorter inputs use its first columns.
        distilled: prepend a distillation token besides the class token (PaSST-L is distilled).
        stitch_every: in the two-branch (EINV2) model, a cross-stitch unit before every ``stitch_every``-th block.
        drop_rate, attn_drop_rate, drop_path_rate: dropout, attention dropout, stochastic depth (linear).
    """

    first_conv = "patch_embed.proj.weight"  # inflated from one channel when importing AudioSet weights

    def __init__(self, in_chans: int = 7, n_freq: int = 64, patch_size: int = 16, patch_stride: int = 10,
                 embed_dim: int = 768, depth: int = 7, num_heads: int = 12, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, time_patches: int = 100, distilled: bool = True, stitch_every: int = 2,
                 drop_rate: float = 0.0, attn_drop_rate: float = 0.0, drop_path_rate: float = 0.0):
        super().__init__()
        pad = (patch_size - patch_stride) // 2
        self.freq_patches = (n_freq + 2 * pad - patch_size) // patch_stride + 1
        if self.freq_patches < 1 or stitch_every < 1:
            raise ConfigError(f"PaSST: {n_freq} frequency bins give no {patch_size}-bin patch "
                              f"(or stitch_every < 1)")
        self.num_features = embed_dim
        self.num_tokens = 2 if distilled else 1
        self.num_stages = depth
        self.step_frames = patch_stride
        self.max_frames = (time_patches - 1) * patch_stride + patch_size - 2 * pad + patch_stride - 1
        self.stitch_points = tuple((i, embed_dim) for i in range(0, depth, stitch_every))

        self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_size, patch_stride, flatten=False)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if distilled else None
        self.new_pos_embed = nn.Parameter(torch.zeros(1, self.num_tokens, embed_dim))
        self.freq_new_pos_embed = nn.Parameter(torch.zeros(1, embed_dim, self.freq_patches, 1))
        self.time_new_pos_embed = nn.Parameter(torch.zeros(1, embed_dim, 1, time_patches))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList(Block(embed_dim, num_heads, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate, r)
                                    for r in rates)
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.out_norm = nn.LayerNorm(embed_dim)
        trunc_normal_init(self)
        for p in (self.cls_token, self.dist_token, self.new_pos_embed, self.freq_new_pos_embed,
                  self.time_new_pos_embed):
            if p is not None:
                nn.init.trunc_normal_(p, std=0.02)

    def forward_stem(self, x: Tensor) -> Tensor:
        x = self.patch_embed(x.transpose(2, 3))  # [B, D, F', T']
        x = x + self.time_new_pos_embed[..., : x.shape[-1]] + self.freq_new_pos_embed
        x = x.flatten(2).transpose(1, 2)
        tokens = [self.cls_token + self.new_pos_embed[:, :1]]
        if self.dist_token is not None:
            tokens.append(self.dist_token + self.new_pos_embed[:, 1:])
        tokens = torch.cat(tokens, dim=1).expand(x.shape[0], -1, -1)
        return self.pos_drop(torch.cat([tokens, x], dim=1))

    def forward_stage(self, index: int, h: Tensor) -> Tensor:
        return self.blocks[index](h)

    def forward_neck(self, h: Tensor) -> Tensor:
        x = self.norm(h)[:, self.num_tokens:]
        b, n, d = x.shape
        x = x.transpose(1, 2).reshape(b, d, self.freq_patches, n // self.freq_patches).mean(2)
        return self.out_norm(x.transpose(1, 2))


# --- weight import ---------------------------------------------------------------------------------------------

#: PSELDNets key renames for PaSST models (the final LayerNorm ``head.0`` becomes ``out_norm``).
PSELDNETS_RENAMES = (
    (r"^encoder\.head\.0\.", "encoder.out_norm."),
    (r"^fc\.", "head.proj.fc."),
)
PSELDNETS_DROP = ()


def adapt_pos_embed(pos: Tensor, length: int, dim: int) -> Tensor:
    """Fit a positional embedding to ``length`` along ``dim`` (2: frequency, 3: time) as PSELDNets does:
    centre crop when it is at least as long, bilinear interpolation otherwise."""
    have = pos.shape[dim]
    if have >= length:
        start = (have - length) // 2
        return pos.narrow(dim, start, length).clone()
    size = (length, 1) if dim == 2 else (1, length)
    return F.interpolate(pos, size=size, mode="bilinear")


def checkpoint_filter_audioset(state: dict[str, Tensor], model: PaSST) -> tuple[dict[str, Tensor], list[str]]:
    """Map an AudioSet PaSST state dict onto ``model``'s keys: positional embeddings fitted to the model's
    grid, the head LayerNorm ``head.0`` kept as ``out_norm``; the classifiers and blocks beyond the model's
    depth are returned as ignored keys. The first convolution is left for the caller to inflate."""
    out, ignored = {}, []
    depth = len(model.blocks)
    for key, value in state.items():
        if key == "time_new_pos_embed":
            out[key] = adapt_pos_embed(value, model.time_new_pos_embed.shape[3], 3)
        elif key == "freq_new_pos_embed":
            out[key] = adapt_pos_embed(value, model.freq_new_pos_embed.shape[2], 2)
        elif key.startswith("head.0."):
            out["out_norm." + key[len("head.0."):]] = value
        elif key.startswith("blocks.") and int(key.split(".")[1]) >= depth:
            ignored.append(key)
        elif key.startswith(("patch_embed.", "cls_token", "dist_token", "new_pos_embed", "blocks.", "norm.")):
            out[key] = value
        else:
            ignored.append(key)
    return out, ignored


# --- variants --------------------------------------------------------------------------------------------------

def _create_passt(arch: dict, kwargs: dict) -> nn.Module:
    return build_model(PaSST, **{"in_channels": 7, "n_freq": 64, **arch, **kwargs})


@register_model
def passt(**kwargs) -> nn.Module:
    """PaSST-L of PSELDNets (51.1 M encoder): 7 blocks of width 768, 16x16 patches at stride 10, up to 10 s."""
    return _create_passt(dict(patch_size=16, patch_stride=10, embed_dim=768, depth=7, num_heads=12,
                              time_patches=100), kwargs)


@register_model
def test_passt(**kwargs) -> nn.Module:
    """Tiny PaSST for tests: 2 blocks of width 32, up to 3 s."""
    return _create_passt(dict(patch_size=16, patch_stride=10, embed_dim=32, depth=2, num_heads=2, time_patches=30),
                         kwargs)
