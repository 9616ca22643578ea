"""Spatial augmentations that rotate or reflect the whole sound field by relabelling channels.

FOA (:class:`FoaRotation`): a signed permutation M of the axes (x, y, z) maps every plane wave from direction u to
direction M u. The first-order channels (X, Y, Z) of ACN/SN3D FOA are the source signal times (x, y, z) of its
direction, so the same permutation and signs applied to the channels (X, Y, Z) transform the recording exactly,
reverberation included, while W stays. Labels: ``xyz -> M xyz``.

- ``variants=48``: all 6 axis permutations x 8 sign flips (the symmetry group of the cube; PSELDNets' type 48).
- ``variants=16``: the permutations that keep the z axis (identity, x<->y swap) x 8 sign flips: azimuth
  ``phi -> +-phi + k 90 deg`` and elevation ``theta -> +-theta``, the 16 ACS patterns of Mazzon et al. (2019)
  and Wang et al. (2021) (PSELDNets' type 16).

MIC (:class:`MicChannelSwap`): the DCASE tetrahedral capsules point to the corners (+,+,+), (+,-,-), (-,+,-),
(-,-,+) of a cube, i.e. the corners whose coordinates multiply to +1. A signed permutation maps that set onto
itself exactly when its signs multiply to +1, and then it only permutes the capsules. Since a capsule on the
(rigid or open) sphere hears a plane wave through the angle between capsule and wave only, capsule j of the
transformed field hears what capsule k with ``M c_k = c_j`` heard: the channels are permuted, nothing is mixed.

- ``variants=8``: the 8 of the 16 FOA patterns that map the tetrahedron onto itself (the channel swaps of Wang
  et al. 2021 for the MIC format: e.g. ``phi -> phi + 90, theta -> -theta`` or ``phi -> -phi + 90``).
- ``variants=24``: the whole symmetry group of the tetrahedron (24 of the 48).

The other 8 of the 16 ACS patterns (e.g. ``phi -> phi + 90`` with theta kept) would need capsules at the other
four corners of the cube and have no MIC channel-swap equivalent. The DCASE capsules sit at elevation 35 deg
rather than the exact tetrahedral 35.26 deg; the swap is exact for the ideal tetrahedron (a 0.26 deg mismatch).
"""

from __future__ import annotations

import abc
import itertools

import numpy as np
import torch

from seld.data.augment.base import Augmentation, bernoulli, copy_events, randint
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError

__all__ = ["FoaRotation", "MicChannelSwap", "signed_permutations", "TETRAHEDRON"]

#: FOA channel (W, Y, Z, X order) of each direction axis x, y, z
_AXIS_CHANNEL = np.array([3, 1, 2])

#: Ideal directions (unnormalised) of the DCASE MIC capsules M1..M4: (45, 35), (-45, -35), (135, -35), (-135, 35).
TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=np.float64)


def signed_permutations(keep_z: bool = False) -> np.ndarray:
    """Signed permutation matrices [V, 3, 3], identity first: permutations (all 6, or with ``keep_z`` the 2 that
    keep the z axis) times the 8 sign patterns. Row i of a matrix says which input axis, with which sign, becomes
    output axis i: ``xyz_out = M @ xyz_in``."""
    perms = [p for p in itertools.permutations(range(3)) if not keep_z or p[2] == 2]
    signs = list(itertools.product((1.0, -1.0), repeat=3))
    out = np.zeros((len(perms) * len(signs), 3, 3))
    for v, (perm, sign) in enumerate(itertools.product(perms, signs)):
        out[v, np.arange(3), perm] = sign
    return out


def _transform_events(batch: LabelledBatch, matrices: np.ndarray, chosen: np.ndarray):
    events = []
    for ev, v in zip(batch.events, chosen):
        new = copy_events(ev)
        new.xyz = ev.xyz @ matrices[v].T
        events.append(new)
    return events


class _SignedPermutation(Augmentation):
    """Shared part: draw one variant per item (identity with probability 1 - p), apply it."""

    domain = "wave"
    matrices: np.ndarray

    def draw(self, batch_size: int, generator: torch.Generator) -> np.ndarray:
        """Variant index per item (0 = identity where the coin with probability p said no)."""
        apply = bernoulli(generator, batch_size, self.p)
        variant = randint(generator, 0, len(self.matrices), batch_size).numpy()
        return np.where(apply, variant, 0)

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        self.check(batch)
        return self.apply_variants(batch, self.draw(len(batch), generator))

    @abc.abstractmethod
    def check(self, batch: LabelledBatch) -> None:
        """Refuse a batch of another array format."""

    @abc.abstractmethod
    def apply_variants(self, batch: LabelledBatch, variants) -> LabelledBatch:
        """Apply variant ``variants[b]`` (an index into ``matrices``) to item b; deterministic."""


