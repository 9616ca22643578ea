"""EINV2: track-wise SED and DOA with frame-level permutation-invariant training (Cao et al., 2021; PSELDNets).

Output {"sed": [B, T, 3, K] logits, "doa": [B, T, 3, 3] tanh xyz}: three tracks, each with a class
distribution and one direction. Targets {"sed": [T, 3, K], "doa": [T, 3, 3]}: the events of a frame fill the
tracks in row order, first free track first (as PSELDNets' track labels; which track an event gets carries no
meaning across frames); a fourth and later event of one frame is dropped, with a warning. The sed target is the
event's activity (1, or lambda after mixup-style augmentation) at its class, the doa target its unit vector
(zero on empty tracks).

Loss (PSELDNets ``Losses_pit`` with ``method: tPIT``): for each of the 6 orders of the 3 target tracks,
beta * mean BCE-with-logits over (track, class) + (1 - beta) * mean squared error over (track, xyz); the
smallest per (item, frame) counts and the loss is its mean. As in PSELDNets the DOA error is not masked by
activity: empty tracks are pulled towards the zero vector.

Decoding: sigmoid, the most likely class of each track (top-1), active when its probability exceeds its class
threshold; the direction is the track's DOA. This decoding (and the targets) serve the AGG losses too.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import torch
import torch.nn.functional as F

from seld.decode import build_events, class_thresholds
from seld.errors import ConfigError
from seld.formats.events import Events
from seld.methods.base import Method, activity_logits, check_shape
from seld.methods.rows import FRAME_LEN, rank_in_group, select_rows, to_numpy

__all__ = ["TrackwiseMethod", "EINV2", "TRACK_PERMUTATIONS", "NUM_TRACKS"]

logger = logging.getLogger(__name__)

NUM_TRACKS = 3
#: The 6 orders in which the target tracks can be matched to the output tracks.
TRACK_PERMUTATIONS: tuple[tuple[int, ...], ...] = tuple(itertools.permutations(range(NUM_TRACKS)))


class TrackwiseMethod(Method):
    """Track-wise targets, decoding and oracle shared by EINV2 and the AGG losses."""

    def encode(self, events: Events, num_frames: int, num_classes: int, *, start: int = 0,
               activity=None) -> dict[str, torch.Tensor]:
        """Targets {"sed": [T, 3, K], "doa": [T, 3, 3]}."""
        rows = select_rows(events, num_frames, num_classes, start=start, activity=activity, frame_len=self.frame_len)
        track, _ = rank_in_group(rows.frame)
        keep = track < NUM_TRACKS
        if not keep.all():
            logger.warning("track-wise targets hold at most %d events per frame: %d event rows dropped",
                           NUM_TRACKS, int((~keep).sum()))
        frame, track = rows.frame[keep], track[keep]
        sed = np.zeros((num_frames, NUM_TRACKS, num_classes), np.float32)
        doa = np.zeros((num_frames, NUM_TRACKS, 3), np.float32)
        sed[frame, track, rows.cls[keep]] = rows.weight[keep]
        doa[frame, track] = rows.xyz[keep]
        return {"sed": torch.from_numpy(sed), "doa": torch.from_numpy(doa)}

    def decode(self, output: dict[str, torch.Tensor], thresholds=0.5, *,
               frame_len: float = FRAME_LEN) -> list[Events]:
        """Events per item: per track the top-1 class, if its probability exceeds the class threshold."""
        prob = to_numpy(torch.sigmoid(torch.as_tensor(output["sed"]).detach().float()))
        doa = to_numpy(output["doa"])
        if prob.ndim != 4 or prob.shape[2] != NUM_TRACKS or doa.shape != prob.shape[:3] + (3,):
            raise ValueError(f"track-wise output must be sed [B, T, 3, K] and doa [B, T, 3, 3], got "
                             f"{prob.shape} and {doa.shape}")
        nb, nt, _, k = prob.shape
        top = prob.argmax(axis=-1)  # [B, T, track]
        top_prob = np.take_along_axis(prob, top[..., None], axis=-1)[..., 0]
        b, t, tr = np.nonzero(top_prob > class_thresholds(thresholds, k)[top])
        return build_events(nb, nt, b, t, top[b, t, tr], tr, doa[b, t, tr], None, frame_len)

    def oracle(self, targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """SED logits of the target activities (clamped to about +-16) and the target directions."""
        return {"sed": activity_logits(targets["sed"]), "doa": targets["doa"].clone()}

    @staticmethod
    def _check(output: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], what: str) -> None:
        check_shape(output["sed"], targets["sed"], f"{what} sed")
        check_shape(output["doa"], targets["doa"], f"{what} doa")


class EINV2(TrackwiseMethod):
    """EINV2 with the tPIT loss (see the module docstring).

    Args:
        beta: weight of the SED loss; the DOA loss gets 1 - beta (PSELDNets ``loss_beta``: 0.5).
    """

    name = "einv2"
    head = "einv2"

    def __init__(self, beta: float = 0.5):
        if not 0.0 <= beta <= 1.0:
            raise ConfigError(f"einv2 beta must lie in [0, 1], got {beta}")
        self.beta = float(beta)

    def loss_terms(self, output: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """tPIT loss, with the SED and DOA parts of the chosen track orders."""
        self._check(output, targets, "einv2")
        sed_t, doa_t = targets["sed"], targets["doa"]
        sed = torch.stack([F.binary_cross_entropy_with_logits(output["sed"], sed_t[:, :, list(p)], reduction="none")
                           .mean(dim=(2, 3)) for p in TRACK_PERMUTATIONS])  # [6, B, T]
        doa = torch.stack([((output["doa"] - doa_t[:, :, list(p)]) ** 2).mean(dim=(2, 3))
                           for p in TRACK_PERMUTATIONS])
        best = (self.beta * sed + (1 - self.beta) * doa).argmin(dim=0, keepdim=True)
        sed, doa = sed.gather(0, best).mean(), doa.gather(0, best).mean()
        return {"loss": self.beta * sed + (1 - self.beta) * doa, "sed": sed, "doa": doa}
