"""DCASE2020-2023 SELD metrics: location-aware detection and class-aware localization on 1 s segments.

Label frames are 100 ms; a segment is 10 frames; a "class-segment" is one class inside one segment.
What is counted, exactly as the official scorers count it (seld-dcase2020 ``SELD_evaluation_metrics.py``,
seld-dcase2021/2022/2023 ``SELD_evaluation_metrics.py`` + ``cls_compute_seld_results.py``):

* 2021-2023 (multi-instance): per class-segment, ``nb_gt`` / ``nb_pred`` is the largest number of rows of the
  class in one frame of the segment; ``Nref += nb_gt``. In every frame where both have the class, reference and
  predicted directions are matched (Hungarian, angle cost) and each matched pair is filed under the POSITION of
  the reference row among that frame's rows of the class (the track column is ignored). Each such "track" gets
  its mean angle over the frames where it was matched: it adds to LE and DE_TP, and is a TP if the mean is
  <= 20 degrees, otherwise a spatial miss (2021: a plain FP; 2022/2023: ``FP_spatial``, weight 1 in F).
  ``nb_pred - nb_gt`` more predictions are FP, fewer are FN. Reference only: FN += nb_gt; prediction only:
  FP += nb_pred. S/D/I per segment from the location-aware FP/FN summed over classes.
* 2020 (one instance per class-segment): Nref/Nsys count class-segments; the frame-wise costs (Hungarian SUM in
  a frame with several directions) are averaged over the matched frames; <= 20 degrees is a TP, otherwise a FN;
  "LR" is the F1 of class-segments matched at all (DE_F in the code).

Quirks reproduced by default (``fix_quirks=False``), each documented in the official code or its issues:

1. Evaluation length: 2020/2021 use 600 frames (60 s) for every file. 2022/2023 make
   ``ceil(L / 10)`` segments where ``L`` is the LAST reference frame index, so predictions after the last
   reference segment are ignored, and when ``L`` is a multiple of 10 the frame ``L`` itself is dropped.
2. A class present in reference and prediction of the same segment but never in the same frame adds ``nb_pred``
   (not ``nb_gt``) false negatives (2021-2023).
3. Track identity is the row position inside the frame (file order), not the track column.

``fix_quirks=True`` changes 1 and 2: every file is evaluated over its recording length (``Events.n_frames`` of
the reference; when unknown, up to the last reference or predicted frame), and a frame-disjoint class-segment
counts ``nb_gt`` misses plus ``nb_pred`` false alarms. Angles are great-circle angles between unit vectors
(the official polar path computes the same angle from azimuth/elevation; they agree to ~1e-12 degrees).
"""

from __future__ import annotations

import numpy as np

from seld.formats.events import Events
from seld.geometry import angular_distance
from seld.metrics.matching import assign, cross_pairs
from seld.metrics.rows import group_by, per_file_class, recording_length, sdi, stack

__all__ = ["count_segments", "summarise_segments", "FRAMES_PER_SEGMENT"]

FRAMES_PER_SEGMENT = 10
_FIXED_FRAMES = 600  # 60 s files of DCASE2020/2021


