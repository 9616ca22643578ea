"""Shared layers checked against hand-computed cases and the documented PSELDNets formulations."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F

from seld.models.backbones.htsat import _shift_mask, fold_time
from seld.models.layers import (_ONEDNN_LINEAR, ChannelBatchNorm, ConvBlock, CrossStitch, Linear, fit_length,
                                to_label_rate)


def test_repeat_upsampling_then_label_means():
    x = torch.arange(4.0).view(1, 4, 1)  # 4 steps of 8 frames = 32 frames -> 3 label frames of 10
    y = to_label_rate(x, step_frames=8, n_out=3, frames_per_label=10)
    frames = torch.tensor([0.0] * 8 + [1.0] * 8 + [2.0] * 8 + [3.0] * 8)[:30]
    assert torch.allclose(y.view(-1), frames.view(3, 10).mean(1))


def test_linear_upsampling_is_pseldnets_bilinear_interpolation():
    x = torch.randn(2, 32, 5)  # [B, steps, outputs]
    y = to_label_rate(x, step_frames=32, n_out=100, frames_per_label=10, mode="linear")
    ref = F.interpolate(x[:, None], size=(32 * 32, 5), mode="bilinear").squeeze(1)[:, :1000]
    assert torch.allclose(y, ref.reshape(2, 100, 10, 5).mean(2), atol=1e-6)


def test_missing_frames_repeat_the_last_step():
    x = torch.tensor([[[1.0], [2.0]]])
    assert fit_length(x, 4).view(-1).tolist() == [1.0, 2.0, 2.0, 2.0]
    assert to_label_rate(x, 10, 3, 10).view(-1).tolist() == [1.0, 2.0, 2.0]


def test_cross_stitch_updates_doa_with_the_new_sed_features():
    stitch = CrossStitch(3)
    with torch.no_grad():
        stitch.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]).expand(3, 2, 2))
    x, y = torch.ones(1, 2, 3), torch.full((1, 2, 3), 10.0)  # tokens [B, N, C]
    nx, ny = stitch(x, y)
    assert torch.allclose(nx, torch.full_like(x, 21.0))  # 1 * 1 + 2 * 10
    assert torch.allclose(ny, torch.full_like(y, 103.0))  # 3 * 21 + 4 * 10 (not 3 * 1 + 4 * 10)
    maps = stitch(torch.ones(1, 3, 4, 5), torch.full((1, 3, 4, 5), 10.0))[0]  # maps [B, C, T, F]
    assert torch.allclose(maps, torch.full_like(maps, 21.0))


def test_input_norm_is_one_batchnorm_over_bins_per_channel():
    norm = ChannelBatchNorm(3, 8).train()
    assert "0.running_mean" in norm.state_dict() and "2.weight" in norm.state_dict()
    x = torch.randn(4, 3, 20, 8) * 5 + 2
    y = norm(x)
    ref = torch.nn.BatchNorm2d(8).train()
    for c in range(3):  # PSELDNets: x.transpose(1, 3) -> [B, F, T, C], BatchNorm2d(F) on each channel slice
        xc = x.transpose(1, 3)[..., [c]]
        assert torch.allclose(y[:, c], ref(xc).transpose(1, 3)[:, 0], atol=1e-5)


def test_time_folding_stacks_blocks_along_frequency():
    x = torch.arange(8 * 4.0).view(1, 1, 8, 4)  # T = 8 frames, F = 4 bins; value = 4 t + f
    img = fold_time(x, spec_size=4, freq_ratio=2)  # canvas 8 frames = 2 blocks of 4
    assert img.shape == (1, 1, 8, 4)
    for block in range(2):
        for f in range(4):
            for t in range(4):
                assert img[0, 0, block * 4 + f, t] == 4 * (block * 4 + t) + f
    padded = fold_time(x[:, :, :5], spec_size=4, freq_ratio=2)
    assert padded[0, 0, 4:, 1:].abs().sum() == 0  # frames 5..7 are zero padding


def test_shifted_window_mask_gives_exact_zero_weights_not_denormals():
    """Masked pairs must weigh exactly 0: Swin's -100 gives weights of about e^-100, float32 denormals that the CPU
    computes on a slow path (30 % of HTS-AT's forward)."""
    mask = _shift_mask(16, 8, 4)  # [windows, N, N]
    scores = torch.randn(mask.shape, generator=torch.Generator().manual_seed(0)) * 3
    probs = (scores + mask).softmax(dim=-1)
    blocked = mask != 0
    assert blocked.any() and (~blocked).any()
    assert (probs[blocked] == 0).all()
    torch.testing.assert_close(probs.sum(-1), torch.ones(mask.shape[:2]))


def _conv_block(in_chans: int, out_chans: int, winograd_from: int) -> ConvBlock:
    block = ConvBlock(in_chans, out_chans, pool=(1, 1))
    block.WINOGRAD_MIN_CHANNELS = winograd_from
    with torch.no_grad():
        for bn in (block.bn1, block.bn2):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.normal_()
            bn.bias.normal_()
    return block.eval()


@pytest.mark.parametrize("shape", [(1, 1), (2, 1), (7, 2), (8, 3), (9, 8), (12, 5)])
def test_winograd_convolution_equals_the_direct_one_on_odd_and_tiny_maps(shape):
    """The inference shortcut (Winograd F(2x2, 3x3), on wide CNN14 blocks) against float64 direct convolutions,
    on maps that do not fill whole 2x2 tiles."""
    torch.manual_seed(0)
    block = _conv_block(6, 10, winograd_from=1)
    x = torch.randn(2, 6, *shape)
    with torch.no_grad():
        fast = block(x)
        assert set(block._winograd) == {"1", "2"}
        expected = block.double()(x.double())  # float64 takes the plain path
    assert fast.shape == expected.shape
    torch.testing.assert_close(fast.double(), expected, atol=1e-5, rtol=1e-5)


def test_winograd_kernels_follow_new_weights():
    """The transformed kernels are cached between calls and rebuilt when the weights change (loading a checkpoint)."""
    torch.manual_seed(0)
    block = _conv_block(4, 4, winograd_from=4)
    other = _conv_block(4, 4, winograd_from=4)
    x = torch.randn(1, 4, 6, 6)
    with torch.no_grad():
        block(x)
        block.load_state_dict(other.state_dict())
        torch.testing.assert_close(block(x), other(x))
        block.conv2.weight.mul_(2.0)
        y = block(x)
    block.WINOGRAD_MIN_CHANNELS = 10**9
    with torch.no_grad():
        torch.testing.assert_close(y, block(x), atol=1e-5, rtol=1e-5)


@pytest.mark.skipif(not _ONEDNN_LINEAR, reason="this PyTorch has no oneDNN linear kernel")
@pytest.mark.parametrize("act", ["none", "gelu", "silu"])
def test_linear_keeps_its_packed_weight_until_the_weight_changes(act):
    """At inference a layer's weight is laid out for oneDNN once and kept; loading a checkpoint or changing the
    weight in place rebuilds it, and copying or pickling the layer still works (the packed copy is not part of
    the module)."""
    torch.manual_seed(0)
    layer, other = Linear(24, 40).eval(), Linear(24, 40).eval()
    x = torch.randn(3, 5, 24)

    def plain(m):
        y = F.linear(x, m.weight, m.bias)
        return {"none": y, "gelu": F.gelu(y), "silu": F.silu(y)}[act]

    with torch.no_grad():
        torch.testing.assert_close(layer(x, act), plain(layer), atol=1e-5, rtol=1e-5)
        layer.load_state_dict(other.state_dict())
        torch.testing.assert_close(layer(x, act), plain(other), atol=1e-5, rtol=1e-5)
        layer.weight.mul_(-2.0)
        torch.testing.assert_close(layer(x, act), plain(layer), atol=1e-5, rtol=1e-5)
        for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
            torch.testing.assert_close(clone(x, act), plain(layer), atol=1e-5, rtol=1e-5)
