"""The learning check: the quick experiment's CRNN, trained a few minutes on a small synthetic set of tone
events, scores well below an untrained network on held-out scenes (other rooms, other clips)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest

from seld.train import build_run, compose, train


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_quick_crnn_learns(tone_dataset_factory, tmp_path_factory, tmp_path: Path):
    data = tone_dataset_factory(tmp_path_factory.mktemp("learn"), n_scenes=18, seconds=8.0)
    cfg = compose(["experiment=quick", f"data.root={data}", f"out_dir={tmp_path / 'run'}", "data.train=train",
                   "data.valid=test", "data.chunk_seconds=4.0", "data.hop_seconds=1.0", "data.num_workers=0",
                   "trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.max_epochs=12"])
    module, datamodule, _ = build_run(cfg)
    untrained = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_checkpointing=False,
                          use_distributed_sampler=False).validate(module, datamodule=datamodule, verbose=False)[0]
    result = train(cfg)
    assert untrained["val/SELD"] >= 0.95
    assert result["best_SELD"] < 0.75, result
