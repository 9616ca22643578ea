"""Recordings as users have them: FuMa and higher-order ambiX, other sample rates, and every bad input of the
issue (wrong channel count, unreadable, truncated, NaN/Inf, shorter than a label frame, no such file)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import SR, make_system, noise_foa, plane_wave_foa, tone, write_wav
from scipy.signal import resample_poly

from seld.errors import ConfigError, InputError
from seld.infer import convert_foa, infer_array, infer_file, network_output, prepare_audio, read_audio, resample
from seld.infer.audio import StreamResampler


def _fuma(signal: np.ndarray, azi: float, ele: float) -> np.ndarray:
    """FuMa B-format (W, X, Y, Z; W at -3 dB) of a plane wave, from the textbook formulas."""
    a, e = math.radians(azi), math.radians(ele)
    return np.stack([signal / math.sqrt(2), math.cos(a) * math.cos(e) * signal,
                     math.sin(a) * math.cos(e) * signal, math.sin(e) * signal]).astype(np.float32)


def test_fuma_becomes_ambix():
    sig = tone(0.1, 440)
    for azi, ele in ((0, 0), (90, 0), (-135, 40), (60, -70)):
        np.testing.assert_allclose(convert_foa(_fuma(sig, azi, ele), "fuma", "acn-sn3d"),
                                   plane_wave_foa(sig, azi, ele), atol=1e-6)
    x = noise_foa(0.05)
    np.testing.assert_allclose(convert_foa(convert_foa(x, "acn-sn3d", "fuma"), "fuma", "acn-sn3d"), x, atol=1e-6)


def test_fuma_recording_gives_the_ambix_result(system):
    sig = noise_foa(3.0, seed=4)[0]
    ambix = plane_wave_foa(sig, 70, 10)
    fuma = _fuma(sig, 70, 10)
    a = infer_array(system, ambix, SR, thresholds=0.2)
    b = infer_array(system, fuma, SR, thresholds=0.2, channels="fuma")
    assert len(a) > 0 and b.equals(a, atol=1e-5)
    assert b.meta["notes"] == ["channels converted from fuma to acn-sn3d"]
    # read as ambiX by mistake, the same file gives other outputs
    assert not np.allclose(network_output(system, fuma), network_output(system, ambix), atol=1e-3)


def test_a_fuma_model_gets_ambix_input_converted():
    system = make_system()
    fuma_task = system.task.replace(channel_convention="fuma")
    prepared = prepare_audio(noise_foa(0.5), SR, fuma_task)
    np.testing.assert_allclose(prepared.audio, convert_foa(noise_foa(0.5), "acn-sn3d", "fuma"))


def test_higher_order_ambix_uses_its_first_order_channels(system, caplog):
    foa = noise_foa(2.5, seed=6)
    hoa = np.concatenate([foa, noise_foa(2.5, seed=7)[:, :] * 0.5, noise_foa(2.5, seed=8)[:1]])   # 9 channels
    with caplog.at_level("WARNING"):
        out = network_output(system, prepare_audio(hoa, SR, system.task, where="hoa.wav").audio)
    assert "order-2 ambiX" in caplog.text
    np.testing.assert_allclose(out, network_output(system, foa), atol=1e-6)
    with pytest.raises(InputError, match="9 channels"):
        prepare_audio(hoa, SR, system.task, channels="fuma")


@pytest.mark.parametrize("rate", [48000, 44100, 16000])
def test_other_sample_rates_are_resampled(system, rate, caplog):
    audio = noise_foa(3.0, seed=9, rate=rate)
    with caplog.at_level("WARNING"):
        events = infer_array(system, audio, rate, thresholds=0.2, where="rec.wav")
    assert f"rec.wav: resampled from {rate} Hz to the model's 24000 Hz" in caplog.text
    up, down = 24000 // math.gcd(rate, 24000), rate // math.gcd(rate, 24000)
    expected = resample_poly(audio, up, down, axis=-1).astype(np.float32)
    np.testing.assert_array_equal(resample(audio, rate, 24000), expected)
    assert events.equals(infer_array(system, expected, SR, thresholds=0.2), atol=1e-9)
    assert events.n_frames == 30 and events.meta["sample_rate"] == rate
    assert events.meta["notes"] == [f"resampled from {rate} Hz to 24000 Hz (polyphase filter)"]


@pytest.mark.parametrize("rate", [48000, 44100, 32000, 22050, 16000])
def test_block_resampler_equals_whole_signal(rate):
    rng = np.random.default_rng(rate)
    x = rng.standard_normal((2, 20011)).astype(np.float32)
    r = StreamResampler(rate, 24000, 2)
    parts, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, 2500))
        parts.append(r.push(x[:, i:i + n]))
        i += n
        assert r.buf.shape[1] <= n + 20 * max(r.up, r.down) // r.up + 2 * r.down + 4   # bounded memory
    parts.append(r.finish())
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), resample(x, rate, 24000))


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_too_few_channels_for_foa(system, tmp_path, channels):
    path = write_wav(tmp_path / "small.wav", noise_foa(1.0)[:channels])
    with pytest.raises(InputError) as err:
        infer_file(system, path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "4-channel" in msg and "\n" not in msg
    assert {1: "a mono file", 2: "a stereo file", 3: "3 channels"}[channels] in msg


def test_mic_model_checks_its_channel_count():
    system = make_system(array="mic")
    with pytest.raises(InputError, match="2 channel.*takes 4 .MIC, dcase-tetra"):
        prepare_audio(noise_foa(1.0)[:2], SR, system.task, where="x.wav")
    with pytest.raises(ConfigError, match="--channels fuma is for FOA"):
        prepare_audio(noise_foa(1.0), SR, system.task, channels="fuma")


def test_unreadable_and_truncated_files(system, tmp_path):
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(InputError, match="garbage.wav: cannot read the audio"):
        infer_file(system, garbage)
    full = write_wav(tmp_path / "full.wav", noise_foa(1.0))
    data = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.wav: truncated WAV file: its header declares 384000 bytes"):
        infer_file(system, cut)
    flac = write_wav(tmp_path / "x.flac", noise_foa(1.0), subtype="PCM_16")
    cut_flac = tmp_path / "cut.flac"
    cut_flac.write_bytes(flac.read_bytes()[: len(flac.read_bytes()) // 2])
    with pytest.raises(InputError, match="cut.flac: cannot read the audio"):
        infer_file(system, cut_flac)
    with pytest.raises(InputError, match="missing.wav: file not found"):
        infer_file(system, tmp_path / "missing.wav")
    with pytest.raises(InputError, match="is a folder"):
        infer_file(system, tmp_path)
    # a WAV written by a streaming tool declares no data size: read as it is
    stream_like = bytearray(data)
    pos = stream_like.find(b"data")
    stream_like[pos + 4: pos + 8] = b"\xff\xff\xff\xff"
    (tmp_path / "stream.wav").write_bytes(bytes(stream_like))
    audio, rate = read_audio(tmp_path / "stream.wav")
    assert audio.shape == (4, 24000) and rate == SR


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_samples(system, tmp_path, value):
    audio = noise_foa(1.0)
    audio[2, 1234] = value
    path = write_wav(tmp_path / "bad.wav", audio)
    with pytest.raises(InputError, match=r"bad.wav: has 1 NaN or infinite samples \(the first at sample 1234, "
                                         r"channel 3\) \(repair"):
        infer_file(system, path)


def test_shorter_than_one_label_frame(system, tmp_path):
    path = write_wav(tmp_path / "blip.wav", noise_foa(0.05))
    with pytest.raises(InputError, match=r"blip.wav: 0.05 s of audio \(1200 samples\), shorter than one label "
                                         r"frame \(0.1 s\) \(give at least 2400 samples at 24000 Hz\)"):
        infer_file(system, path)
    empty = write_wav(tmp_path / "empty.wav", np.zeros((4, 0), np.float32))
    with pytest.raises(InputError, match="empty.wav: 0 s of audio"):
        infer_file(system, empty)
    # one label frame is enough
    events = infer_file(system, write_wav(tmp_path / "one.wav", noise_foa(0.1)))
    assert events.n_frames == 1


def test_silent_file_gives_no_events(system, tmp_path):
    path = write_wav(tmp_path / "silence.wav", np.zeros((4, 24000 * 4), np.float32), subtype="PCM_16")
    events = infer_file(system, path, thresholds=0.01)
    assert len(events) == 0 and events.n_frames == 40
