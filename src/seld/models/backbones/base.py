"""The interface every backbone implements, so that one set of method heads and one two-branch (EINV2)
wrapper work on all of them.

A backbone maps normalised features ``[B, C, T, F]`` to its own feature layout (tokens, maps, sequences) in
stages: ``forward_stem`` then ``forward_stage(i)`` for each stage then ``forward_neck``. Cross-stitch units of
the two-branch model are inserted before the stages listed in ``stitch_points``. ``make_projection`` builds
the module that turns those features into per-label-frame outputs ``[B, n_out, out_dim]``.
"""

from __future__ import annotations

import abc

from torch import Tensor, nn

from seld.models.layers import FrameProjection

__all__ = ["Backbone"]


class Backbone(nn.Module, abc.ABC):
    """Base class of the feature extractors in :mod:`seld.models.backbones`.

    Subclasses set ``num_features`` (channels of the final features), ``step_frames`` (input frames per step
    of the final sequence), ``num_stages``, ``stitch_points`` (``(stage index, channels)`` pairs) and
    ``max_frames`` (longest input in frames, ``None`` when unlimited).
    """

    num_features: int
    step_frames: int = 1
    num_stages: int = 0
    stitch_points: tuple[tuple[int, int], ...] = ()
    max_frames: int | None = None

    def forward_stem(self, x: Tensor):
        return x

    @abc.abstractmethod
    def forward_stage(self, index: int, h):
        """Run stage ``index`` (0 .. num_stages - 1) on the token / feature state ``h``."""

    def forward_neck(self, h):
        return h

    def forward_features(self, x: Tensor):
        """Features of ``x`` in this backbone's layout (what :meth:`make_projection`'s module consumes)."""
        h = self.forward_stem(x)
        for i in range(self.num_stages):
            h = self.forward_stage(i, h)
        return self.forward_neck(h)

    def forward(self, x: Tensor):
        return self.forward_features(x)

    def make_projection(self, out_dim: int, frames_per_label: int) -> nn.Module:
        """A module ``proj(features, n_out) -> [B, n_out, out_dim]`` at the label rate."""
        return FrameProjection(self.num_features, out_dim, self.step_frames, frames_per_label)
