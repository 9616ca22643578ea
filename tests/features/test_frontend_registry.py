"""Front ends by name: every preset builds, its declared shape is the real one, overrides and errors, devices."""

from __future__ import annotations

import copy

import pytest
import torch

from seld.errors import ConfigError
from seld.features import SpectralFrontEnd, create_frontend, list_frontends

EXPECTED = {  # name: (in_channels, out_channels, n_features, sample_rate, hop)
    "logmel_iv": (4, 7, 64, 24000, 240),
    "logmel": (4, 4, 64, 24000, 240),
    "logmel_iv_dcase": (4, 7, 64, 24000, 480),
    "logmel_iv_dcase2020": (4, 7, 64, 24000, 480),
    "logmel_iv_dcase2021": (4, 7, 64, 24000, 480),
    "logmel_gcc": (4, 10, 64, 24000, 480),
    "salsa_lite": (4, 7, 382, 24000, 480),
    "salsa": (4, 7, 200, 24000, 300),
    "salsa_mic": (4, 7, 200, 24000, 300),
    "magphase": (4, 8, 256, 44100, 256),
    "magphase_dcase2019": (4, 8, 1024, 48000, 960),
}


def test_every_preset_is_listed():
    assert sorted(EXPECTED) == list_frontends()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_declared_shapes_are_the_real_ones(name):
    fe = create_frontend(name)
    c_in, c_out, n_feat, sr, hop = EXPECTED[name]
    assert isinstance(fe, SpectralFrontEnd)
    assert (fe.in_channels, fe.out_channels, fe.n_features, fe.sample_rate, fe.hop_length) == EXPECTED[name]
    n = sr // 2 + 123
    out = fe(torch.randn(2, c_in, n, generator=torch.Generator().manual_seed(7)))
    assert out.shape == (2, c_out, fe.n_frames(n), n_feat)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert fe.state_dict() == {}  # nothing derived from the settings ends up in checkpoints


def test_overrides():
    fe = create_frontend("logmel_iv", sample_rate=32000)
    assert (fe.sample_rate, fe.hop_length, fe.n_mels) == (32000, 320, 64)
    mic48 = create_frontend("logmel_gcc", sample_rate=48000)
    assert (mic48.hop_length, mic48.win_length, mic48.n_fft) == (960, 1920, 2048)
    assert create_frontend("logmel_iv_dcase").top_db == 80.0
    assert create_frontend("logmel_iv_dcase", top_db=None).top_db is None  # None is a setting: no floor


def test_unknown_name_and_argument_raise_config_error():
    with pytest.raises(ConfigError, match="logmel_iv"):
        create_frontend("mfcc")
    with pytest.raises(ConfigError, match="n_bands"):
        create_frontend("logmel_iv", n_bands=64)


def test_dtype_and_copies_follow_the_input():
    fe = create_frontend("logmel_iv")
    audio = torch.randn(1, 4, 4800, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    out64 = fe(audio)
    assert out64.dtype == torch.float64
    torch.testing.assert_close(fe(audio.float()), out64.float(), atol=1e-4, rtol=0)
    torch.testing.assert_close(copy.deepcopy(fe)(audio), out64)
    fe.half()  # a model-wide cast leaves the float64 constants alone
    torch.testing.assert_close(fe(audio), out64)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_gpu_matches_cpu(name):
    fe = create_frontend(name)
    c_in, _, _, sr, _ = EXPECTED[name]
    audio = torch.randn(2, c_in, sr, generator=torch.Generator().manual_seed(9))
    out = fe(audio.cuda())
    assert out.device.type == "cuda"
    ref = fe(audio)
    got = out.cpu()
    if name.startswith("magphase"):
        # Raw phases are angles: pi and -pi are the same phase. The first centred frame of a reflect-padded STFT
        # is even-symmetric, so its spectrum is real and the sign of a zero imaginary part (which differs between
        # cuFFT and pocketFFT) picks the end (the H200 flipped 25 % of that frame's bins). Compare them on the circle.
        half = ref.shape[1] // 2
        turns = torch.round((got[:, half:] - ref[:, half:]) / (2 * torch.pi))
        got = torch.cat([got[:, :half], got[:, half:] - 2 * torch.pi * turns], dim=1)
    # GCC/SALSA phases of near-silent bins can flip between devices; compare the well-defined majority tightly.
    close = torch.isclose(got, ref, atol=1e-3, rtol=1e-4)
    assert close.float().mean() > 0.999
