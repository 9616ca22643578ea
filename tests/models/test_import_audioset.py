"""Import of AudioSet weights (PANNs CNN14, HTS-AT, PaSST): against PSELDNets' own AudioSet initialisation of tiny
AudioSet-layout files (tests/models/assets), and on files written here in the source layouts: the one-channel
first layer is inflated so that identical input channels reproduce the one-channel model, ``bn0`` initialises
every input-normalisation channel, and PaSST's positional embeddings are cropped or interpolated."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from foreign_layouts import all_tensors, bn0_state, pseldnets_key
from originals import PSELDNETS, load_case

from seld.errors import ConfigError, FormatError
from seld.models.backbones.cnn14_conformer import CNN14Conformer
from seld.models.backbones.htsat import HTSAT
from seld.models.backbones.passt import PaSST
from seld.models.checkpoints import import_audioset, inflate_channels

TINY_HTSAT = dict(spec_size=128, patch_size=4, patch_stride=4, embed_dim=16, depths=(2, 2), num_heads=(2, 4),
                  window_size=8)
TINY_CNN = dict(channels=(8, 16, 32), pools=((2, 4), (2, 4), (2, 4)), conformer_layers=1, num_heads=4, kernel_size=7)
TINY_PASST = dict(embed_dim=32, depth=2, num_heads=2)


def stages(backbone, x):
    h = backbone.forward_stem(x)
    for i in range(backbone.num_stages):
        h = backbone.forward_stage(i, h)
    return h


def check_bn0(model, bn0):
    for c in range(model.in_channels):
        for key, value in bn0.items():
            assert torch.equal(model.state_dict()[f"scalar.{c}.{key[4:]}"], value)


def test_inflation_divides_a_mono_kernel_over_the_channels():
    w = torch.randn(5, 1, 3, 3)
    assert torch.equal(inflate_channels(w, 7), w.repeat(1, 7, 1, 1) / 7)
    assert inflate_channels(w, 1) is w
    with pytest.raises(ConfigError):
        inflate_channels(torch.randn(5, 2, 3, 3), 7)


def test_htsat_audioset_weights_reproduce_the_mono_encoder(tmp_path: Path):
    gen = torch.Generator().manual_seed(1)
    mono = HTSAT(in_chans=1, **TINY_HTSAT).eval()
    bn0 = bn0_state(64, gen)
    state = {f"sed_model.{k}": v for k, v in {**all_tensors(mono), **bn0}.items()}
    state.update({"sed_model.tscam_conv.weight": torch.randn(527, 32, 8, 3),
                  "sed_model.tscam_conv.bias": torch.randn(527),
                  "sed_model.head.weight": torch.randn(527, 527), "sed_model.head.bias": torch.randn(527),
                  "sed_model.spectrogram_extractor.stft.conv_real.weight": torch.randn(513, 1, 1024),
                  "sed_model.logmel_extractor.melW": torch.randn(64, 513)})
    torch.save({"state_dict": state, "epoch": 40}, tmp_path / "htsat.ckpt")

    model, report = import_audioset(tmp_path / "htsat.ckpt", "htsat", method="maccdoa", num_classes=13,
                                    backbone="test_htsat")
    model.eval()
    check_bn0(model, bn0)
    assert report.reinitialised == ["head.proj.conv.weight", "head.proj.conv.bias"]
    assert any("tscam_conv" in k for k in report.ignored)
    x = torch.randn(2, 1, 200, 64, generator=gen)
    with torch.no_grad():
        assert torch.allclose(model.encoder(x.repeat(1, 7, 1, 1)), mono(x), atol=1e-5)


def test_two_branch_encoders_inflate_to_their_own_channels(tmp_path: Path):
    mono = HTSAT(in_chans=1, **TINY_HTSAT)
    state = {f"sed_model.{k}": v for k, v in {**mono.state_dict(), **bn0_state(64, torch.Generator())}.items()}
    torch.save({"state_dict": state}, tmp_path / "htsat.ckpt")
    model, report = import_audioset(tmp_path / "htsat.ckpt", "htsat", method="einv2", num_classes=13,
                                    backbone="test_htsat")
    w = mono.patch_embed.proj.weight
    assert torch.equal(model.encoder.sed.patch_embed.proj.weight, w.repeat(1, 4, 1, 1) / 4)
    assert torch.equal(model.encoder.doa.patch_embed.proj.weight, w.repeat(1, 7, 1, 1) / 7)
    assert {k.split(".")[0] + "." + k.split(".")[1] for k in report.reinitialised} == {"encoder.stitch", "head.sed",
                                                                                       "head.doa"}


def test_panns_cnn14_weights_reproduce_the_mono_convolutions(tmp_path: Path):
    gen = torch.Generator().manual_seed(2)
    mono = CNN14Conformer(in_chans=1, **TINY_CNN).eval()
    with torch.no_grad():
        for name, buf in mono.named_buffers():
            if name.endswith("running_var"):
                buf.uniform_(0.5, 2.0, generator=gen)
    bn0 = bn0_state(64, gen)
    state = {f"conv_block{int(k.split('.')[1]) + 1}.{k.split('.', 2)[2]}": v
             for k, v in mono.state_dict().items() if k.startswith("blocks.")}
    state.update(bn0)
    state["conv_block4.conv1.weight"] = torch.randn(64, 32, 3, 3)  # CNN14 has 6 blocks; the tiny model uses 3
    state.update({"fc1.weight": torch.randn(32, 32), "fc1.bias": torch.randn(32),
                  "fc_audioset.weight": torch.randn(527, 32), "fc_audioset.bias": torch.randn(527),
                  "spectrogram_extractor.stft.conv_real.weight": torch.randn(513, 1, 1024)})
    torch.save({"model": state, "iteration": 600000}, tmp_path / "Cnn14_mAP=0.431.pth")

    model, report = import_audioset(tmp_path / "Cnn14_mAP=0.431.pth", "panns", method="accdoa", num_classes=12,
                                    backbone="test_cnn14_conformer", in_channels=10)
    model.eval()
    check_bn0(model, bn0)
    assert all(k.startswith(("head.", "encoder.conformer.")) for k in report.reinitialised)
    assert "conv_block4.conv1.weight" in report.ignored and "fc_audioset.weight" in report.ignored
    x = torch.randn(2, 1, 80, 64, generator=gen)
    with torch.no_grad():
        assert torch.allclose(stages(model.encoder, x.repeat(1, 10, 1, 1)), stages(mono, x), atol=1e-5)


def test_passt_positional_embeddings_are_centre_cropped(tmp_path: Path):
    gen = torch.Generator().manual_seed(3)
    mono = PaSST(in_chans=1, time_patches=30, **TINY_PASST).eval()
    state = dict(mono.state_dict())
    state["head.0.weight"], state["head.0.bias"] = state.pop("out_norm.weight"), state.pop("out_norm.bias")
    # AudioSet PaSST covers 12 frequency patches (128 bins) and more time: ours sits in the middle of both.
    time = torch.randn(1, 32, 1, 40, generator=gen)
    time[..., 5:35] = state["time_new_pos_embed"]
    freq = torch.randn(1, 32, 12, 1, generator=gen)
    freq[:, :, 3:9] = state["freq_new_pos_embed"]
    state.update({"time_new_pos_embed": time, "freq_new_pos_embed": freq, "head.1.weight": torch.randn(527, 32),
                  "head.1.bias": torch.randn(527), "head_dist.weight": torch.randn(527, 32),
                  "head_dist.bias": torch.randn(527)})
    torch.save(state, tmp_path / "passt-l-kd-ap.47.ckpt")

    model, report = import_audioset(tmp_path / "passt-l-kd-ap.47.ckpt", "passt", method="maccdoa", num_classes=13,
                                    backbone="test_passt")
    model.eval()
    assert all(k.startswith(("head.", "scalar.")) for k in report.reinitialised)  # no bn0 in PaSST
    assert sorted(report.ignored) == ["head.1.bias", "head.1.weight", "head_dist.bias", "head_dist.weight"]
    x = torch.randn(2, 1, 300, 64, generator=gen)
    with torch.no_grad():
        assert torch.allclose(model.encoder(x.repeat(1, 7, 1, 1)), mono(x), atol=1e-5)


def test_passt_shorter_time_embedding_is_interpolated(tmp_path: Path):
    mono = PaSST(in_chans=1, time_patches=20, **TINY_PASST)
    state = dict(mono.state_dict())
    state["head.0.weight"], state["head.0.bias"] = state.pop("out_norm.weight"), state.pop("out_norm.bias")
    torch.save(state, tmp_path / "passt.ckpt")
    model, _ = import_audioset(tmp_path / "passt.ckpt", "passt", num_classes=3, backbone="test_passt")
    expected = F.interpolate(state["time_new_pos_embed"], size=(1, 30), mode="bilinear")
    assert torch.allclose(model.encoder.time_new_pos_embed, expected)
    assert torch.allclose(model.encoder.time_new_pos_embed[..., 0], state["time_new_pos_embed"][..., 0])


def test_wrong_audioset_files_are_reported(tmp_path: Path):
    torch.save({"model": {"fc1.weight": torch.zeros(2, 2)}}, tmp_path / "x.pth")
    with pytest.raises(FormatError, match="no cnn14_conformer encoder weights"):
        import_audioset(tmp_path / "x.pth", "panns", num_classes=3, backbone="test_cnn14_conformer")
    wider = HTSAT(in_chans=1, **{**TINY_HTSAT, "embed_dim": 24})
    torch.save({"state_dict": {f"sed_model.{k}": v for k, v in wider.state_dict().items()}}, tmp_path / "h.ckpt")
    with pytest.raises(FormatError, match=r"wrong shape .*attn.qkv.weight \(72, 24\) vs \(48, 16\)"):
        import_audioset(tmp_path / "h.ckpt", "htsat", num_classes=3, backbone="test_htsat")
    with pytest.raises(ConfigError, match="not 'test_passt'"):
        import_audioset(tmp_path / "h.ckpt", "htsat", num_classes=3, backbone="test_passt")


# --- against PSELDNets' own AudioSet initialisation (load_ckpts(audioset_pretrain=True)) ----------------------------

#: reference case -> (AudioSet source, file name, how the file wraps the state dict, our model)
AUDIOSET_CASES = {
    "audioset_htsat_maccdoa": ("htsat", "HTSAT-fullset-imagenet-768d-32000hz.ckpt", "state_dict",
                               dict(method="maccdoa", backbone="test_htsat", n_freq=16)),
    "audioset_htsat_einv2": ("htsat", "HTSAT-fullset-imagenet-768d-32000hz.ckpt", "state_dict",
                             dict(method="einv2", backbone="test_htsat", n_freq=16)),
    "audioset_passt_accdoa": ("passt", "passt-l-kd-ap.47.ckpt", None, dict(method="accdoa", backbone="test_passt")),
    "audioset_crnn_maccdoa": ("panns", "Cnn14_mAP=0.431.pth", "model",
                              dict(method="maccdoa", backbone="cnn14_conformer", channels=(4, 8, 8, 16, 16, 16))),
}


@pytest.mark.parametrize("name", list(AUDIOSET_CASES))
def test_audioset_import_gives_pseldnets_initialisation(tmp_path: Path, name):
    """The tiny AudioSet-layout file (PaSST: 12 x 29 positional grid, interpolated to 30 time patches) is loaded by
    PSELDNets' load_ckpts; the tensors it leaves at their initialisation are the ones we leave new, and with those
    copied over the outputs are PSELDNets'."""
    source, filename, wrapper, kwargs = AUDIOSET_CASES[name]
    src = load_case(PSELDNETS, f"audioset_{source}_source")
    path = tmp_path / filename
    torch.save(src.state if wrapper is None else {wrapper: src.state}, path)
    ref = load_case(PSELDNETS, name)

    model, report = import_audioset(path, source, num_classes=ref.info["num_classes"], **kwargs)
    ours = {pseldnets_key(k): k for k in model.state_dict()}
    assert sorted(report.reinitialised) == sorted(ours[k] for k in ref.state)
    state = model.state_dict()  # tensors sharing the model's storage
    with torch.no_grad():
        for key, value in ref.state.items():
            state[ours[key]].copy_(value)
        out = model.eval()(ref.input())
    out = out if isinstance(out, dict) else {next(iter(ref.outputs)): out}
    for key, expected in ref.outputs.items():
        assert expected.std() > 0.05
        torch.testing.assert_close(out[key], expected, atol=1e-5, rtol=0)
