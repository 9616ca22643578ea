"""Parameter-efficient adaptation: AdapterBit (PSELDNets) and LoRA, the freezing rule, and a report of what
trains.

AdapterBit = bottleneck adapters + bias tuning. Every transformer block gets two adapters
``fc2(GELU(fc1(x))) * scale`` (hidden size ``ratio * dim``, ``fc2`` zero-initialised so that the network is
unchanged at the start, fixed ``scale`` 0.1): one after the attention output projection (added to it, before the
residual) and one parallel to the MLP (reading the MLP input). Then everything is frozen except parameters whose
name contains "bias" (a substring match, as in PSELDNets: relative-position bias tables and the input-norm
biases train too), the adapters and the head.

LoRA (Hu et al. 2021) adds ``B @ A * alpha / r`` (``B`` zero-initialised) to the chosen linear layers and the
patch-embedding convolution; the frozen weight keeps its name, so a LoRA model loads plain weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seld.errors import ConfigError
from seld.models.layers import Attention, Mlp

__all__ = ["Adapter", "LoRALinear", "LoRAConv2d", "add_adapterbit", "add_lora", "freeze_for_adaptation",
           "apply_adaptation", "trainable_report", "TrainableReport", "LORA_TARGETS"]

#: Layers LoRA wraps by default (PSELDNets' choice): attention qkv and output, MLP layers, patch merging and the
#: patch embedding.
LORA_TARGETS = ("qkv", "proj", "fc1", "fc2", "reduction")


class Adapter(nn.Module):
    """Bottleneck adapter ``fc2(GELU(fc1(x))) * scale`` with ``fc2`` zero-initialised."""

    def __init__(self, dim: int, ratio: float = 0.5, scale: float | str = 0.1):
        super().__init__()
        hidden = int(dim * ratio)
        if hidden < 1:
            raise ConfigError(f"adapter ratio {ratio} leaves no hidden unit for width {dim}")
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)
        if scale == "learnable":
            self.scale = nn.Parameter(torch.ones(1))
        else:
            self.scale = float(scale)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x))) * self.scale


class LoRALinear(nn.Linear):
    """A linear layer with a low-rank update ``(lora_B @ lora_A) * alpha / r``; the base weight is frozen."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, r: int = 16, alpha: float = 1.0,
                 device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        self.r = r
        self.scaling = alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, in_features, device=device, dtype=dtype))
        self.lora_B = nn.Parameter(torch.zeros(out_features, r, device=device, dtype=dtype))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.weight.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class LoRAConv2d(nn.Conv2d):
    """A convolution with a low-rank update: a rank-``r`` convolution of the same geometry then a 1x1 one."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True,
                 r: int = 16, alpha: float = 1.0, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias,
                         device=device, dtype=dtype)
        self.r = r
        self.scaling = alpha / r
        self.lora_A = nn.Conv2d(in_channels, r, kernel_size, stride=stride, padding=padding, bias=False,
                                device=device, dtype=dtype)
        self.lora_B = nn.Conv2d(r, out_channels, 1, bias=False, device=device, dtype=dtype)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.weight.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.lora_B(self.lora_A(x)) * self.scaling


def add_adapterbit(model: nn.Module, ratio: float = 0.5, scale: float | str = 0.1) -> int:
    """Give every transformer attention and MLP of ``model`` an adapter; returns how many were added."""
    added = 0
    for name, module in model.named_modules():
        if name.startswith("head") or not isinstance(module, (Attention, Mlp)):
            continue
        layer = module.proj if isinstance(module, Attention) else module.fc1
        module.adapter = Adapter(layer.in_features, ratio, scale).to(device=layer.weight.device,
                                                                     dtype=layer.weight.dtype)
        added += 1
    if not added:
        raise ConfigError("AdapterBit needs a backbone with transformer blocks (htsat, passt)")
    return added


def _lora_from(layer: nn.Module, r: int, alpha: float) -> nn.Module:
    w = layer.weight
    if isinstance(layer, nn.Linear):
        new = LoRALinear(layer.in_features, layer.out_features, layer.bias is not None, r, alpha, w.device, w.dtype)
    else:
        new = LoRAConv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                         layer.bias is not None, r, alpha, w.device, w.dtype)
    new.weight = layer.weight
    new.bias = layer.bias
    new.weight.requires_grad_(False)
    return new


def add_lora(model: nn.Module, r: int = 16, alpha: float = 1.0, targets: tuple[str, ...] = LORA_TARGETS,
             conv: bool = True) -> int:
    """Replace the encoder's linear layers named in ``targets`` (and, with ``conv``, the patch-embedding
    convolution) by LoRA layers; returns how many were replaced."""
    if r < 1:
        raise ConfigError(f"LoRA rank must be positive, got {r}")
    chosen = []
    for name, module in model.named_modules():
        if name.startswith("head") or isinstance(module, (LoRALinear, LoRAConv2d)):
            continue
        leaf = name.rsplit(".", 1)[-1]
        if isinstance(module, nn.Linear) and leaf in targets:
            chosen.append(name)
        elif conv and isinstance(module, nn.Conv2d) and name.endswith("patch_embed.proj"):
            chosen.append(name)
    for name in chosen:
        parent_name, _, leaf = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, leaf, _lora_from(getattr(parent, leaf), r, alpha))
    if not chosen:
        raise ConfigError(f"LoRA found no layer named {', '.join(targets)} outside the head")
    return len(chosen)


def freeze_for_adaptation(model: nn.Module, train_bias: bool = True) -> None:
    """Freeze all but the adapters, LoRA updates, the head and (``train_bias``) every "bias" parameter."""
    for name, p in model.named_parameters():
        trainable = (name.startswith("head.") or "adapter" in name or "lora_" in name
                     or (train_bias and "bias" in name))
        p.requires_grad_(trainable)


def apply_adaptation(model: nn.Module, spec: str | dict) -> dict | None:
    """Add adapters as described by ``spec`` and freeze the rest; returns the normalised spec (kept in
    ``model.config`` so that checkpoints rebuild the same structure).

    ``spec`` is ``"adapterbit"``, ``"lora"``, ``"none"`` or a dict ``{"type": ..., options}``: AdapterBit takes
    ``ratio`` (0.5), ``scale`` (0.1 or ``"learnable"``) and ``train_bias`` (True); LoRA takes ``r`` (16),
    ``alpha`` (1), ``targets`` (:data:`LORA_TARGETS`), ``conv`` (True) and ``train_bias`` (False).
    """
    spec = {"type": spec} if isinstance(spec, str) else dict(spec)
    kind = spec.get("type", "none")
    if kind == "none":
        return None
    if kind == "adapterbit":
        opts = {"ratio": 0.5, "scale": 0.1, "train_bias": True, **spec}
        unknown = set(opts) - {"type", "ratio", "scale", "train_bias"}
        if unknown:
            raise ConfigError(f"unknown AdapterBit option(s): {', '.join(sorted(unknown))}")
        add_adapterbit(model, opts["ratio"], opts["scale"])
    elif kind == "lora":
        opts = {"r": 16, "alpha": 1.0, "targets": list(LORA_TARGETS), "conv": True, "train_bias": False, **spec}
        unknown = set(opts) - {"type", "r", "alpha", "targets", "conv", "train_bias"}
        if unknown:
            raise ConfigError(f"unknown LoRA option(s): {', '.join(sorted(unknown))}")
        add_lora(model, opts["r"], opts["alpha"], tuple(opts["targets"]), opts["conv"])
    else:
        raise ConfigError(f"unknown adapter type {kind!r}; choose adapterbit, lora or none")
    freeze_for_adaptation(model, opts["train_bias"])
    return opts


@dataclass(frozen=True)
class TrainableReport:
    """Parameter counts: total, trainable, and trainable ones by group."""

    total: int
    trainable: int
    groups: dict[str, int]

    @property
    def fraction(self) -> float:
        return self.trainable / self.total if self.total else 0.0

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v:,}" for k, v in self.groups.items() if v)
        return (f"trainable {self.trainable:,} of {self.total:,} parameters ({100 * self.fraction:.1f}%)"
                + (f": {parts}" if parts else ""))


def trainable_report(model: nn.Module) -> TrainableReport:
    """Count trainable parameters by group: adapter, lora, head, bias (incl. bias tables), other."""
    groups = dict.fromkeys(("adapter", "lora", "head", "bias", "other"), 0)
    total = trainable = 0
    for name, p in model.named_parameters():
        total += p.numel()
        if not p.requires_grad:
            continue
        trainable += p.numel()
        if "adapter" in name:
            groups["adapter"] += p.numel()
        elif "lora_" in name:
            groups["lora"] += p.numel()
        elif name.startswith("head."):
            groups["head"] += p.numel()
        elif "bias" in name:
            groups["bias"] += p.numel()
        else:
            groups["other"] += p.numel()
    return TrainableReport(total, trainable, groups)
