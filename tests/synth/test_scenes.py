"""Scene plans: polyphony, timing, classes, motion, spatial separation, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from seld.errors import ConfigError
from seld.geometry import angular_distance
from seld.synth.bank import Bank
from seld.synth.scenes import SceneRanges, ScenePlan, class_pool, sample_scene
from seld.synth.trajectories import PositionSet


def positions() -> PositionSet:
    xyz = np.concatenate([[[1.0, 1.0, 0.0], [-1.0, 0.5, 0.2]], np.stack([np.linspace(1, 2, 20), np.ones(20),
                                                                         np.zeros(20)], axis=1)])
    return PositionSet(xyz, [np.arange(2, 22)])


def polyphony(plan: ScenePlan) -> np.ndarray:
    count = np.zeros(plan.n_samples, int)
    for ev in plan.events:
        count[ev.onset:ev.onset + ev.length] += 1
    return count


@pytest.mark.parametrize("ov", [1, 2, 3])
def test_events_never_overlap_more_than_ov_and_stay_in_the_scene(tiny_bank, ov):
    bank = Bank(tiny_bank)
    ranges = SceneRanges(duration=20.0, gap=(0.0, 0.5), max_event=0.6, min_event=0.2)
    plan = sample_scene(np.random.default_rng(ov), bank, class_pool(bank, ranges, "train"), positions(), ranges,
                        name="x", fold=1, room=1, ov=ov)
    count = polyphony(plan)
    assert count.max() == ov                       # short gaps: the layers do overlap
    assert len(plan.events) > 10 * ov
    for ev in plan.events:
        assert ev.onset + ev.length <= plan.n_samples
        assert 0.2 * 24000 <= ev.length <= 0.6 * 24000 + 1
        assert len(ev.positions) == (ev.onset + ev.length - 1) // 2400 - ev.first_frame + 1
        assert -10.0 <= ev.gain_db <= 0.0
    assert sorted(e.track for e in plan.events) == list(range(len(plan.events)))
    assert [e.onset for e in plan.events] == sorted(e.onset for e in plan.events)


def test_plans_are_reproducible_and_round_trip(tiny_bank):
    bank = Bank(tiny_bank)
    ranges = SceneRanges(duration=5.0, gap=(0.1, 0.5), moving_prob=1.0, min_moving=0.5, max_event=1.0)
    pool = class_pool(bank, ranges, "train")
    a = sample_scene(np.random.default_rng(5), bank, pool, positions(), ranges, name="s", fold=1, room=1, ov=2)
    b = sample_scene(np.random.default_rng(5), bank, pool, positions(), ranges, name="s", fold=1, room=1, ov=2)
    assert a.to_dict() == b.to_dict()
    assert ScenePlan.from_dict(a.to_dict()).to_dict() == a.to_dict()
    moving = [e for e in a.events if e.length >= 0.5 * 24000]
    assert moving and all(set(e.positions) <= set(range(2, 22)) for e in moving)
    assert any(e.moving for e in moving)


def test_class_selection_and_levels(tiny_bank):
    bank = Bank(tiny_bank)
    ranges = SceneRanges(duration=10.0, classes=("bell",), class_level_db={"bell": (-3.0, -3.0)})
    plan = sample_scene(np.random.default_rng(0), bank, class_pool(bank, ranges, "train"), positions(), ranges,
                        name="s", fold=1, room=1, ov=1)
    assert {e.cls for e in plan.events} == {bank.classes.index("bell")}
    assert {e.gain_db for e in plan.events} == {-3.0}
    with pytest.raises(ConfigError, match="no train clips for class.*knock"):
        class_pool(bank, SceneRanges(classes=("knock",)), "train")
    with pytest.raises(ConfigError):
        SceneRanges(min_event=2.0, max_event=1.0)


def test_overlapping_static_sources_keep_apart(tiny_bank):
    bank = Bank(tiny_bank)
    azi = np.arange(0, 360, 5.0)
    pos = PositionSet(np.stack([np.cos(np.radians(azi)), np.sin(np.radians(azi)), 0 * azi], axis=1))
    ranges = SceneRanges(duration=30.0, gap=(0.0, 0.2), max_event=0.8, min_event=0.2, min_separation=45.0)
    plan = sample_scene(np.random.default_rng(0), bank, class_pool(bank, ranges, "train"), pos, ranges,
                        name="s", fold=1, room=1, ov=3)
    closest = 180.0
    for a in plan.events:
        for b in plan.events:
            if a.track < b.track and a.onset + a.length > b.onset and b.onset + b.length > a.onset:
                closest = min(closest, float(angular_distance(pos.dirs[a.positions[0]], pos.dirs[b.positions[0]])))
    assert closest >= 45.0


def test_time_balance_gives_short_and_long_classes_equal_active_time(tmp_path, clips):
    """Knocks of 0.4 s against music of 4 s: drawn equally often, music plays ten times longer; balanced on
    time, both play about as long (and the setting round-trips through the dataset config)."""
    from seld.synth.bank import BankSettings, build_bank, sources_from_dir

    clips(tmp_path / "src", classes=("knock",), per_class=3, seconds=0.4)
    clips(tmp_path / "src", classes=("music",), per_class=3, seconds=4.0, seed=1)
    class_list, sources = sources_from_dir(tmp_path / "src", "starss23")
    build_bank(sources, class_list, tmp_path / "bank", BankSettings(test_fraction=0.0), base=tmp_path / "src")
    bank = Bank(tmp_path / "bank")
    knock, music = bank.classes.index("knock"), bank.classes.index("music")

    def active_seconds(balance: str) -> dict[int, float]:
        ranges = SceneRanges(duration=60.0, gap=(0.2, 1.0), min_event=0.3, class_balance=balance)
        pool = class_pool(bank, ranges, "train")
        total = {knock: 0.0, music: 0.0}
        for seed in range(20):
            plan = sample_scene(np.random.default_rng(seed), bank, pool, positions(), ranges, name="s", fold=1,
                                room=1, ov=1)
            for ev in plan.events:
                total[ev.cls] += ev.length / plan.fs
        return total

    events, time = active_seconds("events"), active_seconds("time")
    assert events[music] / events[knock] > 5.0
    assert 0.7 < time[music] / time[knock] < 1.4
    ranges = SceneRanges(class_balance="time")
    assert SceneRanges.from_dict(ranges.to_dict()) == ranges
    with pytest.raises(ConfigError, match="class_balance must be one of events, time"):
        SceneRanges(class_balance="frames")


def _peak_hz(x: np.ndarray, fs: int) -> float:
    spectrum = np.abs(np.fft.rfft(x, n=8 * fs))
    return float(np.argmax(spectrum) * fs / (8 * fs))


def test_pitch_shift_plays_clips_faster_or_slower_as_planned(tiny_bank):
    """Each event's clip is resampled by its planned rate: its tone moves by that ratio, the event lasts the
    clip piece / rate (labels and positions follow that length), a class set to 0 keeps its clips as recorded,
    and the setting round-trips through the dataset config."""
    from dataclasses import replace

    from seld.synth.render import dry_signal

    bank = Bank(tiny_bank)
    index = {clip.id: i for i, clip in enumerate(bank.clips)}
    ranges = SceneRanges(duration=30.0, gap=(0.1, 0.5), min_event=0.2, pitch_shift=4.0,
                         class_pitch_shift={"bell": 0.0})
    plan = sample_scene(np.random.default_rng(1), bank, class_pool(bank, ranges, "train"), positions(), ranges,
                        name="s", fold=1, room=1, ov=2)
    bell = bank.classes.index("bell")
    shifted = [e for e in plan.events if e.cls != bell]
    assert {e.rate for e in plan.events if e.cls == bell} == {1.0}
    assert len({e.rate for e in shifted}) > 3
    assert all(2 ** (-4.05 / 12) <= e.rate <= 2 ** (4.05 / 12) for e in shifted)
    for ev in shifted[:6]:
        assert ev.length == int(ev.pieces[0][2] / ev.rate) and ev.onset + ev.length <= plan.n_samples
        assert len(ev.positions) == (ev.onset + ev.length - 1) // 2400 - ev.first_frame + 1
        signal = dry_signal(ev, bank, index)
        assert len(signal) == ev.length and signal.dtype == np.float32
        recorded = dry_signal(replace(ev, rate=1.0), bank, index)
        assert _peak_hz(signal, plan.fs) == pytest.approx(_peak_hz(recorded, plan.fs) * ev.rate, rel=0.01)
    assert ScenePlan.from_dict(plan.to_dict()).to_dict() == plan.to_dict()
    assert SceneRanges.from_dict(ranges.to_dict()) == ranges
    unshifted = sample_scene(np.random.default_rng(1), bank, class_pool(bank, ranges, "train"), positions(),
                             replace(ranges, pitch_shift=0.0), name="s", fold=1, room=1, ov=2)
    plain = sample_scene(np.random.default_rng(1), bank, class_pool(bank, ranges, "train"), positions(),
                         SceneRanges(duration=30.0, gap=(0.1, 0.5), min_event=0.2), name="s", fold=1, room=1, ov=2)
    assert unshifted.to_dict() == plain.to_dict()            # off: the same draws as before the setting existed
    with pytest.raises(ConfigError, match=r"the pitch shift \(--pitch\) must be 0 to 6 semitones, got 7$"):
        SceneRanges(pitch_shift=7.0)
    with pytest.raises(ConfigError, match=r"the pitch shift of class bell \(--pitch\) must be 0 to 6 semitones"):
        SceneRanges(class_pitch_shift={"bell": -1.0})
    with pytest.raises(ConfigError, match="class_pitch_shift names class.*dog"):
        class_pool(bank, SceneRanges(class_pitch_shift={"dog": 2.0}), "train")
