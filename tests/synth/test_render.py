"""The fast paths of the scene renderer and writer, checked against plain reference computations: blocked FFT
convolution against direct convolution, vectorised frame energies against a frame-by-frame loop, ambience
excerpts that wrap around, the SNR of a rendered scene, and 16-bit quantisation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from seld.synth.arrays import get_format
from seld.synth.files import write_audio
from seld.synth.render import _add_convolved, _wrapped, frame_activity, render_scene
from seld.synth.rooms import Room
from seld.synth.scenes import EventPlan, ScenePlan
from seld.synth.srir import ResponseSet, SrirCache, simulate_responses
from seld.synth.trajectories import PositionSet

FS = 24000
HOP = 2400


@pytest.mark.parametrize("n_x", [300, 5000, 40000])       # one FFT, and overlap-add over several blocks
def test_blocked_convolution_equals_direct_convolution(n_x):
    rng = np.random.default_rng(n_x)
    x = rng.standard_normal(n_x).astype(np.float32)
    h = rng.standard_normal((3, 701)).astype(np.float32)
    out = np.zeros((3, n_x + 2000), np.float32)
    _add_convolved(x, h, out, 1000)
    ref = np.stack([scipy.signal.convolve(x.astype(float), row.astype(float), method="direct") for row in h])
    want = np.zeros(out.shape)
    m = min(ref.shape[1], out.shape[1] - 1000)           # the tail past the end of ``out`` is cut
    want[:, 1000:1000 + m] = ref[:, :m]
    assert np.max(np.abs(out - want)) < 1e-4 * np.max(np.abs(ref))


def test_convolution_past_the_end_adds_nothing():
    out = np.zeros((2, 100), np.float32)
    _add_convolved(np.ones(50, np.float32), np.ones((2, 10), np.float32), out, 100)
    assert not out.any()


def _activity_by_loop(signal, onset, first_frame, n_frames, hop, activity_db):
    energy = np.zeros(n_frames)
    for j in range(n_frames):
        a = max((first_frame + j) * hop - onset, 0)
        b = min((first_frame + j + 1) * hop - onset, len(signal))
        if b > a:
            energy[j] = np.mean(np.square(signal[a:b], dtype=np.float64))
    top = energy.max()
    return (energy > 0) & (energy >= top * 10 ** (-activity_db / 10)) if top > 0 else np.zeros(n_frames, bool)


@pytest.mark.parametrize("onset,n_frames", [(5 * HOP + 700, 6), (5 * HOP, 4), (5 * HOP + 1, 9)])
def test_frame_activity_equals_a_frame_by_frame_loop(onset, n_frames):
    rng = np.random.default_rng(onset)
    signal = (rng.standard_normal(5 * HOP) * np.repeat([1.0, 1e-3, 0.0, 0.5, 1e-1], HOP)).astype(np.float32)
    first = onset // HOP
    got = frame_activity(signal, onset, first, n_frames, HOP, 30.0)
    assert got.dtype == bool and np.array_equal(got, _activity_by_loop(signal, onset, first, n_frames, HOP, 30.0))
    assert not frame_activity(np.zeros(100, np.float32), 0, 0, 3, HOP, 30.0).any()


def test_wrapped_excerpt_reads_the_loop_around_its_end():
    assert _wrapped(7, 10, 8) == [(7, 0, 1), (0, 1, 8), (0, 9, 1)]
    assert _wrapped(3, 4, 8) == [(3, 0, 4)]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])      # float16: ambience of older caches
def test_scene_noise_wraps_and_meets_the_planned_snr(dtype):
    """A 2 s scene over a 0.75 s ambience loop: before the event the output is the scaled loop (wrapped), and
    the event-to-noise power on W over the labelled frames is the planned SNR."""
    room = Room((10.0, 10.0, 6.0), (1.0,) * 6, (5.0, 5.0, 3.0), max_order=0, ir_len=0.05)
    positions = PositionSet(np.array([[1.5, 0.5, 0.0]]))
    fmt = get_format("foa")
    loop = np.random.default_rng(1).standard_normal((4, 18000)).astype(dtype)
    responses = ResponseSet(positions, simulate_responses(room, positions, [fmt], FS), FS, room.c, room,
                            {"foa": fmt}, {"foa": loop})
    signal = np.random.default_rng(2).standard_normal(FS // 2).astype(np.float32)

    class OneClip:
        clips = [type("C", (), {"id": "sig"})()]

        def load(self, index):
            return signal

    onset = 3 * HOP
    event = EventPlan(0, 0, onset, [("sig", 0, len(signal))], 0.0, 3, [0] * 6)
    plan = ScenePlan("t", 1, 1, 1, 2 * FS, FS, [event], 10.0, 0.9)
    audio, events = render_scene(plan, OneClip(), responses, ["foa"])
    foa = audio["foa"].astype(np.float64)
    start = int(0.9 * loop.shape[1])
    excerpt = np.tile(loop, 5)[:, start:start + 2 * FS].astype(np.float64)
    gain = np.dot(foa[0, :onset], excerpt[0, :onset]) / np.dot(excerpt[0, :onset], excerpt[0, :onset])
    np.testing.assert_allclose(foa[:, :onset], gain * excerpt[:, :onset], atol=1e-6)
    wet = foa - gain * excerpt
    busy = np.zeros(2 * FS, bool)
    for f in np.unique(events.frame):
        busy[f * HOP:(f + 1) * HOP] = True
    snr = 10 * np.log10(np.mean(wet[0, busy] ** 2) / np.mean((gain * excerpt[0]) ** 2))
    assert snr == pytest.approx(10.0, abs=0.01)
    assert np.max(np.abs(foa)) == pytest.approx(0.5, rel=1e-6)


@pytest.mark.parametrize("shape", [(3, 1000), (1000,)])
def test_write_audio_rounds_and_clips_like_the_reference(tmp_path, shape):
    x = np.random.default_rng(0).uniform(-1.2, 1.2, shape).astype(np.float32)
    x.reshape(-1)[:4] = [1.0, -1.0, 1.2, -1.2]                               # full scale, and clipped
    write_audio(tmp_path / "a.wav", x, FS)
    got, fs = sf.read(tmp_path / "a.wav", dtype="int16", always_2d=True)
    want = np.clip(np.rint(x * np.float32(32767)), -32768, 32767).astype(np.int16)
    assert fs == FS and np.array_equal(got, np.atleast_2d(want).T)


def test_cached_ambience_is_float32_with_the_float16_values(tmp_path):
    room = Room((10.0, 10.0, 6.0), (1.0,) * 6, (5.0, 5.0, 3.0), max_order=0, ir_len=0.05)
    positions = PositionSet(np.array([[1.5, 0.5, 0.0]]))
    fmts = [get_format("foa")]
    noise = np.random.default_rng(0).standard_normal((4, 2400)).astype(np.float16)
    cache = SrirCache(tmp_path)
    cache.store(room, positions, fmts, FS, 0.1, 0.1, ambience=noise)
    path = next(tmp_path.rglob("ambience-*.npy"))
    stored = np.load(path)
    assert stored.dtype == np.float32 and np.array_equal(stored, noise.astype(np.float32))
