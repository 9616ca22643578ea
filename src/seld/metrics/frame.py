"""DCASE2024 SELD metric: location- and distance-aware detection on 100 ms frames (no segments).

As the official scorer (partha2409/DCASE2024_seld_baseline, ``SELD_evaluation_metrics.SELDMetrics`` with
``segment_based_metrics=False, evaluate_distance=True, lad_doa_thresh=20, lad_reldist_thresh=1.0``):
per frame and class with R reference and P predicted rows, the directions are matched (Hungarian on the angle);
of the K = min(R, P) pairs, those with angle > 20 degrees OR relative distance error ``|d - d_ref| /
(d_ref + eps)`` > 1.0 (OR absolute error > ``dist_threshold``, infinite by default) are spatial false
positives (weight 1 in F), the others TPs; the angle, distance and relative distance errors of all K pairs are
averaged (DOAE, DistE, RDE), whatever the thresholds. P - R > 0 extra predictions are FP, R - P > 0 missing
ones FN. ER from S/D/I per frame. Macro: F_c, DOAE_c, RDE_c per class (DOAE_c NaN for a class never matched),
SELD_c = nanmean(1 - F_c, DOAE_c / 180, RDE_c); reported F, LR, SELD are means over classes (absent classes
count as F=0), DOAE/DistE/RDE NaN-means.

Quirks reproduced by default (``fix_quirks=False``):

1. Only frames ``0 ... L - 1`` are scored, ``L`` being the LAST reference frame index: the last reference
   frame and everything predicted after it are ignored.
2. The angle comes from vectors normalised with ``sqrt(x^2 + y^2 + z^2 + 1e-10)``, so identical directions are
   8.1e-4 degrees apart.
3. A relative distance error of exactly 1.0 is not a miss (``>``).

``fix_quirks=True`` scores the recording length (reference ``n_frames``, else up to the last reference or
predicted frame, the last reference frame included) and uses the exact angle. Reference distances must be in
metres (the DCASE2024 readers convert the centimetres of the metadata files).
"""

from __future__ import annotations

import warnings

import numpy as np

from seld.formats.events import Events
from seld.geometry import angular_distance
from seld.metrics.matching import assign, cross_pairs
from seld.metrics.rows import group_by, per_file_class, recording_length, sdi, stack

__all__ = ["count_frames", "summarise_frames"]

_EPS = np.finfo(float).eps


