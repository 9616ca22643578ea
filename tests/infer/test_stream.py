"""Streaming: the events equal offline inference (documented rule: the last windows run at the end of the stream);
events come out within one window of their audio; memory stays bounded; standard input as WAV (PCM and float)
or raw float32."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, intensity_oracle, make_system, noise_foa, plane_wave_foa, tone, write_wav

from seld.errors import ConfigError, InputError
from seld.formats import Events
from seld.infer import StreamInference, infer_array, infer_file, open_source, stream

THR = 0.2


def _recording(seconds: float, rate: int = SR) -> np.ndarray:
    audio = noise_foa(seconds, seed=11, rate=rate, level=0.02)
    audio[:, rate:3 * rate] += plane_wave_foa(tone(2.0, 600, rate=rate), 45, 10)
    return audio


def _pushed(engine: StreamInference, audio: np.ndarray, rng) -> tuple[Events, list[tuple[int, int]]]:
    """Push ``audio`` in random blocks; the events, and (samples pushed, frames decided) after every block."""
    parts, trace, i = [], [], 0
    while i < audio.shape[1]:
        n = int(rng.integers(1, 5000))
        parts.append(engine.push(audio[:, i:i + n]))
        i = min(i + n, audio.shape[1])
        trace.append((i, engine.decided_frames))
    parts.append(engine.finish())
    return Events.concat(parts), trace


@pytest.mark.parametrize("method,tta,chunk,hop,thr", [("maccdoa", None, None, None, THR),
                                                      ("oracle", "acs", 1.0, 0.3, THR),
                                                      ("seddoa", None, 2.0, 2.0, THR),
                                                      ("einv2", None, None, None, THR)])
def test_stream_equals_offline(method, tta, chunk, hop, thr):
    system = intensity_oracle(1.0) if method == "oracle" else make_system(method, seed=3)
    audio = _recording(7.43)
    offline = infer_array(system, audio, SR, thresholds=thr, chunk=chunk, hop=hop, tta=tta)
    engine = StreamInference(system, SR, 4, thresholds=thr, chunk=chunk, hop=hop, tta=tta)
    streamed, _ = _pushed(engine, audio, np.random.default_rng(0))
    assert len(offline) > 0
    assert streamed.equals(offline, atol=1e-5)
    assert streamed.num_frames() == offline.n_frames == 75


def test_stream_with_resampling_and_fuma_equals_offline(system):
    audio = _recording(5.0, rate=44100)
    fuma = np.stack([audio[0] / np.sqrt(2), audio[3], audio[1], audio[2]])
    offline = infer_array(system, fuma, 44100, thresholds=THR, channels="fuma")
    engine = StreamInference(system, 44100, 4, thresholds=THR, channels="fuma")
    streamed, _ = _pushed(engine, fuma, np.random.default_rng(1))
    assert len(offline) > 0 and streamed.equals(offline, atol=1e-5)


def test_events_are_decided_within_one_window(system):
    """Latency rule: frame f is decided once the audio up to floor(f / hop) * hop + chunk has arrived."""
    audio = _recording(9.0)
    engine = StreamInference(system, SR, 4, thresholds=THR)       # chunk 2 s, hop 1 s
    _, trace = _pushed(engine, audio, np.random.default_rng(2))
    window, hop = 48000, 24000
    for pushed, decided in trace:
        # every frame whose last window has all its audio is decided, and only those
        complete = (pushed - window) // hop + 1 if pushed >= window else 0
        assert decided == complete * 10
        assert pushed - decided * 2400 < window + hop + 5000        # lag below chunk + hop (+ one block)


def test_memory_stays_bounded(system):
    engine = StreamInference(system, 48000, 4)
    rng = np.random.default_rng(3)
    block = 4800
    for _ in range(600):                                           # a minute at 48 kHz
        engine.push((0.01 * rng.standard_normal((4, block))).astype(np.float32))
        assert engine.buf.shape[1] <= 48000 + 24000 + block         # at most one window + hop + a block
        assert len(engine.acc.counts) <= 20 + 10
        assert len(engine.sounding) <= 40
    engine.finish()
    assert engine.decided_frames == 600


def test_file_and_stdin_sources_give_the_offline_events(system, tmp_path):
    audio = _recording(4.2)
    path = write_wav(tmp_path / "rec.wav", audio, subtype="PCM_24")
    offline = infer_file(system, path, thresholds=THR)
    assert len(offline) > 0
    from_file = Events.concat(list(stream(system, path, thresholds=THR, block_seconds=0.37)))
    assert from_file.equals(offline, atol=1e-5)
    for subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "PCM_U8"):
        buf = io.BytesIO()
        sf.write(buf, audio.T, SR, format="WAV", subtype=subtype)
        data = bytearray(buf.getvalue())
        pos = data.find(b"data")
        data[pos + 4: pos + 8] = b"\xff\xff\xff\xff"                # as a pipe writer leaves it: size unknown
        src = open_source(io.BytesIO(bytes(data)), block_seconds=0.25)
        assert (src.sample_rate, src.channels) == (SR, 4)
        got = np.concatenate(list(src.blocks), axis=1)
        ref, _ = sf.read(io.BytesIO(buf.getvalue()), dtype="float32", always_2d=True)
        np.testing.assert_array_equal(got, ref.T, err_msg=subtype)
    raw = io.BytesIO(np.ascontiguousarray(audio.T).astype("<f4").tobytes())
    from_raw = Events.concat(list(stream(system, raw, thresholds=THR)))
    assert from_raw.equals(offline, atol=1e-5)


def test_stream_bad_inputs(system, tmp_path):
    with pytest.raises(ConfigError, match="raw float32 input needs its sample rate"):
        open_source(io.BytesIO(b"\0" * 64))
    with pytest.raises(InputError, match="a stereo file"):
        list(stream(system, write_wav(tmp_path / "st.wav", noise_foa(1.0)[:2])))
    audio = noise_foa(3.0)
    audio[1, 30000] = np.nan
    with pytest.raises(InputError, match="the first at sample 30000, channel 2"):
        list(stream(system, write_wav(tmp_path / "nan.wav", audio), block_seconds=0.5))
    with pytest.raises(InputError, match="shorter than one label frame"):
        list(stream(system, io.BytesIO(np.zeros((1000, 4), "<f4").tobytes())))
    silent = Events.concat(list(stream(system, io.BytesIO(np.zeros((SR * 3, 4), "<f4").tobytes()), thresholds=0.01)))
    assert len(silent) == 0 and silent.num_frames() == 30
    unsupported = io.BytesIO()
    sf.write(unsupported, noise_foa(0.5).T, SR, format="WAV", subtype="ULAW")
    with pytest.raises(InputError, match="unsupported WAV stream"):
        open_source(io.BytesIO(unsupported.getvalue()))
