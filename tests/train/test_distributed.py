"""Several processes (Lightning DDP over gloo, on CPU) score validation exactly as one process does: each rank
decodes its shard, the chunks are gathered and de-duplicated, and every rank scores the whole set. PSELDNets
scores each rank's shard separately; that would not give these numbers."""

from __future__ import annotations

import lightning as L
import pytest

from seld.train import build_run, train

KEYS = ("val/ER", "val/F", "val/LE", "val/LR", "val/SELD")


def _validate(cfg, init, devices: int) -> dict:
    module, datamodule, _ = build_run(cfg, init)
    trainer = L.Trainer(accelerator="cpu", devices=devices, strategy="ddp_spawn" if devices > 1 else "auto",
                        logger=False, enable_progress_bar=False, enable_model_summary=False,
                        enable_checkpointing=False, use_distributed_sampler=False)
    (result,) = trainer.validate(module, datamodule=datamodule, verbose=False)
    return {k: result[k] for k in KEYS}


@pytest.mark.filterwarnings("ignore")
def test_two_gloo_processes_give_the_single_process_scores(tiny_config):
    # a network trained a little, with a low threshold, so that it detects events and every score is a real
    # number; 1.5 s chunks give 3 chunks per 4 s test scene, an odd count: the shards are uneven
    overrides = ["model=htsat", "model.name=test_htsat", "method.threshold=0.2", "data.chunk_seconds=1.5",
                 "optimizer=adam", "optimizer.lr=3e-3"]
    trained = train(tiny_config(*overrides, "trainer.max_epochs=4", out="trained"))
    cfg = tiny_config(*overrides, out="eval")
    single = _validate(cfg, trained["model"], 1)
    double = _validate(cfg, trained["model"], 2)
    assert 0 < single["val/F"] < 1 and single["val/LE"] < 180
    # equal up to the last bits of float32: a rank's batches hold other chunks, so the network's outputs (and
    # the directions decoded from them) may differ in the last bit; the counts (ER, F, LR) are the same
    assert double == pytest.approx(single, rel=1e-6, abs=1e-9)
