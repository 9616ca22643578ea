"""The inference shortcuts of seld.models.layers (oneDNN linear with fused activations, fused attention, folded
BatchNorm, channels-last and zero-tap-free convolutions) give the plain operators' outputs.

Without autograd (``torch.no_grad``) the models take the shortcuts; with parameters that need gradients they run
the plain PyTorch operators. Both on the same weights must agree to float32 rounding. (The originals' outputs in
tests/models are checked through the shortcuts.)
"""

from __future__ import annotations

import pytest
import torch

from seld.models import create_model
from seld.models.layers import linear

ATOL = 1e-5


def perturb_norms(model):
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.LayerNorm)):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))
                if getattr(m, "running_mean", None) is not None:
                    m.running_mean.copy_(0.5 * torch.randn(m.running_mean.shape, generator=gen))
                    m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
    return model


@pytest.mark.parametrize("name,kwargs,frames", [
    ("test_htsat", {}, 501), ("test_passt", {}, 301), ("test_htsat", {"method": "einv2"}, 501),
    # full CNN14 pooling on 64 bins: channels-last folded blocks, and the last block on 2 bins
    ("cnn14_conformer", {"channels": (4, 8, 8, 16, 16, 16), "num_heads": 4}, 401),
])
def test_shortcuts_equal_the_plain_operators(name, kwargs, frames):
    torch.manual_seed(0)
    kwargs = {"method": "maccdoa", **kwargs}
    model = perturb_norms(create_model(name, num_classes=3, **kwargs)).eval()
    x = torch.randn(2, 7, frames, 64)
    with torch.no_grad():
        fast = model(x)
    plain = model(x)  # parameters require gradients: plain operators
    fast = fast if isinstance(fast, dict) else {"out": fast}
    plain = plain if isinstance(plain, dict) else {"out": plain}
    for key in fast:
        assert plain[key].requires_grad
        assert fast[key].std() > 0.05
        torch.testing.assert_close(fast[key], plain[key].detach(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("act", ["none", "gelu", "silu"])
def test_linear_matches_f_linear(act):
    torch.manual_seed(1)
    x, w, b = torch.randn(3, 17, 40), torch.randn(24, 40), torch.randn(24)
    expected = torch.nn.functional.linear(x, w, b)
    expected = {"none": expected, "gelu": torch.nn.functional.gelu(expected),
                "silu": torch.nn.functional.silu(expected)}[act]
    torch.testing.assert_close(linear(x, w, b, act), expected, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown activation"):
        linear(x, w, b, "relu6")
