"""`score`: the one entry point that checks the inputs, runs a named scorer and builds a :class:`SeldResult`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from seld.errors import ConfigError, InputError
from seld.formats.classes import ClassList, get_classes
from seld.formats.events import Events
from seld.metrics.dcase2019 import count_dcase2019, summarise_dcase2019
from seld.metrics.frame import count_frames, summarise_frames
from seld.metrics.jackknife import jackknife_interval
from seld.metrics.l3das import count_l3das, summarise_l3das
from seld.metrics.result import SeldResult
from seld.metrics.segment import count_segments, summarise_segments
from seld.metrics.seldnet import count_seldnet, summarise_seldnet

__all__ = ["score", "default_classes", "METRICS", "AVERAGES"]

log = logging.getLogger(__name__)

Summary = tuple[dict[str, float], dict[str, np.ndarray]]


@dataclass(frozen=True)
class _Spec:
    frame_len: float | None  # seconds per label frame (None: chosen by the caller)
    classes: str  # default class list
    averages: tuple[str, ...]  # the first one is the official setting
    options: dict[str, float]  # thresholds the metric accepts, with their official values
    needs_dist: bool = False


_SEGMENT_AVERAGES = ("macro", "micro", "macro-pseldnets")
_SPECS: dict[str, _Spec] = {
    "dcase2019": _Spec(0.02, "dcase2019", ("micro",), {}),
    "dcase2020": _Spec(0.1, "dcase2020", ("micro",), {"doa_threshold": 20.0}),
    "dcase2021": _Spec(0.1, "dcase2021", ("micro",), {"doa_threshold": 20.0}),
    "dcase2022": _Spec(0.1, "dcase2022", _SEGMENT_AVERAGES, {"doa_threshold": 20.0}),
    "dcase2023": _Spec(0.1, "dcase2023", _SEGMENT_AVERAGES, {"doa_threshold": 20.0}),
    "dcase2024": _Spec(0.1, "dcase2024", ("macro", "micro"),
                       {"doa_threshold": 20.0, "rel_dist_threshold": 1.0, "dist_threshold": np.inf}, True),
    "l3das22": _Spec(0.1, "l3das22", ("micro",), {"spatial_threshold": 2.0}, True),
    "seldnet": _Spec(None, "seldnet", ("micro",), {}),
}

#: Names of the scorers.
METRICS: tuple[str, ...] = tuple(_SPECS)
#: Every averaging mode (each metric accepts a subset; see :func:`score`).
AVERAGES: tuple[str, ...] = _SEGMENT_AVERAGES


def default_classes(metric: str) -> ClassList:
    """The class list a metric uses unless told otherwise (that of its dataset)."""
    if metric not in _SPECS:
        raise ConfigError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    return get_classes(_SPECS[metric].classes)


def _scorer(metric: str, average: str, num_classes: int, fix_quirks: bool, options: dict, frame_len: float
            ) -> tuple[Callable, Callable[[dict], Summary]]:
    """(counting function of (refs, preds), summary function of summed counts) for a metric."""
    C = num_classes
    if metric == "seldnet":
        return (lambda r, p: count_seldnet(r, p, C, frame_len, fix_quirks=fix_quirks),
                lambda t: (summarise_seldnet(t, fix_quirks), {}))
    if metric == "dcase2019":
        return (lambda r, p: count_dcase2019(r, p, C, fix_quirks=fix_quirks),
                lambda t: (summarise_dcase2019(t), {}))
    if metric == "l3das22":
        return lambda r, p: count_l3das(r, p, C, **options), lambda t: (summarise_l3das(t), {})
    if metric == "dcase2024":
        return (lambda r, p: count_frames(r, p, C, fix_quirks=fix_quirks, **options),
                lambda t: summarise_frames(t, average))
    year = min(int(metric[-4:]), 2022)
    eps = float(np.finfo(np.float32).eps) if average == "macro-pseldnets" else float(np.finfo(float).eps)
    return (lambda r, p: count_segments(r, p, C, year, fix_quirks=fix_quirks, **options),
            lambda t: summarise_segments(t, average, year, eps))


def _check(ev: Events, key: str, side: str, metric: str, spec: _Spec, classes: ClassList) -> Events:
    """Validate one file's events for a metric and bring them to its frame length."""
    path = ev.meta.get("path", key)
    if abs(ev.frame_len - spec.frame_len) > 1e-9:
        ratio = ev.frame_len / spec.frame_len
        if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
            raise InputError(path, f"{side} has {ev.frame_len * 1000:g} ms frames but {metric} scores "
                                   f"{spec.frame_len * 1000:g} ms frames",
                             "read the file with the format of its year (e.g. --pred-format dcase2019 for "
                             "20 ms DCASE2019 submissions)")
        ev = ev.to_frame_len(spec.frame_len)  # each frame repeated over the finer frames it covers
    if len(ev):
        if ev.cls.min() < 0 or ev.cls.max() >= len(classes):
            bad = int(ev.cls[(ev.cls < 0) | (ev.cls >= len(classes))][0])
            raise InputError(path, f"{side} has class index {bad}, outside the {len(classes)} classes of "
                                   f"{classes.name!r}", "pass the right class list (--classes N or NAME)")
        if ev.frame.min() < 0:
            raise InputError(path, f"{side} has a negative frame index", "frames are counted from 0")
        if not np.isfinite(ev.xyz).all() or (ev.dist is not None and not np.isfinite(ev.dist).all()):
            raise InputError(path, f"{side} has a NaN or infinite direction or distance", "fix the file")
    if spec.needs_dist and ev.dist is None:
        if len(ev):
            raise InputError(path, f"{side} has no distances, which {metric} needs",
                             "write distances in metres (e.g. frame,class,track,x,y,z,dist)")
        ev = replace(ev, dist=np.zeros(0))
    return ev


