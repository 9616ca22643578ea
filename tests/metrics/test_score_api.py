"""`seld.metrics.score`: input checks, file pairing, frame lengths, options, results, jackknife."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from metric_cases import frame_case
from seld.errors import ConfigError, InputError
from seld.formats import Events
from seld.metrics import METRICS, score
from seld.metrics.jackknife import jackknife_interval


@pytest.fixture(scope="module")
def dataset():
    files = frame_case(7, n_files=4)
    return {f.name: f.ref_events() for f in files}, {f.name: f.pred_events() for f in files}


def test_every_metric_runs_and_serialises(dataset):
    refs, preds = dataset
    l3 = {k: Events.from_cartesian(v.frame, v.cls, v.track, v.xyz, v.dist) for k, v in refs.items()}
    for metric in METRICS:
        r_in, p_in = (l3, preds) if metric == "l3das22" else (refs, preds)
        if metric == "dcase2019":
            r_in = {k: v.to_frame_len(0.02) for k, v in refs.items()}
        result = score(r_in, p_in, metric, classes=14 if metric == "l3das22" else 13)
        d = json.loads(json.dumps(result.to_dict(per_class=True)))
        assert {"ER", "F", "LE", "LR", "SELD"} <= set(d)
        assert ("DE" in d) == (metric == "dcase2024")
        assert 0 <= d["F"] <= 1


def test_bad_arguments_are_config_errors(dataset):
    refs, preds = dataset
    with pytest.raises(ConfigError, match="unknown metric"):
        score(refs, preds, "dcase2025")
    with pytest.raises(ConfigError, match="supports average micro"):
        score(refs, preds, "dcase2021", average="macro")
    with pytest.raises(ConfigError, match="no option rel_dist_threshold"):
        score(refs, preds, "dcase2023", rel_dist_threshold=2.0)
    with pytest.raises(ConfigError, match="at least 2 files"):
        score({"a": refs[next(iter(refs))]}, {}, "dcase2023", jackknife=True)


def test_prediction_without_reference_is_an_error(dataset):
    refs, preds = dataset
    extra = dict(preds, stray=next(iter(preds.values())))
    with pytest.raises(InputError, match="stray.*no reference"):
        score(refs, extra, "dcase2023")


def test_missing_prediction_is_scored_empty_with_a_warning(dataset, caplog):
    refs, preds = dataset
    name = sorted(refs)[1]
    some = {k: v for k, v in preds.items() if k != name}
    with caplog.at_level(logging.WARNING, logger="seld.metrics"):
        result = score(refs, some, "dcase2023")
    assert name in caplog.text and "empty prediction" in caplog.text
    explicit = score(refs, dict(some, **{name: Events.empty()}), "dcase2023")
    assert result.overall() == explicit.overall()


def test_class_out_of_range_names_the_file():
    ref = Events.from_polar([0], [0], [0], [0], [0])
    bad = Events.from_polar([0], [12], [0], [0], [0])
    bad.meta["path"] = "preds/x.csv"
    with pytest.raises(InputError, match=r"preds/x.csv: prediction has class index 12, outside the 12 classes"):
        score({"x": ref}, {"x": bad}, "dcase2021")


def test_distance_needed_for_dcase2024(dataset):
    refs, preds = dataset
    no_dist = {k: Events(v.frame, v.cls, v.track, v.xyz) for k, v in preds.items()}
    with pytest.raises(InputError, match="no distances, which dcase2024 needs"):
        score(refs, no_dist, "dcase2024")


def test_frame_length_conversion():
    ref20 = Events.from_polar(np.arange(100), np.zeros(100), np.zeros(100), np.zeros(100), np.zeros(100),
                              frame_len=0.02, n_frames=3000)
    pred100 = Events.from_polar(np.arange(20), np.zeros(20), np.zeros(20), np.full(20, 15.0), np.zeros(20))
    # A 100 ms prediction scored at 20 ms is each row repeated over 5 frames (lossless).
    a = score({"a": ref20}, {"a": pred100}, "dcase2019")
    b = score({"a": ref20}, {"a": pred100.to_frame_len(0.02)}, "dcase2019")
    assert a.overall() == b.overall()
    # The other way would drop rows: refused.
    with pytest.raises(InputError, match="20 ms frames but dcase2023 scores 100 ms"):
        score({"a": ref20}, {}, "dcase2023")


def test_jackknife_subtraction_equals_rescoring(dataset):
    """Leave-one-out values come from subtracting one file's counts; they must equal scoring N-1 files."""
    refs, preds = dataset
    result = score(refs, preds, "dcase2024", jackknife=True)
    names = list(result.overall())
    partial = []
    for leave in sorted(refs):
        sub = score({k: v for k, v in refs.items() if k != leave}, {k: v for k, v in preds.items() if k != leave},
                    "dcase2024").overall()
        partial.append([sub[k] for k in names])
    lo, hi = jackknife_interval(np.array([result.overall()[k] for k in names]), np.array(partial))
    for k, a, b in zip(names, lo, hi):
        assert result.ci[k] == pytest.approx((a, b), abs=1e-9)
    assert result.per_class_ci["F"].shape == (13, 2)
    d = result.to_dict(per_class=True)
    assert set(d["ci"]) == set(names) and "per_class_ci" in d


def test_jackknife_interval_formula():
    # global 1.0, partial [0, 2]: mean 1, bias 0, std_err = sqrt(1 * mean([1, 1])) = 1, t(0.975, 1) = 12.706
    lo, hi = jackknife_interval(np.array(1.0), np.array([0.0, 2.0]))
    assert (lo, hi) == (pytest.approx(1 - 12.7062047), pytest.approx(1 + 12.7062047))
