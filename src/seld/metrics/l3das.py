"""L3DAS21/22 task 2 metric: location-sensitive detection F-score on 100 ms frames.

As the official ``metrics.location_sensitive_detection`` (l3das/L3DAS22): in each frame, a reference event and
a predicted event match when their classes are equal and their positions (``xyz * dist``, metres) are closer
than ``spatial_threshold`` (2.0 m, strict ``<``). There is no one-to-one assignment: the frame's TP is
``min(#reference events with a match, #predicted events with a match)``, FP = predicted - TP,
FN = reference - TP. Counts are summed over frames and files; P = TP / (TP + FP + eps),
R = TP / (TP + FN + eps), F = 2PR / (P + R + eps). Every frame present in a file is scored (the official code
crashes on frames beyond its ``n_frames`` argument).
"""

from __future__ import annotations

import numpy as np

from seld.formats.events import Events
from seld.metrics.matching import cross_pairs
from seld.metrics.rows import group_by, stack

__all__ = ["count_l3das", "summarise_l3das"]

_EPS = np.finfo(float).eps


def count_l3das(refs: list[Events], preds: list[Events], num_classes: int, *, spatial_threshold: float = 2.0
                ) -> dict[str, np.ndarray]:
    """Per-file ``TP``, ``FP``, ``FN`` [F]. Both sides need distances (positions)."""
    n_files, C = len(refs), num_classes
    ref, pred = stack(refs), stack(preds)
    t_max = int(max(ref.frame.max(initial=0), pred.frame.max(initial=0))) + 1
    gr = group_by((ref.file * t_max + ref.frame) * C + ref.cls)
    gp = group_by((pred.file * t_max + pred.frame) * C + pred.cls)
    _, ir, ip = np.intersect1d(gr.keys, gp.keys, assume_unique=True, return_indices=True)
    ri, pi, _ = cross_pairs(gr.count[ir], gp.count[ip], gr.start[ir], gp.start[ip])
    pos_r = (ref.xyz * ref.dist[:, None])[gr.order]
    pos_p = (pred.xyz * pred.dist[:, None])[gp.order]
    close = np.linalg.norm(pos_r[ri] - pos_p[pi], axis=1) < spatial_threshold
    matched_r = np.unique(ri[close])  # sorted reference rows with at least one match
    matched_p = np.unique(pi[close])
    frame_r = gr.keys[gr.group] // C  # (file, frame) of each sorted row
    frame_p = gp.keys[gp.group] // C
    frames = np.union1d(frame_r, frame_p)
    n_r = np.bincount(np.searchsorted(frames, frame_r), minlength=frames.size)
    n_p = np.bincount(np.searchsorted(frames, frame_p), minlength=frames.size)
    m_r = np.bincount(np.searchsorted(frames, frame_r[matched_r]), minlength=frames.size)
    m_p = np.bincount(np.searchsorted(frames, frame_p[matched_p]), minlength=frames.size)
    tp = np.minimum(m_r, m_p)
    file = frames // t_max
    return {"TP": np.bincount(file, weights=tp, minlength=n_files),
            "FP": np.bincount(file, weights=n_p - tp, minlength=n_files),
            "FN": np.bincount(file, weights=n_r - tp, minlength=n_files)}


def summarise_l3das(t: dict[str, np.ndarray]) -> dict[str, float]:
    """F, precision, recall from summed counts (ER, LE, LR, SELD are not defined: NaN)."""
    prec = float(t["TP"] / (t["TP"] + t["FP"] + _EPS))
    rec = float(t["TP"] / (t["TP"] + t["FN"] + _EPS))
    f = 2 * ((prec * rec) / (prec + rec + _EPS))
    return {"ER": np.nan, "F": f, "LE": np.nan, "LR": np.nan, "SELD": np.nan, "precision": prec, "recall": rec}
