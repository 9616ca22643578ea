"""Import of the official DCASE 2023 / 2024 task 3 baseline weights into ``crnn_dcase``: tiny models of the
baselines' own ``SeldModel`` with their outputs (tests/models/assets) must give the same outputs; a stand-in
written here with the baseline's module names and layer order checks the published layout and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from originals import DCASE, case_names, load_case
from torch import nn

from seld.errors import ConfigError, FormatError
from seld.models import create_model
from seld.models.checkpoints import import_dcase_baseline, load_checkpoint


class _ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Baseline(nn.Module):
    """The baseline's SeldModel layout: (ConvBlock, MaxPool, Dropout) x 3 in one list, BiGRU whose tanh-ed
    directions multiply, post-norm self-attention, linear dense layers; tanh output in 2023, linear in 2024."""

    def __init__(self, year: int, ch: int, out: int, filters: int = 8, rnn: int = 16, heads: int = 2,
                 n_mhsa: int = 2, fnn: int = 16):
        super().__init__()
        self.year = year
        self.conv_block_list = nn.ModuleList()
        for i, (tp, fp) in enumerate(((5, 4), (1, 4), (1, 2))):
            self.conv_block_list.extend([_ConvBlock(filters if i else ch, filters), nn.MaxPool2d((tp, fp)),
                                         nn.Dropout2d(0.05)])
        self.gru = nn.GRU(filters * 2, rnn, num_layers=2, batch_first=True, dropout=0.05, bidirectional=True)
        self.mhsa_block_list = nn.ModuleList(nn.MultiheadAttention(rnn, heads, dropout=0.05, batch_first=True)
                                             for _ in range(n_mhsa))
        self.layer_norm_list = nn.ModuleList(nn.LayerNorm(rnn) for _ in range(n_mhsa))
        self.fnn_list = nn.ModuleList([nn.Linear(rnn, fnn), nn.Linear(fnn, out)])

    def forward(self, x):
        for layer in self.conv_block_list:
            x = layer(x)
        x, _ = self.gru(x.transpose(1, 2).flatten(2))
        x = torch.tanh(x)
        half = x.shape[-1] // 2
        x = x[..., half:] * x[..., :half]
        for attn, norm in zip(self.mhsa_block_list, self.layer_norm_list):
            x = norm(attn(x, x, x)[0] + x)
        x = self.fnn_list[1](self.fnn_list[0](x))
        return torch.tanh(x) if self.year == 2023 else x


def baseline(year: int, ch: int, out: int, seed: int = 0, **kw) -> Baseline:
    """A stand-in with random weights and BatchNorm statistics (nothing left at a trivial initialisation)."""
    gen = torch.Generator().manual_seed(seed)
    model = Baseline(year, ch, out, **kw)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(torch.randn(buf.shape, generator=gen) * 0.5)
            elif name.endswith("running_var"):
                buf.copy_(torch.rand(buf.shape, generator=gen) + 0.5)
    return model.eval()


def save(model: nn.Module, path: Path) -> Path:
    torch.save(model.state_dict(), path)
    return path


def inputs(ch: int, frames: int = 100, seed: int = 1) -> torch.Tensor:
    return torch.randn(2, ch, frames, 64, generator=torch.Generator().manual_seed(seed))


# Keys and shapes of the published DCASE2024 baseline checkpoint 3_1_dev_split0_multiaccdoa_foa_model.h5.
PUBLISHED_2024_FOA = {
    "conv_block_list.0.conv.weight": (64, 7, 3, 3), "conv_block_list.3.bn.running_var": (64,),
    "conv_block_list.6.conv.weight": (64, 64, 3, 3), "conv_block_list.6.bn.num_batches_tracked": (),
    "gru.weight_ih_l0": (384, 128), "gru.weight_ih_l1_reverse": (384, 256), "gru.bias_hh_l1": (384,),
    "mhsa_block_list.1.in_proj_weight": (384, 128), "mhsa_block_list.0.out_proj.weight": (128, 128),
    "layer_norm_list.1.bias": (128,), "fnn_list.0.weight": (128, 128), "fnn_list.1.weight": (156, 128),
}


def test_full_size_baseline_layout_is_the_published_one_and_imports(tmp_path: Path):
    source = baseline(2024, 7, 156, filters=64, rnn=128, heads=8, fnn=128)
    state = source.state_dict()
    assert len(state) == 53 and {k: tuple(state[k].shape) for k in PUBLISHED_2024_FOA} == PUBLISHED_2024_FOA
    model, report = import_dcase_baseline(save(source, tmp_path / "foa.h5"), 2024)
    assert report.loaded == 53 and not report.ignored
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in source.parameters())
    assert sum(p.numel() for p in create_model("crnn_dcase", distance=True).parameters()) == \
        sum(p.numel() for p in source.parameters())
    x = inputs(7, 50)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), source(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", case_names(DCASE))
def test_import_gives_the_original_baseline_outputs(tmp_path: Path, name):
    """Tiny seeded models of the baselines' own SeldModel (seldnet_model.py of each year's repository) and their
    outputs, stored in tests/models/assets: imported with the default options, the outputs are identical."""
    case = load_case(DCASE, name)
    year, method, k = case.info["year"], case.info["method"], case.info["num_classes"]
    path = tmp_path / "model.h5"
    torch.save(case.state, path)
    model, report = import_dcase_baseline(path, year, num_classes=k)
    assert report.loaded == len(case.state) and not report.ignored
    ch = case.info["in_feat_shape"][1]
    assert (model.method, model.num_classes, model.in_channels, model.distance) == (method, k, ch, year == 2024)
    x = case.input()
    with torch.no_grad():
        ours = model.eval()(x)
    theirs = case.outputs["output"]
    tracks, axes = (3 if method == "maccdoa" else 1), (4 if year == 2024 else 3)  # 2024: x, y, z, distance
    assert ours.shape == theirs.shape == (1, 20, tracks * axes * k)  # 100 frames of 20 ms pooled to 100 ms
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)
    if year == 2024:
        assert not torch.allclose(theirs, torch.tanh(theirs), atol=1e-3)  # linear outputs, kept linear


def test_method_follows_the_class_count_and_defaults_to_maccdoa(tmp_path: Path):
    src = save(baseline(2023, 7, 36), tmp_path / "m.h5")
    assert import_dcase_baseline(src, 2023, mhsa_heads=2)[0].num_classes == 4  # 36 = 9 x 4 multi-ACCDOA
    model, _ = import_dcase_baseline(src, 2023, num_classes=12, mhsa_heads=2)
    assert (model.method, model.num_classes) == ("accdoa", 12)
    with pytest.raises(ConfigError, match="fits neither"):
        import_dcase_baseline(src, 2023, num_classes=5, mhsa_heads=2)
    with pytest.raises(ConfigError, match="does not fit method 'maccdoa'"):
        import_dcase_baseline(save(baseline(2023, 7, 27), tmp_path / "27.h5"), 2024)  # 27 is not 12 x K


def test_unknown_layouts_are_refused_naming_file_and_keys(tmp_path: Path):
    good = baseline(2023, 7, 27).state_dict()
    foreign = tmp_path / "pseldnets.ckpt"
    torch.save({"state_dict": {"net.encoder.norm.weight": torch.ones(3)}}, foreign)
    with pytest.raises(FormatError, match=r"pseldnets\.ckpt.*not a DCASE baseline"):
        import_dcase_baseline(foreign, 2023)
    extra = tmp_path / "extra.h5"
    torch.save({**good, "pos_embedder.pe": torch.zeros(1, 512, 16)}, extra)
    with pytest.raises(FormatError, match=r"extra\.h5.*1 unexpected \(pos_embedder\.pe\)"):
        import_dcase_baseline(extra, 2023, mhsa_heads=2)
    partial = tmp_path / "partial.h5"
    torch.save({k: v for k, v in good.items() if not k.startswith("layer_norm_list.1.")}, partial)
    with pytest.raises(FormatError, match=r"partial\.h5.*2 missing \(encoder\.norms\.1\.weight"):
        import_dcase_baseline(partial, 2023, mhsa_heads=2)
    av = tmp_path / "av.h5"
    torch.save({**good, "visual_embed_to_d_model.weight": torch.zeros(16, 49)}, av)
    with pytest.raises(FormatError, match="audio-visual"):
        import_dcase_baseline(av, 2024)
    with pytest.raises(ConfigError, match="no DCASE baseline importer for 2022"):
        import_dcase_baseline(extra, 2022)
    with pytest.raises(ConfigError, match="not 'test_htsat'"):
        import_dcase_baseline(extra, 2023, backbone="test_htsat")


def test_linear_doa_outputs_only_for_accdoa_heads():
    with pytest.raises(ConfigError, match="doa_tanh=False"):
        create_model("test_crnn", method="einv2", doa_tanh=False)


def test_cli_import_writes_a_checkpoint_that_rebuilds(tmp_path: Path, run_cli):
    source = baseline(2024, 7, 156, filters=8, rnn=16, heads=8)  # 8 heads: the baseline's (and our) default
    src = save(source, tmp_path / "3_1_dev_split0_multiaccdoa_foa_model.h5")
    out = tmp_path / "dcase2024.ckpt"
    code, text, err = run_cli(["import", str(src), str(out), "--from", "dcase2024", "--classes", "starss23"])
    assert code == 0 and "DCASE2024 baseline maccdoa (K=13, 7 input channels)" in text, err
    model, info = load_checkpoint(out)
    assert info.metadata["imported_from"] == "dcase2024" and len(info.classes) == 13
    x = inputs(7)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), source(x), atol=1e-5, rtol=0)
    code, _, err = run_cli(["import", str(src), str(out), "--from", "dcase2024", "--in-channels", "4"])
    assert code == 2 and "read from its weights" in err
