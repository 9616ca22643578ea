"""Per-class loss weights (``method.class_weights``, ``method.class_boost``): counted from the training labels,
boosted by class name, applied to the loss, refused where the loss has no per-class terms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.data.labels import LabelStore
from seld.errors import ConfigError
from seld.train import build_run
from seld.train.module import balanced_class_weights


def test_active_frames_are_counted_per_class_once_per_frame():
    # recording 0: class 1 twice in frame 3 (two sources), class 0 in frames 3-4; recording 1: class 1 in frame 3
    arrays = {"frame": np.array([3, 3, 3, 4, 3]), "cls": np.array([1, 1, 0, 0, 1]), "track": np.array([0, 1, 0, 0, 0]),
              "xyz": np.zeros((5, 3)), "dist": np.full(5, np.nan), "offsets": np.array([0, 4, 5])}
    assert LabelStore(arrays, 0.1).class_frames(3).tolist() == [2, 2, 0]


def test_balanced_weights_have_mean_one_and_double_for_a_class_four_times_rarer():
    w = balanced_class_weights(np.array([400, 100, 0]))
    assert w.mean() == pytest.approx(1.0)
    assert w[1] / w[0] == pytest.approx(2.0) and w[2] / w[0] == pytest.approx(20.0)   # none counts as one


def test_balanced_weights_are_set_from_the_training_labels(tiny_config):
    module, datamodule, trainer = build_run(tiny_config("method.class_weights=balanced"))
    trainer.fit(module, datamodule=datamodule)
    counts = datamodule.train_set.prepared.labels.class_frames(module.task.num_classes)
    assert counts.sum() > 0
    weights = module.system.method.class_weights
    assert torch.allclose(weights, torch.as_tensor(balanced_class_weights(counts), dtype=torch.float32))


@pytest.mark.parametrize("weights", ["balanced", "null"])
def test_class_boost_multiplies_the_named_classes_weights(tiny_config, weights):
    module, datamodule, trainer = build_run(tiny_config(f"method.class_weights={weights}",
                                                        "method.class_boost={bell: 3, telephone: 0.5}"))
    trainer.fit(module, datamodule=datamodule)
    counts = datamodule.train_set.prepared.labels.class_frames(module.task.num_classes)
    base = balanced_class_weights(counts) if weights == "balanced" else np.ones(3)
    factors = [{"bell": 3.0, "telephone": 0.5}.get(name, 1.0) for name in module.task.classes]
    assert torch.allclose(module.system.method.class_weights, torch.as_tensor(base * factors, dtype=torch.float32))


@pytest.mark.parametrize("overrides, message", [
    (["method=einv2", "+method.class_weights=balanced"], "no per-class terms"),
    (["method=einv2", "+method.class_boost={bell: 2}"], "no per-class terms"),
    (["method.class_boost={door: 2}"], "no class door in this task; its classes are bell, female_speech"),
    (["method.class_boost={bell: -1}"], "non-negative numbers"),
    (["method.class_boost={bell: x}"], "non-negative numbers"),
    (["method.class_boost=[2]"], "map class names to factors"),
    (["method.class_weights=[1.0,2.0]"], "non-negative numbers"),
    (["method.class_weights=often"], "non-negative numbers"),
    (["method.class_weights=[1,x,3]"], "non-negative numbers"),
])
def test_bad_class_weights_are_config_errors(tiny_config, overrides, message):
    with pytest.raises(ConfigError, match=message):   # when the run is built, before any data is read
        build_run(tiny_config(*overrides))