class FoaRotation(_SignedPermutation):
    """FOA rotations and reflections by signed axis permutations (module docstring), per item with probability
    ``p`` (PSELDNets: 0.8); the variant is uniform over the ``variants`` (48 or 16), identity included.

    Attributes:
        matrices: [V, 3, 3] float64, the transforms of the direction vectors, identity first.
    """

    name = "rotate"

    def __init__(self, variants: int = 48, p: float = 0.8):
        super().__init__(p)
        if int(variants) not in (16, 48):
            raise ConfigError(f"FOA rotation variants must be 16 (ACS: azimuth steps of 90 deg and reflections) "
                              f"or 48 (all axis permutations and sign flips), got {variants!r}")
        self.variants = int(variants)
        self.matrices = signed_permutations(keep_z=self.variants == 16)

    def check(self, batch: LabelledBatch) -> None:
        if batch.array != "foa" or batch.audio.shape[1] != 4:
            raise ConfigError(f"rotate transforms FOA audio (4 channels W, Y, Z, X), but the batch is "
                              f"{batch.array!r} with {batch.audio.shape[1]} channels; use mic_swap for the "
                              f"tetrahedral MIC format")

    def apply_variants(self, batch: LabelledBatch, variants) -> LabelledBatch:
        self.check(batch)
        variants = np.asarray(variants, dtype=np.int64).reshape(len(batch))
        audio = batch.audio
        axis_ch = _AXIS_CHANNEL
        mats = self.matrices[variants]                                   # [B, 3, 3]
        src_axis = np.abs(mats).argmax(axis=2)                           # [B, 3] input axis of output axis i
        sign = mats[np.arange(len(batch))[:, None], np.arange(3)[None, :], src_axis]   # [B, 3]
        index = np.zeros((len(batch), 4), dtype=np.int64)
        gain = np.ones((len(batch), 4))
        index[:, axis_ch] = axis_ch[src_axis]
        gain[:, axis_ch] = sign
        idx = torch.as_tensor(index, device=audio.device)[:, :, None].expand(-1, -1, audio.shape[2])
        out = torch.gather(audio, 1, idx) * torch.as_tensor(gain, dtype=audio.dtype, device=audio.device)[:, :, None]
        return batch.replace(audio=out, events=_transform_events(batch, self.matrices, variants))


class MicChannelSwap(_SignedPermutation):
    """Channel swaps of the DCASE tetrahedral MIC array (module docstring), per item with probability ``p``;
    the variant is uniform over the ``variants`` (8: the ACS patterns of Wang et al. 2021, or 24), identity
    included.

    Attributes:
        matrices: [V, 3, 3] float64 transforms of the direction vectors, identity first.
        channel_maps: [V, 4] int64, output capsule j takes input capsule ``channel_maps[v, j]``.
    """

    name = "mic_swap"

    def __init__(self, variants: int = 8, p: float = 0.8):
        super().__init__(p)
        if int(variants) not in (8, 24):
            raise ConfigError(f"MIC channel-swap variants must be 8 (the ACS patterns that map the tetrahedral "
                              f"array onto itself) or 24 (its whole symmetry group), got {variants!r}")
        self.variants = int(variants)
        mats = signed_permutations(keep_z=self.variants == 8)
        self.matrices = mats[_sign_product(mats) > 0]
        maps = np.zeros((len(self.matrices), 4), dtype=np.int64)
        for v, m in enumerate(self.matrices):
            # output capsule j hears what capsule k with M c_k = c_j heard, i.e. c_k = M^T c_j
            back = TETRAHEDRON @ m          # row j: (M^T c_j)^T
            match = np.all(np.isclose(back[:, None, :], TETRAHEDRON[None, :, :]), axis=2)
            maps[v] = match.argmax(axis=1)
        self.channel_maps = maps

    def check(self, batch: LabelledBatch) -> None:
        if batch.array != "mic" or batch.audio.shape[1] != 4:
            raise ConfigError(f"mic_swap permutes the 4 capsules of the DCASE tetrahedral MIC array, but the "
                              f"batch is {batch.array!r} with {batch.audio.shape[1]} channels; use rotate for FOA")

    def apply_variants(self, batch: LabelledBatch, variants) -> LabelledBatch:
        self.check(batch)
        variants = np.asarray(variants, dtype=np.int64).reshape(len(batch))
        audio = batch.audio
        idx = torch.as_tensor(self.channel_maps[variants], device=audio.device)[:, :, None]
        out = torch.gather(audio, 1, idx.expand(-1, -1, audio.shape[2]))
        return batch.replace(audio=out, events=_transform_events(batch, self.matrices, variants))


def _sign_product(mats: np.ndarray) -> np.ndarray:
    """Product of the non-zero entries of each signed permutation matrix [V, 3, 3]."""
    return np.prod(mats.sum(axis=2), axis=1)
