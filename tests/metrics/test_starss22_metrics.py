"""The metrics on the real STARSS22 fold-4 test labels (54 files), with predictions whose scores follow by hand."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from seld.formats import Events, read_labels
from seld.metrics import score

FLOOR = float(np.rad2deg(np.arccos(1 / (1 + 1e-10))))  # official 2024 angle between identical directions


@pytest.fixture(scope="module")
def refs(starss22_dir) -> dict[str, Events]:
    files = sorted(starss22_dir.glob("dev-test-*/*.csv"))
    assert len(files) == 54
    return {p.stem: read_labels(p) for p in files}


def _with_dist(events: dict[str, Events], metres: float = 1.5) -> dict[str, Events]:
    return {k: Events(v.frame, v.cls, v.track, v.xyz, np.full(len(v), metres)) for k, v in events.items()}


def _one_per_frame_class(ev: Events) -> Events:
    """Only the first row of each (frame, class): one instance, so no Hungarian choice is left."""
    _, first = np.unique(ev.frame * 100 + ev.cls, return_index=True)
    return ev.select(np.sort(first))


def _rotate(ev: Events, degrees: float) -> Events:
    """Every direction turned by exactly ``degrees`` about an axis perpendicular to it."""
    axis = np.cross(ev.xyz, [0.0, 0.0, 1.0])
    axis[np.linalg.norm(axis, axis=1) < 1e-9] = [1.0, 0.0, 0.0]
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    t = np.deg2rad(degrees)
    return Events(ev.frame, ev.cls, ev.track, ev.xyz * np.cos(t) + np.cross(axis, ev.xyz) * np.sin(t))


def test_perfect_prediction(refs):
    r = score(refs, refs, "dcase2023")
    # Every class occurs in the 54 test files: F = LR = 1 per class, ER = 0, LE = 0 (arccos rounding aside).
    assert r.per_class["F"] == pytest.approx(np.ones(13))
    assert (r.ER, r.F, r.LR) == (0.0, pytest.approx(1.0), pytest.approx(1.0))
    assert r.LE == pytest.approx(0.0, abs=1e-5)
    r24 = score(_with_dist(refs), _with_dist(refs), "dcase2024")
    # 2024: the official angle of identical directions is FLOOR = 8.1e-4 deg; no distance error.
    assert r24.F == pytest.approx(1.0) and r24.RDE == 0.0 and r24.DE == 0.0
    assert r24.LE == pytest.approx(FLOOR, abs=1e-7)


def test_perfect_prediction_of_one_file_scores_present_classes_over_13(refs):
    name = "fold4_room23_mix001"
    ev = refs[name]
    r = score({name: ev}, {name: ev}, "dcase2023")
    # Macro over the 13 classes: absent ones score F = 0. Evaluated frames: those < 10 * ceil(L / 10).
    last = ev.last_frame()
    k = np.unique(ev.cls[ev.frame < 10 * -(-last // 10)]).size
    assert r.F == pytest.approx(k / 13)
    assert r.LE == pytest.approx((13 - k) * 180 / 13, abs=1e-5)
    k24 = np.unique(ev.cls[ev.frame < last]).size  # 2024: frames < L
    r24 = score(_with_dist({name: ev}), _with_dist({name: ev}), "dcase2024")
    assert r24.F == pytest.approx(k24 / 13)


def test_predictions_30_degrees_off(refs):
    single = {k: _one_per_frame_class(v) for k, v in refs.items()}
    off = {k: _rotate(v, 30.0) for k, v in single.items()}
    # Every reference is found in time but 30 deg away: each becomes a spatial false positive and
    # nothing is missed -> F = 0, ER = insertions / Nref = 1, LE = 30, LR = 1 (2021 and 2022/2023 micro).
    for metric in ("dcase2021", "dcase2023"):
        r = score(single, off, metric, classes=13, average="micro")
        assert (r.ER, r.F, r.LR) == (pytest.approx(1.0), 0.0, pytest.approx(1.0)), metric
        assert r.LE == pytest.approx(30.0, abs=1e-9)


def test_one_class_never_predicted(refs):
    c = 8  # music
    preds = {k: v.select(v.cls != c) for k, v in refs.items()}
    r = score(refs, preds, "dcase2023", average="micro")
    # A slow, obvious count of Nref per class: sum over class-segments of the largest number of rows of the
    # class in one frame, over the evaluated frames (< 10 * ceil(last frame / 10)).
    n_all = n_c = 0
    for ev in refs.values():
        limit = 10 * -(-ev.last_frame() // 10)
        rows_per_frame = defaultdict(int)
        for f, k in zip(ev.frame.tolist(), ev.cls.tolist()):
            if f < limit:
                rows_per_frame[(f // 10, k, f)] += 1
        nb_gt = defaultdict(int)
        for (seg, k, _), n in rows_per_frame.items():
            nb_gt[(seg, k)] = max(nb_gt[(seg, k)], n)
        n_all += sum(nb_gt.values())
        n_c += sum(n for (_, k), n in nb_gt.items() if k == c)
    # The other classes are copied exactly: TP = n_all - n_c tracks, the music ones are deletions.
    # ER = n_c / n_all; F = TP / (TP + n_c / 2); LR = TP / n_all.
    assert r.ER == pytest.approx(n_c / n_all)
    assert r.F == pytest.approx((n_all - n_c) / (n_all - n_c / 2))
    assert r.LR == pytest.approx((n_all - n_c) / n_all)
