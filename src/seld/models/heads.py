"""Output heads, one per SELD method, producing the output contract shared with :mod:`seld.methods`.

K classes, T label frames (100 ms), B batch:

- ``accdoa``: ``[B, T, 3K]`` axis-major blocks ``[x_1..x_K, y_1..y_K, z_1..z_K]``, tanh. With distance
  ``[B, T, 4K]`` blocks ``[x, y, z, d]``, the distance block linear (metres).
- ``maccdoa``: ``[B, T, 9K]`` = (track 3 x axis 3) x K, tanh; ``reshape(B, T, 3, 3, K)`` gives
  ``[track, axis, class]``. With distance ``[B, T, 12K]`` = (track 3 x (x, y, z, d)) x K (DCASE2024 layout).
- ``doa_tanh=False`` leaves the ACCDOA vectors of ``accdoa`` / ``maccdoa`` linear, as the DCASE2024 baseline
  was trained (imported weights keep their outputs).
- ``einv2``, ``agg1``, ``agg2``: ``{"sed": [B, T, 3, K] logits, "doa": [B, T, 3, 3] tanh xyz per track}``.
- ``seddoa`` (SELDnet): ``{"sed": [B, T, K] logits, "doa": [B, T, 3K] axis-major blocks, linear}``.

A head receives the encoder features (a pair ``(sed, doa)`` for the two-branch encoder) and builds its
projections with the backbone's ``make_projection``, so the same head serves every backbone.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from seld.errors import ConfigError

__all__ = ["METHODS", "TRACKWISE_METHODS", "AccdoaHead", "MultiAccdoaHead", "TrackwiseHead", "SeddoaHead",
           "build_head"]

#: Method names accepted by :func:`seld.models.create_model`.
METHODS = ("seddoa", "accdoa", "maccdoa", "einv2", "agg1", "agg2")
#: Methods with track-wise SED/DOA outputs (EINV2 and the aggregated losses); they share one head.
TRACKWISE_METHODS = ("einv2", "agg1", "agg2")
#: Output tracks of multi-ACCDOA and the track-wise methods.
NUM_TRACKS = 3

ProjectionFactory = Callable[[int], nn.Module]


def _pair(feats) -> tuple:
    return feats if isinstance(feats, tuple) else (feats, feats)


class AccdoaHead(nn.Module):
    """Class-wise activity-coupled DOA vectors (Shimada et al. 2021); the vector norm is the activity.

    With ``tracks`` > 1 it is multi-ACCDOA's layout [track, axis, class]; one track is ACCDOA's axis-major
    [x, y, z(, d)] blocks. The distance outputs stay linear; ``doa_tanh=False`` leaves the directions linear too.
    """

    tracks = 1

    def __init__(self, make_projection: ProjectionFactory, num_classes: int, distance: bool = False,
                 doa_tanh: bool = True):
        super().__init__()
        self.distance = distance
        self.doa_act = nn.Tanh() if doa_tanh else nn.Identity()
        self.reset_classes(num_classes, make_projection)

    def reset_classes(self, num_classes: int, make_projection: ProjectionFactory) -> None:
        self.num_classes = num_classes
        self.proj = make_projection(self.tracks * (4 if self.distance else 3) * num_classes)

    def forward(self, feats, n_out: int) -> Tensor:
        y = self.proj(feats, n_out)
        if not self.distance:
            return self.doa_act(y)
        b, t, _ = y.shape
        y = y.view(b, t, self.tracks, 4, self.num_classes)
        y = torch.cat([self.doa_act(y[:, :, :, :3]), y[:, :, :, 3:]], dim=3)
        return y.reshape(b, t, -1)


class MultiAccdoaHead(AccdoaHead):
    """Multi-ACCDOA (Shimada et al. 2022): three ACCDOA tracks per class, trained with ADPIT."""

    tracks = NUM_TRACKS


class TrackwiseHead(nn.Module):
    """EINV2 track-wise outputs: SED logits and a tanh DOA vector for each of three tracks.

    With a two-branch encoder the SED projection reads the SED branch and the DOA projection the DOA branch.
    """

    def __init__(self, make_projection: ProjectionFactory, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.sed = make_projection(NUM_TRACKS * num_classes)
        self.doa = make_projection(NUM_TRACKS * 3)

    def reset_classes(self, num_classes: int, make_projection: ProjectionFactory) -> None:
        """Only the SED projection depends on the classes; the DOA projection is kept (as PSELDNets does)."""
        self.num_classes = num_classes
        self.sed = make_projection(NUM_TRACKS * num_classes)

    def forward(self, feats, n_out: int) -> dict[str, Tensor]:
        f_sed, f_doa = _pair(feats)
        sed = self.sed(f_sed, n_out)
        doa = torch.tanh(self.doa(f_doa, n_out))
        b, t, _ = sed.shape
        return {"sed": sed.view(b, t, NUM_TRACKS, self.num_classes), "doa": doa.view(b, t, NUM_TRACKS, 3)}


class SeddoaHead(nn.Module):
    """SELDnet's two branches: class-wise SED logits and class-wise DOA regression (linear)."""

    def __init__(self, make_projection: ProjectionFactory, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.sed = make_projection(num_classes)
        self.doa = make_projection(3 * num_classes)

    def reset_classes(self, num_classes: int, make_projection: ProjectionFactory) -> None:
        self.num_classes = num_classes
        self.sed = make_projection(num_classes)
        self.doa = make_projection(3 * num_classes)

    def forward(self, feats, n_out: int) -> dict[str, Tensor]:
        f_sed, f_doa = _pair(feats)
        return {"sed": self.sed(f_sed, n_out), "doa": self.doa(f_doa, n_out)}


def build_head(method: str, num_classes: int, make_projection: ProjectionFactory, distance: bool = False,
               doa_tanh: bool = True) -> nn.Module:
    """The head of ``method`` for ``num_classes`` classes."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if num_classes < 1:
        raise ConfigError(f"num_classes must be at least 1, got {num_classes}")
    if distance and method not in ("accdoa", "maccdoa"):
        raise ConfigError(f"distance output is available for accdoa and maccdoa only, not {method!r}")
    if not doa_tanh and method not in ("accdoa", "maccdoa"):
        raise ConfigError(f"doa_tanh=False (linear ACCDOA vectors) applies to accdoa and maccdoa only, not {method!r}")
    if method == "accdoa":
        return AccdoaHead(make_projection, num_classes, distance, doa_tanh)
    if method == "maccdoa":
        return MultiAccdoaHead(make_projection, num_classes, distance, doa_tanh)
    if method == "seddoa":
        return SeddoaHead(make_projection, num_classes)
    return TrackwiseHead(make_projection, num_classes)
