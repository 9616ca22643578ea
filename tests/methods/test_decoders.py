"""Decoders: each inverts its target encoding; top-k, per-class thresholds, the 15 degree merge, distances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from seld.errors import ConfigError
from seld.geometry import angular_distance, normalize, polar_to_unit
from method_cases import METHOD_CASES

from seld.methods import get_method



@pytest.mark.parametrize("case", list(METHOD_CASES))
def test_decoding_the_oracle_output_gives_back_the_events(case, make_events, assert_same_events):
    opts, same = METHOD_CASES[case]
    method = get_method(case.split("-")[0], **opts)
    events = [make_events(seed, same_class=same, dist="dist" in case) for seed in range(3)]
    targets = method.collate([method.encode(ev, 20, 5) for ev in events])
    decoded = method.decode(method.oracle(targets))
    assert len(decoded) == 3
    for got, want in zip(decoded, events):
        assert got.frame_len == 0.1 and got.n_frames == 20
        assert np.array_equal(got.sorted().frame, got.frame) and np.array_equal(got.sorted().cls, got.cls)
        assert_same_events(got, want)


def _accdoa_output(norms, k=6):
    """One frame, class c at azimuth 30 c degrees with the given norm."""
    out = np.zeros((1, 1, 3, k))
    for c, n in enumerate(norms):
        out[0, 0, :, c] = n * polar_to_unit(30.0 * c, 0.0)
    return torch.tensor(out.reshape(1, 1, 3 * k), dtype=torch.float32)


def test_accdoa_keeps_the_three_strongest_classes_above_threshold():
    out = _accdoa_output([0.6, 0.9, 0.55, 0.8, 0.7, 0.3])
    assert sorted(get_method("accdoa").decode(out)[0].cls.tolist()) == [1, 3, 4]
    assert sorted(get_method("accdoa").decode(out, top_k=None)[0].cls.tolist()) == [0, 1, 2, 3, 4]
    assert get_method("accdoa").decode(out, thresholds=0.75)[0].cls.tolist() == [1, 3]


def test_accdoa_per_class_thresholds():
    out = _accdoa_output([0.6, 0.9, 0.0, 0.0, 0.0, 0.0])
    got = get_method("accdoa").decode(out, thresholds=[0.7, 0.5, 0.5, 0.5, 0.5, 0.5])[0]
    assert got.cls.tolist() == [1]
    np.testing.assert_allclose(got.xyz[0], polar_to_unit(30.0, 0.0), atol=1e-6)


def test_soft_activity_below_the_threshold_is_not_detected(make_events):
    ev = make_events(0)
    method = get_method("accdoa")
    weak = method.decode(method.oracle(method.collate([method.encode(ev, 20, 5, activity=0.45)])))[0]
    strong = method.decode(method.oracle(method.collate([method.encode(ev, 20, 5, activity=0.55)])))[0]
    assert len(weak) == 0 and len(strong) == len(ev)


def test_negative_distances_are_clipped_to_zero():
    out = torch.zeros(1, 1, 4 * 2)
    out[0, 0, 0] = 1.0  # class 0 along +x
    out[0, 0, 6] = -2.0  # its distance
    got = get_method("accdoa", distance=True).decode(out)[0]
    assert got.dist.tolist() == [0.0]


def _maccdoa_output(tracks, k=2, dist=None):
    """One frame; ``tracks`` maps track -> (class, azimuth deg, norm)."""
    width = 3 if dist is None else 4
    out = np.zeros((1, 1, 3, width, k))
    for tr, (c, azi, n) in tracks.items():
        out[0, 0, tr, :3, c] = n * polar_to_unit(azi, 0.0)
        if dist is not None:
            out[0, 0, tr, 3, c] = dist[tr]
    return torch.tensor(out.reshape(1, 1, -1), dtype=torch.float32)


def _azimuths(ev):
    return sorted(np.round(np.rad2deg(np.arctan2(ev.xyz[:, 1], ev.xyz[:, 0])), 3).tolist())


@pytest.mark.parametrize("tracks, azimuths, track_ids", [
    ({0: (1, 0.0, 0.9), 1: (1, 10.0, 0.9)}, [5.0], [0]),  # a close pair merges
    ({0: (1, 0.0, 0.9), 1: (1, 20.0, 0.9)}, [0.0, 20.0], [0, 1]),  # 20 degrees apart: two events
    ({0: (1, 0.0, 0.9), 1: (1, 10.0, 0.9), 2: (1, 90.0, 0.9)}, [5.0, 90.0], [0, 2]),
    ({0: (1, 0.0, 0.9), 1: (1, 90.0, 0.9), 2: (1, 10.0, 0.9)}, [5.0, 90.0], [0, 1]),  # DCASE, not PSELDNets
    ({0: (1, 90.0, 0.9), 1: (1, 0.0, 0.9), 2: (1, 10.0, 0.9)}, [5.0, 90.0], [0, 1]),
    ({0: (1, 0.0, 0.9), 1: (1, 10.0, 0.9), 2: (1, 20.0, 0.9)}, [10.0], [0]),  # two similar pairs: all three
    ({0: (1, 0.0, 0.9), 1: (1, 5.0, 0.3), 2: (0, 5.0, 0.9)}, [0.0, 5.0], [0, 2]),  # inactive or other class
    ({0: (1, 0.0, 0.9), 1: (1, 10.0, 0.6)}, [round(np.degrees(np.arctan2(0.6 * np.sin(np.radians(10)),
                                                             0.9 + 0.6 * np.cos(np.radians(10)))), 3)], [0]),
    # ^ the raw vectors are averaged, as in DCASE, so the longer one weighs more
])
def test_maccdoa_merges_duplicates_closer_than_15_degrees(tracks, azimuths, track_ids):
    got = get_method("maccdoa").decode(_maccdoa_output(tracks))[0]
    assert _azimuths(got) == pytest.approx(azimuths, abs=1e-3)
    assert sorted(got.track.tolist()) == track_ids


def test_maccdoa_merge_can_be_disabled_and_averages_clipped_distances():
    tracks = {0: (0, 0.0, 0.9), 1: (0, 10.0, 0.9)}
    assert len(get_method("maccdoa").decode(_maccdoa_output(tracks), unify_deg=0.0)[0]) == 2
    got = get_method("maccdoa", distance=True).decode(_maccdoa_output(tracks, dist=[-1.0, 4.0, 0.0]))[0]
    assert got.dist.tolist() == [2.0]


def _slow_unify(out: np.ndarray, k: int, thr: float = 0.5, unify: float = 15.0):
    """The DCASE baseline's frame-by-frame, class-by-class merge, as (frame, class, x, y, z) rows."""
    tracks = out.reshape(out.shape[0], 3, 3, k)
    rows = []
    for t, c in itertools.product(range(out.shape[0]), range(k)):
        v = [tracks[t, i, :, c] for i in range(3)]
        on = [np.linalg.norm(x) > thr for x in v]
        sim = {(i, j): on[i] and on[j] and angular_distance(normalize(v[i]), normalize(v[j])) < unify
               for i, j in ((0, 1), (1, 2), (2, 0))}
        n = sum(sim.values())
        if n == 0:
            rows += [(t, c, *v[i]) for i in range(3) if on[i]]
        elif n == 1:
            (i, j), = [p for p, s in sim.items() if s]
            rest = 3 - i - j
            if on[rest]:
                rows.append((t, c, *v[rest]))
            rows.append((t, c, *(v[i] + v[j]) / 2))
        else:
            rows.append((t, c, *(v[0] + v[1] + v[2]) / 3))
    return rows


