"""Multi-ACCDOA with ADPIT: three ACCDOA tracks per class (Shimada et al., ICASSP 2022).

Output [B, T, 9K]: ``reshape(B, T, 3, 3, K)`` gives [track, axis, class] (tanh). With ``distance=True``
(DCASE2024 "multi-ACCDDOA") [B, T, 12K] = [track, (x, y, z, d), class], distance in metres.

Target: the DCASE/PSELDNets ADPIT tensor [T, 6, 4, K] = [frame, dummy track, (act, x, y, z), class] (or
[T, 6, 5, K] with the distance in metres as fifth entry). The six dummy tracks hold, per frame and class, the
instances of that class by how many there are, in row order: A0 when there is one; B0, B1 when there are two;
C0, C1, C2 when there are three or more (a fourth and later instance is dropped, with a warning).

Loss (auxiliary duplicating permutation-invariant training): per (item, frame, class) the output is compared
with 13 candidate targets, A0A0A0, the 6 ways to spread B0 and B1 over 3 tracks, the 6 orders of C0 C1 C2, and
the smallest mean squared error counts; the loss is its mean (weighted per class with ``class_weights``). As in
Sony's baseline each candidate is padded with the first candidate of the two other groups, so that a candidate of
an empty group does not pull the output towards zero. Dummy track vectors are act * (x, y, z) and, for the
distance, d where act > 0 (the same as DCASE2024 for 0/1 activity; a soft activity does not shrink the distance).
``distance_weight`` weights the squared distance errors (m^2) in both the loss and the choice of candidate: at 1
(DCASE2024) they outweigh the direction terms and decide which permutation counts.

Decoding (DCASE baseline ``determine_similar_location`` logic): a track is active when its vector norm exceeds
the class threshold; two active tracks of one class closer than ``unify_deg`` (15 degrees) are the same event.
With one similar pair, the pair is averaged and the third track kept if active; with two or more similar pairs,
the three tracks are averaged. Distances are clipped at 0 before averaging. PSELDNets' copy of this logic has a
slip in the "tracks 0 and 2 similar" case (it outputs track 0 again instead of track 1); the DCASE version is
followed here.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from seld.decode import decode_maccdoa
from seld.formats.events import Events
from seld.methods.base import Method, check_distance_weight
from seld.methods.rows import FRAME_LEN, rank_in_group, select_rows, to_numpy

__all__ = ["MultiACCDOA", "ADPIT_CANDIDATES", "adpit_loss"]

logger = logging.getLogger(__name__)

#: The 13 ADPIT candidates: which dummy track (0 = A0, 1-2 = B0-B1, 3-5 = C0-C2) each output track is given.
ADPIT_CANDIDATES: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (1, 1, 2), (1, 2, 1), (1, 2, 2), (2, 1, 1), (2, 1, 2), (2, 2, 1),
    (3, 4, 5), (3, 5, 4), (4, 3, 5), (4, 5, 3), (5, 3, 4), (5, 4, 3),
)
#: First candidate of the group (A, B, C) of each candidate; the padding of a candidate is the sum of the first
#: candidates of the other two groups.
_GROUP_FIRST = (0,) + (1,) * 6 + (7,) * 6


def _dummy_tracks(targets: torch.Tensor) -> torch.Tensor:
    """Regression vectors [B, T, 6, C, K] of the dummy tracks: act * (x, y, z) and the distance where active."""
    act = targets[:, :, :, :1]
    dummy = act * targets[:, :, :, 1:4]
    if targets.shape[3] == 5:
        dummy = torch.cat([dummy, (act > 0) * targets[:, :, :, 4:5]], dim=3)
    return dummy


def adpit_loss(output: torch.Tensor, targets: torch.Tensor, class_weights: torch.Tensor | None = None,
               distance_weight: float = 1.0) -> torch.Tensor:
    """ADPIT loss of output [B, T, 3 * C * K] against ADPIT targets [B, T, 6, 1 + C, K] (C = 3 or 4); with
    ``class_weights`` [K] each class's term is weighted (weights of mean 1 keep the loss's scale), and with C = 4
    the squared distance errors by ``distance_weight``."""
    nb, nt, _, width, k = targets.shape
    dummy = _dummy_tracks(targets)
    out = output.reshape(nb, nt, 3, width - 1, k)
    if width == 5 and distance_weight != 1.0:  # (a s - b s)^2 = w (a - b)^2 with s = sqrt(w)
        scale = torch.tensor([1.0, 1.0, 1.0, distance_weight ** 0.5]).to(out)[:, None]
        dummy, out = dummy * scale, out * scale
    candidates = [dummy[:, :, list(idx)] for idx in ADPIT_CANDIDATES]  # each [B, T, 3, C, K]
    first_sum = candidates[0] + candidates[1] + candidates[7]
    losses = torch.stack([((out - (cand + first_sum - candidates[_GROUP_FIRST[p]])) ** 2).mean(dim=(2, 3))
                          for p, cand in enumerate(candidates)])  # [13, B, T, K]
    best = losses.min(dim=0).values  # [B, T, K]
    return best.mean() if class_weights is None else (best * class_weights.to(best)).mean()


class MultiACCDOA(Method):
    """Multi-ACCDOA (3 tracks) with the ADPIT loss (see the module docstring).

    Args:
        distance: also regress the distance in metres (output [B, T, 12K], targets [T, 6, 5, K]).
        distance_weight: weight of the squared distance errors in the loss (with ``distance`` only).
    """

    name = "maccdoa"
    head = "maccdoa"
    supports_class_weights = True

    def __init__(self, distance: bool = False, distance_weight: float = 1.0):
        self.distance = bool(distance)
        self.distance_weight = check_distance_weight(self.distance, distance_weight, "maccdoa")

    @property
    def _width(self) -> int:
        return 4 if self.distance else 3

    def encode(self, events: Events, num_frames: int, num_classes: int, *, start: int = 0,
               activity=None) -> torch.Tensor:
        """ADPIT target [T, 6, 4, K] (or [T, 6, 5, K]): (activity, unit x, y, z[, distance]) per dummy track."""
        rows = select_rows(events, num_frames, num_classes, start=start, activity=activity, frame_len=self.frame_len,
                           need_dist=self.distance)
        rank, size = rank_in_group(rows.frame * num_classes + rows.cls)
        keep = rank < 3
        if not keep.all():
            logger.warning("ADPIT targets hold at most 3 instances of a class per frame: %d event rows dropped",
                           int((~keep).sum()))
        slot = np.where(size == 1, 0, np.where(size == 2, 1 + rank, 3 + rank))[keep]
        frame, cls = rows.frame[keep], rows.cls[keep]
        target = np.zeros((num_frames, 6, 1 + self._width, num_classes), np.float32)
        target[frame, slot, 0, cls] = rows.weight[keep]
        for axis in range(3):
            target[frame, slot, 1 + axis, cls] = rows.xyz[keep, axis]
        if self.distance:
            target[frame, slot, 4, cls] = rows.dist[keep]
        return torch.from_numpy(target)

    def loss_terms(self, output: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """ADPIT loss (13 candidates, the best per item, frame and class)."""
        nb, nt, _, width, k = targets.shape
        if width != 1 + self._width or output.shape != (nb, nt, 3 * self._width * k):
            raise ValueError(f"maccdoa: network output of shape {tuple(output.shape)} does not fit ADPIT targets of "
                             f"shape {tuple(targets.shape)} (expected output [B, T, {3 * self._width}K])")
        return {"loss": adpit_loss(output, targets, self.class_weights, self.distance_weight)}

    def decode(self, output: torch.Tensor, thresholds=0.5, *, unify_deg: float = 15.0,
               frame_len: float = FRAME_LEN) -> list[Events]:
        """Events per item: active tracks (norm above threshold), same-class tracks closer than ``unify_deg``
        merged (0 disables merging). A merged event takes the smallest track index of its parts."""
        return decode_maccdoa(to_numpy(output), thresholds, distance=self.distance, unify_deg=unify_deg,
                              frame_len=frame_len)

    def oracle(self, targets: torch.Tensor) -> torch.Tensor:
        """Output [B, T, 3 * C * K] equal to the padded first candidate (A0A0A0 + B0B0B1 + C0C1C2), which the
        ADPIT loss matches exactly when every (frame, class) fills one group, as :meth:`encode` makes sure."""
        nb, nt, _, width, k = targets.shape
        dummy = _dummy_tracks(targets)
        out = dummy[:, :, [0, 0, 0]] + dummy[:, :, [1, 1, 2]] + dummy[:, :, [3, 4, 5]]
        return out.reshape(nb, nt, 3 * (width - 1) * k)