def _angle_official(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The official Cartesian angle: each vector divided by sqrt(|v|^2 + 1e-10) before the dot product."""
    na = np.sqrt(np.sum(a * a, axis=-1) + 1e-10)
    nb = np.sqrt(np.sum(b * b, axis=-1) + 1e-10)
    dot = np.sum((a / na[:, None]) * (b / nb[:, None]), axis=-1)
    return np.rad2deg(np.arccos(np.clip(dot, -1.0, 1.0)))


def count_frames(refs: list[Events], preds: list[Events], num_classes: int, *, fix_quirks: bool = False,
                 doa_threshold: float = 20.0, rel_dist_threshold: float = 1.0,
                 dist_threshold: float = np.inf) -> dict[str, np.ndarray]:
    """Per-file counts of the DCASE2024 metric: ``S``, ``D``, ``I`` [F] and per class [F, C] ``TP``, ``FP``,
    ``FP_spatial``, ``FN``, ``Nref``, ``DE_TP``, ``DE_FP``, ``DE_FN``, ``AngE``, ``DistE``, ``RelDistE``
    (error sums over matched pairs). Both sides need distances."""
    n_files, C = len(refs), num_classes
    if fix_quirks:
        limit = np.array([recording_length(r, p) for r, p in zip(refs, preds)], np.int64)
    else:
        limit = np.array([max(r.last_frame(), 0) for r in refs], np.int64)
    ref, pred = stack(refs), stack(preds)
    ref = ref.select(ref.frame < limit[ref.file])
    pred = pred.select(pred.frame < limit[pred.file])
    t_max = int(max(ref.frame.max(initial=0), pred.frame.max(initial=0))) + 1

    gr = group_by((ref.file * t_max + ref.frame) * C + ref.cls)
    gp = group_by((pred.file * t_max + pred.frame) * C + pred.cls)
    _, ir, ip = np.intersect1d(gr.keys, gp.keys, assume_unique=True, return_indices=True)
    n_r, n_p = gr.count[ir], gp.count[ip]
    ri, pi, pair_group = cross_pairs(n_r, n_p, gr.start[ir], gp.start[ip])
    angle = (angular_distance if fix_quirks else _angle_official)(ref.xyz[gr.order][ri], pred.xyz[gp.order][pi])
    keep = assign(n_r, n_p, angle)
    m_group, m_angle = pair_group[keep], angle[keep]
    d_ref = ref.dist[gr.order][ri[keep]]
    d_err = np.abs(d_ref - pred.dist[gp.order][pi[keep]])
    rel = d_err / (d_ref + _EPS)
    miss = (m_angle > doa_threshold) | (d_err > dist_threshold) | (rel > rel_dist_threshold)

    # one item per (file, frame, class) present in either side
    keys = np.union1d(gr.keys, gp.keys)
    R = np.zeros(keys.size, np.int64)
    P = np.zeros(keys.size, np.int64)
    R[np.searchsorted(keys, gr.keys)] = gr.count
    P[np.searchsorted(keys, gp.keys)] = gp.count
    at = np.searchsorted(keys, gr.keys[ir])  # items where both are present
    common = np.zeros(keys.size, bool)
    common[at] = True
    sp = np.zeros(keys.size)
    sp[at] = np.bincount(m_group, weights=miss, minlength=ir.size)
    kk = np.zeros(keys.size)
    kk[at] = np.minimum(n_r, n_p)
    fp = np.where(common, np.maximum(P - R, 0), P).astype(np.float64)
    fn = np.where(common, np.maximum(R - P, 0), R).astype(np.float64)
    err = {}
    for name, v in (("AngE", m_angle), ("DistE", d_err), ("RelDistE", rel)):
        err[name] = np.zeros(keys.size)
        err[name][at] = np.bincount(m_group, weights=v, minlength=ir.size)
    values = {"TP": kk - sp, "FP": fp, "FP_spatial": sp, "FN": fn, "Nref": R.astype(np.float64),
              "DE_TP": kk, "DE_FP": fp, "DE_FN": fn, **err}
    file = keys // (t_max * C)
    counts = per_file_class(values, file, keys % C, n_files, C)
    counts["S"], counts["D"], counts["I"] = sdi(keys // C, fp + sp, fn, t_max, n_files)
    return counts


def _nanmean(a, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def summarise_frames(t: dict[str, np.ndarray], average: str) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Overall and per-class ER, F, LE (DOAE, degrees), DE (DistE, m), RDE, LR, SELD from summed counts."""
    eps = _EPS
    er = float((t["S"] + t["D"] + t["I"]) / (t["Nref"].sum() + eps))

    def values(c):
        de_tp = c["DE_TP"]
        with np.errstate(divide="ignore", invalid="ignore"):
            f = c["TP"] / (eps + c["TP"] + c["FP_spatial"] + 0.5 * (c["FP"] + c["FN"]))
            errs = {k: np.where(de_tp > 0, c[src] / (de_tp + eps), np.nan)
                    for k, src in (("LE", "AngE"), ("DE", "DistE"), ("RDE", "RelDistE"))}
            lr = de_tp / (eps + de_tp + c["DE_FN"])
        seld = _nanmean([1.0 - f, errs["LE"] / 180.0, errs["RDE"]], axis=0)
        return {"F": f, "LR": lr, "SELD": seld, **errs}

    per = values(t)
    if average == "micro":
        tot = {k: np.asarray(v.sum()) for k, v in t.items()}
        overall = {k: float(v) for k, v in values(tot).items()}
    else:
        overall = {k: float(np.mean(per[k])) for k in ("F", "LR", "SELD")}
        overall.update({k: float(_nanmean(per[k])) for k in ("LE", "DE", "RDE")})
    overall["ER"] = er
    return overall, per
