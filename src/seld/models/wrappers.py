"""The complete network: input normalisation, encoder (one backbone, or the EINV2 two-branch pair joined by
cross-stitch units) and a method head; plus the handling of input lengths.

Lengths: ``T`` feature frames give ``T // frames_per_label`` output frames. Backbones with a fixed canvas
(HTS-AT: 1024 frames, PaSST: 100 time patches) zero-pad shorter inputs exactly as PSELDNets does for a 10 s
chunk; longer inputs are cut into canvas-sized chunks whose outputs are concatenated. With ``pack_short``, as
PSELDNets' EINV2-HTSAT does for 5 s chunks, short clips of a batch are packed side by side into one canvas
(clip ``j`` and clip ``j + B/n`` share an image) instead of being padded.
"""

from __future__ import annotations

import inspect
import logging
from typing import Callable

import torch
from torch import Tensor, nn

from seld.errors import ConfigError, InputError
from seld.models.backbones.base import Backbone
from seld.models.heads import METHODS, TRACKWISE_METHODS, build_head
from seld.models.layers import ChannelBatchNorm, CrossStitch

__all__ = ["SeldModel", "TwoBranchEncoder", "build_model"]

log = logging.getLogger(__name__)


class TwoBranchEncoder(nn.Module):
    """EINV2 encoder (Cao et al. 2021): a SED backbone on the first ``sed_channels`` input channels and a DOA
    backbone on all of them, exchanging information through cross-stitch units at ``stitch_points``."""

    def __init__(self, sed: Backbone, doa: Backbone, sed_channels: int):
        super().__init__()
        self.sed = sed
        self.doa = doa
        self.sed_channels = sed_channels
        self.stitch = nn.ModuleList(CrossStitch(dim) for _, dim in doa.stitch_points)
        self._stitch_at = {}
        for k, (stage, _) in enumerate(doa.stitch_points):
            self._stitch_at.setdefault(stage, []).append(k)

    @property
    def max_frames(self) -> int | None:
        return self.doa.max_frames

    def make_projection(self, out_dim: int, frames_per_label: int) -> nn.Module:
        return self.doa.make_projection(out_dim, frames_per_label)

    def forward(self, x: Tensor) -> tuple:
        s = self.sed.forward_stem(x[:, : self.sed_channels])
        d = self.doa.forward_stem(x)
        for i in range(self.doa.num_stages):
            for k in self._stitch_at.get(i, ()):
                s, d = self.stitch[k](s, d)
            s = self.sed.forward_stage(i, s)
            d = self.doa.forward_stage(i, d)
        return self.sed.forward_neck(s), self.doa.forward_neck(d)


def _split_time(out, sizes: list[int]) -> list:
    if isinstance(out, dict):
        parts = {k: v.split(sizes, dim=1) for k, v in out.items()}
        return [{k: parts[k][i] for k in out} for i in range(len(sizes))]
    return list(out.split(sizes, dim=1))


def _cat(outs: list, dim: int):
    if isinstance(outs[0], dict):
        return {k: torch.cat([o[k] for o in outs], dim=dim) for k in outs[0]}
    return torch.cat(outs, dim=dim)


