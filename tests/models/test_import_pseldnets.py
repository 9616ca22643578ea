"""Import of PSELDNets Lightning checkpoints: the key layouts of PSELDNets' own full-size models map onto ours, and
tiny models made and run by PSELDNets' own code (stored weights and outputs) import with the same outputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from foreign_layouts import pseldnets_checkpoint, sinusoid_table
from originals import PSELDNETS, full_size_layouts, load_case

from seld.errors import ConfigError, FormatError
from seld.models import create_model
from seld.models.checkpoints import convert_pseldnets_state, import_pseldnets
from seld.models.layers import ConvBlock


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
    theirs = sorted(".".join(key.split(".")[2:5:2]) for key in full_size_layouts()["htsat_accdoa"]
                    if key.endswith("attn_mask"))
    assert theirs == ["0.1", "1.1", "2.1", "2.3", "2.5"]  # stage.block; stage 4 (8x8 = one window) has none
    model = meta_model("htsat", "accdoa")
    ours = sorted(f"{s}.{b}" for s, stage in enumerate(model.encoder.layers) for b, block in enumerate(stage.blocks)
                  if block.attn_mask is not None)
    assert ours == theirs


# --- against the original code -----------------------------------------------------------------------------------
# tests/models/assets/pseldnets_reference.npz: tiny PSELDNets models (their own classes, seeded weights) and their
# outputs; assets/README.md says how they were made.

#: reference case -> our registered variant of the same size (None: built with the reference's widths).
VARIANTS = {"htsat": "test_htsat", "passt": "test_passt", "crnn": None}
#: reference case -> (our method, two-branch encoder)
METHODS = {"htsat_accdoa": ("accdoa", False), "htsat_maccdoa": ("maccdoa", False), "htsat_einv2": ("einv2", True),
           "htsat_einv2_5s": ("einv2", True), "htsat_seddoa": ("einv2", False),
           "htsat_maccdoa_adapter": ("maccdoa", False), "passt_accdoa": ("accdoa", False),
           "passt_maccdoa": ("maccdoa", False), "crnn_accdoa": ("accdoa", False), "crnn_maccdoa": ("maccdoa", False)}
#: outputs within this of the original's (float32 arithmetic in another order; measured: under 1e-6)
ATOL = 1e-5


def lightning_file(case, path: Path, compiled: bool) -> Path:
    """The Lightning checkpoint PSELDNets writes for the reference model: ``net.`` (+ ``_orig_mod.``) keys, the
    front end's buffers, and the Conformer's sinusoid table (not stored in the asset: 10000 x D values)."""
    prefix = "net._orig_mod." if compiled else "net."
    state = {prefix + k: v for k, v in case.state.items()}
    for key in case.info["not_stored"]:
        dim = case.info["kwargs"]["num_features"][-1]
        state[prefix + key] = sinusoid_table(10000, dim)
    state["af_extractor.stft_extractor.window"] = torch.hann_window(1024)
    state["af_extractor.mel_scale.fb"] = torch.zeros(513, 64)
    torch.save({"state_dict": state, "epoch": 7, "global_step": 1000}, path)
    return path


@pytest.mark.parametrize("name", [*METHODS, "crnn_maccdoa+winograd"])
def test_import_reproduces_the_original_pseldnets_outputs(tmp_path: Path, name, monkeypatch):
    """Every method's PSELDNets network, imported, gives the reference code's outputs. ``+winograd``: the
    CNN14 blocks' inference shortcut (Winograd convolutions, on the full-size model from 256 channels) on every
    block of the small reference model."""
    name, _, shortcut = name.partition("+")
    if shortcut:
        monkeypatch.setattr(ConvBlock, "WINOGRAD_MIN_CHANNELS", 1)
    case = load_case(PSELDNETS, name)
    method, two_branch = METHODS[name]
    path = lightning_file(case, tmp_path / f"{name}.ckpt", compiled=name.endswith("accdoa"))
    variant = VARIANTS[name.split("_")[0]]
    if variant is not None:
        model, report = import_pseldnets(path, num_classes=case.info["num_classes"], backbone=variant)
        assert report.loaded == len(case.state) - sum(k.endswith(("attn_mask", "relative_position_index"))
                                                      for k in case.state)
    else:  # no registered CNN14-Conformer of the reference's widths: rename, then load strictly
        source = torch.load(path, weights_only=True)["state_dict"]
        converted, family, branches, ignored = convert_pseldnets_state(source)
        assert (family, branches) == ("cnn14_conformer", False)
        assert sorted(k for k in ignored if not k.startswith("af_extractor.")) == sorted(
            case.info["not_stored"])
        model = create_model("cnn14_conformer", method=method, num_classes=case.info["num_classes"],
                             channels=tuple(case.info["kwargs"]["num_features"]))
        model.load_state_dict(converted, strict=True)
    assert (model.method, model.two_branch, model.in_channels) == (method, two_branch, 7)
    if name.endswith("adapter"):
        adapter = model.config["adapter"]
        assert (adapter["type"], adapter["ratio"], adapter["scale"]) == ("adapterbit", 0.5, 0.1)  # adapter.yaml
    model.pack_short = name.endswith("_5s")  # PSELDNets packs two 5 s clips into one 10 s canvas
    x = case.input()
    with torch.no_grad():
        out = model.eval()(x)
    if shortcut:
        blocks = [m for m in model.modules() if isinstance(m, ConvBlock)]
        assert blocks and all(set(block._winograd) == {"1", "2"} for block in blocks)
    ours = out if isinstance(out, dict) else {"accdoa": out, "multi_accdoa": out}
    for key, expected in case.outputs.items():
        assert expected.std() > 0.05  # a reference that varies, not a saturated or constant output
        torch.testing.assert_close(ours[key], expected, atol=ATOL, rtol=0)


#: full-size PSELDNets model (assets/pseldnets_full_size_layouts.json.gz) -> our model of the same size
FULL_SIZE = {"htsat_accdoa": ("htsat", "accdoa", 170, {}), "htsat_maccdoa": ("htsat", "maccdoa", 170, {}),
             "htsat_einv2": ("htsat", "einv2", 170, {}), "htsat_seddoa": ("htsat", "einv2", 170, {"two_branch": False}),
             "htsat_maccdoa_adapter_k13": ("htsat", "maccdoa", 13,
                                           {"adapter": {"type": "adapterbit", "ratio": 0.5, "scale": 0.1}}),
             "passt_maccdoa": ("passt", "maccdoa", 170, {}),
             "crnn_maccdoa": ("cnn14_conformer", "maccdoa", 170, {})}


@pytest.mark.parametrize("name", list(FULL_SIZE))
def test_full_size_original_layouts_convert_onto_our_models(name):
    """Every key and shape of PSELDNets' own full-size models (built from its configs) renames onto ours."""
    backbone, method, k, kwargs = FULL_SIZE[name]
    layout = full_size_layouts()[name]
    source = {"net._orig_mod." + key: torch.empty(shape, device="meta") for key, shape in layout.items()}
    converted, family, branches, ignored = convert_pseldnets_state(source)
    model = meta_model(backbone, method, k, **kwargs)
    assert (family, branches) == (backbone, model.two_branch)
    assert shapes(converted) == shapes(model.state_dict())
    assert all(key.endswith(("attn_mask", "relative_position_index", "positional_encoding.pe")) for key in ignored)
    assert sum(math.prod(s) for key, s in layout.items() if not key.endswith(
        ("attn_mask", "relative_position_index", "positional_encoding.pe", "num_batches_tracked", "running_mean",
         "running_var"))) == sum(p.numel() for p in model.parameters())


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
