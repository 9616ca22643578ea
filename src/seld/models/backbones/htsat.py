"""HTS-AT: a hierarchical token-semantic audio transformer (Chen et al., ICASSP 2022), as used by PSELDNets.

Paper: https://arxiv.org/abs/2202.00874; SELD use and the published weights: Hu et al., PSELDNets
(arXiv:2411.06399, https://github.com/Jinbo-Hu/PSELDNets). A Swin transformer (Liu et al. 2021) reads the
spectrogram folded into a square image: with 64 mel bins and a 256x256 canvas, the (zero-padded) 1024 frames
are cut into 4 blocks of 256 frames stacked along frequency. The final 8x8 token grid is regrouped into
2 frequency rows x 32 time steps, and the token-semantic head (a (2, 3) convolution) gives 32 time steps that
are linearly upsampled to the frame rate.

Outputs equal PSELDNets' for the same weights (checked to 3e-6 on 10 s and, packed, 5 s inputs). Two PSELDNets
quirks are not kept: it caches the number of output frames at the first call (so the input length can never
change), and its ACCDOA/mACCDOA models crash on 5 s inputs; here every call derives the frames from its input
(see :mod:`seld.models.wrappers` for short and long inputs).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seld.errors import ConfigError
from seld.models.backbones.base import Backbone
from seld.models.layers import Attention, DropPath, Linear, Mlp, PatchEmbed, to_label_rate, trunc_normal_init
from seld.models.registry import register_model
from seld.models.wrappers import build_model

__all__ = ["HTSAT", "TscamProjection", "window_partition", "window_reverse", "window_order", "fold_time",
           "checkpoint_filter_audioset", "PSELDNETS_RENAMES", "PSELDNETS_DROP"]


def window_partition(x: Tensor, window: int) -> Tensor:
    """``[B, H, W, C]`` -> ``[B, windows, window*window, C]`` (windows in row-major order)."""
    b, h, w, c = x.shape
    x = x.view(b, h // window, window, w // window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // window) * (w // window), window * window, c)


def window_reverse(windows: Tensor, window: int, h: int, w: int) -> Tensor:
    """Inverse of :func:`window_partition`."""
    b, c = windows.shape[0], windows.shape[-1]
    x = windows.view(b, h // window, w // window, window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def fold_time(x: Tensor, spec_size: int, freq_ratio: int) -> Tensor:
    """Zero-pad ``[B, C, T, F]`` to ``spec_size * freq_ratio`` frames and stack ``freq_ratio`` time blocks
    along frequency: ``[B, C, freq_ratio * F, spec_size]``, row = block * F + bin."""
    b, c, t, f = x.shape
    x = F.pad(x, (0, 0, 0, spec_size * freq_ratio - t))
    x = x.transpose(2, 3).reshape(b, c, f, freq_ratio, spec_size).transpose(2, 3)
    return x.reshape(b, c, freq_ratio * f, spec_size)


def _relative_position_index(window: int) -> Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
    return rel[..., 0] * (2 * window - 1) + rel[..., 1]


def window_order(size: int, window: int, shift: int) -> Tensor:
    """Token indices that list a ``size x size`` grid (row-major tokens), cyclically shifted by ``-shift`` along
    both axes, window after window: ``x[:, order]`` equals ``window_partition(roll(x, -shift))`` flattened."""
    grid = torch.arange(size * size, device="cpu").view(1, size, size, 1)
    if shift:
        grid = torch.roll(grid, shifts=(-shift, -shift), dims=(1, 2))
    return window_partition(grid, window).flatten()


def _shift_mask(size: int, window: int, shift: int) -> Tensor:
    """Attention mask (0 / -1e4) keeping shifted windows from mixing regions that were not adjacent.

    Swin and PSELDNets use -100, whose softmax weights (about e^-100) are float32 denormals: the CPU then takes
    its slow path in the softmax and in the product with the values (full-size HTS-AT spent 30 % of its forward
    there). At -1e4 the weights are exact zeros; outputs differ by about e^-100 relative, far below any tolerance,
    and the value stays finite in half precision."""
    regions = torch.zeros(1, size, size, 1)
    cuts = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    label = 0
    for hs in cuts:
        for ws in cuts:
            regions[:, hs, ws, :] = label
            label += 1
    win = window_partition(regions, window)[0, :, :, 0]  # [windows, N]
    diff = win[:, None, :] - win[:, :, None]
    return diff.masked_fill(diff != 0, -1e4).masked_fill(diff == 0, 0.0)


class WindowAttention(Attention):
    """Swin window attention with a learned relative-position bias per head.

    Scores, bias and softmax are computed explicitly, not by ``scaled_dot_product_attention``: on windows of 64
    tokens its CPU kernel is slower, and it needs the shifted-window mask copied for every item of the batch,
    where an in-place broadcast add needs none (full-size HTS-AT, batch 4 x 10 s, 2 threads: 0.421 s against
    0.444 s per forward, medians of 12 alternating runs).
    """

    def __init__(self, dim: int, window: int, num_heads: int, qkv_bias: bool = True, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(dim, num_heads, qkv_bias, attn_drop, proj_drop)
        self.window = window
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer("relative_position_index", _relative_position_index(window), persistent=False)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x``: ``[B, windows, N, C]``; ``mask``: ``[windows, N, N]`` or None."""
        n = self.window * self.window
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(n, n, -1).permute(2, 0, 1)  # [heads, N, N]
        if mask is not None:
            bias = bias + mask[:, None]  # [windows, heads, N, N]
        return super().forward(x, bias)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None, lead: list[int]) -> Tensor:
        n = q.shape[2]
        scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
        if bias is not None:
            scores.view(*lead, self.num_heads, n, n).add_(bias.to(q.dtype))
        probs = scores.softmax(dim=-1)
        if self.training and self.attn_drop:
            probs = F.dropout(probs, self.attn_drop)
        return probs @ v


