"""Test-time augmentation by the ACS transforms: rotate the input, rotate the predictions back, average.

``acs`` feeds the network every one of the 16 FOA rotations and reflections that keep the vertical axis
(azimuth ``phi -> +-phi + k 90 deg``, elevation ``theta -> +-theta``; :class:`seld.data.augment.FoaRotation`
with 16 variants, identity first), or for the tetrahedral MIC array the 8 of them that only swap capsules
(:class:`seld.data.augment.MicChannelSwap`). A transform ``M`` (a signed permutation of x, y, z) moves a source
from direction ``u`` to ``M u``; the network's direction vectors for the transformed input are turned back with
``M^T`` (the inverse of a signed permutation) and the de-rotated outputs of all transforms are averaged, as
PSELDNets' ``post_processing=ACS`` does for ACCDOA and multi-ACCDOA. Distances and SED logits do not depend on the
direction and are averaged as they are.

What is averaged, per method:

* ``accdoa``: the class vectors (and the distance block);
* ``maccdoa``: the vectors of each of the three tracks, track by track (the ADPIT tracks of one class are
  interchangeable, so a transform may swap them; averaging track by track is what PSELDNets does);
* ``seddoa``: the SED logits and the class-wise DOA vectors.

The track-wise methods (``einv2``, ``agg*``) are refused: their tracks are not tied to classes, and merging
them needs a matching step across transforms that is not implemented.

Averaging over a whole group of transforms makes the result exactly equivariant: the merged prediction for a
transformed recording is the transformed merged prediction (tested with a network of random weights).
"""

from __future__ import annotations

import numpy as np

from seld.errors import ConfigError
from seld.task import TaskSpec

__all__ = ["TTA_MODES", "AcsTTA", "make_tta"]

#: ``--tta`` values
TTA_MODES = ("acs",)

#: channel of each direction axis (x, y, z) in each FOA channel convention
_FOA_AXIS_CHANNEL = {"acn-sn3d": (3, 1, 2), "fuma": (1, 2, 3)}
#: methods whose outputs are class-wise, so that de-rotated outputs can be averaged
_CLASSWISE = ("accdoa", "maccdoa", "seddoa")


class AcsTTA:
    """The ACS transforms of a task's microphone format (module docstring).

    Attributes:
        matrices: [V, 3, 3] direction transforms ``u -> M u``, identity first.
        mixing: [V, C, C] channel mixing: transformed audio = ``mixing[v] @ audio``.
    """

    def __init__(self, task: TaskSpec):
        if task.method not in _CLASSWISE:
            raise ConfigError(f"--tta acs averages class-wise outputs ({', '.join(_CLASSWISE)}); the model's "
                              f"{task.method} output is track-wise, which cannot be merged across rotations; "
                              f"run it without --tta")
        from seld.data.augment.rotate import FoaRotation, MicChannelSwap

        self.task = task
        if task.array == "foa":
            self.matrices = FoaRotation(variants=16, p=1.0).matrices
            axis_ch = _FOA_AXIS_CHANNEL[task.channel_convention]
            mixing = np.zeros((len(self.matrices), 4, 4), np.float32)
            mixing[:, 0, 0] = 1.0
            for i in range(3):
                for j in range(3):
                    mixing[:, axis_ch[i], axis_ch[j]] = self.matrices[:, i, j]
        elif task.array == "mic":
            swap = MicChannelSwap(variants=8, p=1.0)
            self.matrices = swap.matrices
            mixing = np.zeros((len(self.matrices), 4, 4), np.float32)
            for v, row in enumerate(swap.channel_maps):
                mixing[v, np.arange(4), row] = 1.0
        else:
            raise ConfigError(f"--tta acs needs FOA or the tetrahedral MIC array; this model takes "
                              f"{task.array!r} audio")
        self.mixing = mixing
        self.num_variants = len(self.matrices)

    def expand(self, audio: np.ndarray) -> np.ndarray:
        """``[B, C, N]`` -> ``[B * V, C, N]``: every transform of every item (item-major)."""
        out = np.einsum("vij,bjn->bvin", self.mixing, audio.astype(np.float32, copy=False))
        return out.reshape(-1, *audio.shape[1:])

    def _derotate(self, vec: np.ndarray, axis: int) -> np.ndarray:
        """Apply ``M_v^T`` to the vectors along ``axis`` of ``vec`` [B, V, ...]; the item axis is 1."""
        vec = np.moveaxis(vec, axis, -1)                                   # [B, V, ..., 3]
        shape = vec.shape
        flat = vec.reshape(shape[0], shape[1], -1, 3)
        # (M^T u)_i = sum_j M_ji u_j
        out = np.einsum("vji,bvnj->bvni", self.matrices, flat).reshape(shape)
        return np.moveaxis(out, -1, axis)

    def merge(self, output, batch: int):
        """Average over the transforms of the network output for :meth:`expand`-ed input, each de-rotated."""
        v, task = self.num_variants, self.task
        if task.method == "seddoa":
            sed = output["sed"].reshape(batch, v, *output["sed"].shape[1:])
            doa = output["doa"].reshape(batch, v, *output["doa"].shape[1:])
            t, k3 = doa.shape[2:]
            doa = self._derotate(doa.reshape(batch, v, t, 3, k3 // 3), 3).reshape(batch, v, t, k3)
            return {"sed": sed.mean(axis=1), "doa": doa.mean(axis=1)}
        y = np.asarray(output)
        y = y.reshape(batch, v, *y.shape[1:])
        t, d = y.shape[2:]
        width = 4 if task.distance else 3
        k = task.num_classes
        if task.method == "accdoa":
            blocks = y.reshape(batch, v, t, width, k).copy()
            blocks[:, :, :, :3] = self._derotate(blocks[:, :, :, :3], 3)
        else:   # maccdoa: [track, (x, y, z[, d]), class]
            blocks = y.reshape(batch, v, t, 3, width, k).copy()
            blocks[:, :, :, :, :3] = self._derotate(blocks[:, :, :, :, :3], 4)
        return blocks.reshape(batch, v, t, d).mean(axis=1)


def make_tta(mode: str | None, task: TaskSpec) -> AcsTTA | None:
    """The test-time augmentation ``mode`` (``None`` or ``"acs"``) for ``task``."""
    if mode is None or mode == "none":
        return None
    if mode not in TTA_MODES:
        raise ConfigError(f"unknown test-time augmentation {mode!r}; choose {', '.join(TTA_MODES)}")
    return AcsTTA(task)
