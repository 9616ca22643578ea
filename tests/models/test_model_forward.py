"""Every backbone x method: the output contract with seld.methods, no NaN, a gradient for every trainable
parameter; the distance layouts; input checks."""

from __future__ import annotations

import pytest
import torch

from seld.errors import InputError
from seld.models import METHODS, create_model, list_models

K = 4
B, FRAMES = 2, 100  # 100 feature frames -> 10 label frames


def expected_shapes(method: str, t: int, distance: bool = False):
    per = 4 if distance else 3
    return {
        "accdoa": (B, t, per * K),
        "maccdoa": (B, t, 3 * per * K),
        "seddoa": {"sed": (B, t, K), "doa": (B, t, 3 * K)},
    }.get(method, {"sed": (B, t, 3, K), "doa": (B, t, 3, 3)})


def shapes(out):
    return {k: tuple(v.shape) for k, v in out.items()} if isinstance(out, dict) else tuple(out.shape)


def total(out) -> torch.Tensor:
    return sum(v.sum() for v in out.values()) if isinstance(out, dict) else out.sum()


@pytest.mark.parametrize("name", list_models("test_*"))
@pytest.mark.parametrize("method", METHODS)
def test_contract_shapes_finite_and_every_parameter_gets_a_gradient(name, method, features):
    model = create_model(name, method=method, num_classes=K)
    out = model(features(model, B, FRAMES))
    assert shapes(out) == expected_shapes(method, FRAMES // 10)
    for value in (out.values() if isinstance(out, dict) else [out]):
        assert torch.isfinite(value).all()
    total(out).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient for {missing}"


DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device")])]


@pytest.mark.parametrize("name", list_models("test_*"))
@pytest.mark.parametrize("device", DEVICES)
def test_trains_after_inference_mode_on_its_device(name, device, features):
    """Inference first (seld infer, validation), then training on the same module: nothing the first call
    caches may be an inference tensor (HTS-AT's window order once was, on CUDA only)."""
    model = create_model(name, method="maccdoa", num_classes=K).to(device)
    x = features(model, B, FRAMES).to(device)
    model.eval()
    with torch.inference_mode():
        model(x)
    model.train()
    total(model(x)).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_activations_follow_the_contract(features):
    torch.manual_seed(0)
    x = features(create_model("test_passt"), B, FRAMES)
    with torch.no_grad():
        acc = create_model("test_passt", method="accdoa", num_classes=K)(x)
        assert acc.abs().max() < 1  # tanh
        ein = create_model("test_passt", method="einv2", num_classes=K)
        ein.head.sed.fc.bias.fill_(5.0)
        out = ein(x)
        assert out["sed"].max() > 1 and out["doa"].abs().max() < 1  # logits, tanh
        sd = create_model("test_passt", method="seddoa", num_classes=K)
        sd.head.doa.fc.bias.fill_(5.0)
        assert sd(x)["doa"].min() > 1  # linear DOA regression


@pytest.mark.parametrize("method", ["accdoa", "maccdoa"])
def test_distance_block_is_linear_and_directions_are_tanh(method, features):
    model = create_model("test_crnn", method=method, num_classes=K, distance=True)
    with torch.no_grad():
        model.head.proj.fc.weight.zero_()
        model.head.proj.fc.bias.fill_(5.0)
        out = model(features(model, B, FRAMES))
    assert out.shape == expected_shapes(method, FRAMES // 10, distance=True)
    if method == "accdoa":
        xyz, dist = out[..., :3 * K], out[..., 3 * K:]  # blocks [x, y, z, d]
    else:
        per_track = out.reshape(B, FRAMES // 10, 3, 4, K)  # [track, (x, y, z, d), class]
        xyz, dist = per_track[:, :, :, :3], per_track[:, :, :, 3]
    assert torch.allclose(xyz, torch.tanh(torch.tensor(5.0)).expand_as(xyz))
    assert torch.allclose(dist, torch.full_like(dist, 5.0))


def test_input_shape_errors_name_the_fix(features):
    model = create_model("test_crnn", num_classes=K)
    with pytest.raises(InputError, match="expects 7 x 64"):
        model(torch.zeros(1, 4, 100, 64))
    with pytest.raises(InputError, match="fewer than one label frame"):
        model(torch.zeros(1, 7, 9, 64))
    with pytest.raises(InputError, match="batch, channels, frames, freq"):
        model(torch.zeros(7, 100, 64))
