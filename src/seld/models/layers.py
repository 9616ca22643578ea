"""Layers shared by the backbones: MLP, attention, stochastic depth, the per-channel input normalisation,
cross-stitch units, the CNN14 convolution block, the Conformer block, and the projection to the label rate.

Names of sub-modules follow the published models (``qkv``, ``proj``, ``fc1``, ``fc2``, ``conv1``, ``bn1``...)
so that their checkpoints map onto ours with few renames. ``Mlp`` and ``Attention`` have an empty ``adapter``
slot that :mod:`seld.models.adapters` fills for AdapterBit.

Inference speed (CPU, float32): when no gradient is needed, :func:`linear` runs on oneDNN's matrix product
(``mkldnn::_linear_pointwise``, the kernel ``torch.compile`` uses for frozen linear layers) with the GELU fused,
instead of MKL's, which on AMD processors is about 1.5x slower. A layer's weight is kept in oneDNN's blocked
layout between calls (5-8 % faster than re-laying it out on every call; it costs a second copy of the weights
and is rebuilt when they change). Training, other devices and dtypes, tracing, compiling and ONNX export use
``F.linear``. Attention goes through ``scaled_dot_product_attention`` on 4-D
tensors (its fused CPU kernel); batch normalisation in eval mode is one multiply-add. Results equal the plain
operations to float32 rounding (checked against PSELDNets' original outputs to 1e-5).
"""

from __future__ import annotations

import math
import weakref

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "linear",
    "Linear",
    "DropPath",
    "PatchEmbed",
    "Mlp",
    "Attention",
    "ChannelBatchNorm",
    "CrossStitch",
    "ConvBlock",
    "ConformerBlock",
    "FrameProjection",
    "to_label_rate",
    "fit_length",
    "sinusoidal_positions",
    "trunc_normal_init",
]


def _onednn_linear_works() -> bool:
    try:
        x = torch.ones(2, 3)
        w = torch.ones(4, 3)
        y = [torch.ops.mkldnn._linear_pointwise(x, weight, torch.zeros(4), "none", [], "")
             for weight in (w, torch.ops.mkldnn._reorder_linear_weight(w))]
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return all(torch.equal(t, torch.full((2, 4), 3.0)) for t in y)


_ONEDNN_LINEAR = torch.backends.mkldnn.is_available() and _onednn_linear_works()


def _plain_kernels() -> bool:
    """True while tracing, compiling or exporting (ONNX, torch.export): graphs see only standard operators."""
    return (torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling()
            or torch.onnx.is_in_onnx_export())


def _fast_cpu(x: Tensor, *params: Tensor | None) -> bool:
    """Whether the inference kernels apply: float32 on CPU, no gradient needed, not tracing/compiling/exporting."""
    return (x.device.type == "cpu" and x.dtype == torch.float32
            and not (torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, *params)))
            and not _plain_kernels())


#: activation -> (oneDNN post-op, its algorithm)
_ACTIVATIONS = {"none": ("none", ""), "gelu": ("gelu", "none"), "silu": ("swish", "")}


#: module -> (weight version key, its weight in oneDNN's layout); outside the modules, so that copying or
#: pickling a module never meets an opaque oneDNN tensor
_PACKED: weakref.WeakKeyDictionary[nn.Module, tuple[tuple, Tensor]] = weakref.WeakKeyDictionary()


def _weight_key(weight: Tensor) -> tuple:
    """What identifies a weight's current values, for caches of forms derived from it: loading a checkpoint or
    an in-place update bumps the version, a new tensor moves the address."""
    return weight._version, weight.data_ptr(), weight.device, weight.shape