def score(refs: dict[str, Events], preds: dict[str, Events], metric: str, average: str | None = None,
          classes: int | str | ClassList | None = None, jackknife: bool = False, fix_quirks: bool = False,
          frame_len: float | None = None, **options: float) -> SeldResult:
    """Score predictions against references with a named DCASE / L3DAS metric.

    Args:
        refs, preds: :class:`Events` per file, keyed by a file name (usually the stem); files pair by key.
            A reference without a prediction is scored against an empty prediction (with a warning; the
            official scorers skip such files); a prediction without a reference is an error.
        metric: one of :data:`METRICS`: ``seldnet`` (SELDnet 2018, frames at its STFT hop), ``dcase2019``
            (20 ms frames), ``dcase2020``, ``dcase2021``,
            ``dcase2022`` / ``dcase2023`` (the same metric), ``dcase2024`` (distances needed) or ``l3das22``
            (positions: ``xyz * dist``).
        average: ``"macro"`` / ``"micro"`` / ``"macro-pseldnets"`` (PSELDNets' macro mean that skips classes
            never matched, 2022/2023 only). ``None``: the official setting (macro for 2022-2024, micro
            otherwise, the only mode of 2019-2021 and L3DAS).
        classes: a class count or class list name; default the metric's dataset (11, 14, 12, 13, 13, 13, 14, 11).
            Macro averages run over ALL these classes, present or not, as the official scorers do.
        jackknife: add leave-one-file-out 95 % confidence intervals (at least 2 files).
        fix_quirks: correct the official scorers' known quirks instead of reproducing them (see the module
            docstrings of :mod:`seld.metrics.dcase2019`, :mod:`~seld.metrics.segment`,
            :mod:`~seld.metrics.frame`, :mod:`~seld.metrics.seldnet`; L3DAS has none); the default reproduces
            the official numbers.
        frame_len: seconds per label frame for ``seldnet`` (default: that of the first reference file;
            files at a coarser integer multiple are repeated over the finer frames). Other metrics have
            their fixed frame length and reject this argument.
        options: thresholds, official values by default: ``doa_threshold`` (20 degrees, 2020-2024),
            ``rel_dist_threshold`` (1.0) and ``dist_threshold`` (inf, metres) for 2024, ``spatial_threshold``
            (2.0 m) for L3DAS.
    """
    if metric not in _SPECS:
        raise ConfigError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    spec = _SPECS[metric]
    if frame_len is not None and spec.frame_len is not None:
        raise ConfigError(f"{metric} scores {spec.frame_len * 1000:g} ms frames; frame_len is for seldnet only")
    average = spec.averages[0] if average is None else average
    if average not in spec.averages:
        raise ConfigError(f"{metric} supports average {' or '.join(spec.averages)}, not {average!r}")
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ConfigError(f"{metric} has no option {', '.join(unknown)}; it accepts: "
                          f"{', '.join(spec.options) or 'none'}")
    opts = {**spec.options, **{k: float(v) for k, v in options.items()}}
    cl = default_classes(metric) if classes is None else get_classes(classes)
    for key in preds:
        if key not in refs:
            raise InputError(preds[key].meta.get("path", key), "prediction file has no reference file",
                             "remove it or add its reference (files pair up by name)")
    keys = sorted(refs)
    if not keys:
        raise InputError(None, "no reference files to score", "give at least one reference file")
    if jackknife and len(keys) < 2:
        raise ConfigError("jackknife intervals need at least 2 files")
    if spec.frame_len is None:
        fl = refs[keys[0]].frame_len if frame_len is None else float(frame_len)
        if not fl > 0:
            raise ConfigError(f"frame_len must be a positive number of seconds, not {frame_len!r}")
        spec = replace(spec, frame_len=fl)
    ref_list, pred_list = [], []
    for key in keys:
        ref = _check(refs[key], key, "reference", metric, spec, cl)
        if key in preds:
            pred = _check(preds[key], key, "prediction", metric, spec, cl)
        else:
            log.warning("%s: no prediction file, scored as an empty prediction", ref.meta.get("path", key))
            pred = Events.empty(frame_len=spec.frame_len, with_dist=spec.needs_dist)
        if len(ref) == 0 and not fix_quirks and metric in ("dcase2022", "dcase2023", "dcase2024"):
            log.warning("%s: reference has no events; the official rule (length = last reference frame) "
                        "scores nothing of this file (fix_quirks=True scores its predictions)",
                        ref.meta.get("path", key))
        ref_list.append(ref)
        pred_list.append(pred)

    count, summarise = _scorer(metric, average, len(cl), fix_quirks, opts, spec.frame_len)
    counts = count(ref_list, pred_list)
    total = {k: v.sum(axis=0) for k, v in counts.items()}
    overall, per_class = summarise(total)
    result = SeldResult(metric=metric, average=average, classes=tuple(cl.names), files=len(keys),
                        per_class={k: np.asarray(v, dtype=np.float64) for k, v in per_class.items()},
                        **{k: overall[k] for k in ("ER", "F", "LE", "LR", "SELD")},
                        **({"DE": overall["DE"], "RDE": overall["RDE"]} if metric == "dcase2024" else {}),
                        extra={k: overall[k] for k in ("precision", "recall", "good_frame_ratio") if k in overall})
    if jackknife:
        _add_intervals(result, counts, total, summarise)
    return result


def _add_intervals(result: SeldResult, counts: dict, total: dict, summarise: Callable[[dict], Summary]) -> None:
    """Fill ``result.ci`` / ``per_class_ci`` from leave-one-file-out partial values."""
    names = list(result.overall())
    partial_overall, partial_class = [], {k: [] for k in result.per_class}
    for i in range(result.files):
        overall, per = summarise({k: total[k] - v[i] for k, v in counts.items()})
        partial_overall.append([overall[k] for k in names])
        for k in partial_class:
            partial_class[k].append(per[k])
    g = np.array([result.overall()[k] for k in names], dtype=np.float64)
    lo, hi = jackknife_interval(g, np.array(partial_overall))
    result.ci = {k: (float(a), float(b)) for k, a, b in zip(names, lo, hi)}
    for k, parts in partial_class.items():
        lo, hi = jackknife_interval(result.per_class[k], np.array(parts))
        result.per_class_ci[k] = np.stack([lo, hi], axis=-1)
