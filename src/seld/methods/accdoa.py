"""ACCDOA: activity-coupled Cartesian DOA, one vector per class (Shimada et al., ICASSP 2021).

Each class k has a vector y_k = a_k u_k (activity times unit direction); the class is detected when
||y_k|| > threshold, and the direction is y_k itself. Output [B, T, 3K] in axis-major blocks
[x_1..x_K, y_1..y_K, z_1..z_K] (tanh). With ``distance=True`` (DCASE2024 style) a fourth block of distances in
metres follows: [B, T, 4K] = [x, y, z, d]; the distance target is the distance where the class is active and 0
elsewhere (not scaled by a soft activity), and negative predicted distances are clipped to 0 at decoding. The
squared distance errors (in m^2) are weighted by ``distance_weight`` in the loss: 1 (DCASE2024) lets them outweigh
the direction terms, whose errors are at most 4.

Several instances of one class in a frame cannot be represented: the target holds their activity-weighted mean
direction (and mean distance) at the largest of their activities (PSELDNets instead keeps the last row).

Decoding follows PSELDNets ``get_accdoa_labels``: only the ``top_k`` = 3 classes with the largest norm in a
frame may be active (``max_ov``), each if its norm exceeds its class threshold (0.5).
"""

from __future__ import annotations

import numpy as np
import torch

from seld.decode import decode_accdoa
from seld.formats.events import Events
from seld.methods.base import Method, check_distance_weight, check_shape
from seld.methods.rows import FRAME_LEN, classwise, select_rows, to_numpy

__all__ = ["ACCDOA"]


class ACCDOA(Method):
    """Single-track ACCDOA with an MSE loss (see the module docstring).

    Args:
        distance: also regress the distance in metres (output [B, T, 4K]).
        distance_weight: weight of the squared distance errors in the loss (with ``distance`` only).
    """

    name = "accdoa"
    head = "accdoa"
    supports_class_weights = True

    def __init__(self, distance: bool = False, distance_weight: float = 1.0):
        self.distance = bool(distance)
        self.distance_weight = check_distance_weight(self.distance, distance_weight, "accdoa")

    @property
    def _blocks(self) -> int:
        return 4 if self.distance else 3

    def encode(self, events: Events, num_frames: int, num_classes: int, *, start: int = 0,
               activity=None) -> torch.Tensor:
        """Target [T, 3K] (or [T, 4K] with distance), axis-major like the output."""
        rows = select_rows(events, num_frames, num_classes, start=start, activity=activity, frame_len=self.frame_len,
                           need_dist=self.distance)
        act, unit, dist = classwise(rows, num_frames, num_classes)
        blocks = [(act[..., None] * unit).transpose(0, 2, 1)]  # [T, 3, K]
        if self.distance:
            blocks.append(np.where(act > 0, dist, 0.0)[:, None, :])
        target = np.concatenate(blocks, axis=1).reshape(num_frames, self._blocks * num_classes)
        return torch.from_numpy(target.astype(np.float32))

    def loss_terms(self, output: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """Mean squared error over every frame, axis and class (each class's terms weighted by
        ``class_weights`` when set, the distance block's by ``distance_weight``)."""
        check_shape(output, targets, "accdoa")
        err = (output - targets).square().view(*output.shape[:-1], self._blocks, -1)  # [B, T, blocks, K]
        if self.distance_weight != 1.0:
            err = err * torch.tensor([1.0, 1.0, 1.0, self.distance_weight]).to(err)[:, None]
        if self.class_weights is not None:
            err = err * self.class_weights.to(err)
        return {"loss": err.mean()}

    def decode(self, output: torch.Tensor, thresholds=0.5, *, top_k: int | None = 3,
               frame_len: float = FRAME_LEN) -> list[Events]:
        """Events per item: per frame the ``top_k`` classes of largest norm (None: all) above threshold."""
        return decode_accdoa(to_numpy(output), thresholds, distance=self.distance, top_k=top_k, frame_len=frame_len)

    def oracle(self, targets: torch.Tensor) -> torch.Tensor:
        """The target itself: ACCDOA regresses it directly."""
        return targets.clone()