def _packed(owner: nn.Module, weight: Tensor) -> Tensor:
    key = _weight_key(weight)
    cached = _PACKED.get(owner)
    if cached is None or cached[0] != key:
        cached = _PACKED[owner] = (key, torch.ops.mkldnn._reorder_linear_weight(weight.detach()))
    return cached[1]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None, act: str = "none",
           owner: nn.Module | None = None) -> Tensor:
    """``act(F.linear(x, weight, bias))`` with ``act`` ``"none"``, ``"gelu"`` (exact, erf) or ``"silu"``.

    On CPU in float32 without autograd it runs as one oneDNN call (activation fused), with the weight laid out
    for oneDNN once per ``owner`` (the module holding it) and kept until it changes; otherwise plain PyTorch.
    """
    if act not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; choose one of {', '.join(_ACTIVATIONS)}")
    if _ONEDNN_LINEAR and weight.dtype == torch.float32 and _fast_cpu(x, weight, bias):
        name, algorithm = _ACTIVATIONS[act]
        if owner is not None:
            weight = _packed(owner, weight)
        return torch.ops.mkldnn._linear_pointwise(x, weight, bias, name, [], algorithm)
    y = F.linear(x, weight, bias)
    return y if act == "none" else F.gelu(y) if act == "gelu" else F.silu(y)


class Linear(nn.Linear):
    """``nn.Linear`` (same parameters and state-dict keys) computed by :func:`linear`."""

    def forward(self, x: Tensor, act: str = "none") -> Tensor:
        return linear(x, self.weight, self.bias, act, owner=self)


def trunc_normal_init(module: nn.Module, std: float = 0.02) -> None:
    """ViT/Swin initialisation: truncated-normal Linear weights, zero biases, unit LayerNorms."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class DropPath(nn.Module):
    """Stochastic depth: drops the whole residual branch of a sample with probability ``p`` in training."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = torch.empty((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class PatchEmbed(nn.Module):
    """Patch embedding of Swin / ViT: a strided convolution, optionally flattened to tokens and normalised."""

    def __init__(self, in_chans: int, dim: int, patch_size: int, stride: int, norm: bool = False,
                 flatten: bool = True):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch_size, stride=stride, padding=(patch_size - stride) // 2)
        self.norm = nn.LayerNorm(dim) if norm else nn.Identity()
        self.flatten = flatten

    def forward(self, x: Tensor) -> Tensor:
        x = self.proj(x)
        if self.flatten:
            x = self.norm(x.flatten(2).transpose(1, 2))
        return x


