"""Systems and recordings that the inference tests build themselves: tiny CRNNs of random weights (seeded) on
small tasks, checkpoints of them, and plane-wave FOA recordings with known directions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from seld.geometry import polar_to_unit
from seld.models import create_model
from seld.models.checkpoints import save_checkpoint
from seld.system import SeldSystem
from seld.task import TaskSpec

CLASSES = ("alarm", "bell", "speech")
SR = 24000


def feature_shape(task: TaskSpec) -> tuple[int, int]:
    with torch.no_grad():
        feats = task.make_frontend()(torch.zeros(1, task.channels, task.label_hop * 2))
    return int(feats.shape[1]), int(feats.shape[3])


def make_system(method: str = "maccdoa", distance: bool = False, chunk: float = 2.0, array: str = "foa",
                seed: int = 1, classes=CLASSES) -> SeldSystem:
    """A tiny CRNN of random (seeded) weights with its task, in evaluation mode."""
    opts = {"distance": True} if distance else {}
    if array == "mic":
        task = TaskSpec(classes=classes, array="mic", channel_convention="dcase-tetra", frontend="logmel_gcc",
                        method=method, method_options=opts, chunk_seconds=chunk)
        extra = {"t_pool": (5, 1, 1), "frames_per_label": 5}     # logmel_gcc: 50 feature frames per second
    else:
        task = TaskSpec(classes=classes, method=method, method_options=opts, chunk_seconds=chunk)
        extra = {}
    in_ch, n_freq = feature_shape(task)
    model = create_model("test_crnn", method=method, num_classes=len(classes), in_channels=in_ch, n_freq=n_freq,
                         seed=seed, **opts, **extra)
    return SeldSystem(task, model).eval()


@pytest.fixture(scope="session")
def system() -> SeldSystem:
    return make_system()


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory, system) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "tiny.ckpt"
    save_checkpoint(system.model, path, task=system.task)
    return path


def plane_wave_foa(signal: np.ndarray, azi: float, ele: float) -> np.ndarray:
    """ACN/SN3D FOA [4, N] (W, Y, Z, X) of a plane wave from (azi, ele) degrees."""
    x, y, z = polar_to_unit(azi, ele)
    return np.stack([signal, y * signal, z * signal, x * signal]).astype(np.float32)


def noise_foa(seconds: float, seed: int = 0, rate: int = SR, level: float = 0.1) -> np.ndarray:
    """Four channels of white noise [4, N]."""
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal((4, int(round(seconds * rate))))).astype(np.float32)


def tone(seconds: float, freq: float, rate: int = SR, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, rate: int = SR, subtype: str = "FLOAT") -> Path:
    """Write ``audio`` [C, N] as a WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.ascontiguousarray(audio.T), rate, subtype=subtype)
    return path


class IntensityOracle(nn.Module):
    """An ACCDOA 'network' that reads the direction of the loudest source off the FOA intensity vectors:
    rotation-equivariant by construction. Class 0 gets the intensity vectors of the frame averaged with weights
    that grow with the omni log-mel energy of their bin (norm 0.9) where that energy is high; the other classes
    nothing."""

    num_classes = len(CLASSES)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        b, _, t, _ = feats.shape
        t_out = t // 10
        omni = feats[:, 0, : t_out * 10]                         # log-mel (dB) of W, [B, T, F]
        weight = torch.softmax(omni / 3.0, dim=2)
        iv = feats[:, 4:7, : t_out * 10][:, [2, 0, 1]]           # intensity vectors in (x, y, z) order
        xyz = (iv * weight[:, None]).sum(dim=3)                  # [B, 3, T]
        xyz = xyz.reshape(b, 3, t_out, 10).mean(dim=3)
        loud = (omni.amax(dim=2).reshape(b, t_out, 10).mean(dim=2) > -20).float()
        unit = xyz / (xyz.norm(dim=1, keepdim=True) + 1e-9)
        out = torch.zeros(b, t_out, 3, self.num_classes)
        out[:, :, :, 0] = (0.9 * unit * loud[:, None]).transpose(1, 2)
        return out.reshape(b, t_out, 3 * self.num_classes)


def intensity_oracle(chunk: float = 2.0) -> SeldSystem:
    """:class:`IntensityOracle` as a system of an ACCDOA task."""
    task = TaskSpec(classes=CLASSES, method="accdoa", chunk_seconds=chunk)
    return SeldSystem(task, IntensityOracle()).eval()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Three FOA recordings of a 1-s tone (each from its own direction) in quiet noise."""
    folder = tmp_path_factory.mktemp("recs")
    for i, (azi, ele) in enumerate(((30, 10), (-100, -20), (170, 40))):
        audio = noise_foa(3.0 + i, seed=20 + i, level=0.02)
        audio[:, SR:2 * SR] += plane_wave_foa(tone(1.0, 500 * (i + 1)), azi, ele)
        write_wav(folder / f"rec{i}.wav", audio)
    return folder


def run_seld(args, capsys) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of the `seld` command run in this process."""
    from seld.cli import main

    with pytest.raises(SystemExit) as code:
        main(args)
    out = capsys.readouterr()
    return code.value.code, out.out, out.err
