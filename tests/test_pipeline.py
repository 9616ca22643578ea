"""The whole flow on a tiny dataset: bank -> synth -> audio + labels -> features -> model -> decode -> prediction
files -> `seld evaluate`. Each package is tested on its own elsewhere; this checks that they fit together
(frame rates, shapes, file layouts, units)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
import torch

from seld.cli import main
from seld.features import create_frontend
from seld.formats import read_labels, write_predictions
from seld.methods import get_method
from seld.models import create_model

SECONDS = 3.0


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, tone_dataset_factory) -> Path:
    return tone_dataset_factory(tmp_path_factory.mktemp("pipeline"), n_scenes=2, seconds=SECONDS, classes="starss23",
                                test_fraction=0.0, formats=("foa",))


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
