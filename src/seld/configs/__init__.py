"""Hydra configs of `seld train` (see train.yaml)."""
