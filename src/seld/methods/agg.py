"""AGG: the aggregated losses of PSELDNets (``AGG_LOSS.md``, ``Losses_agg_pit``) for track-wise outputs.

Track-wise SED + DOA losses leave a 170-class network with sparse outputs and many misses; AGG couples activity
and direction into one regression target instead. Per track i the prediction is the ACCDOA-like matrix
P_i = sigmoid(sed_i) (x) normalize(doa_i) in R^{K x 3}, the target S_i (x) D_i (soft activities allowed).

- AGG1 (``method: mACCDOA_pit``, what the released checkpoints use): mean squared error of P_i against the
  target tracks in the best of the 6 track orders per (item, frame), averaged.
- AGG2 (``method: ACCDOA``): mean squared error of sum_i P_i against sum_i of the targets (order-free).
- ``agg`` with ``alpha``: alpha * AGG1 + (1 - alpha) * AGG2.

Targets, decoding (top-1 class per track, threshold) and the oracle are those of EINV2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seld.errors import ConfigError
from seld.methods.einv2 import TRACK_PERMUTATIONS, TrackwiseMethod

__all__ = ["AGG", "AGG1", "AGG2"]


class AGG(TrackwiseMethod):
    """Mix of the two aggregated losses (see the module docstring).

    Args:
        alpha: weight of AGG1 (track-permutation-invariant); AGG2 (sum over tracks) gets 1 - alpha.
    """

    name = "agg"
    head = "einv2"

    def __init__(self, alpha: float):
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"agg alpha must lie in [0, 1], got {alpha}")
        self.alpha = float(alpha)

    def loss_terms(self, output: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The mixed loss with both aggregated losses."""
        self._check(output, targets, self.name)
        pred = torch.sigmoid(output["sed"])[..., None] * F.normalize(output["doa"], dim=-1)[:, :, :, None, :]
        target = targets["sed"][..., None] * targets["doa"][:, :, :, None, :]  # [B, T, track, K, 3]
        per_order = torch.stack([((pred - target[:, :, list(p)]) ** 2).mean(dim=(2, 3, 4))
                                 for p in TRACK_PERMUTATIONS])  # [6, B, T]
        agg1 = per_order.min(dim=0).values.mean()
        agg2 = F.mse_loss(pred.sum(dim=2), target.sum(dim=2))
        return {"loss": self.alpha * agg1 + (1 - self.alpha) * agg2, "agg1": agg1, "agg2": agg2}


class AGG1(AGG):
    """AGG1 alone: track-permutation-invariant MSE of the aggregated tracks."""

    name = "agg1"
    head = "agg1"

    def __init__(self):
        super().__init__(alpha=1.0)


class AGG2(AGG):
    """AGG2 alone: MSE of the aggregated tracks summed over tracks."""

    name = "agg2"
    head = "agg2"

    def __init__(self):
        super().__init__(alpha=0.0)
