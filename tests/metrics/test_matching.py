"""Batched Hungarian matching: optimal like brute force, and ties broken exactly as SciPy breaks them."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from seld.metrics.matching import MAX_ENUMERATED, assign, cross_pairs, shortest_augmenting_path


def _brute_force(cost: np.ndarray) -> float:
    """Smallest total cost over every assignment of min(rows, cols) pairs."""
    r, p = cost.shape
    if r <= p:
        return min(sum(cost[i, perm[i]] for i in range(r)) for perm in permutations(range(p), r))
    return _brute_force(cost.T)


def _scipy_mask(cost: np.ndarray) -> np.ndarray:
    mask = np.zeros(cost.shape, dtype=bool)
    rows, cols = linear_sum_assignment(cost)
    mask[rows, cols] = True
    return mask


def _tied_or_random(rng, r: int, p: int, kind: int) -> np.ndarray:
    """Cost matrices with many exact ties (small integers, duplicate rows/columns) or none (random floats)."""
    if kind == 0:
        return rng.integers(0, 3, (r, p)).astype(float)
    if kind == 1:
        return np.repeat(rng.random((1, p)) * 90, r, axis=0)  # duplicate reference rows
    if kind == 2:
        return np.repeat(rng.random((r, 1)) * 90, p, axis=1)  # duplicate predictions
    return rng.random((r, p)) * 180


def test_cross_pairs_lists_every_cell_row_major():
    # group 0: refs 0-1 x preds 10-12; group 1: ref 5 x pred 20
    ri, pi, g = cross_pairs(np.array([2, 1]), np.array([3, 1]), np.array([0, 5]), np.array([10, 20]))
    assert ri.tolist() == [0, 0, 0, 1, 1, 1, 5]
    assert pi.tolist() == [10, 11, 12, 10, 11, 12, 20]
    assert g.tolist() == [0, 0, 0, 0, 0, 0, 1]


def test_assign_is_optimal_and_complete_on_many_groups():
    rng = np.random.default_rng(0)
    n_r = rng.integers(1, 6, 400)
    n_p = rng.integers(1, 6, 400)
    costs = [_tied_or_random(rng, a, b, i % 4) for i, (a, b) in enumerate(zip(n_r, n_p))]
    keep = assign(n_r, n_p, np.concatenate([c.ravel() for c in costs]))
    start = 0
    for c in costs:
        mask = keep[start:start + c.size].reshape(c.shape)
        start += c.size
        assert mask.sum() == min(c.shape)
        assert (mask.sum(0) <= 1).all() and (mask.sum(1) <= 1).all()
        assert c[mask].sum() == pytest.approx(_brute_force(c), abs=1e-9)


def test_assign_picks_the_same_pairs_as_scipy_even_with_ties():
    """The pairs matter, not only the total: which duplicate reference row is matched decides the track it is
    filed under (2021-2023) and its distance error (2024)."""
    rng = np.random.default_rng(1)
    n_r = rng.integers(1, MAX_ENUMERATED + 3, 600)
    n_p = rng.integers(1, MAX_ENUMERATED + 3, 600)
    costs = [_tied_or_random(rng, a, b, i % 4) for i, (a, b) in enumerate(zip(n_r, n_p))]
    keep = assign(n_r, n_p, np.concatenate([c.ravel() for c in costs]))
    start = 0
    for c in costs:
        assert (keep[start:start + c.size].reshape(c.shape) == _scipy_mask(c)).all(), c
        start += c.size


@pytest.mark.parametrize("seed", range(3))
def test_shortest_augmenting_path_equals_scipy(seed):
    rng = np.random.default_rng(100 + seed)
    for k in range(1500):
        r, p = (int(x) for x in rng.integers(1, 9, 2))
        c = _tied_or_random(rng, r, p, k % 4)
        assert (shortest_augmenting_path(c) == _scipy_mask(c)).all(), c


def test_constant_matrix_gives_the_identity_like_scipy():
    assert (shortest_augmenting_path(np.zeros((3, 3))) == np.eye(3, dtype=bool)).all()


def test_assign_does_not_import_scipy():
    import subprocess
    import sys

    code = ("import sys, numpy as np\nfrom seld.metrics.matching import assign\n"
            "assign(np.array([2, 9]), np.array([2, 9]), np.zeros(85))\n"
            "assert 'scipy' not in sys.modules, 'matching imported scipy'")
    subprocess.run([sys.executable, "-c", code], check=True)
