"""SELDnet metrics (seld-net, Adavanne et al., JSTSP 2018): ER/F on 1 s blocks, DOA error, frame recall.

As seld-net's ``evaluation_metrics.py`` on label frames at the STFT hop of its features (``frame_len``, e.g.
``512 / 2 / 44100`` s; the caller chooses it):

* SED: 1 s blocks of ``B = int(1 / frame_len)`` frames; ER and F as :mod:`seld.metrics.blocks` (micro over
  blocks x classes), F = 2PR / (P + R) with eps, ER = (S + D + I) / Nref without eps.
* DOA error: per frame, over the PREDICTED-active classes, the Euclidean chord between the predicted and the
  reference Cartesian vector of the same class; a class without reference has the zero vector (seld-net's
  ``xyz_def_zero`` default), so it adds a chord of 1. The chords are averaged over all such (frame, class)
  pairs and reported as ``2 arcsin(mean_chord / 2)`` in degrees: the angle of the mean chord, not the mean
  angle (acknowledged in seld-net issue #16; the paper's numbers use it). No predictions: 0.
  (seld.py's early-stopping score uses the variant over REFERENCE-active classes, which needs the network's
  direction for classes it did not detect: an event list does not hold it.)
* Frame recall: seld-net's ``avg_accuracy``: the confusion matrix of (reference, predicted) numbers of active
  classes per frame (sklearn, labels = the counts that occur), rows normalised, mean of its diagonal over
  the first ``max reference count`` labels. The plain ratio of frames whose counts agree is reported as
  ``good_frame_ratio`` (seld.py's score uses that one).
* SELD = mean(ER, 1 - F, DOA / 180, 1 - frame recall).

A class holds one direction per frame (seld-net's label matrix): with several rows of a class in one frame the
last one counts. Frames ``>= n_frames`` of the reference are ignored; without ``n_frames`` a file ends at its
last reference or predicted frame. seld-net scores all files concatenated; blocks here restart with every
file (the same numbers when each file has a multiple of ``B`` frames). Not reproduced, being part of seld-net's
label building rather than of its metric: its DOA labels stop one frame before its SED labels (``end`` vs
``end + 1``), so the last frame of every reference event has the zero vector as its direction.

Quirks reproduced by default (``fix_quirks=False``):

1. Each block takes its maximum over frames ``[B i, B i + B - 1)``: the last frame of every block is ignored.
2. F uses ``ceil(N / B)`` blocks, ER only ``int(N / B)``.
3. The DOA error is the angle of the mean chord.
4. Frame recall: the slice ``[:max_count]`` of the confusion matrix indexes labels by position, so it drops
   the highest reference count (when the counts run from 0) and counts a predicted-only count as a level
   of accuracy 0.

``fix_quirks=True``: all ``B`` frames per block and ``ceil(N / B)`` blocks for both; the DOA error is the
mean great-circle angle over the (frame, class) pairs active in both (NaN without any); the frame recall is the
mean over the reference counts that occur of the fraction of their frames with as many predicted classes.
"""

from __future__ import annotations

import numpy as np

from seld.formats.events import Events
from seld.geometry import angular_distance
from seld.metrics.blocks import block_counts
from seld.metrics.rows import recording_length, stack

__all__ = ["count_seldnet", "summarise_seldnet", "frames_per_block"]

_EPS = np.finfo(float).eps


def frames_per_block(frame_len: float) -> int:
    """seld-net's ``nb_frames_1s = int(1 / hop_len_s)`` (with a tolerance for 1 / 0.1 style rounding)."""
    return max(int(np.floor(1.0 / frame_len + 1e-9)), 1)