class SeldModel(nn.Module):
    """A SELD network: ``forward(features [B, C, T, F])`` returns the output of ``method`` (see
    :mod:`seld.models.heads`) at ``T // frames_per_label`` label frames.

    ``input_norm`` puts PSELDNets' per-channel BatchNorm over frequency bins ("scalar") first, which stands in for
    a dataset-level feature scaler. ``doa_tanh=False`` keeps ACCDOA outputs linear (DCASE2024 baseline). Built by
    :func:`seld.models.create_model`; ``config`` holds the arguments that rebuild it.
    """

    def __init__(self, make_backbone: Callable[[int], Backbone], method: str, num_classes: int, in_channels: int,
                 n_freq: int, frames_per_label: int = 10, distance: bool = False, two_branch: bool | None = None,
                 sed_in_channels: int = 4, input_norm: bool = True, pack_short: bool = False, doa_tanh: bool = True):
        super().__init__()
        if method not in METHODS:
            raise ConfigError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if two_branch is None:
            two_branch = method in TRACKWISE_METHODS
        if two_branch and method not in TRACKWISE_METHODS + ("seddoa",):
            raise ConfigError(f"two_branch needs a method with separate SED and DOA outputs "
                              f"({', '.join(TRACKWISE_METHODS + ('seddoa',))}), not {method!r}")
        if in_channels < 1 or n_freq < 1 or frames_per_label < 1:
            raise ConfigError("in_channels, n_freq and frames_per_label must be positive")
        if two_branch and not 1 <= sed_in_channels <= in_channels:
            raise ConfigError(f"sed_in_channels={sed_in_channels} must be between 1 and in_channels={in_channels}")
        self.method = method
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.n_freq = n_freq
        self.frames_per_label = frames_per_label
        self.distance = distance
        self.two_branch = two_branch
        self.pack_short = pack_short
        self.config: dict = {}
        self.scalar = ChannelBatchNorm(in_channels, n_freq) if input_norm else nn.Identity()
        if two_branch:
            self.encoder = TwoBranchEncoder(make_backbone(sed_in_channels), make_backbone(in_channels),
                                            sed_in_channels)
        else:
            self.encoder = make_backbone(in_channels)
        self.head = build_head(method, num_classes, self._make_projection, distance, doa_tanh)

    def _make_projection(self, out_dim: int) -> nn.Module:
        return self.encoder.make_projection(out_dim, self.frames_per_label)

    def reset_head(self, num_classes: int, seed: int = 0) -> None:
        """Re-initialise the class-dependent output layers for ``num_classes`` classes, keeping the encoder."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            ref = next(self.head.parameters())
            self.head.reset_classes(num_classes, self._make_projection)
            self.head.to(device=ref.device, dtype=ref.dtype)
        self.num_classes = num_classes
        if self.config:
            self.config["num_classes"] = num_classes

    def forward_features(self, x: Tensor):
        """Encoder features of ``x`` after the input normalisation (a ``(sed, doa)`` pair for the two-branch
        encoder), for inputs the backbone takes in one pass (no chunking or packing)."""
        return self.encoder(self.scalar(x))

    def forward_head(self, feats, n_out: int):
        return self.head(feats, n_out)

    def forward(self, x: Tensor):
        self._check_input(x)
        frames = x.shape[2]
        n_out = frames // self.frames_per_label
        limit = self.encoder.max_frames
        if limit is not None and frames > limit:
            chunk = limit // self.frames_per_label * self.frames_per_label
            pieces = [p for p in x.split(chunk, dim=2) if p.shape[2] >= self.frames_per_label]
            return _cat([self._forward_once(p, p.shape[2] // self.frames_per_label) for p in pieces], dim=1)
        if self.pack_short and limit is not None:
            n_pack = (limit // self.frames_per_label) // n_out
            if n_pack >= 2 and x.shape[0] % n_pack == 0:
                return self._forward_packed(x, n_out, n_pack)
            log.debug("pack_short: %d clips of %d frames cannot be packed; padding instead", x.shape[0], frames)
        return self._forward_once(x, n_out)

    def _forward_once(self, x: Tensor, n_out: int):
        return self.head(self.encoder(self.scalar(x)), n_out)

    def _forward_packed(self, x: Tensor, n_out: int, n_pack: int):
        group = x.shape[0] // n_pack
        clip = n_out * self.frames_per_label
        packed = torch.cat([x[i * group:(i + 1) * group, :, :clip] for i in range(n_pack)], dim=2)
        out = self._forward_once(packed, n_pack * n_out)
        return _cat(_split_time(out, [n_out] * n_pack), dim=0)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4:
            raise InputError(None, f"features must be [batch, channels, frames, freq], got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels or x.shape[3] != self.n_freq:
            raise InputError(None, f"features have {x.shape[1]} channels x {x.shape[3]} frequency bins, the model "
                                   f"expects {self.in_channels} x {self.n_freq}",
                             "use the front end the model was built for, or build it with in_channels/n_freq")
        if x.shape[2] < self.frames_per_label:
            raise InputError(None, f"input has {x.shape[2]} frames, fewer than one label frame "
                                   f"({self.frames_per_label} frames)")


_MODEL_KEYS = ("method", "num_classes", "in_channels", "n_freq", "frames_per_label", "distance", "two_branch",
               "sed_in_channels", "input_norm", "pack_short", "doa_tanh")


def build_model(backbone_cls: type[Backbone], **cfg) -> SeldModel:
    """Build a :class:`SeldModel` around ``backbone_cls``; ``cfg`` mixes model and backbone arguments."""
    model_kwargs = {k: cfg.pop(k) for k in _MODEL_KEYS if k in cfg}
    accepted = set(inspect.signature(backbone_cls.__init__).parameters) - {"self", "in_chans", "n_freq"}
    unknown = sorted(set(cfg) - accepted)
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(unknown)} for {backbone_cls.__name__}; model options: "
                          f"{', '.join(_MODEL_KEYS)}; backbone options: {', '.join(sorted(accepted))}")
    n_freq = model_kwargs["n_freq"]

    def make_backbone(in_chans: int) -> Backbone:
        return backbone_cls(in_chans=in_chans, n_freq=n_freq, **cfg)

    return SeldModel(make_backbone, **model_kwargs)
