"""Sequencing real single hits: the rhythms keep human timings and :func:`sequence` puts each hit where told."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

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
