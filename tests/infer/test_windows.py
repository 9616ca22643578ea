"""Sliding windows: the plan, the averaging of overlapping outputs (against a plain loop), one window that covers
the whole file equals one pass of the network, digital silence, and the thresholds option."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import CLASSES, make_system, noise_foa

from seld.errors import ConfigError, InputError
from seld.infer import infer_array, load_thresholds, make_plan, network_output
from seld.infer.core import OutputAccumulator

ATOL = 1e-5   # float32 network outputs; batching windows differently changes the last bits


def _direct(system, audio: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return system(torch.from_numpy(audio[None])).numpy()[0]


def test_plan_defaults_and_checks(system):
    task = system.task
    plan = make_plan(task)
    assert (plan.window, plan.hop, plan.label_hop) == (48000, 24000, 2400)
    assert plan.n_frames(48001) == 21 and plan.n_windows(48000) == 1 and plan.n_windows(48001) == 2
    assert make_plan(task.replace(method="einv2")).hop == 48000           # track-wise: no overlap by default
    assert make_plan(task, chunk=1.0, hop=0.3).hop == 7200
    for chunk, hop in ((0.15, None), (2.0, 0.05), (1.0, 2.0), (0.0, None)):
        with pytest.raises(ConfigError):
            make_plan(task, chunk=chunk, hop=hop)


def test_one_window_covering_the_file_is_one_pass(system):
    audio = noise_foa(2.0, seed=3)                   # exactly one chunk
    out = network_output(system, audio)
    np.testing.assert_allclose(out, _direct(system, audio), atol=ATOL)
    short = noise_foa(1.23, seed=4)                  # shorter: zero-padded to the chunk, frames past the end dropped
    out = network_output(system, short)
    padded = np.zeros((4, 48000), np.float32)
    padded[:, :short.shape[1]] = short
    assert out.shape == (13, 27)                     # ceil(1.23 / 0.1) frames, 9 x 3 classes
    np.testing.assert_allclose(out, _direct(system, padded)[:13], atol=ATOL)


@pytest.mark.parametrize("chunk,hop", [(2.0, 1.0), (2.0, 0.3), (1.0, 1.0), (2.0, 2.0)])
def test_overlapping_windows_are_averaged(system, chunk, hop):
    audio = noise_foa(5.37, seed=5)
    out = network_output(system, audio, chunk=chunk, hop=hop, batch_size=3)
    # the obvious loop: every window through the network alone, outputs summed per label frame and divided
    w, h, lh = int(chunk * 24000), int(hop * 24000), 2400
    n_frames = -(-audio.shape[1] // lh)
    total = np.zeros((n_frames + w // lh, 27))
    count = np.zeros(n_frames + w // lh)
    start = 0
    while True:
        piece = np.zeros((4, w), np.float32)
        seg = audio[:, start:start + w]
        piece[:, :seg.shape[1]] = seg
        f = start // lh
        total[f:f + w // lh] += _direct(system, piece)
        count[f:f + w // lh] += 1
        if start + w >= audio.shape[1]:
            break
        start += h
    expected = total[:n_frames] / count[:n_frames, None]
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=ATOL)


def test_two_branch_outputs_are_averaged_per_key():
    system = make_system("seddoa")
    audio = noise_foa(3.0, seed=6)
    out = network_output(system, audio, hop=1.0)
    a, b = (_piece_output(system, audio, s) for s in (0, 24000))
    assert set(out) == {"sed", "doa"}
    for key in out:
        np.testing.assert_allclose(out[key][10:20], (a[key][10:20] + b[key][:10]) / 2, atol=ATOL)
        np.testing.assert_allclose(out[key][:10], a[key][:10], atol=ATOL)


def _piece_output(system, audio, start):
    piece = np.zeros((4, 48000), np.float32)
    seg = audio[:, start:start + 48000]
    piece[:, :seg.shape[1]] = seg
    with torch.no_grad():
        return {k: v.numpy()[0] for k, v in system(torch.from_numpy(piece[None])).items()}


def test_accumulator_gives_frames_in_order():
    acc = OutputAccumulator()
    acc.add(0, np.ones((4, 2)))
    acc.add(2, 3 * np.ones((4, 2)))
    np.testing.assert_allclose(acc.take(3), [[1, 1], [1, 1], [2, 2]])
    np.testing.assert_allclose(acc.take(6), [[2, 2], [3, 3], [3, 3]])
    with pytest.raises(ValueError):
        acc.add(1, np.ones((2, 2)))


def test_a_network_of_fixed_input_length_asks_for_its_chunk(system):
    class FixedLength:
        task = system.task

        def forward(self, audio):
            return np.zeros((audio.shape[0], 20, 27), np.float32)    # always 2 s of frames

        def decode(self, output, thresholds=0.5):
            return system.decode(torch.from_numpy(output), thresholds)

    with pytest.raises(ConfigError, match="--chunk 2"):
        network_output(FixedLength(), noise_foa(3.0), chunk=1.0)


def test_digital_silence_gives_no_events(system):
    silent = np.zeros((4, 24000 * 3), np.float32)
    # this random network does output activity for zeros: with a low threshold it would report events there
    assert np.abs(network_output(system, silent)).max() > 0.01
    events = infer_array(system, silent, 24000, thresholds=0.01)
    assert len(events) == 0 and events.n_frames == 30
    # noise in the middle second only: events (if any) only there
    audio = silent.copy()
    audio[:, 24000:48000] = noise_foa(1.0, seed=2)
    events = infer_array(system, audio, 24000, thresholds=0.01)
    assert len(events) > 0 and set(np.unique(events.frame)) <= set(range(10, 20))


def test_thresholds_from_numbers_and_files(tmp_path):
    assert load_thresholds("0.3", CLASSES) == 0.3
    (tmp_path / "t.json").write_text('{"alarm": 0.2, "bell": 0.4, "speech": 0.6}')
    np.testing.assert_allclose(load_thresholds(tmp_path / "t.json", CLASSES), [0.2, 0.4, 0.6])
    (tmp_path / "t.txt").write_text("# per class\nspeech, 0.6\nalarm,0.2\nbell: 0.4\n")
    np.testing.assert_allclose(load_thresholds(str(tmp_path / "t.txt"), CLASSES), [0.2, 0.4, 0.6])
    (tmp_path / "l.txt").write_text("0.1\n0.2\n0.3\n")
    np.testing.assert_allclose(load_thresholds(tmp_path / "l.txt", CLASSES), [0.1, 0.2, 0.3])
    (tmp_path / "bad.txt").write_text("alarm,0.2\nbel,0.4\n")
    with pytest.raises(InputError, match="unknown class.*bel.*no threshold for bell, speech"):
        load_thresholds(tmp_path / "bad.txt", CLASSES)
    (tmp_path / "two.txt").write_text("0.1\n0.2\n")
    with pytest.raises(InputError, match="2 thresholds for 3 classes"):
        load_thresholds(tmp_path / "two.txt", CLASSES)
    for bad in ("0", "1.5", "nan"):
        with pytest.raises(ConfigError):
            load_thresholds(bad, CLASSES)
    with pytest.raises(InputError, match="not found"):
        load_thresholds(tmp_path / "missing.txt", CLASSES)


def test_per_class_thresholds_select_classes(system):
    audio = noise_foa(3.0, seed=7)
    out = network_output(system, audio)
    low = infer_array(system, audio, 24000, thresholds=0.01)
    only_first = infer_array(system, audio, 24000, thresholds=[0.01, 1.0, 1.0])
    assert len(low) > len(only_first) > 0 and set(only_first.cls.tolist()) == {0}
    assert out.shape[0] == low.n_frames
