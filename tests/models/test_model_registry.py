"""The registry and factory: names, options, seeded construction, recorded config, PSELDNets parameter counts."""

from __future__ import annotations

import pytest
import torch

from seld.errors import ConfigError
from seld.models import METHODS, create_model, list_methods, list_models
from seld.models.registry import count_parameters

BACKBONES = ("seldnet", "crnn", "cnn14_conformer", "htsat", "passt")


def test_every_backbone_and_its_test_variant_are_registered():
    names = list_models()
    for name in BACKBONES:
        assert name in names and f"test_{name}" in names
    assert list_models("test_*") == sorted(f"test_{n}" for n in BACKBONES)
    assert list_methods() == METHODS == ("seddoa", "accdoa", "maccdoa", "einv2", "agg1", "agg2")


# (model, method, classes, extra options) -> parameters of the PSELDNets model (pseldnets.md section 3).
PSELDNETS_COUNTS = [
    ("htsat", "maccdoa", 170, {}, 34_596_242),
    ("htsat", "accdoa", 170, {}, 29_895_062),
    ("htsat", "einv2", 170, {}, 57_481_271),
    ("htsat", "einv2", 170, {"two_branch": False}, 29_936_543),  # SEDDOA-HTSAT
    ("passt", "maccdoa", 170, {}, 52_257_146),
    ("passt", "accdoa", 170, {}, 51_472_766),
    ("cnn14_conformer", "maccdoa", 170, {}, 179_406_906),
]


@pytest.mark.parametrize("name,method,k,extra,expected", PSELDNETS_COUNTS)
def test_parameter_counts_equal_pseldnets(name, method, k, extra, expected):
    assert count_parameters(name, method, k, **extra) == expected


def test_downstream_htsat_sizes():
    # mACCDOA-HTSAT for DCASE2021 (12), STARSS23 (13) and L3DAS22 (14) classes: 28.04 / 28.08 / 28.13 M.
    assert [round(count_parameters("htsat", "maccdoa", k) / 1e6, 2) for k in (12, 13, 14)] == [28.04, 28.08, 28.13]


def test_unknown_names_and_options_are_config_errors():
    with pytest.raises(ConfigError, match="unknown model"):
        create_model("resnet50")
    with pytest.raises(ConfigError, match="unknown method"):
        create_model("test_crnn", method="sed")
    with pytest.raises(ConfigError, match="embed_dims.*backbone options: .*embed_dim"):
        create_model("test_htsat", embed_dims=32)
    with pytest.raises(ConfigError, match="distance"):
        create_model("test_crnn", method="einv2", distance=True)
    with pytest.raises(ConfigError, match="two_branch"):
        create_model("test_crnn", method="accdoa", two_branch=True)
    with pytest.raises(ConfigError, match="geometry"):
        create_model("test_htsat", n_freq=48)


def test_none_options_fall_back_to_variant_defaults():
    model = create_model("test_seldnet", method="seddoa", num_classes=4, in_channels=None, n_freq=None,
                         dropout=None)
    assert (model.in_channels, model.n_freq) == (8, 64)
    assert model.config == {"name": "test_seldnet", "method": "seddoa", "num_classes": 4, "in_channels": 8}


def test_construction_is_seeded_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = create_model("test_passt", num_classes=3, seed=7)
    assert torch.equal(torch.rand(3), expected_next)
    b = create_model("test_passt", num_classes=3, seed=7)
    c = create_model("test_passt", num_classes=3, seed=8)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key])
    assert not torch.equal(a.head.proj.fc.weight, c.head.proj.fc.weight)


def test_config_rebuilds_the_same_model():
    model = create_model("test_cnn14_conformer", method="accdoa", num_classes=5, distance=True,
                         channels=(8, 16, 24), seed=3)
    config = dict(model.config)
    assert config["channels"] == [8, 16, 24] and config["distance"] is True
    again = create_model(config.pop("name"), seed=3, **config)
    assert again.config == model.config
    for key, value in model.state_dict().items():
        assert torch.equal(value, again.state_dict()[key])
