"""Import of PSELDNets Lightning checkpoints: the documented key layout of the full-size models maps onto ours,
and tiny models written in that layout import with unchanged outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from foreign_layouts import pseldnets_checkpoint

from seld.errors import ConfigError, FormatError
from seld.models import create_model
from seld.models.checkpoints import convert_pseldnets_state, import_pseldnets


def meta_model(name, method, k=170, **kw):
    with torch.device("meta"):
        return create_model(name, method=method, num_classes=k, **kw)


def shapes(state):
    return {k: tuple(v.shape) for k, v in state.items()}


# Keys and shapes quoted from the PSELDNets checkpoints (pseldnets.md section 4.1), K = 170.
DOCUMENTED = {
    ("htsat", "maccdoa"): {
        "scalar.6.weight": (64,), "scalar.0.num_batches_tracked": (),
        "encoder.patch_embed.proj.weight": (96, 7, 4, 4), "encoder.patch_embed.norm.weight": (96,),
        "encoder.layers.0.blocks.0.attn.relative_position_bias_table": (225, 4),
        "encoder.layers.3.blocks.1.attn.relative_position_bias_table": (225, 32),
        "encoder.layers.0.blocks.0.attn.relative_position_index": (64, 64),
        "encoder.layers.2.blocks.0.attn.qkv.weight": (3 * 384, 384),
        "encoder.layers.1.blocks.1.mlp.fc1.weight": (4 * 192, 192),
        "encoder.layers.2.downsample.reduction.weight": (768, 4 * 384),
        "encoder.norm.weight": (768,), "tscam_conv.weight": (1530, 768, 2, 3), "tscam_conv.bias": (1530,),
    },
    ("htsat", "einv2"): {
        "sed_encoder.patch_embed.proj.weight": (96, 4, 4, 4), "doa_encoder.patch_embed.proj.weight": (96, 7, 4, 4),
        "stitch1.0.weight": (96, 2, 2), "stitch1.3.weight": (768, 2, 2),
        "sed_tscam_conv.weight": (510, 768, 2, 3), "doa_tscam_conv.weight": (9, 768, 2, 3),
    },
    ("passt", "maccdoa"): {
        "encoder.patch_embed.proj.weight": (768, 7, 16, 16), "encoder.cls_token": (1, 1, 768),
        "encoder.dist_token": (1, 1, 768), "encoder.new_pos_embed": (1, 2, 768),
        "encoder.freq_new_pos_embed": (1, 768, 6, 1), "encoder.time_new_pos_embed": (1, 768, 1, 100),
        "encoder.blocks.6.attn.qkv.weight": (2304, 768), "encoder.norm.weight": (768,),
        "encoder.head.0.weight": (768,), "fc.weight": (1530, 768),
    },
    ("cnn14_conformer", "maccdoa"): {
        "convs.conv_block1.conv1.weight": (64, 7, 3, 3), "convs.conv_block6.conv2.weight": (2048, 2048, 3, 3),
        "convs.conv_block6.bn2.running_var": (2048,),
        "decoder.decoder.layers.0.sequential.0.module.sequential.1.weight": (8192, 2048),
        "decoder.decoder.layers.0.sequential.1.module.positional_encoding.pe": (1, 10000, 2048),
        "decoder.decoder.layers.0.sequential.1.module.attention.u_bias": (8, 256),
        "decoder.decoder.layers.0.sequential.1.module.attention.pos_proj.weight": (2048, 2048),
        "decoder.decoder.layers.0.sequential.2.module.sequential.2.conv.weight": (4096, 2048, 1),
        "decoder.decoder.layers.0.sequential.2.module.sequential.4.conv.weight": (2048, 1, 31),
        "decoder.decoder.layers.0.sequential.2.module.sequential.5.running_mean": (2048,),
        "decoder.decoder.layers.0.sequential.4.weight": (2048,), "fc.weight": (1530, 2048),
    },
}


@pytest.mark.parametrize("name,method", list(DOCUMENTED))
def test_documented_full_size_layout_maps_onto_our_keys(name, method):
    model = meta_model(name, method)
    source = pseldnets_checkpoint(model)["state_dict"]
    theirs = {k.removeprefix("net._orig_mod."): tuple(v.shape) for k, v in source.items()}
    for key, shape in DOCUMENTED[(name, method)].items():
        assert theirs.get(key) == shape, key
    converted, family, branches, ignored = convert_pseldnets_state(source)
    assert (family, branches) == (name, method == "einv2")
    assert shapes(converted) == shapes(model.state_dict())
    assert any(k.startswith("af_extractor.") for k in ignored)


def test_shifted_window_masks_sit_where_pseldnets_has_them():
    source = pseldnets_checkpoint(meta_model("htsat", "accdoa"))["state_dict"]
    keys = [k.removeprefix("net._orig_mod.").split(".") for k in source if k.endswith("attn_mask")]
    masks = sorted(f"{k[2]}.{k[4]}" for k in keys)
    assert masks == ["0.1", "1.1", "2.1", "2.3", "2.5"]  # stage.block; stage 4 (8x8 = one window) has none


CASES = [
    ("test_htsat", "maccdoa", {}),
    ("test_htsat", "accdoa", {}),
    ("test_htsat", "einv2", {}),  # EINV2-HTSAT: two encoders and cross-stitch units
    ("test_htsat", "agg1", {"two_branch": False}),  # SEDDOA-HTSAT-AGG1
    ("test_passt", "maccdoa", {}),
    ("test_cnn14_conformer", "maccdoa", {}),
    ("test_htsat", "maccdoa", {"adapter": "adapterbit"}),  # an AdapterBit fine-tune
]


@pytest.mark.parametrize("name,method,kwargs", CASES)
def test_import_gives_the_source_model_outputs(tmp_path: Path, name, method, kwargs, randomize, features):
    source = randomize(create_model(name, method=method, num_classes=5, seed=11, **kwargs)).eval()
    path = tmp_path / "pseldnets.ckpt"
    torch.save(pseldnets_checkpoint(source, compiled=method != "accdoa"), path)

    model, report = import_pseldnets(path, method=method if method == "agg1" else None, num_classes=5,
                                     backbone=name)
    model.eval()
    assert (model.method, model.num_classes, model.two_branch) == (method, 5, source.two_branch)
    assert model.config.get("adapter") == source.config.get("adapter")
    assert report.loaded == len(source.state_dict())
    x = features(source, 2, 130)
    with torch.no_grad():
        a, b = source(x), model(x)
    for key in (a if isinstance(a, dict) else [None]):
        assert torch.equal(a[key] if key else a, b[key] if key else b)


def test_accdoa_and_maccdoa_are_told_apart_or_asked_for(tmp_path: Path):
    path = tmp_path / "m.ckpt"
    torch.save(pseldnets_checkpoint(create_model("test_htsat", method="maccdoa", num_classes=6)), path)
    with pytest.raises(ConfigError, match="give the method or the number of classes"):
        import_pseldnets(path, backbone="test_htsat")  # 54 outputs: ACCDOA K=18 or mACCDOA K=6
    assert import_pseldnets(path, backbone="test_htsat", num_classes=18)[0].method == "accdoa"
    assert import_pseldnets(path, backbone="test_htsat", method="maccdoa")[0].num_classes == 6
    with pytest.raises(ConfigError, match="fits neither"):
        import_pseldnets(path, backbone="test_htsat", num_classes=7)


def test_wrong_sizes_and_foreign_files_are_format_errors(tmp_path: Path):
    path = tmp_path / "m.ckpt"
    torch.save(pseldnets_checkpoint(create_model("test_htsat", method="maccdoa", num_classes=5)), path)
    with pytest.raises(FormatError, match="wrong shape"):
        import_pseldnets(path, method="maccdoa")  # the full-size HTS-AT is not the tiny one
    with pytest.raises(ConfigError, match="holds a htsat model"):
        import_pseldnets(path, backbone="test_passt")
    torch.save({"state_dict": {"net.encoder.weight": torch.zeros(1)}}, tmp_path / "other.ckpt")
    with pytest.raises(FormatError, match="not a PSELDNets checkpoint"):
        import_pseldnets(tmp_path / "other.ckpt")
