"""ACS test-time augmentation: the input transforms are the training augmentation's; merging over the whole
group makes any network exactly equivariant (checked with random weights, per method); a network that is
equivariant by construction gives the same events with and without TTA; track-wise methods are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import CLASSES, SR, intensity_oracle, make_system, noise_foa, plane_wave_foa, tone

from seld.data.augment.rotate import FoaRotation, MicChannelSwap
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError
from seld.formats import Events
from seld.infer import AcsTTA, infer_array, network_output
from seld.task import TaskSpec

ATOL = 2e-5   # float32 networks; the rotated inputs are exact (signed channel permutations)


def _augment(aug, audio: np.ndarray, array: str) -> np.ndarray:
    """Every variant of ``aug`` applied to ``audio`` [C, N] by the training augmentation: [V, C, N]."""
    v = len(aug.matrices)
    batch = LabelledBatch(torch.from_numpy(np.repeat(audio[None], v, axis=0)), [Events.empty()] * v, [None] * v,
                          array=array)
    return aug.apply_variants(batch, np.arange(v)).audio.numpy()


@pytest.mark.parametrize("array", ["foa", "mic"])
def test_input_transforms_are_the_training_augmentation(array):
    system = make_system(array=array)
    tta = AcsTTA(system.task)
    audio = noise_foa(0.2, seed=1)
    aug = FoaRotation(variants=16) if array == "foa" else MicChannelSwap(variants=8)
    assert tta.num_variants == (16 if array == "foa" else 8)
    np.testing.assert_array_equal(tta.expand(audio[None]), _augment(aug, audio, array))
    np.testing.assert_array_equal(tta.matrices, aug.matrices)


def _vectors(out, method: str, k: int = 3) -> np.ndarray:
    """Direction vectors of an output [T, ...] as [T, n, 3] (and the rest of it unchanged, flattened)."""
    if method == "seddoa":
        t = out["doa"].shape[0]
        return out["doa"].reshape(t, 3, k).transpose(0, 2, 1)
    t = out.shape[0]
    if method == "accdoa":
        return out.reshape(t, -1, k)[:, :3].transpose(0, 2, 1)
    width = out.shape[1] // (3 * k)
    return out.reshape(t, 3, width, k)[:, :, :3].transpose(0, 1, 3, 2).reshape(t, -1, 3)


def _rest(out, method: str, k: int = 3) -> np.ndarray:
    if method == "seddoa":
        return out["sed"]
    t = out.shape[0]
    if method == "accdoa":
        return out.reshape(t, -1, k)[:, 3:]
    width = out.shape[1] // (3 * k)
    return out.reshape(t, 3, width, k)[:, :, 3:]


@pytest.mark.parametrize("method,distance,array", [("accdoa", False, "foa"), ("maccdoa", False, "foa"),
                                                   ("maccdoa", True, "foa"), ("accdoa", True, "foa"),
                                                   ("seddoa", False, "foa"), ("maccdoa", False, "mic")])
def test_merged_prediction_is_equivariant(method, distance, array):
    system = make_system(method, distance, array=array, seed=5)
    tta = AcsTTA(system.task)
    audio = noise_foa(2.0, seed=2)
    audio[:, :24000] += plane_wave_foa(tone(1.0, 700), 30, 20)
    base = network_output(system, audio, tta="acs", batch_size=16)
    plain = network_output(system, audio)
    assert not np.allclose(_vectors(base, method), _vectors(plain, method), atol=1e-3)  # TTA does something
    for v in sorted({1, 5, 10, tta.num_variants - 1} & set(range(tta.num_variants))):
        moved = tta.expand(audio[None])[v]
        out = network_output(system, moved, tta="acs", batch_size=16)
        expected = _vectors(base, method) @ tta.matrices[v].T
        np.testing.assert_allclose(_vectors(out, method), expected, atol=ATOL)
        np.testing.assert_allclose(_rest(out, method), _rest(base, method), atol=ATOL)


def test_equivariant_network_gives_the_same_events_with_tta():
    system = intensity_oracle()
    audio = 0.001 * noise_foa(4.0, seed=3, level=1.0)
    audio[:, 12000:36000] += plane_wave_foa(tone(1.0, 900), 120, -15)
    audio[:, 60000:84000] += plane_wave_foa(tone(1.0, 500), -60, 35)
    plain = infer_array(system, audio, SR)
    merged = infer_array(system, audio, SR, tta="acs")
    assert len(plain) >= 15 and set(plain.cls.tolist()) == {0}
    assert merged.equals(plain, atol=1e-4)
    azi, ele = plain.azi_ele()
    first = (plain.frame >= 6) & (plain.frame < 14)
    assert np.allclose(azi[first], 120, atol=3) and np.allclose(ele[first], -15, atol=3)


@pytest.mark.parametrize("method", ["einv2", "agg1"])
def test_trackwise_methods_are_refused(method):
    task = TaskSpec(classes=CLASSES, method=method)
    with pytest.raises(ConfigError, match="track-wise.*without --tta"):
        AcsTTA(task)


def test_custom_arrays_are_refused():
    task = TaskSpec(classes=CLASSES, array="array", channels=6, channel_convention="as-recorded", frontend="logmel",
                    method="accdoa")
    with pytest.raises(ConfigError, match="FOA or the tetrahedral MIC"):
        AcsTTA(task)
