"""Training: the LightningModule (:mod:`~seld.train.module`), the DataModule (:mod:`~seld.train.datamodule`),
and runs composed from the Hydra configs in ``seld/configs`` (:mod:`~seld.train.run`). Importing this package
imports Lightning (seconds); the rest of seld does not."""

from seld.train.run import build_run, compose, finetune, train

__all__ = ["compose", "build_run", "train", "finetune"]
