"""Sequencing real single hits: the rhythms keep human timings and :func:`sequence` puts each hit where told."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from seld.synth import hits

FS = 8000


@pytest.mark.parametrize("seed", range(20))
def test_footsteps_are_3_to_10_steps_at_a_walking_pace(seed):
    onsets = hits.footsteps(np.random.default_rng(seed), 1)
    times = np.array([t for t, _, _ in onsets])
    assert 3 <= len(times) <= 10 and times[0] == 0 and np.all(np.diff(times) >= 0)
    pace = (len(times) - 1) / (times[-1] - times[0])
    assert 1.5 * 0.9 < pace < 2.2 * 1.1              # 1.5-2.2 steps/s, up to 4 % jitter per step


@pytest.mark.parametrize("seed", range(20))
def test_knocks_come_in_groups_of_2_to_5_quick_knocks(seed):
    times = np.array([t for t, _, _ in hits.knocks(np.random.default_rng(seed), 2)])
    groups = np.split(times, np.flatnonzero(np.diff(times) > 0.6) + 1)
    assert 1 <= len(groups) <= 2 and all(2 <= len(g) <= 5 for g in groups)
    assert all(np.all(np.diff(g) < 1 / 4 * 1.5) for g in groups)


@pytest.mark.parametrize("name", sorted(hits.RHYTHMS))
def test_rhythms_are_reproducible_and_use_only_the_kinds_given(name):
    a = hits.RHYTHMS[name](np.random.default_rng(1), 3)
    assert a == hits.RHYTHMS[name](np.random.default_rng(1), 3)
    assert a and all(0 <= k < 3 and t >= 0 and 0 < g < 10 for t, k, g in a)


def test_sequence_places_each_hit_at_its_time_and_gain():
    click = [np.r_[1.0, np.zeros(99)]]
    out = hits.sequence([click], [(0.0, 0, 1.0), (0.5, 0, 0.5), (1.25, 0, 0.25)], FS, np.random.default_rng(0))
    assert out.dtype == np.float32 and len(out) == int(1.25 * FS) + 100
    np.testing.assert_allclose(out[[0, FS // 2, int(1.25 * FS)]], [1.0, 0.5, 0.25])
    assert np.count_nonzero(out) == 3


def test_load_hit_trims_silence_resamples_and_normalises(tmp_path):
    x = np.zeros(16000)
    x[4000:4800] = 0.1 * np.sin(2 * np.pi * 300 * np.arange(800) / 16000)      # 50 ms at 16 kHz
    sf.write(tmp_path / "hit.wav", np.stack([x, x], axis=1), 16000)
    hit = hits.load_hit(str(tmp_path / "hit.wav"), FS)
    assert abs(len(hit) - 0.05 * FS) <= 0.01 * FS and np.abs(hit).max() == pytest.approx(1.0, abs=0.05)


def _knocking(times, fs=16000, seconds=1.2, ring=0.03, gains=None):
    """Decaying 400 Hz knocks at ``times`` over a faint noise floor (a real recording is never silent)."""
    t = np.arange(int(0.12 * fs)) / fs
    knock = np.sin(2 * np.pi * 400 * t) * np.exp(-t / ring)
    x = 1e-4 * np.random.default_rng(0).standard_normal(int(seconds * fs))
    for at, gain in zip(times, np.ones(len(times)) if gains is None else gains):
        x[int(at * fs):int(at * fs) + len(knock)] += gain * knock
    return x


@settings(max_examples=40, deadline=None)
@given(gaps=st.lists(st.floats(0.1, 0.4), min_size=0, max_size=5), start=st.floats(0.0, 0.2),
       levels=st.lists(st.floats(-12.0, 0.0), min_size=6, max_size=6))
def test_onsets_find_each_knock_of_a_recorded_series(gaps, start, levels):
    """Knocks 0.1-0.4 s apart, up to 12 dB softer than the loudest: each found, within two 5 ms frames."""
    times = start + np.cumsum([0.0, *gaps])
    x = _knocking(times, gains=10 ** (np.array(levels[:len(times)]) / 20), seconds=times[-1] + 0.3)
    found = np.array(hits.onsets(x, 16000)) / 16000
    assert len(found) == len(times)
    np.testing.assert_allclose(found, times, atol=0.011)


def test_load_hits_cuts_a_recording_of_several_hits_into_single_normalised_hits(tmp_path):
    sf.write(tmp_path / "knock.wav", _knocking((0.1, 0.3, 0.45)), 16000)
    pieces = hits.load_hits(str(tmp_path / "knock.wav"), FS)
    assert len(pieces) == 3
    for piece in pieces:                    # each one knock: it starts loud and is over within its 150 ms slot
        assert np.abs(piece).max() == pytest.approx(1.0) and len(piece) <= 0.2 * FS
        assert np.abs(piece[:int(0.01 * FS)]).max() > 0.5
    assert len(hits.load_hits(str(tmp_path / "knock.wav"), FS)[0]) < len(hits.load_hit(str(tmp_path / "knock.wav"), FS))