class SwinBlock(nn.Module):
    """(Shifted-)window attention and MLP, each pre-normalised with a residual connection.

    The cyclic shift and the window partition are one gather of the tokens (``window_order``), and its inverse
    puts the attention output back: two copies instead of Swin's four (roll, partition, reverse, roll back).
    """

    def __init__(self, dim: int, resolution: int, num_heads: int, window: int, shift: int, mlp_ratio: float,
                 qkv_bias: bool, drop: float, attn_drop: float, drop_path: float):
        super().__init__()
        if resolution <= window:  # the window covers the whole map: no partition, no shift
            window, shift = resolution, 0
        self.resolution = resolution
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)
        mask = _shift_mask(resolution, window, shift) if shift else None
        self.register_buffer("attn_mask", mask, persistent=False)
        # Token order into windows and its inverse; None when one unshifted window covers the map (already in
        # order). Non-persistent buffers: they follow the module to its device (a copy made lazily at the first
        # call would be an inference tensor when that call runs under torch.inference_mode, and training after it
        # would fail), and state dicts keep PSELDNets' key layout.
        needs_order = window < resolution or shift
        order = window_order(resolution, window, shift) if needs_order else None
        self.register_buffer("token_order", order, persistent=False)
        self.register_buffer("token_inverse", None if order is None else torch.argsort(order), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        h = x if self.token_order is None else x.index_select(1, self.token_order)
        h = self.attn(self.norm1(h).view(b, -1, self.window * self.window, c), self.attn_mask)
        h = h.view(b, n, c)
        if self.token_inverse is not None:
            h = h.index_select(1, self.token_inverse)
        x = x + self.drop_path(h)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """Halve the token grid: concatenate each 2x2 neighbourhood (4C), normalise, project to 2C."""

    def __init__(self, dim: int, resolution: int):
        super().__init__()
        self.resolution = resolution
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        b, _, c = x.shape
        x = x.view(b, self.resolution, self.resolution, c)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x.view(b, -1, 4 * c)))