class Mlp(nn.Module):
    """Transformer feed-forward block ``fc2(act(fc1(x)))``; an AdapterBit adapter runs in parallel when set."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0):
        super().__init__()
        self.fc1 = Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = Linear(hidden, dim)
        self.drop = nn.Dropout(drop)
        self.adapter: nn.Module | None = None

    def forward(self, x: Tensor) -> Tensor:
        if type(self.fc1) is Linear and type(self.act) is nn.GELU and self.act.approximate == "none":
            h = self.fc1(x, "gelu")
        else:  # a LoRA layer or another activation
            h = self.act(self.fc1(x))
        out = self.fc2(self.drop(h))
        if self.adapter is not None:
            out = out + self.adapter(x)
        return self.drop(out)


class Attention(nn.Module):
    """Multi-head self-attention over tokens ``[..., N, dim]`` with an optional additive bias/mask.

    ``bias`` is broadcast against the scores ``[..., heads, N, N]`` (Swin passes its relative-position bias and
    shifted-window mask). The leading dimensions are flattened into one batch dimension, so that
    ``scaled_dot_product_attention`` runs its fused kernel. An AdapterBit adapter, when set, is applied
    sequentially after the output projection.
    """

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.qkv = Linear(dim, 3 * dim, bias=qkv_bias)
        self.attn_drop = float(attn_drop)
        self.proj = Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.adapter: nn.Module | None = None

    def forward(self, x: Tensor, bias: Tensor | None = None) -> Tensor:
        *lead, n, dim = x.shape
        heads = self.num_heads
        qkv = self.qkv(x.reshape(-1, n, dim)).view(-1, n, 3, heads, dim // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [batch, heads, N, head_dim]
        out = self.attend(q, k, v, bias, lead).transpose(1, 2)
        if _plain_kernels():  # exporters decompose the attention into one with other strides: copy explicitly
            out = out.clone(memory_format=torch.contiguous_format)
        out = self.proj(out.reshape(*lead, n, dim))
        if self.adapter is not None:
            out = out + self.adapter(out)
        return self.proj_drop(out)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None, lead: list[int]) -> Tensor:
        """Attention ``[batch, heads, N, head_dim]`` of ``q, k, v`` (batch = the flattened ``lead``), ``bias``
        broadcast against the scores ``[*lead, heads, N, N]``."""
        n = q.shape[2]
        if bias is not None:  # a view when the leading dimensions are broadcast, else one copy
            bias = bias.to(q.dtype).expand(*lead, self.num_heads, n, n).reshape(-1, self.num_heads, n, n)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias,
                                              dropout_p=self.attn_drop if self.training else 0.0)


class ChannelBatchNorm(nn.ModuleList):
    """Input normalisation of PSELDNets ("scalar"): one BatchNorm over frequency bins per input channel.

    It stands in for a dataset-level scaler: ``[B, C, T, F]`` features are normalised per (channel, bin) with
    statistics over batch and time. A ModuleList, so the state-dict keys are ``<c>.weight`` as in PSELDNets.
    """

    def __init__(self, channels: int, n_freq: int):
        super().__init__(nn.BatchNorm2d(n_freq) for _ in range(channels))

    def forward(self, x: Tensor) -> Tensor:
        if all(not bn.training and bn.running_var is not None and bn.affine for bn in self):
            # running statistics: one multiply-add, as BatchNorm computes it (x * w / std + (b - mean * w / std))
            var = torch.stack([bn.running_var for bn in self])
            scale = torch.stack([bn.weight for bn in self]) * torch.rsqrt(var + self[0].eps)
            shift = torch.stack([bn.bias for bn in self]) - torch.stack([bn.running_mean for bn in self]) * scale
            return torch.addcmul(shift[:, None], x, scale[:, None])
        out = [bn(x[:, c].transpose(1, 2).unsqueeze(-1)).squeeze(-1).transpose(1, 2) for c, bn in enumerate(self)]
        return torch.stack(out, dim=1)


class CrossStitch(nn.Module):
    """Cross-stitch unit (Misra et al. 2016) mixing the SED and DOA branches channel by channel.

    Reproduces PSELDNets exactly, including that the DOA update uses the already-updated SED features:
    ``x' = w00 x + w01 y``, ``y' = w10 x' + w11 y``. Tokens ``[B, N, C]`` carry channels last; feature maps
    ``[B, C, T, F]`` carry them in dimension 1.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels, 2, 2).uniform_(0.1, 0.9))

    def forward(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        w = self.weight if x.ndim == 3 else self.weight[:, None, None]
        x = w[..., 0, 0] * x + w[..., 0, 1] * y
        y = w[..., 1, 0] * x + w[..., 1, 1] * y
        return x, y


#: Winograd F(2x2, 3x3) kernel transform G (Lavin and Gray, "Fast algorithms for convolutional neural networks", 2016)
_WINOGRAD_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def _winograd_weight(weight: Tensor) -> Tensor:
    """A 3x3 kernel ``[out, in, 3, 3]`` in the Winograd domain: ``G w G^T`` per (out, in), as ``[16, in, out]``."""
    g = torch.tensor(_WINOGRAD_G, dtype=weight.dtype, device=weight.device)
    out, cin = weight.shape[:2]
    u = weight.new_empty(16, cin, out)
    for o in range(0, out, 256):  # 256 output channels at a time: no temporaries the size of the whole kernel
        u[:, :, o:o + 256] = torch.einsum("ax,oixy,by->abio", g, weight[o:o + 256], g).reshape(16, cin, -1)
    return u


def _winograd_inputs(d0: Tensor, d1: Tensor, d2: Tensor, d3: Tensor, out: Tensor | None = None) -> list[Tensor]:
    """``B^T d`` along one axis of 4-point tiles given as their 4 rows (written into ``out[0..3]`` if given)."""
    pairs = ((d0, d2, torch.sub), (d1, d2, torch.add), (d2, d1, torch.sub), (d1, d3, torch.sub))
    if out is None:
        return [op(a, b) for a, b, op in pairs]
    return [op(a, b, out=o) for (a, b, op), o in zip(pairs, out)]


def _winograd_conv(x: Tensor, u: Tensor) -> Tensor:
    """The 3x3 convolution (padding 1, no bias) of ``x [B, in, T, F]`` with :func:`_winograd_weight`'s ``u``, as
    ``[B, 2*ceil(T/2), 2*ceil(F/2), out]`` (channels last, padded to whole 2x2 tiles). 16 matrix products on 4x4 input
    tiles with stride 2 replace the 36 per 2x2 outputs of the direct convolution (2.25x fewer multiplications); the
    transforms only add and subtract, and the error stays at float32 rounding of the direct sum."""
    b, c, h, w = x.shape
    th, tw = (h + 1) // 2, (w + 1) // 2
    xp = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 2 * tw + 1 - w, 1, 2 * th + 1 - h))  # [B, 2th+2, 2tw+2, in]
    rows = _winograd_inputs(*(xp[:, i: i + 2 * th: 2] for i in range(4)))  # 4 x [B, th, 2tw+2, in]
    v = x.new_empty(4, 4, b, th, tw, c)
    for a, r in enumerate(rows):
        _winograd_inputs(*(r[:, :, j: j + 2 * tw: 2] for j in range(4)), out=v[a])
    m = torch.bmm(v.view(16, b * th * tw, c), u).view(4, 4, b, th, tw, -1)
    y = x.new_empty(b, th, 2, tw, 2, u.shape[-1])
    for i, s in enumerate((m[0] + m[1] + m[2], m[1] - m[2] - m[3])):  # A^T m A, A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
        torch.add(s[0] + s[1], s[2], out=y[:, :, i, :, 0])
        torch.sub(s[1] - s[2], s[3], out=y[:, :, i, :, 1])
    return y.view(b, 2 * th, 2 * tw, -1)


