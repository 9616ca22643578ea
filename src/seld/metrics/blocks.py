"""Segment-based SED counts on 1 s blocks (sed_eval style), shared by the SELDnet and DCASE2019 scorers.

A class is active in a block when it is active in any frame of the block; per block FP = predicted-only
classes, FN = reference-only, S = min(FP, FN), D = max(0, FN - FP), I = max(0, FP - FN).
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_counts"]


def block_counts(ref: tuple[np.ndarray, np.ndarray, np.ndarray], pred: tuple[np.ndarray, np.ndarray, np.ndarray],
                 limit: np.ndarray, num_classes: int, block: int, drop_last: bool) -> dict[str, np.ndarray]:
    """Per-file ``S``, ``D``, ``I``, ``TP``, ``Nref``, ``Nsys`` (active blocks x classes) of (file, frame,
    class) activity rows. Frames ``>= limit[file]`` are ignored; ``drop_last`` also ignores the last frame of
    every block (the official ``O[i*B : i*B + B - 1]`` slice)."""
    n_files, C = len(limit), num_classes
    nb_max = int(limit.max(initial=1)) // block + 1

    def active_blocks(file, frame, cls) -> np.ndarray:
        used = frame < limit[file]
        if drop_last:
            used &= frame % block != block - 1
        return np.unique(((file * nb_max + frame // block) * C + cls)[used])

    blk_r, blk_p = active_blocks(*ref), active_blocks(*pred)
    tp = np.intersect1d(blk_r, blk_p, assume_unique=True)
    n_blocks = n_files * nb_max
    fp = np.bincount(np.setdiff1d(blk_p, blk_r, True) // C, minlength=n_blocks).reshape(n_files, nb_max)
    fn = np.bincount(np.setdiff1d(blk_r, blk_p, True) // C, minlength=n_blocks).reshape(n_files, nb_max)
    per_file = nb_max * C
    return {"S": np.minimum(fp, fn).sum(1).astype(np.float64),
            "D": np.maximum(0, fn - fp).sum(1).astype(np.float64),
            "I": np.maximum(0, fp - fn).sum(1).astype(np.float64),
            "TP": np.bincount(tp // per_file, minlength=n_files).astype(np.float64),
            "Nref": np.bincount(blk_r // per_file, minlength=n_files).astype(np.float64),
            "Nsys": np.bincount(blk_p // per_file, minlength=n_files).astype(np.float64)}