class SwinStage(nn.Module):
    """Swin blocks at one resolution, alternating plain and shifted windows, then optional patch merging."""

    def __init__(self, dim: int, resolution: int, depth: int, num_heads: int, window: int, mlp_ratio: float,
                 qkv_bias: bool, drop: float, attn_drop: float, drop_path: list[float], downsample: bool):
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinBlock(dim, resolution, num_heads, window, 0 if i % 2 == 0 else window // 2, mlp_ratio, qkv_bias,
                      drop, attn_drop, drop_path[i])
            for i in range(depth))
        self.downsample = PatchMerging(dim, resolution) if downsample else None

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x if self.downsample is None else self.downsample(x)


class TscamProjection(nn.Module):
    """Token-semantic head: a (freq rows, 3) convolution over the regrouped map, then linear upsampling of
    its time steps to the frame rate and averaging to label frames."""

    def __init__(self, num_features: int, out_dim: int, freq_rows: int, step_frames: int, frames_per_label: int):
        super().__init__()
        self.conv = nn.Conv2d(num_features, out_dim, kernel_size=(freq_rows, 3), padding=(0, 1))
        self.step_frames = step_frames
        self.frames_per_label = frames_per_label

    def forward(self, x: Tensor, n_out: int) -> Tensor:
        y = self.conv(x).flatten(2).transpose(1, 2)  # [B, steps, out]
        return to_label_rate(y, self.step_frames, n_out, self.frames_per_label, mode="linear")


