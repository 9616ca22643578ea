"""DCASE2019 SELD metrics: ER and F on 1 s blocks (as SELDnet's), DOA error, frame recall.

As the official scorer (seld-dcase2019 ``metrics/evaluation_metrics.py`` and ``calculate_SELD_metrics.py``):
reference and prediction become one-hot tensors [3000 frames of 20 ms, classes, 36 x 9 directions] on a
10-degree grid (azimuth -180..170, elevation -40..40), each direction clipped to the grid range and quantised by
FLOOR division, so rows falling in the same cell of the same frame and class count once.

* SED: class activity per frame, then per 1 s block of 50 frames; per block FP = predicted-only classes,
  FN = reference-only; S = sum min(FP, FN), D, I as usual; ER = (S + D + I) / Nref (no eps: NaN or inf without
  reference), F = 2PR / (P + R) over all blocks and files (micro).
* DOA error: in each frame, ALL active (class, cell) entries of the reference and of the prediction, whatever
  their class, are matched (Hungarian, great-circle angle between cell directions); DOA error = sum of matched
  angles / total number of predicted entries in all frames (including frames without reference).
* Frame recall: fraction of frames (3000 per file) where the numbers of reference and predicted entries agree
  (frames empty in both count as agreeing).
* SELD = mean(ER, 1 - F, DOA error / 180, 1 - frame recall).

Quirks reproduced by default (``fix_quirks=False``):

1. Each block takes its maximum over frames ``[50 i, 50 i + 49)``: the last frame of every block is ignored.
2. Every file has 3000 frames (60 s).

``fix_quirks=True`` uses all 50 frames of a block and the reference's ``n_frames`` (else the last reference or
predicted frame) as the file length. The class-agnostic matching, the grid and the denominator are the metric's
definition and are kept.

Directions arrive as unit vectors, so an azimuth written outside [-180, 180] (e.g. 200) is read as its
wrapped value (-160) before the clipping, where the official code would clip 200 to 170.
"""

from __future__ import annotations

import numpy as np

from seld.formats.events import Events
from seld.geometry import unit_to_polar
from seld.metrics.blocks import block_counts
from seld.metrics.matching import assign, cross_pairs
from seld.metrics.rows import group_by, recording_length, stack

__all__ = ["count_dcase2019", "summarise_dcase2019", "FRAMES_PER_BLOCK", "NUM_FRAMES"]

FRAMES_PER_BLOCK = 50
NUM_FRAMES = 3000
_N_AZI, _N_ELE = 36, 9
_EPS = np.finfo(float).eps


