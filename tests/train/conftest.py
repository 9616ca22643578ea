"""Run configs of the training tests, composed on the shared tiny tone dataset (``tiny_dataset`` in the root
conftest: six FOA + MIC scenes, fold 1 to train, fold 2 to test)."""

from __future__ import annotations

import pytest

#: overrides that make any experiment a tiny CPU run on the tiny dataset
TINY = ["trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.max_epochs=1", "data.num_workers=0",
        "data.batch_size=2", "trainer.log_every_n_steps=1", "data.chunk_seconds=2.0", "data.train=train",
        "data.valid=test", "data.corpus=synth", "data.options={}"]


@pytest.fixture
def tiny_config(tiny_dataset, tmp_path):
    """``tiny_config(*overrides)``: a composed run config on the tiny dataset, in a fresh out_dir."""
    from seld.train import compose

    def make(*overrides: str, out: str = "run"):
        return compose([*TINY, f"data.root={tiny_dataset}", f"out_dir={tmp_path / out}", *overrides])

    return make
