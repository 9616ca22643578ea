"""SEDDOA: SELDnet's two branches, class-wise SED and class-wise DOA regression (Adavanne et al., JSTSP 2018).

Output {"sed": [B, T, K] logits, "doa": [B, T, 3K] axis-major blocks [x_1..x_K, y_1..y_K, z_1..z_K], linear}.
Targets {"sed": [T, K] activity, "doa": [T, 3K] unit direction where the class is active, 0 elsewhere}. Several
instances of one class in a frame share one output; they are merged as for ACCDOA (largest activity,
activity-weighted mean direction).

Loss: sed_weight * BCE-with-logits (mean over frames and classes) + doa_weight * masked MSE, where the masked
MSE is the mean squared error over the entries of active classes only, each weighted by its activity (the
DCASE2020 baseline's ``masked_mse`` idea; SELDnet 2018 regressed inactive classes to zero instead). The default
weights are SELDnet's ``loss_weights = [1, 50]``.

Decoding: a class is active when sigmoid(sed) exceeds its threshold; its direction is its DOA vector.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from seld.decode import build_events, class_thresholds
from seld.errors import ConfigError
from seld.formats.events import Events
from seld.methods.base import Method, activity_logits, check_shape
from seld.methods.rows import FRAME_LEN, classwise, select_rows, to_numpy

__all__ = ["SEDDOA"]


class SEDDOA(Method):
    """SELDnet-style SED + masked DOA regression (see the module docstring).

    Args:
        sed_weight: weight of the BCE loss.
        doa_weight: weight of the masked DOA MSE.
    """

    name = "seddoa"
    head = "seddoa"

    def __init__(self, sed_weight: float = 1.0, doa_weight: float = 50.0):
        if sed_weight < 0 or doa_weight < 0:
            raise ConfigError(f"seddoa loss weights must be >= 0, got {sed_weight} and {doa_weight}")
        self.sed_weight = float(sed_weight)
        self.doa_weight = float(doa_weight)

    def encode(self, events: Events, num_frames: int, num_classes: int, *, start: int = 0,
               activity=None) -> dict[str, torch.Tensor]:
        """Targets {"sed": [T, K], "doa": [T, 3K]}."""
        rows = select_rows(events, num_frames, num_classes, start=start, activity=activity, frame_len=self.frame_len)
        act, unit, _ = classwise(rows, num_frames, num_classes)
        doa = unit.transpose(0, 2, 1).reshape(num_frames, 3 * num_classes)
        return {"sed": torch.from_numpy(act.astype(np.float32)), "doa": torch.from_numpy(doa.astype(np.float32))}

    def loss_terms(self, output: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Weighted sum of the SED BCE and the activity-masked DOA MSE."""
        check_shape(output["sed"], targets["sed"], "seddoa sed")
        check_shape(output["doa"], targets["doa"], "seddoa doa")
        sed = F.binary_cross_entropy_with_logits(output["sed"], targets["sed"])
        weight = targets["sed"].repeat(1, 1, 3)  # the activity of each axis-major DOA entry
        doa = (weight * (output["doa"] - targets["doa"]) ** 2).sum() / weight.sum().clamp_min(1e-8)
        return {"loss": self.sed_weight * sed + self.doa_weight * doa, "sed": sed, "doa": doa}

    def decode(self, output: dict[str, torch.Tensor], thresholds=0.5, *,
               frame_len: float = FRAME_LEN) -> list[Events]:
        """Events per item: classes whose probability exceeds their threshold, at their DOA."""
        prob = to_numpy(torch.sigmoid(torch.as_tensor(output["sed"]).detach().float()))
        doa = to_numpy(output["doa"])
        if prob.ndim != 3 or doa.shape != prob.shape[:2] + (3 * prob.shape[2],):
            raise ValueError(f"seddoa output must be sed [B, T, K] and doa [B, T, 3K], got {prob.shape} and "
                             f"{doa.shape}")
        nb, nt, k = prob.shape
        b, t, c = np.nonzero(prob > class_thresholds(thresholds, k))
        xyz = doa.reshape(nb, nt, 3, k)[b, t, :, c]
        return build_events(nb, nt, b, t, c, np.zeros_like(c), xyz, None, frame_len)

    def oracle(self, targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """SED logits of the target activities (clamped to about +-16) and the target directions."""
        return {"sed": activity_logits(targets["sed"]), "doa": targets["doa"].clone()}