def test_maccdoa_decoding_equals_the_frame_by_frame_dcase_logic():
    rng = np.random.default_rng(7)
    k, nt = 3, 200
    base = normalize(rng.normal(size=(nt, 1, 3, k)).transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    jitter = rng.normal(scale=0.15, size=(nt, 3, 3, k))  # tracks near a common direction: many merges
    out = (base + jitter) * rng.uniform(0.2, 1.0, size=(nt, 3, 1, k))
    got = get_method("maccdoa").decode(torch.tensor(out.reshape(1, nt, 9 * k)))[0]
    want = _slow_unify(out.reshape(nt, 9 * k), k)
    assert 0 < len(want) < 3 * nt * k and len(got) == len(want)
    got_rows = sorted(zip(got.frame, got.cls, *np.round(got.xyz, 6).T))
    want_rows = sorted((t, c, *np.round(normalize(np.array(x)), 6)) for t, c, *x in want)
    np.testing.assert_allclose(np.array(got_rows, float), np.array(want_rows, float), atol=2e-6)


def test_trackwise_decoding_takes_the_top_class_of_each_track():
    sed = torch.full((1, 1, 3, 4), -10.0)
    sed[0, 0, 0, 1], sed[0, 0, 0, 2] = 3.0, 2.0  # track 0: two likely classes, only the top one
    sed[0, 0, 1, 3] = 0.5  # track 1: class 3 with probability 0.62
    doa = torch.tensor([[[[0.0, 2.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]]])
    got = get_method("einv2").decode({"sed": sed, "doa": doa})[0]
    assert got.cls.tolist() == [1, 3] and got.track.tolist() == [0, 1]
    np.testing.assert_allclose(got.xyz, [[0, 1, 0], [0, 0, -1]])
    assert get_method("agg1").decode({"sed": sed, "doa": doa}, thresholds=[0.5, 0.5, 0.5, 0.7])[0].cls.tolist() == [1]


def test_seddoa_decoding_thresholds_each_class():
    sed = torch.tensor([[[2.0, -2.0, 0.3]]])
    doa = torch.tensor([[[0.0, 1.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0]]])
    got = get_method("seddoa").decode({"sed": sed, "doa": doa}, thresholds=[0.5, 0.5, 0.6])[0]
    assert got.cls.tolist() == [0]
    np.testing.assert_allclose(got.xyz, [[0, 1, 0]])


def test_decoder_errors():
    with pytest.raises(ConfigError, match="one per class"):
        get_method("accdoa").decode(torch.zeros(1, 2, 9), thresholds=[0.5, 0.5])
    with pytest.raises(ConfigError, match="top_k"):
        get_method("accdoa").decode(torch.zeros(1, 2, 9), top_k=0)
    with pytest.raises(ConfigError, match="unify_deg"):
        get_method("maccdoa").decode(torch.zeros(1, 2, 9), unify_deg=-1)
    with pytest.raises(ValueError, match="12K"):
        get_method("maccdoa", distance=True).decode(torch.zeros(1, 2, 9))
    with pytest.raises(ValueError, match="sed"):
        get_method("einv2").decode({"sed": torch.zeros(1, 2, 2, 4), "doa": torch.zeros(1, 2, 2, 3)})
