"""The PSELDNets front ends (``logmel_iv``, ``logmel``) against PSELDNets' own extractor run with real torchaudio.

tests/features/assets (README.md there) holds, as numbers, the output of PSELDNets' ``LogmelIV_Extractor``
(torchaudio ``Spectrogram``, ``MelScale(norm='slaney')``, ``AmplitudeToDB``) on a formula input, its window and
filterbank, and torchaudio's ``MelScale.fb`` for five settings. torchaudio cannot be installed beside this torch,
so the references were computed in a separate environment (torch 2.9.1 + torchaudio 2.9.1). The window and the
HTK filterbanks are compared for exact equality. Spectrogram outputs and Slaney filterbanks are compared to within
float32 round-off. They were equal bit for bit on the machine the references were made on. On a CPU with other
vector kernels (an AVX-512 machine), torch's float32 exp and FFT differ in the last bits: up to 5e-5 dB in the
log-mel, 7e-7 in the intensity vectors and 3e-6 in a Slaney filterbank.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seld.features import create_frontend
from seld.features.mel import mel_filterbank, mel_filterbank_torchaudio

ASSETS = Path(__file__).resolve().parent / "assets"


def load(name: str) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(ASSETS / name, allow_pickle=False) as z:
        return json.loads(str(z["manifest"])), {k: z[k] for k in z.files if k != "manifest"}


def formula_audio(shape: tuple[int, ...]) -> torch.Tensor:
    """The reference input, exact in float32 anywhere: flat index ``i`` -> ``(((i * 2654435761) mod 2**32) >> 20)
    - 2048) / 8192`` (noise in [-0.25, 0.25)), samples ``[n/3, n/2)`` scaled by 2^-12 (a quiet stretch) and
    ``[2n/3, 2n/3 + n/12)`` set to 0 (digital silence: the 1e-10 floor)."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    h = ((i * 2654435761) % (1 << 32)) >> 20
    x = torch.from_numpy(((h - 2048).astype(np.float32) / np.float32(1024)).reshape(shape)) / 8
    n = shape[-1]
    x[..., n // 3: n // 2] *= 2.0**-12
    x[..., 2 * n // 3: 2 * n // 3 + n // 12] = 0.0
    return x


FRONTEND, FRONTEND_ARRAYS = load("pseldnets_frontend.npz")


@pytest.mark.parametrize("name", list(FRONTEND["cases"]))
def test_logmel_iv_equals_pseldnets_extractor_with_torchaudio(name):
    case = FRONTEND["cases"][name]
    expected = torch.from_numpy(FRONTEND_ARRAYS[case["output"]])
    audio = formula_audio((1, 4, case["samples"]))
    fe = create_frontend("logmel_iv", sample_rate=case["sample_rate"])
    assert fe.hop_length == case["hop"]
    assert torch.equal(fe.constant("window", audio), torch.from_numpy(FRONTEND_ARRAYS[case["window"]]))
    assert torch.equal(fe.constant("mel_fb", audio), torch.from_numpy(FRONTEND_ARRAYS[case["fb"]]))
    ours = fe(audio)
    assert ours.dtype == torch.float32 and ours.shape == expected.shape
    torch.testing.assert_close(ours[:, :4], expected[:, :4], rtol=0, atol=1e-4)  # dB (module docstring)
    torch.testing.assert_close(ours[:, 4:], expected[:, 4:], rtol=0, atol=2e-6)  # intensity vectors
    # PSELDNets' Logmel_Extractor gave the first four channels bit for bit (checked when the asset was made)
    assert torch.equal(create_frontend("logmel", sample_rate=case["sample_rate"])(audio), ours[:, :4])
    # the quiet stretch and the silence are in the reference: the -100 dB floor and near-silent bins
    assert (expected[:, :4] == -100.0).any() and ((expected[:, :4] > -100) & (expected[:, :4] < -60)).any()


def test_float64_constants_are_not_torchaudio():
    """The float64 window and filterbank (librosa's values) move quiet log-mel bins by up to ~5e-4 dB: the
    default must be the torchaudio construction for PSELDNets' features to be reproduced."""
    case = FRONTEND["cases"]["logmel_iv_24k"]
    audio = formula_audio((1, 4, case["samples"]))
    exact = create_frontend("logmel_iv", constants="float64")(audio)
    diff = (exact - torch.from_numpy(FRONTEND_ARRAYS[case["output"]])).abs()
    assert 1e-5 < diff[:, :4].max() < 1e-3


FBANKS, FBANK_ARRAYS = load("torchaudio_melscale_fbanks.npz")


@pytest.mark.parametrize("case", FBANKS["cases"], ids=lambda c: f"{c['sample_rate']}-{c['n_mels']}-{c['scale']}-"
                                                              f"{c['norm']}")
def test_filterbank_equals_torchaudio_melscale(case):
    args = (case["sample_rate"], case["n_fft"], case["n_mels"], case["fmin"], case["fmax"], case["scale"],
            case["norm"])
    expected = torch.from_numpy(FBANK_ARRAYS[case["array"]])
    ours = mel_filterbank_torchaudio(*args)
    assert ours.dtype == torch.float32
    if case["scale"] == "htk":
        assert torch.equal(ours, expected)
    else:   # float32 exp of the log part: last-bit differences between CPUs (module docstring)
        torch.testing.assert_close(ours, expected, rtol=0, atol=5e-6)
    # the float64 construction is the same matrix up to float32 round-off, not bit for bit
    exact = mel_filterbank(*args, dtype=torch.float64)
    assert 0 < (exact - expected.double()).abs().max() < 1e-5