class ConvBlock(nn.Module):
    """PANNs CNN14 block: two (3x3 conv without bias, BatchNorm, ReLU) followed by average pooling.

    Inference on CPU takes shortcuts with the same values (float32 rounding aside):
    - convolutions of at least ``WINOGRAD_MIN_CHANNELS`` input channels (CNN14's last three blocks) run as
      Winograd F(2x2, 3x3): 1.2-2x faster than oneDNN's direct convolution there. The transformed kernel is kept
      between calls (16/9 of the memory of those kernels; rebuilt when they change);
    - other maps of at least ``CHANNELS_LAST_MIN`` time-frequency points run in channels-last layout, with the
      BatchNorm folded into the convolution (oneDNN's convolution is up to 2x faster there on wide maps with few
      channels, slower on narrow maps with many channels).
    """

    CHANNELS_LAST_MIN = 16000
    WINOGRAD_MIN_CHANNELS = 256

    def __init__(self, in_chans: int, out_chans: int, pool: tuple[int, int] = (2, 2)):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, out_chans, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_chans)
        self.conv2 = nn.Conv2d(out_chans, out_chans, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_chans)
        self.pool = nn.AvgPool2d(tuple(pool))
        self._winograd: dict[str, tuple[tuple, Tensor]] = {}  # conv name -> (weight version key, kernel)

    def _conv_bn_relu(self, name: str, x: Tensor) -> Tensor:
        conv, bn = getattr(self, "conv" + name), getattr(self, "bn" + name)
        plain = (type(conv) is not nn.Conv2d or conv.kernel_size != (3, 3) or conv.padding != (1, 1)
                 or conv.stride != (1, 1) or conv.groups != 1 or bn.training or bn.running_var is None
                 or not _fast_cpu(x, conv.weight, bn.weight))
        if plain:
            return F.relu(bn(conv(x)))
        winograd = conv.in_channels >= self.WINOGRAD_MIN_CHANNELS
        if not winograd and x.shape[-2] * x.shape[-1] < self.CHANNELS_LAST_MIN:
            return F.relu(bn(conv(x.contiguous())))
        scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)  # eval BatchNorm as y * scale + bias
        bias = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            bias = bias + conv.bias * scale
        if winograd:
            key = _weight_key(conv.weight)
            cached = self._winograd.get(name)
            if cached is None or cached[0] != key:
                cached = self._winograd[name] = (key, _winograd_weight(conv.weight.detach()))
            y = torch.addcmul(bias, _winograd_conv(x, cached[1]), scale).relu_()
            return y[:, :x.shape[-2], :x.shape[-1]].permute(0, 3, 1, 2)
        x = x.contiguous(memory_format=torch.channels_last)
        return F.conv2d(x, conv.weight * scale[:, None, None, None], bias, padding=1).relu_()

    def forward(self, x: Tensor) -> Tensor:
        x = self._conv_bn_relu("1", x)
        x = self._conv_bn_relu("2", x)
        return self.pool(x)


