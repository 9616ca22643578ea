"""Shared helpers of the model tests: seeded inputs and non-trivial normalisation statistics."""

from __future__ import annotations

import pytest
import torch


def _randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give every BatchNorm non-trivial running statistics and every zero-initialised adapter / LoRA / head
    weight random values, so that output comparisons cannot pass by accident."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(torch.randn(buf.shape, generator=gen) * 0.5)
            elif name.endswith("running_var"):
                buf.copy_(torch.rand(buf.shape, generator=gen) + 0.5)
        for name, p in model.named_parameters():
            if "adapter.fc2" in name or "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
    return model


@pytest.fixture
def randomize():
    return _randomize


@pytest.fixture
def features():
    """``features(model, batch, frames)``: seeded random input of the model's channel and bin count."""

    def make(model, batch: int = 2, frames: int = 100, seed: int = 0) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        return torch.randn(batch, model.in_channels, frames, model.n_freq, generator=gen) * 2

    return make


@pytest.fixture
def run_cli(capsys):
    """``run_cli(args) -> (exit code, stdout, stderr)`` of the `seld` command, run in this process."""
    from seld import cli

    def run(args) -> tuple[int, str, str]:
        try:
            cli.main([str(a) for a in args])
            code = 0
        except SystemExit as err:
            code = err.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
