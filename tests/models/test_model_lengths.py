"""Any input length: T frames give T // 10 label frames; fixed-canvas backbones pad short inputs (PSELDNets'
10 s behaviour), cut long ones into canvas-sized chunks, and can pack short clips as PSELDNets' EINV2 does."""

from __future__ import annotations

import pytest
import torch

from seld.models import create_model


def out_frames(out) -> int:
    return (next(iter(out.values())) if isinstance(out, dict) else out).shape[1]


def assert_same(a, b, atol=1e-5):
    if isinstance(a, dict):
        for k in a:
            assert torch.allclose(a[k], b[k], atol=atol), k
    else:
        assert torch.allclose(a, b, atol=atol)


@pytest.mark.parametrize("name", ["test_seldnet", "test_crnn", "test_cnn14_conformer", "test_htsat", "test_passt"])
@pytest.mark.parametrize("frames", [10, 37, 95, 101, 256])
def test_output_frames_are_input_frames_over_ten(name, frames, features):
    model = create_model(name, method="maccdoa", num_classes=3).eval()
    with torch.no_grad():
        assert out_frames(model(features(model, 1, frames))) == frames // 10


@pytest.mark.parametrize("name,limit", [("test_htsat", 256), ("test_passt", 309)])
def test_long_inputs_are_the_concatenation_of_canvas_chunks(name, limit, features):
    model = create_model(name, method="einv2", num_classes=3).eval()
    assert model.encoder.max_frames == limit
    chunk = limit // 10 * 10
    x = features(model, 2, 2 * chunk + 55)
    with torch.no_grad():
        whole = model(x)
        parts = [model(x[:, :, i:i + chunk]) for i in range(0, x.shape[2], chunk)]
    assert out_frames(whole) == x.shape[2] // 10
    assert_same(whole, {k: torch.cat([p[k] for p in parts], dim=1) for k in whole})


def test_short_clips_pack_into_one_canvas_like_pseldnets(features):
    """EINV2-HTSAT's 5 s path: clip j and clip j + B/2 share an image (their last frame dropped)."""
    model = create_model("test_htsat", method="einv2", num_classes=3, pack_short=True).eval()
    x = features(model, 4, 121)  # 12 label frames; the 256-frame canvas holds 2 clips
    with torch.no_grad():
        out = model(x)
        packed = torch.cat([x[:2, :, :120], x[2:, :, :120]], dim=2)
        model.pack_short = False
        ref = model(packed)
        padded = model(x)
    assert out["sed"].shape == (4, 12, 3, 3)
    assert_same(out, {k: torch.cat([v[:, :12], v[:, 12:]], dim=0) for k, v in ref.items()})
    assert not torch.allclose(out["sed"], padded["sed"], atol=1e-4)  # packing is not padding


def test_packing_falls_back_to_padding_when_the_batch_does_not_divide(features):
    model = create_model("test_htsat", method="maccdoa", num_classes=3, pack_short=True).eval()
    x = features(model, 3, 121)
    with torch.no_grad():
        out = model(x)
        model.pack_short = False
        assert torch.equal(out, model(x))