def _cell_angles() -> np.ndarray:
    """[324, 324] great-circle angle (degrees) between grid cells, computed with the official polar formula."""
    cell = np.arange(_N_AZI * _N_ELE)
    azi = ((cell // _N_ELE) * 10 - 180) * np.pi / 180
    ele = ((cell % _N_ELE) * 10 - 40) * np.pi / 180
    a1, e1, a2, e2 = azi[:, None], ele[:, None], azi[None, :], ele[None, :]
    cos = np.sin(e1) * np.sin(e2) + np.cos(e1) * np.cos(e2) * np.cos(np.abs(a1 - a2))
    return np.arccos(np.clip(cos, -1, 1)) * 180 / np.pi


_CELL_ANGLES = _cell_angles()


def grid_cell(xyz: np.ndarray) -> np.ndarray:
    """Grid cell index ``azi_index * 9 + ele_index`` of unit vectors (clipped, floor-quantised)."""
    azi, ele = unit_to_polar(xyz)
    # integer degrees go through a unit vector: round away the float noise before the floor division
    azi = np.clip(np.round(azi, 9), -180, 170)
    ele = np.clip(np.round(ele, 9), -40, 40)
    return ((azi + 180) // 10).astype(np.int64) * _N_ELE + ((ele + 40) // 10).astype(np.int64)


def _entries(events: list[Events], limit: np.ndarray, num_classes: int):
    """Unique (file, frame, class, cell) entries with frame < limit: (file, frame, class, cell) arrays."""
    rows = stack(events)
    keep = rows.frame < limit[rows.file]
    rows = rows.select(keep)
    cell = grid_cell(rows.xyz)
    t_max = int(limit.max(initial=1))
    key = ((rows.file * t_max + rows.frame) * num_classes + rows.cls) * (_N_AZI * _N_ELE) + cell
    key = np.unique(key)
    cell, rest = key % (_N_AZI * _N_ELE), key // (_N_AZI * _N_ELE)
    cls, rest = rest % num_classes, rest // num_classes
    return rest // t_max, rest % t_max, cls, cell


def count_dcase2019(refs: list[Events], preds: list[Events], num_classes: int, *, fix_quirks: bool = False
                    ) -> dict[str, np.ndarray]:
    """Per-file counts [F]: ``S``, ``D``, ``I``, ``TP``, ``Nref``, ``Nsys`` (blocks x classes), ``doa_cost``,
    ``n_pred`` (predicted entries), ``good_frames``, ``n_frames``."""
    n_files, C = len(refs), num_classes
    if fix_quirks:
        limit = np.array([recording_length(r, p) for r, p in zip(refs, preds)], np.int64)
    else:
        limit = np.full(n_files, NUM_FRAMES, np.int64)
    rf, rt, rc, rcell = _entries(refs, limit, C)
    pf, pt, pc, pcell = _entries(preds, limit, C)
    out = {"n_frames": limit.astype(np.float64)}

    # SED on blocks
    out.update(block_counts((rf, rt, rc), (pf, pt, pc), limit, C, FRAMES_PER_BLOCK, drop_last=not fix_quirks))

    # DOA: class-agnostic matching per frame
    t_max = int(limit.max(initial=1))
    gr, gp = group_by(rf * t_max + rt), group_by(pf * t_max + pt)
    _, ir, ip = np.intersect1d(gr.keys, gp.keys, assume_unique=True, return_indices=True)
    ri, pi, pair_group = cross_pairs(gr.count[ir], gp.count[ip], gr.start[ir], gp.start[ip])
    cost = _CELL_ANGLES[rcell[gr.order][ri], pcell[gp.order][pi]]
    keep = assign(gr.count[ir], gp.count[ip], cost)
    out["doa_cost"] = np.bincount(gr.keys[ir][pair_group[keep]] // t_max, weights=cost[keep], minlength=n_files)
    out["n_pred"] = np.bincount(pf, minlength=n_files).astype(np.float64)

    # frame recall: frames where the entry counts differ are the non-agreeing ones
    frames = np.union1d(gr.keys, gp.keys)
    n_r = np.zeros(frames.size, np.int64)
    n_p = np.zeros(frames.size, np.int64)
    n_r[np.searchsorted(frames, gr.keys)] = gr.count
    n_p[np.searchsorted(frames, gp.keys)] = gp.count
    bad = np.bincount(frames[n_r != n_p] // t_max, minlength=n_files)
    out["good_frames"] = (limit - bad).astype(np.float64)
    return out


def summarise_dcase2019(t: dict[str, np.ndarray]) -> dict[str, float]:
    """ER, F, LE (DOA error, degrees), LR (frame recall), SELD from summed counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        er = float((t["S"] + t["D"] + t["I"]) / np.float64(t["Nref"]))
        prec = t["TP"] / (t["Nsys"] + _EPS)
        rec = t["TP"] / (t["Nref"] + _EPS)
        f = float(2 * prec * rec / (prec + rec + _EPS))
        doa = float(t["doa_cost"] / np.float64(t["n_pred"]))
    fr = float(t["good_frames"] / t["n_frames"])
    return {"ER": er, "F": f, "LE": doa, "LR": fr, "SELD": float(np.mean([er, 1 - f, doa / 180, 1 - fr]))}
