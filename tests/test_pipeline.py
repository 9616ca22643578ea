"""The whole flow on a tiny dataset: bank -> synth -> audio + labels -> features -> model -> decode -> prediction
files -> `seld evaluate`. Each package is tested on its own elsewhere; this checks that they fit together
(frame rates, shapes, file layouts, units)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seld.cli import main
from seld.features import create_frontend
from seld.formats import read_labels, write_predictions
from seld.methods import get_method
from seld.models import create_model
from seld.synth import synthesize
from seld.synth.bank import BankSettings, build_bank, sources_from_dir
from seld.synth.presets import SynthConfig
from seld.synth.rooms import RoomRanges
from seld.synth.scenes import SceneRanges
from seld.synth.trajectories import PositionRanges

SECONDS = 3.0
CLASSES = ("female_speech", "telephone", "bell")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        (root / "clips" / name).mkdir(parents=True)
        for k in range(2):
            t = np.arange(int(0.8 * 24000)) / 24000
            tone = 0.3 * np.sin(2 * np.pi * 300 * (c + 1) * (1 + 0.1 * k) * t) + 0.02 * rng.standard_normal(t.size)
            sf.write(root / "clips" / name / f"take{k}.wav", tone, 24000)
    class_list, sources = sources_from_dir(root / "clips", "starss23")
    build_bank(sources, class_list, root / "bank", BankSettings(test_fraction=0.5), base=root / "clips")
    config = SynthConfig(
        preset="test", n_scenes=2, ov=(1, 2), formats=("foa",), n_rooms=1, ambience=SECONDS,
        rooms=RoomRanges(size_min=(4.0, 3.5, 2.6), size_max=(4.5, 4.0, 2.8), rt60=(0.2, 0.25), max_order=4,
                         max_ir_len=0.15),
        positions=PositionRanges(n_static=6, n_paths=0, dist=(1.0, 1.5), ele=(-20.0, 30.0)),
        scenes=SceneRanges(duration=SECONDS, gap=(0.1, 0.3), max_event=1.0, min_event=0.4, snr_db=(25.0, 25.0),
                           moving_prob=0.0))
    synthesize(root / "bank", root / "data", config, seed=3)
    return root / "data"


def test_synthetic_scenes_train_decode_and_score(dataset: Path, tmp_path: Path, capsys):
    wavs = sorted((dataset / "foa").glob("*.wav"))
    labels = {p.stem: read_labels(dataset / "metadata" / f"{p.stem}.csv", fmt="dcase2024") for p in wavs}
    assert len(wavs) == 2 and all(len(ev) > 0 for ev in labels.values())
    audio = torch.stack([torch.from_numpy(sf.read(p, dtype="float32")[0].T) for p in wavs])
    assert audio.shape == (2, 4, int(SECONDS * 24000))

    frontend = create_frontend("logmel_iv")
    feats = frontend(audio)
    label_frames = int(round(SECONDS / 0.1))
    assert feats.shape[:2] == (2, 7) and feats.shape[2] // 10 == label_frames

    method = get_method("accdoa")
    model = create_model("test_htsat", method=method.head, num_classes=13, seed=0)
    targets = method.collate([method.encode(labels[p.stem], label_frames, 13) for p in wavs])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = method.loss(model(feats), targets)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]

    # the network's own (untrained) predictions: written, scored, every key a valid number
    with torch.no_grad():
        decoded = method.decode(model.eval()(feats))
    for p, ev in zip(wavs, decoded):
        assert ev.frame.max(initial=-1) < label_frames
        write_predictions(tmp_path / "net" / f"{p.stem}.csv", ev, "cartesian")
    with pytest.raises(SystemExit) as code:
        main(["evaluate", str(dataset / "metadata"), str(tmp_path / "net"), "--metric", "dcase2023", "--json"])
    assert code.value.code == 0
    res = json.loads(capsys.readouterr().out)
    assert 0 <= res["F"] <= 1 and res["ER"] >= 0 and 0 <= res["LR"] <= 1

    # the oracle output of the labels goes through the same path and scores as a perfect system (multi-ACCDOA:
    # ACCDOA would merge two instances of one class in a frame, which ov2 scenes of 3 classes do have)
    maccdoa = get_method("maccdoa")
    oracle = maccdoa.decode(maccdoa.oracle(maccdoa.collate([maccdoa.encode(labels[p.stem], label_frames, 13)
                                                            for p in wavs])))
    for p, ev in zip(wavs, oracle):
        write_predictions(tmp_path / "oracle" / f"{p.stem}.csv", ev, "cartesian")
    with pytest.raises(SystemExit):
        main(["evaluate", str(dataset / "metadata"), str(tmp_path / "oracle"), "--metric", "dcase2023",
              "--average", "micro", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert res["ER"] == pytest.approx(0.0, abs=1e-9) and res["F"] == pytest.approx(1.0)
    assert res["LE"] < 0.5 and res["LR"] == pytest.approx(1.0)