def _limits(refs: list[Events], preds: list[Events], year: int, fix_quirks: bool) -> np.ndarray:
    """Per file, the first frame index that is NOT evaluated."""
    out = np.empty(len(refs), np.int64)
    for i, (ref, pred) in enumerate(zip(refs, preds)):
        if fix_quirks:
            out[i] = recording_length(ref, pred)
        elif year <= 2021:
            out[i] = _FIXED_FRAMES
        else:  # ceil(last reference frame / 10) segments
            last = ref.last_frame()
            out[i] = -(-last // FRAMES_PER_SEGMENT) * FRAMES_PER_SEGMENT if last > 0 else 0
    return out


def count_segments(refs: list[Events], preds: list[Events], num_classes: int, year: int, *,
                   fix_quirks: bool = False, doa_threshold: float = 20.0) -> dict[str, np.ndarray]:
    """Per-file counts of the DCASE ``year`` (2020, 2021 or 2022 = 2023) segment metric.

    Returns arrays with a leading file axis: ``S``, ``D``, ``I`` [F]; and per class [F, C] ``TP``, ``FP``,
    ``FN``, ``Nref``, ``DE`` (sum of track angles), ``DE_TP`` (2021+: ``DE_FN``, ``DE_FP``, and for 2022+
    ``FP_spatial``; 2020: ``Nsys``). Summing over files gives the official accumulators.
    """
    n_files, C = len(refs), num_classes
    limit = _limits(refs, preds, year, fix_quirks)
    ref, pred = stack(refs), stack(preds)
    ref = ref.select(ref.frame < limit[ref.file])
    pred = pred.select(pred.frame < limit[pred.file])
    t_max = int(max(ref.frame.max(initial=0), pred.frame.max(initial=0))) + 1
    nb_max = t_max // FRAMES_PER_SEGMENT + 1

    def frame_key(r):
        return (r.file * t_max + r.frame) * C + r.cls

    def seg_key(r):
        return (r.file * nb_max + r.frame // FRAMES_PER_SEGMENT) * C + r.cls

    gr, gp = group_by(frame_key(ref)), group_by(frame_key(pred))
    seg_r = seg_key(ref)[gr.order][gr.start]  # class-segment of each reference frame-group
    seg_p = seg_key(pred)[gp.order][gp.start]
    segs = np.unique(np.concatenate([seg_r, seg_p]))
    ir_seg, ip_seg = np.searchsorted(segs, seg_r), np.searchsorted(segs, seg_p)
    nb_gt = np.zeros(segs.size, np.int64)
    nb_pred = np.zeros(segs.size, np.int64)
    np.maximum.at(nb_gt, ir_seg, gr.count)
    np.maximum.at(nb_pred, ip_seg, gp.count)

    # frames where both have the class: match directions
    _, ir, ip = np.intersect1d(gr.keys, gp.keys, assume_unique=True, return_indices=True)
    ri, pi, pair_group = cross_pairs(gr.count[ir], gp.count[ip], gr.start[ir], gp.start[ip])
    cost = angular_distance(ref.xyz[gr.order][ri], pred.xyz[gp.order][pi])
    keep = assign(gr.count[ir], gp.count[ip], cost)
    m_ref, m_cost, m_group = ri[keep], cost[keep], pair_group[keep]
    m_seg = ir_seg[ir][m_group]  # class-segment of each matched pair

    has_gt, has_pred = nb_gt > 0, nb_pred > 0
    both = has_gt & has_pred
    seg_file = segs // (nb_max * C)
    seg_cls = segs % C
    if year == 2020:
        n_matched_frames = np.bincount(ir_seg[ir], minlength=segs.size)
        seg_cost = np.bincount(m_seg, weights=m_cost, minlength=segs.size)
        found = both & (n_matched_frames > 0)
        avg = np.divide(seg_cost, n_matched_frames, out=np.zeros(segs.size), where=found)
        tp = found & (avg <= doa_threshold)
        fn = (has_gt & ~tp).astype(np.float64)  # missed, frame-disjoint or too far
        fp = (has_pred & ~has_gt).astype(np.float64)
        values = {"TP": tp.astype(np.float64), "FP": fp, "FN": fn, "Nref": has_gt.astype(np.float64),
                  "Nsys": has_pred.astype(np.float64), "DE": np.where(found, avg, 0.0),
                  "DE_TP": found.astype(np.float64)}
        loc_fp, loc_fn = fp, fn
    else:
        # tracks: (class-segment, reference position in its frame)
        j_max = int(gr.count.max(initial=0)) + 1
        track, inv = np.unique(m_seg * j_max + gr.pos[m_ref], return_inverse=True)
        t_avg = np.bincount(inv, weights=m_cost) / np.bincount(inv)
        t_seg = track // j_max
        n_tracks = np.bincount(t_seg, minlength=segs.size)
        tp = np.bincount(t_seg, weights=t_avg <= doa_threshold, minlength=segs.size)
        spatial = n_tracks - tp
        de = np.bincount(t_seg, weights=t_avg, minlength=segs.size)
        found = n_tracks > 0
        extra = nb_pred - nb_gt
        disjoint = both & ~found
        fp = np.where(found, np.maximum(extra, 0), 0) + np.where(has_pred & ~has_gt, nb_pred, 0)
        fn = np.where(found, np.maximum(-extra, 0), 0) + np.where(has_gt & ~has_pred, nb_gt, 0)
        if fix_quirks:
            fp, fn = fp + np.where(disjoint, nb_pred, 0), fn + np.where(disjoint, nb_gt, 0)
        else:
            fn = fn + np.where(disjoint, nb_pred, 0)
        values = {"TP": tp, "FN": fn.astype(np.float64), "Nref": nb_gt.astype(np.float64), "DE": de,
                  "DE_TP": n_tracks.astype(np.float64), "DE_FN": fn.astype(np.float64),
                  "DE_FP": fp.astype(np.float64)}
        if year == 2021:  # spatial misses are plain false positives
            values["FP"] = (fp + spatial).astype(np.float64)
        else:
            values["FP"] = fp.astype(np.float64)
            values["FP_spatial"] = spatial.astype(np.float64)
        loc_fp, loc_fn = fp + spatial, fn
    counts = per_file_class(values, seg_file, seg_cls, n_files, C)
    counts["S"], counts["D"], counts["I"] = sdi(segs // C, loc_fp, loc_fn, nb_max, n_files)
    return counts


def _seld(er, f, le, lr):
    return np.mean([er * np.ones_like(f), 1.0 - f, le / 180.0, 1.0 - lr], axis=0)


def summarise_segments(t: dict[str, np.ndarray], average: str, year: int, eps: float = np.finfo(float).eps
                       ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Overall and per-class ER, F, LE, LR, SELD from summed counts (``t`` without the file axis).

    ``average``: ``"micro"`` (ratios of sums), ``"macro"`` (class-wise values, then their mean; ER stays
    global; classes absent from reference and prediction count as F=0, LE=180, LR=0, as the official code
    does) or ``"macro-pseldnets"`` (PSELDNets: the mean skips every class whose LE is 180, i.e. never matched;
    with ``eps`` = float32 eps given by the caller; if no class is left: F=-1, LE=180, LR=-1, SELD=1).
    """
    er = float((t["S"] + t["D"] + t["I"]) / (t["Nref"].sum() + eps))
    with np.errstate(divide="ignore", invalid="ignore"):
        per = _class_values(t, year, eps, er)
    if average == "micro":
        tot = {k: np.asarray(v).sum() for k, v in t.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            micro = _class_values(tot, year, eps, er)
        overall = {k: float(micro[k]) for k in ("F", "LE", "LR", "SELD")}
    elif average == "macro":
        overall = {k: float(np.mean(per[k])) for k in ("F", "LE", "LR", "SELD")}
    else:  # macro-pseldnets
        kept = per["LE"] != 180.0
        fallback = {"F": -1.0, "LE": 180.0, "LR": -1.0, "SELD": 1.0}
        overall = {k: float(np.mean(per[k][kept])) if kept.any() else fallback[k] for k in fallback}
    overall["ER"] = er
    return overall, per


def _class_values(t: dict[str, np.ndarray], year: int, eps: float, er: float) -> dict[str, np.ndarray]:
    """F, LE, LR, SELD with the formulas of ``year`` on count arrays (per class, or 0-d sums)."""
    tp, fp, fn, de_tp = t["TP"], t["FP"], t["FN"], t["DE_TP"]
    le = np.where(de_tp > 0, t["DE"] / (de_tp + eps), 180.0)
    if year == 2020:
        prec, rec = tp / (t["Nsys"] + eps), tp / (t["Nref"] + eps)
        f = 2 * prec * rec / (prec + rec + eps)
        dprec, drec = de_tp / (t["Nsys"] + eps), de_tp / (t["Nref"] + eps)
        lr = 2 * dprec * drec / (dprec + drec + eps)
    else:
        f = tp / (eps + tp + t.get("FP_spatial", 0.0) + 0.5 * (fp + fn))
        lr = de_tp / (eps + de_tp + t["DE_FN"])
    return {"F": f, "LE": le, "LR": lr, "SELD": _seld(er, f, le, lr)}
