"""Measured responses (SOFA, IR folders) used as rooms: positions, trajectories, labels, errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from seld.errors import InputError
from seld.formats import read_labels
from seld.geometry import angular_distance, normalize, polar_to_unit
from seld.synth.arrays import get_format
from seld.synth.dataset import synthesize
from seld.synth.measured import MeasuredRoom, group_paths, read_ir_folder, read_sofa
from seld.synth.rooms import Room, image_sources

FS = 24000


def measured_responses() -> tuple[np.ndarray, np.ndarray]:
    """FOA responses of a small room on a circle (every 5 degrees) and at two other points."""
    room = Room((6.0, 5.0, 3.0), (0.4,) * 6, (3.0, 2.5, 1.5), max_order=4, ir_len=0.08)
    azi = np.arange(-30.0, 31.0, 5.0)
    xyz = np.concatenate([1.5 * polar_to_unit(azi, 0 * azi), [[0.0, 1.2, 0.5], [-1.0, -1.0, 0.0]]])
    foa = get_format("foa")
    irs = np.stack([foa.srir(image_sources(room, np.asarray(room.array) + p, FS)) for p in xyz])
    return xyz, irs


def write_sofa(path, xyz, irs):
    import sofar

    sofa = sofar.Sofa("GeneralFIR")
    sofa.Data_IR = irs
    sofa.Data_SamplingRate = FS
    sofa.Data_Delay = np.zeros((1, irs.shape[1]))
    sofa.SourcePosition = xyz + np.array([2.0, 2.0, 1.0])
    sofa.SourcePosition_Type = "cartesian"
    sofa.SourcePosition_Units = "metre"
    sofa.ListenerPosition = np.array([[2.0, 2.0, 1.0]])
    sofa.ReceiverPosition = np.zeros((irs.shape[1], 3))
    sofar.write_sofa(str(path), sofa)


def test_sofa_rooms_give_labels_at_the_measured_positions(tiny_bank, tiny_config, tmp_path):
    xyz, irs = measured_responses()
    write_sofa(tmp_path / "room.sofa", xyz, irs)
    rel, data, sr = read_sofa(tmp_path / "room.sofa")
    np.testing.assert_allclose(rel, xyz, atol=1e-9)
    assert sr == FS and data.shape == irs.shape
    assert [len(p) for p in group_paths(rel)] == [13]

    config = tiny_config(formats=("foa",), n_rooms=1, scenes=tiny_config().scenes.__class__(
        duration=3.0, gap=(0.1, 0.3), max_event=1.0, min_event=0.3, moving_prob=1.0, min_moving=0.5,
        snr_db=(20.0, 20.0)))
    summary = synthesize(tiny_bank, tmp_path / "out", config, seed=0, measured=[tmp_path / "room.sofa"])
    assert summary["rendered"] == 4
    for csv in (tmp_path / "out" / "metadata").glob("*.csv"):
        labels = read_labels(csv)
        angles = angular_distance(labels.xyz[:, None, :], normalize(xyz)[None, :, :])
        assert angles.min(axis=1).max() < 0.6                      # integer degrees in the file
        measured = np.linalg.norm(xyz[np.argmin(angles, axis=1)], axis=1)
        np.testing.assert_allclose(labels.dist, measured, atol=0.006)   # integer centimetres


def test_ir_folders_and_channel_checks(tmp_path):
    xyz, irs = measured_responses()
    lines = ["file,azi,ele,dist"]
    for i, (p, ir) in enumerate(zip(xyz[:3], irs[:3])):
        sf.write(tmp_path / f"ir{i}.wav", ir.T, FS, subtype="FLOAT")
        azi, ele = np.degrees(np.arctan2(p[1], p[0])), np.degrees(np.arcsin(p[2] / np.linalg.norm(p)))
        lines.append(f"ir{i}.wav,{azi},{ele},{np.linalg.norm(p)}")
    (tmp_path / "positions.csv").write_text("\n".join(lines) + "\n")
    rel, data, sr = read_ir_folder(tmp_path)
    np.testing.assert_allclose(rel, xyz[:3], atol=1e-9)
    np.testing.assert_allclose(data, irs[:3], atol=1e-6)
    responses = MeasuredRoom(str(tmp_path), "foa").load(tmp_path / "cache", 16000, 0.0)
    assert responses.responses["foa"].shape[:2] == (3, 4) and responses.fs == 16000
    # a DC offset in the files (a measurement chain's) does not come through
    for i, ir in enumerate(irs[:3]):
        sf.write(tmp_path / f"ir{i}.wav", (ir + 0.01).T, FS, subtype="FLOAT")
    offset = MeasuredRoom(str(tmp_path), "foa").load(tmp_path / "cache", FS, 0.0).responses["foa"]
    spectrum = np.abs(np.fft.rfft(offset.astype(np.float64), 8 * offset.shape[-1], axis=-1)) ** 2
    low = np.fft.rfftfreq(8 * offset.shape[-1], 1 / FS) < 20
    assert np.all(spectrum[..., low].sum(-1) < 0.01 * spectrum.sum(-1))
    with pytest.raises(InputError, match="4 channels but format 'omni' has 1"):
        MeasuredRoom(str(tmp_path), "omni").load(tmp_path / "cache", FS, 0.0)
    (tmp_path / "positions.csv").write_text("name,a,b,c\n")
    with pytest.raises(InputError, match="positions.csv:1"):
        read_ir_folder(tmp_path)
