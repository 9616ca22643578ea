"""Leave-one-file-out jackknife confidence intervals, as the DCASE2022-2024 scorers report them.

The official ``jackknife_estimation`` (seld-dcase2022 ``cls_compute_seld_results.py``): from the global value
and the N partial values (each computed without one file), bias = (N - 1)(mean(partial) - global),
std_err = sqrt((N - 1) * mean((partial - mean(partial))^2)), estimate = global - bias, and the interval
estimate +- t * std_err with t the (1 - alpha/2) quantile of Student's t with N - 1 degrees of freedom.
The scorers keep per-file counts, so a partial value is the total minus one file's counts: no re-scoring.

The official scorer, asked for intervals, returns beside them the values of its LAST leave-one-out subset
instead of the global values (the loop reuses the variable names); here the global values are reported.
"""

from __future__ import annotations

import numpy as np

__all__ = ["jackknife_interval"]


def jackknife_interval(global_value: np.ndarray, partial: np.ndarray, level: float = 0.95
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds for every value: ``global_value`` [...], ``partial`` [N, ...] (N >= 2)."""
    from scipy.special import stdtrit  # Student's t quantile; imported only when intervals are asked for

    partial = np.asarray(partial, dtype=np.float64)
    n = partial.shape[0]
    mean = partial.mean(axis=0)
    bias = (n - 1) * (mean - global_value)
    std_err = np.sqrt((n - 1) * np.mean((partial - mean) ** 2, axis=0))
    estimate = global_value - bias
    t = stdtrit(n - 1, 1 - (1 - level) / 2)
    return estimate - t * std_err, estimate + t * std_err
