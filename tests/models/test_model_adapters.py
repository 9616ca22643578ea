"""AdapterBit and LoRA (no-ops at the start, only the intended parameters train, PSELDNets' trainable counts),
and re-initialising the head for a new class list."""

from __future__ import annotations

import pytest
import torch

from seld.errors import ConfigError
from seld.models import create_model
from seld.models.adapters import LoRAConv2d, LoRALinear, trainable_report


def test_adapterbit_trainable_parameters_match_pseldnets_l3das22():
    """mACCDOA-HTSAT for L3DAS22 (K = 14): adapters 4,326,336, trainable 5,001,142 of 32,451,542 (15.4 %)."""
    with torch.device("meta"):
        model = create_model("htsat", method="maccdoa", num_classes=14, adapter="adapterbit")
    report = trainable_report(model)
    assert (report.total, report.trainable) == (32_451_542, 5_001_142)
    assert report.groups["adapter"] == 4_326_336 and report.groups["head"] == 580_734
    assert f"{100 * report.fraction:.1f}" == "15.4"
    hidden = [m.fc1.out_features for n, m in model.named_modules() if n.endswith("attn.adapter")]
    assert len(hidden) == 12 and sorted(set(hidden)) == [48, 96, 192, 384]


@pytest.mark.parametrize("name,adapter", [("test_htsat", "adapterbit"), ("test_passt", "adapterbit"),
                                          ("test_htsat", "lora"), ("test_cnn14_conformer", {"type": "lora", "r": 4})])
def test_adapters_start_as_no_ops_and_only_they_train(name, adapter, features):
    plain = create_model(name, method="maccdoa", num_classes=3, seed=2).eval()
    adapted = create_model(name, method="maccdoa", num_classes=3, seed=2, adapter=adapter).eval()
    x = features(plain, 2, 100)
    with torch.no_grad():
        assert torch.allclose(plain(x), adapted(x), atol=1e-6)
    adapted.train()
    adapted(x).sum().backward()
    kind = adapter if isinstance(adapter, str) else adapter["type"]
    for n, p in adapted.named_parameters():
        if kind == "adapterbit":
            expected = n.startswith("head.") or "adapter" in n or "bias" in n
        else:
            expected = n.startswith("head.") or "lora_" in n
        assert p.requires_grad == expected, n
        assert (p.grad is not None) == expected, n
    report = trainable_report(adapted)
    assert report.groups["adapter" if kind == "adapterbit" else "lora"] > 0 and report.groups["other"] == 0


def test_trained_adapters_change_the_output(features, randomize):
    model = create_model("test_htsat", num_classes=3, adapter="adapterbit").eval()
    x = features(model, 1, 100)
    with torch.no_grad():
        before = model(x)
        randomize(model)  # gives the zero-initialised adapter outputs random weights
        assert not torch.allclose(before, model(x), atol=1e-4)


def test_lora_wraps_the_documented_layers():
    model = create_model("test_htsat", num_classes=3, adapter={"type": "lora", "r": 4, "alpha": 2})
    names = {n for n, m in model.named_modules() if isinstance(m, (LoRALinear, LoRAConv2d))}
    assert "encoder.patch_embed.proj" in names and "encoder.layers.0.downsample.reduction" in names
    assert {"encoder.layers.1.blocks.1.attn.qkv", "encoder.layers.1.blocks.1.attn.proj",
            "encoder.layers.1.blocks.1.mlp.fc1", "encoder.layers.1.blocks.1.mlp.fc2"} <= names
    assert not any(n.startswith("head") for n in names)
    qkv = model.encoder.layers[0].blocks[0].attn.qkv
    assert qkv.lora_A.shape == (4, 16) and qkv.lora_B.shape == (48, 4) and qkv.scaling == 0.5
    assert "encoder.layers.0.blocks.0.attn.qkv.weight" in model.state_dict()  # base weights keep their names


def test_adapter_options_are_checked():
    with pytest.raises(ConfigError, match="transformer"):
        create_model("test_crnn", adapter="adapterbit")
    with pytest.raises(ConfigError, match="unknown adapter type"):
        create_model("test_htsat", adapter="prefix")
    with pytest.raises(ConfigError, match="unknown LoRA option"):
        create_model("test_htsat", adapter={"type": "lora", "rank": 4})


@pytest.mark.parametrize("method", ["maccdoa", "einv2", "seddoa"])
def test_head_reset_for_new_classes_keeps_the_encoder(method, features):
    model = create_model("test_passt", method=method, num_classes=170, seed=1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.reset_head(13, seed=4)
    after = model.state_dict()
    assert model.config["num_classes"] == model.num_classes == 13
    for key, value in before.items():
        if not key.startswith("head."):
            assert torch.equal(after[key], value), key
    if method == "einv2":  # the DOA projection does not depend on the classes: PSELDNets keeps it
        assert torch.equal(after["head.doa.fc.weight"], before["head.doa.fc.weight"])
        assert after["head.sed.fc.weight"].shape == (3 * 13, 32)
    twin = create_model("test_passt", method=method, num_classes=170, seed=1)
    twin.reset_head(13, seed=4)
    assert all(torch.equal(v, twin.state_dict()[k]) for k, v in after.items())  # seeded
    out = model(features(model, 1, 50))
    width = {"maccdoa": 9 * 13, "einv2": 13, "seddoa": 13}[method]
    assert (out if method == "maccdoa" else out["sed"]).shape[-1] == width
