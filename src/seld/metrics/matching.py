"""Minimum-cost assignment in many small groups at once (the Hungarian step of every DCASE scorer).

The official scorers call ``scipy.optimize.linear_sum_assignment`` once per frame (and class). Almost every
such problem is 1 x 1, and the rest are tiny (2 x 3, 3 x 3, ...). Here all problems are solved together:

* :func:`cross_pairs` lists every (reference row, prediction row) pair of every group, so that the costs of all
  pairs are computed in one vectorised call;
* :func:`assign` picks, for each group, the pairs of a minimum-cost assignment. 1 x 1 groups are taken as they
  are; groups up to :data:`MAX_ENUMERATED` rows/columns are solved by enumerating every assignment of the same
  shape at once (NumPy); larger groups, and groups whose optimum is tied, are solved one by one by
  :func:`shortest_augmenting_path`, which picks the same pairs as ``linear_sum_assignment`` on the same matrix.

Ties are common: real reference files (STARSS22/23) hold duplicate rows, and which duplicate a prediction is
matched to changes the scores (the track it is filed under, its distance error). With tied costs,
``linear_sum_assignment`` decides by the last bits of sums such as ``(a + b) - a`` versus ``b``, so the official
choice depends on the exact floating-point costs. Those are not reproduced bit for bit here: the official ones
come from the azimuth/elevation text of the files, ours from unit vectors (same angle, other rounding). On such
data the official numbers are matched to within 5e-4 degrees (LE) and 2e-5 (ER, F; DE 1e-4 m) instead of 1e-12
(measured on the 54 STARSS22 fold-4 files with the predictions of benchmarks/metrics_speed.py, seeds 0-2:
DCASE2023 ER, F, LR identical, LE up to 4.8e-4 degrees; DCASE2024 LE, LR to 1e-14, ER, F up to 2e-5, DE up to
8.5e-5 m); on data without exact ties the agreement is to rounding (see tests/metrics/test_official_golden.py).

SciPy is not imported: ``scipy.optimize`` alone takes longer to import than scoring a whole dataset.
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np

__all__ = ["cross_pairs", "assign", "shortest_augmenting_path", "MAX_ENUMERATED"]

#: Largest side of a group solved by enumeration (6 x 6 has 720 assignments); larger groups are solved one by
#: one with :func:`shortest_augmenting_path`.
MAX_ENUMERATED = 6

# Two assignment costs closer than this (relative) count as a tie, left to shortest_augmenting_path.
_TIE_RTOL = 1e-9

_PERMS: dict[tuple[int, int], np.ndarray] = {}


def cross_pairs(n_ref: np.ndarray, n_pred: np.ndarray, ref_start: np.ndarray, pred_start: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of every group, row-major within a group.

    Group ``g`` holds reference rows ``ref_start[g] ... ref_start[g] + n_ref[g] - 1`` and prediction rows
    ``pred_start[g] ...``. Returns (reference row, prediction row, group) of each pair; the pairs of group ``g``
    are consecutive and ordered as the cells of its ``n_ref[g] x n_pred[g]`` cost matrix.
    """
    n_ref = np.asarray(n_ref, np.int64)
    n_pred = np.asarray(n_pred, np.int64)
    size = n_ref * n_pred
    group = np.repeat(np.arange(len(size)), size)
    q = np.arange(group.size) - np.repeat(np.cumsum(size) - size, size)  # cell index inside its group
    cols = n_pred[group]
    return ref_start[group] + q // cols, pred_start[group] + q % cols, group


def _injections(rows: int, cols: int) -> np.ndarray:
    """Every injective map of ``rows`` rows into ``cols`` columns (rows <= cols), as [M, rows] column indices."""
    key = (rows, cols)
    if key not in _PERMS:
        _PERMS[key] = np.array(list(permutations(range(cols), rows)), dtype=np.int64).reshape(-1, rows)
    return _PERMS[key]


