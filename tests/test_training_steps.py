"""Models, methods and formats work together: for every backbone x method, a few optimiser steps on a tiny batch
lower the method's loss, and the output decodes to events."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seld.formats import Events
from seld.methods import get_method
from seld.models import create_model

BACKBONES = ["test_seldnet", "test_crnn", "test_cnn14_conformer", "test_htsat", "test_passt"]
METHODS = ["seddoa", "accdoa", "maccdoa", "einv2", "agg1", "agg2"]
NUM_CLASSES, LABEL_FRAMES = 3, 10


def _labels(seed: int) -> Events:
    """Up to two overlapping sources of random classes in 10 label frames."""
    rng = np.random.default_rng(seed)
    frames, classes = [], []
    for track, cls in enumerate(rng.choice(NUM_CLASSES, 2, replace=False)):
        start = rng.integers(0, 5)
        span = np.arange(start, start + rng.integers(3, 6))
        frames.append(span)
        classes.append(np.full(span.size, cls))
    frame, cls = np.concatenate(frames), np.concatenate(classes)
    return Events.from_cartesian(frame, cls, np.zeros_like(frame), rng.normal(size=(frame.size, 3)),
                                 n_frames=LABEL_FRAMES)


@pytest.mark.parametrize("method_name", METHODS)
@pytest.mark.parametrize("backbone", BACKBONES)
def test_optimiser_steps_lower_the_loss(backbone: str, method_name: str):
    torch.manual_seed(0)
    method = get_method(method_name)
    model = create_model(backbone, method=method.head, num_classes=NUM_CLASSES, seed=0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, model.in_channels, LABEL_FRAMES * 10, model.n_freq, generator=gen)
    targets = method.collate([method.encode(_labels(s), LABEL_FRAMES, NUM_CLASSES) for s in (0, 1)])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    losses = []
    for _ in range(6):
        opt.zero_grad()
        loss = method.loss(model(x), targets)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0], losses
    model.eval()
    with torch.no_grad():
        decoded = method.decode(model(x))
    assert len(decoded) == 2 and all(isinstance(e, Events) and e.frame_len == 0.1 for e in decoded)
    assert all((e.frame < LABEL_FRAMES).all() and (e.cls < NUM_CLASSES).all() for e in decoded)
