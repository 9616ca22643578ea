"""Replaying real STARSS22 labels with synthetic audio: same frames, classes, sources and directions."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from seld.formats import read_labels
from seld.synth.bank import BankSettings, build_bank, sources_from_dir
from seld.synth.dataset import synthesize
from seld.synth.replay import fit_in_room
from seld.synth.rooms import Room

FILES = {"dev-train-sony/fold3_room21_mix001.csv": 40, "dev-test-tau/fold4_room8_mix002.csv": 70}


@pytest.fixture
def labels(starss22_dir, tmp_path):
    """The first seconds of two real label files (a train and a test one)."""
    for rel, frames in FILES.items():
        rows = [r for r in (starss22_dir / rel).read_text().splitlines() if int(r.split(",")[0]) < frames]
        (tmp_path / "labels" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "labels" / rel).write_text("\n".join(rows) + "\n")
    return tmp_path / "labels"


def test_replayed_scenes_follow_the_labels(labels, clips, tiny_config, tmp_path):
    clips(tmp_path / "src", classes=("male_speech", "laughter"), per_class=2)
    class_list, sources = sources_from_dir(tmp_path / "src", "starss23")
    build_bank(sources, class_list, tmp_path / "bank", BankSettings(test_fraction=0.5))
    summary = synthesize(tmp_path / "bank", tmp_path / "out", tiny_config(), seed=0, replay=labels)
    assert summary["rendered"] == 2 and summary["rooms_built"] == 2
    for rel in FILES:
        original = read_labels(labels / rel)
        replayed = read_labels(tmp_path / "out" / "metadata" / rel)
        key = lambda ev: sorted(zip(ev.frame.tolist(), ev.cls.tolist(), ev.track.tolist(),  # noqa: E731
                                    *(np.rint(a).astype(int).tolist() for a in ev.azi_ele())))
        assert key(replayed) == key(original)
        assert replayed.has_dist and np.all(replayed.dist >= 0.5)
        audio, fs = sf.read(tmp_path / "out" / "foa" / rel.replace(".csv", ".wav"))
        assert audio.shape == ((original.frame.max() + 1) * 2400, 4)


def test_fit_in_room_pulls_far_points_in_along_their_direction():
    room = Room((4.0, 3.0, 2.5), (0.3,) * 6, (2.0, 1.5, 1.2))
    near = fit_in_room(room, np.array([1.0, 0.0, 0.0]), 0.5)
    np.testing.assert_allclose(near, [1.0, 0.0, 0.0])
    far = fit_in_room(room, np.array([3.0, 3.0, 0.0]), 0.5)
    np.testing.assert_allclose(far / np.linalg.norm(far), np.array([1.0, 1.0, 0.0]) / np.sqrt(2))
    assert room.contains(far + np.asarray(room.array), margin=0.5 - 1e-9)[0]