def shortest_augmenting_path(cost: np.ndarray) -> np.ndarray:
    """Minimum-cost assignment of a small dense matrix, as a boolean mask of the chosen cells.

    The shortest augmenting path method of D. F. Crouse, "On implementing 2D rectangular assignment
    algorithms", IEEE TAES 52(4), 2016, with the conventions of ``scipy.optimize.linear_sum_assignment``: a
    tall matrix is solved transposed, rows are added one at a time, the unassigned columns are scanned from the
    last to the first, and among equally short paths one ending at a free column wins. Equal inputs therefore
    give the same assignment as SciPy (checked in the tests), ties included.
    """
    cost = np.asarray(cost, dtype=np.float64)
    tall = cost.shape[0] > cost.shape[1]
    c = (cost.T if tall else cost).tolist()
    n_rows, n_cols = len(c), len(c[0])
    u, v = [0.0] * n_rows, [0.0] * n_cols
    path, col4row, row4col = [-1] * n_cols, [-1] * n_rows, [-1] * n_cols
    for cur in range(n_rows):
        shortest = [math.inf] * n_cols
        rows_seen, cols_seen = [False] * n_rows, [False] * n_cols
        todo = list(range(n_cols - 1, -1, -1))
        min_val, i, sink = 0.0, cur, -1
        while sink == -1:
            index, lowest = -1, math.inf
            rows_seen[i] = True
            for k, j in enumerate(todo):
                r = min_val + c[i][j] - u[i] - v[j]
                if r < shortest[j]:
                    path[j], shortest[j] = i, r
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest, index = shortest[j], k
            min_val = lowest
            j = todo[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            cols_seen[j] = True
            todo[index] = todo[-1]
            todo.pop()
        u[cur] += min_val
        for r_ in range(n_rows):
            if rows_seen[r_] and r_ != cur:
                u[r_] += min_val - shortest[col4row[r_]]
        for c_ in range(n_cols):
            if cols_seen[c_]:
                v[c_] -= min_val - shortest[c_]
        j = sink
        while True:  # flip the path
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == cur:
                break
    mask = np.zeros((n_rows, n_cols), dtype=bool)
    mask[np.arange(n_rows), col4row] = True
    return mask.T if tall else mask


def assign(n_ref: np.ndarray, n_pred: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Which pairs of :func:`cross_pairs` form a minimum-cost assignment of each group.

    Args:
        n_ref, n_pred: int [G] group sizes (both >= 1).
        cost: float [sum(n_ref * n_pred)] the cost of every pair, in :func:`cross_pairs` order.

    Returns:
        bool [len(cost)]: ``min(n_ref[g], n_pred[g])`` pairs per group selected.
    """
    n_ref = np.asarray(n_ref, np.int64)
    n_pred = np.asarray(n_pred, np.int64)
    size = n_ref * n_pred
    start = np.cumsum(size) - size
    keep = np.zeros(cost.size, dtype=bool)
    keep[start[size == 1]] = True
    big = np.maximum(n_ref, n_pred)
    rest = np.flatnonzero((size > 1) & (big <= MAX_ENUMERATED))
    if rest.size:
        shape_key = n_ref[rest] * (MAX_ENUMERATED + 1) + n_pred[rest]
        for key in np.unique(shape_key):
            groups = rest[shape_key == key]
            r, p = int(n_ref[groups[0]]), int(n_pred[groups[0]])
            cells = start[groups][:, None] + np.arange(r * p)  # [B, r*p]
            mat = cost[cells].reshape(-1, r, p)
            if r > p:  # enumerate over the smaller side
                mat = mat.transpose(0, 2, 1)
            short, long_ = mat.shape[1], mat.shape[2]
            perms = _injections(short, long_)  # [M, short]
            totals = mat[:, np.arange(short)[None, :], perms].sum(-1)  # [B, M]
            best = np.argmin(totals, axis=1)
            if totals.shape[1] > 1:
                two = np.partition(totals, 1, axis=1)[:, :2]
                tied = two[:, 1] - two[:, 0] <= _TIE_RTOL * (1.0 + np.abs(two[:, 0]))
            else:
                tied = np.zeros(len(groups), dtype=bool)
            chosen = perms[best]  # [B, short] column (long side) of each short-side row
            short_idx = np.broadcast_to(np.arange(short), chosen.shape)
            ref_i, pred_i = (short_idx, chosen) if r <= p else (chosen, short_idx)
            flat = cells[np.arange(len(groups))[:, None], ref_i * p + pred_i]
            keep[flat[~tied].ravel()] = True
            for g in groups[tied]:
                sl = slice(start[g], start[g] + size[g])
                keep[sl] = shortest_augmenting_path(cost[sl].reshape(n_ref[g], n_pred[g])).ravel()
    for g in np.flatnonzero(big > MAX_ENUMERATED):
        sl = slice(start[g], start[g] + size[g])
        keep[sl] = shortest_augmenting_path(cost[sl].reshape(n_ref[g], n_pred[g])).ravel()
    return keep