class HTSAT(Backbone):
    """HTS-AT encoder over ``[B, C, T, F]`` features; features ``[B, D, freq rows, time steps]``.

    Args:
        in_chans: input channels (7 for log-mel + intensity vectors).
        n_freq: frequency bins of the input; ``spec_size`` must be a multiple of it.
        spec_size: side of the square canvas; the longest input is ``spec_size * spec_size / n_freq`` frames.
        patch_size, patch_stride: patch embedding kernel and stride (square).
        embed_dim: token width of the first stage (doubles at every stage).
        depths, num_heads: blocks and attention heads per stage.
        window_size: attention window side in tokens.
        mlp_ratio, qkv_bias: transformer block options.
        drop_rate, attn_drop_rate, drop_path_rate: dropout, attention dropout and stochastic depth (linear).
    """

    first_conv = "patch_embed.proj.weight"  # inflated from one channel when importing AudioSet weights

    def __init__(self, in_chans: int = 7, n_freq: int = 64, spec_size: int = 256, patch_size: int = 4,
                 patch_stride: int = 4, embed_dim: int = 96, depths: tuple[int, ...] = (2, 2, 6, 2),
                 num_heads: tuple[int, ...] = (4, 8, 16, 32), window_size: int = 8, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.1):
        super().__init__()
        stages = len(depths)
        grid = spec_size // patch_stride
        if spec_size % n_freq or len(num_heads) != stages or grid % 2 ** (stages - 1):
            raise ConfigError(f"HTS-AT geometry: spec_size {spec_size} must be a multiple of n_freq {n_freq}, "
                              f"spec_size/patch_stride divisible by 2^(stages-1), one head count per stage")
        self.freq_ratio = spec_size // n_freq
        final = grid // 2 ** (stages - 1)
        if final % self.freq_ratio:
            raise ConfigError(f"HTS-AT geometry: the final {final}x{final} grid cannot be regrouped into "
                              f"{self.freq_ratio} time blocks")
        self.spec_size = spec_size
        self.final_grid = final
        self.freq_rows = final // self.freq_ratio
        self.num_features = embed_dim * 2 ** (stages - 1)
        self.num_stages = stages
        self.step_frames = patch_stride * 2 ** (stages - 1)
        self.max_frames = spec_size * self.freq_ratio
        self.stitch_points = tuple((i, embed_dim * 2 ** i) for i in range(stages))

        self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_size, patch_stride, norm=True)
        self.pos_drop = nn.Dropout(drop_rate)
        total = sum(depths)
        rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        self.layers = nn.ModuleList(
            SwinStage(embed_dim * 2 ** i, grid // 2 ** i, depths[i], num_heads[i], window_size, mlp_ratio, qkv_bias,
                      drop_rate, attn_drop_rate, rates[sum(depths[:i]):sum(depths[:i + 1])], i < stages - 1)
            for i in range(stages))
        self.norm = nn.LayerNorm(self.num_features)

    def forward_stem(self, x: Tensor) -> Tensor:
        return self.pos_drop(self.patch_embed(fold_time(x, self.spec_size, self.freq_ratio)))

    def forward_stage(self, index: int, h: Tensor) -> Tensor:
        return self.layers[index](h)

    def forward_neck(self, h: Tensor) -> Tensor:
        b, _, c = h.shape
        g, r = self.final_grid, self.freq_ratio
        x = self.norm(h).transpose(1, 2).reshape(b, c, r, g // r, g)  # rows = time block x freq row
        return x.transpose(2, 3).reshape(b, c, g // r, r * g)

    def make_projection(self, out_dim: int, frames_per_label: int) -> nn.Module:
        return TscamProjection(self.num_features, out_dim, self.freq_rows, self.step_frames, frames_per_label)


def _init_htsat(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, HTSAT):
            trunc_normal_init(module)


# --- weight import ---------------------------------------------------------------------------------------------

#: PSELDNets key renames (regex, replacement) for HTS-AT models, applied after the ``net.`` prefixes are gone.
PSELDNETS_RENAMES = (
    (r"^sed_encoder\.", "encoder.sed."),
    (r"^doa_encoder\.", "encoder.doa."),
    (r"^stitch1\.", "encoder.stitch."),
    (r"^tscam_conv\.", "head.proj.conv."),
    (r"^sed_tscam_conv\.", "head.sed.conv."),
    (r"^doa_tscam_conv\.", "head.doa.conv."),
)
#: Buffers that PSELDNets saves but we recompute (same values for the same geometry).
PSELDNETS_DROP = (r"\.relative_position_index$", r"\.attn_mask$")


def checkpoint_filter_audioset(state: dict[str, Tensor]) -> tuple[dict[str, Tensor], dict[str, Tensor], list[str]]:
    """Split an AudioSet HTS-AT state dict (prefix ``sed_model.`` already removed) into encoder weights, the
    input BatchNorm ``bn0`` and the ignored keys (front end, AudioSet head, recomputed buffers)."""
    encoder, bn0, ignored = {}, {}, []
    for key, value in state.items():
        if key.startswith("bn0."):
            bn0[key[4:]] = value
        elif key.startswith(("patch_embed.", "layers.", "norm.")) and not key.endswith(
                ("relative_position_index", "attn_mask")):
            encoder[key] = value
        else:
            ignored.append(key)
    return encoder, bn0, ignored


# --- variants --------------------------------------------------------------------------------------------------

def _create_htsat(arch: dict, kwargs: dict) -> nn.Module:
    cfg = {"in_channels": 7, "n_freq": 64, **arch, **kwargs}
    model = build_model(HTSAT, **cfg)
    _init_htsat(model)
    return model


@register_model
def htsat(**kwargs) -> nn.Module:
    """HTS-AT of PSELDNets (27.5 M encoder): 256x256 canvas (10.24 s), dims 96-768, depths 2-2-6-2."""
    return _create_htsat(dict(spec_size=256, patch_size=4, patch_stride=4, embed_dim=96, depths=(2, 2, 6, 2),
                              num_heads=(4, 8, 16, 32), window_size=8, drop_path_rate=0.1), kwargs)


@register_model
def test_htsat(**kwargs) -> nn.Module:
    """Tiny HTS-AT for tests: 128x128 canvas (2.56 s at 64 bins), dims 16-32."""
    return _create_htsat(dict(spec_size=128, patch_size=4, patch_stride=4, embed_dim=16, depths=(2, 2),
                              num_heads=(2, 4), window_size=8, drop_path_rate=0.1), kwargs)