def _class_frames(events: list[Events], limit: np.ndarray, num_classes: int, t_max: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys ``(file * t_max + frame) * C + class`` of frames < limit and the direction of the
    LAST row of each key (a label matrix holds one direction per class and frame)."""
    rows = stack(events)
    rows = rows.select(rows.frame < limit[rows.file])
    key = (rows.file * t_max + rows.frame) * num_classes + rows.cls
    keys, first_of_reversed = np.unique(key[::-1], return_index=True)
    return keys, rows.xyz[len(key) - 1 - first_of_reversed]


def count_seldnet(refs: list[Events], preds: list[Events], num_classes: int, frame_len: float, *,
                  fix_quirks: bool = False) -> dict[str, np.ndarray]:
    """Per-file counts: block counts for F (``TP``, ``Nref``, ``Nsys``) and ER (``S``, ``D``, ``I``,
    ``Nref_er``), DOA sums (``chord``, ``n_doa``, ``angle``, ``n_pairs``), ``good_frames``, ``n_frames`` and
    ``counts`` [F, (C + 1) ** 2], the (reference, predicted) active-class count pairs over all frames."""
    n_files, C = len(refs), num_classes
    limit = np.array([recording_length(r, p) for r, p in zip(refs, preds)], np.int64)
    t_max = int(limit.max(initial=1))
    rkey, rxyz = _class_frames(refs, limit, C, t_max)
    pkey, pxyz = _class_frames(preds, limit, C, t_max)
    out = {"n_frames": limit.astype(np.float64)}

    # SED on 1 s blocks
    B = frames_per_block(frame_len)

    def split(key):
        frame, cls = key // C, key % C
        return frame // t_max, frame % t_max, cls

    ref_rows, pred_rows = split(rkey), split(pkey)
    f_counts = block_counts(ref_rows, pred_rows, limit, C, B, drop_last=not fix_quirks)
    er_limit = limit if fix_quirks else limit // B * B
    er_counts = block_counts(ref_rows, pred_rows, er_limit, C, B, drop_last=not fix_quirks)
    out.update({k: f_counts[k] for k in ("TP", "Nref", "Nsys")})
    out.update({k: er_counts[k] for k in ("S", "D", "I")})
    out["Nref_er"] = er_counts["Nref"]

    # DOA over predicted-active classes; a class absent from the reference has the zero vector
    pos = np.minimum(np.searchsorted(rkey, pkey), max(len(rkey) - 1, 0))
    both = rkey[pos] == pkey if len(rkey) else np.zeros(len(pkey), bool)
    ref_vec = np.where(both[:, None], rxyz[pos] if len(rkey) else 0.0, 0.0)
    pfile = pred_rows[0]
    out["chord"] = np.bincount(pfile, weights=np.linalg.norm(pxyz - ref_vec, axis=-1), minlength=n_files)
    out["n_doa"] = np.bincount(pfile, minlength=n_files).astype(np.float64)
    out["angle"] = np.bincount(pfile[both], weights=angular_distance(pxyz[both], ref_vec[both]),
                               minlength=n_files)
    out["n_pairs"] = np.bincount(pfile[both], minlength=n_files).astype(np.float64)

    # numbers of active classes per frame; frames without any row are (0, 0)
    rframe, rcount = np.unique(rkey // C, return_counts=True)
    pframe, pcount = np.unique(pkey // C, return_counts=True)
    frames = np.union1d(rframe, pframe)
    n_r = np.zeros(frames.size, np.int64)
    n_p = np.zeros(frames.size, np.int64)
    n_r[np.searchsorted(frames, rframe)] = rcount
    n_p[np.searchsorted(frames, pframe)] = pcount
    file = frames // t_max
    L = (C + 1) ** 2
    counts = np.bincount(file * L + n_r * (C + 1) + n_p, minlength=n_files * L).reshape(n_files, L)
    counts[:, 0] += limit - np.bincount(file, minlength=n_files)
    out["counts"] = counts.astype(np.float64)
    out["good_frames"] = (limit - np.bincount(file[n_r != n_p], minlength=n_files)).astype(np.float64)
    return out


def _frame_recall(counts: np.ndarray, fix_quirks: bool) -> float:
    """seld-net's class-balanced ``avg_accuracy`` from the [C + 1, C + 1] (reference, predicted) count matrix."""
    ref_total = counts.sum(1)
    if fix_quirks:
        levels = np.flatnonzero(ref_total)
        return float(np.mean(np.diag(counts)[levels] / ref_total[levels])) if levels.size else float("nan")
    labels = np.flatnonzero(ref_total + counts.sum(0))  # sklearn's labels: the counts that occur
    conf = counts[np.ix_(labels, labels)]
    conf = conf / (_EPS + conf.sum(1)[:, None])
    k = int(np.flatnonzero(ref_total).max(initial=0))  # max reference count, used as a position
    return float(np.mean(np.diag(conf[:k, :k]))) if k else float("nan")


def summarise_seldnet(t: dict[str, np.ndarray], fix_quirks: bool = False) -> dict[str, float]:
    """ER, F, LE (DOA error, degrees), LR (frame recall), SELD and ``good_frame_ratio`` from summed counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        er = float((t["S"] + t["D"] + t["I"]) / np.float64(t["Nref_er"]))
        prec = t["TP"] / (t["Nsys"] + _EPS)
        rec = t["TP"] / (t["Nref"] + _EPS)
        f = float(2 * prec * rec / (prec + rec + _EPS))
        if fix_quirks:
            doa = float(t["angle"] / np.float64(t["n_pairs"]))
        else:
            mean_chord = t["chord"] / t["n_doa"] if t["n_doa"] else 0.0
            doa = float(np.degrees(2 * np.arcsin(mean_chord / 2)))
    n = int(round(np.sqrt(t["counts"].size)))
    fr = _frame_recall(t["counts"].reshape(n, n), fix_quirks)
    return {"ER": er, "F": f, "LE": doa, "LR": fr, "SELD": float(np.mean([er, 1 - f, doa / 180, 1 - fr])),
            "good_frame_ratio": float(t["good_frames"] / t["n_frames"])}