def sinusoidal_positions(length: int, dim: int, device=None) -> Tensor:
    """Absolute sine/cosine position table ``[length, dim]`` of "Attention is all you need" (float32)."""
    pos = torch.arange(length, dtype=torch.float32, device=device)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * -(math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)
    return table


class _ConformerFeedForward(nn.Module):
    def __init__(self, dim: int, expansion: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = Linear(dim, dim * expansion)
        self.fc2 = Linear(dim * expansion, dim)
        for lin in (self.fc1, self.fc2):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm(x)
        h = self.fc1(x, "silu") if type(self.fc1) is Linear else F.silu(self.fc1(x))
        return self.drop(self.fc2(self.drop(h)))


class _RelPositionSelfAttention(nn.Module):
    """Transformer-XL style attention of the sooftware Conformer used by PSELDNets.

    Two quirks are kept for weight compatibility: the scores are divided by sqrt(d_model) rather than
    sqrt(d_head), and the "relative" term uses an absolute sinusoidal table followed by the pad-and-reshape shift.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.norm = nn.LayerNorm(dim)
        self.q = Linear(dim, dim)
        self.k = Linear(dim, dim)
        self.v = Linear(dim, dim)
        self.pos = Linear(dim, dim, bias=False)
        self.out = Linear(dim, dim)
        self.u_bias = nn.Parameter(torch.empty(num_heads, dim // num_heads))
        self.v_bias = nn.Parameter(torch.empty(num_heads, dim // num_heads))
        for lin in (self.q, self.k, self.v, self.pos, self.out):
            nn.init.xavier_uniform_(lin.weight)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)
        nn.init.xavier_uniform_(self.u_bias)
        nn.init.xavier_uniform_(self.v_bias)
        self.drop = nn.Dropout(dropout)
        self.attn_drop = float(dropout)

    @staticmethod
    def _shift(score: Tensor) -> Tensor:
        b, h, n1, n2 = score.shape
        padded = torch.cat([score.new_zeros(b, h, n1, 1), score], dim=-1).view(b, h, n2 + 1, n1)
        return padded[:, :, 1:].reshape(b, h, n1, n2)

    def forward(self, x: Tensor) -> Tensor:
        b, n, dim = x.shape
        h = self.num_heads
        x = self.norm(x)
        q = self.q(x).view(b, n, h, -1)
        k = self.k(x).view(b, n, h, -1).transpose(1, 2)
        v = self.v(x).view(b, n, h, -1).transpose(1, 2)
        p = self.pos(sinusoidal_positions(n, dim, x.device).to(x.dtype)).view(n, h, -1).permute(1, 2, 0)
        position = self._shift((q + self.v_bias).transpose(1, 2) @ p)
        # softmax((content + position) / sqrt(dim)) @ v, content = (q + u) k^T
        scale = 1.0 / math.sqrt(dim)
        out = F.scaled_dot_product_attention((q + self.u_bias).transpose(1, 2), k, v, attn_mask=position * scale,
                                             dropout_p=self.attn_drop if self.training else 0.0, scale=scale)
        return self.drop(self.out(out.transpose(1, 2).reshape(b, n, dim)))


class _ConformerConv(nn.Module):
    def __init__(self, dim: int, kernel_size: int, dropout: float):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError("the Conformer depthwise kernel must be odd")
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Conv1d(dim, 2 * dim, 1)
        self.dw = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim, bias=False)
        self.bn = nn.BatchNorm1d(dim)
        self.pw2 = nn.Conv1d(dim, dim, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        # the pointwise convolutions are linear layers over the tokens [B, T, C] (no transposes around them)
        x = F.glu(linear(self.norm(x), self.pw1.weight.squeeze(-1), self.pw1.bias, owner=self.pw1), dim=-1)
        x = F.silu(self.bn(self.dw(x.transpose(1, 2))))
        return self.drop(linear(x.transpose(1, 2), self.pw2.weight.squeeze(-1), self.pw2.bias, owner=self.pw2))


class ConformerBlock(nn.Module):
    """Conformer block (Gulati et al. 2020): half-step FF, relative MHSA, convolution module, half-step FF, LN."""

    def __init__(self, dim: int, num_heads: int = 8, ff_expansion: int = 4, kernel_size: int = 31,
                 dropout: float = 0.1):
        super().__init__()
        self.ff1 = _ConformerFeedForward(dim, ff_expansion, dropout)
        self.mhsa = _RelPositionSelfAttention(dim, num_heads, dropout)
        self.conv = _ConformerConv(dim, kernel_size, dropout)
        self.ff2 = _ConformerFeedForward(dim, ff_expansion, dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        x = x + 0.5 * self.ff1(x)
        x = x + self.mhsa(x)
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


def fit_length(x: Tensor, length: int) -> Tensor:
    """Crop, or pad by repeating the last step, the time axis (dim 1) of ``x`` to ``length``."""
    n = x.shape[1]
    if n >= length:
        return x[:, :length]
    return torch.cat([x, x[:, -1:].expand(-1, length - n, *x.shape[2:])], dim=1)


def to_label_rate(x: Tensor, step_frames: int, n_out: int, frames_per_label: int, mode: str = "repeat") -> Tensor:
    """Bring a sequence ``[B, T', C]`` with one step per ``step_frames`` input frames to ``n_out`` label frames.

    As PSELDNets does: upsample to the frame rate (``repeat`` or ``linear`` interpolation), crop to
    ``n_out * frames_per_label`` frames and average each group of ``frames_per_label``. When a step already is
    one label frame the sequence is only cropped. Missing trailing frames repeat the last one.
    """
    if step_frames == frames_per_label:
        return fit_length(x, n_out)
    if step_frames > 1:
        if mode == "repeat":
            x = x.repeat_interleave(step_frames, dim=1)
        elif mode == "linear":
            x = F.interpolate(x.transpose(1, 2), size=x.shape[1] * step_frames, mode="linear").transpose(1, 2)
        else:
            raise ValueError(f"unknown upsampling mode {mode!r}")
    x = fit_length(x, n_out * frames_per_label)
    return x.reshape(x.shape[0], n_out, frames_per_label, *x.shape[2:]).mean(dim=2)


class FrameProjection(nn.Module):
    """Per-frame output projection: to the label rate (repeat-upsampling), optional linear hidden layers, then
    ``fc``.

    The hidden layers have no activation in between, as in SELDnet and the DCASE baselines.
    """

    def __init__(self, in_dim: int, out_dim: int, step_frames: int, frames_per_label: int,
                 hidden: tuple[int, ...] = (), dropout: float = 0.0):
        super().__init__()
        self.step_frames = step_frames
        self.frames_per_label = frames_per_label
        dims = (in_dim, *hidden)
        self.fnn = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(dims[-1], out_dim)

    def forward(self, x: Tensor, n_out: int) -> Tensor:
        x = to_label_rate(x, self.step_frames, n_out, self.frames_per_label)
        for layer in self.fnn:
            x = self.drop(layer(x))
        return self.fc(x)
