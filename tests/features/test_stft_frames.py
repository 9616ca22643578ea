"""The batched STFT against librosa, frame counts and label alignment, chunked extraction, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.errors import ConfigError, InputError
from seld.features import LogMel, LogMelIV, count_frames, create_frontend, make_window, stft

# Float32 STFT of unit-variance noise against a float64 oracle: errors are ~1e-6 of the largest bin.
ATOL32 = 1e-4
ATOL64 = 1e-9


@pytest.mark.parametrize("n_fft, hop, win, window, center, pad_mode", [
    (1024, 240, 1024, "hann", True, "reflect"),  # PSELDNets
    (1024, 480, 960, "hann", True, "constant"),  # DCASE baselines, librosa >= 0.9
    (512, 256, 512, "hann_symmetric", False, "reflect"),  # SELDnet framing
])
def test_stft_matches_librosa(oracle, make_noise, n_fft, hop, win, window, center, pad_mode):
    audio = make_noise(1, (2, 3, 7000))
    lib_window = "hann" if window == "hann" else np.hanning(win)
    ref = np.stack([oracle.stft(a, n_fft, hop, win, lib_window, center, pad_mode) for a in audio])
    for dtype, atol in ((torch.float64, ATOL64), (torch.float32, ATOL32)):
        ours = stft(torch.from_numpy(audio).to(dtype), n_fft, hop, make_window(window, win, dtype), center=center,
                    pad_mode=pad_mode)
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours.numpy(), ref, rtol=0, atol=atol)


@pytest.mark.parametrize("n", [23999, 24000, 24001, 240000, 1000, 513])
@pytest.mark.parametrize("center, trim", [(True, False), (True, True), (False, False)])
def test_count_frames_matches_computed_frames(n, center, trim):
    if not center and n < 1024:
        assert count_frames(n, 1024, 240, center=False) == 0  # not a single full frame
        return
    window = make_window("hann", 1024)
    spec = stft(torch.zeros(1, 1, n), 1024, 240, window, center=center, pad_mode="constant")
    expected = min(spec.shape[2], n // 240) if trim else spec.shape[2]
    assert count_frames(n, 1024, 240, center=center, trim_to_hops=trim) == expected


def test_pseldnets_alignment():
    """10 s at 24 kHz: 1001 frames (PSELDNets), 10 per 100-ms label; same at 32 kHz with hop 320."""
    fe = create_frontend("logmel_iv")
    assert (fe.hop_length, fe.n_frames(240000), fe.frames_per_label(0.1), fe.frames_per_second) == (240, 1001, 10, 100)
    l3das = create_frontend("logmel_iv", sample_rate=32000)
    assert (l3das.hop_length, l3das.n_fft, l3das.n_frames(320000), l3das.frames_per_label()) == (320, 1024, 1001, 10)
    dcase = create_frontend("logmel_iv_dcase")
    assert (dcase.n_frames(240000), dcase.frames_per_label()) == (500, 5)
    with pytest.raises(ConfigError):
        LogMel(hop_length=256).frames_per_label(0.1)


def test_frame_t_is_centred_on_sample_t_hop():
    """An impulse at sample 10 * 240 shows up most strongly in frame 10 (label frame 1 starts there)."""
    fe = LogMel(in_channels=1)
    audio = torch.zeros(1, 1, 24000)
    audio[..., 2400] = 1.0
    energy = fe(audio)[0, 0].mean(dim=-1)
    assert int(energy.argmax()) == 10
    assert torch.allclose(energy[10 - 2], energy[10 + 2], atol=1e-3)  # symmetric around the centre


@pytest.mark.parametrize("name", ["logmel_iv", "logmel_gcc", "salsa_lite"])
def test_chunks_with_context_equal_whole_recording(make_noise, name):
    """Chunked extraction with n_fft/2 samples of context equals extraction of the whole recording."""
    fe = create_frontend(name, top_db=None) if name == "logmel_gcc" else create_frontend(name)
    audio = torch.from_numpy(make_noise(2, (1, 4, 3 * 24000))).float()
    whole = fe(audio)
    ctx, hop = fe.context_samples, fe.hop_length
    padded = torch.nn.functional.pad(audio, (ctx, ctx))
    pieces = []
    for start in range(0, audio.shape[-1], 24000):
        chunk = padded[..., start: start + 24000 + 2 * ctx]
        feats = fe(chunk, has_context=True)
        assert feats.shape[2] == fe.n_frames(chunk.shape[-1], has_context=True)
        pieces.append(feats[:, :, : 24000 // hop])
    chunked = torch.cat(pieces, dim=2)
    n = chunked.shape[2]
    # Interior frames are identical; the first/last frames differ only by the zero vs reflect edge padding.
    edge = 0 if fe.pad_mode == "constant" else 3
    torch.testing.assert_close(chunked[:, :, edge: n - edge], whole[:, :, edge: n - edge], atol=1e-4, rtol=0)


def test_input_checks_raise_input_error():
    fe = LogMelIV()
    with pytest.raises(InputError, match="batch"):
        fe(torch.zeros(4, 24000))
    with pytest.raises(InputError, match="4 audio channels"):
        fe(torch.zeros(1, 2, 24000))
    with pytest.raises(InputError, match="floating-point"):
        fe(torch.zeros(1, 4, 24000, dtype=torch.int16))
    with pytest.raises(InputError, match="at least"):
        fe(torch.zeros(1, 4, 100))
    bad = torch.zeros(1, 4, 24000)
    bad[0, 2, 5] = float("nan")
    with pytest.raises(InputError, match="NaN"):
        fe(bad)
    with pytest.raises(InputError, match="48000 Hz") as err:
        fe.check_sample_rate(48000, path="clip.wav")
    assert "clip.wav" in str(err.value)
    fe.check_sample_rate(24000)


@pytest.mark.parametrize("kwargs", [
    dict(window="kaiser"), dict(pad_mode="edge"), dict(win_length=2048), dict(hop_length=0),
    dict(center=False, trim_to_hops=True), dict(in_channels=0), dict(fmax=20000.0),
])
def test_bad_settings_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        LogMel(**kwargs)
