"""Mixing augmentations with soft labels: WavMix (waveforms) and TrackMix (features), after PSELDNets.

Each one-source item (``batch.polyphony() <= 1``; a chunk without events counts as a silent one-source chunk,
as PSELDNets' clip-level ``ov1``) is mixed with a partner item of the same batch:

    signal = lambda * signal_item + (1 - lambda) * signal_partner,    lambda ~ Beta(alpha, alpha) per item,

and its labels become the union of both event tables, the item's rows with activity ``lambda`` (times any
activity they had) and the partner's rows with ``1 - lambda``. The partner's track ids are shifted past the
item's, so two sources of one class stay two instances. Partners are taken from the signals *before* mixing.

- :class:`WavMix` (waveform domain, probability ``p`` per batch, PSELDNets 0.5): the partners are a random
  permutation of either the one-source items or the two-source items (a fair coin chooses), paired in batch
  order with the one-source items (the surplus of the larger group stays unmixed, and when the chosen group is
  empty nothing is mixed); a mixture therefore has up to three sources.
- :class:`TrackMix` (feature domain, probability ``p`` per batch, PSELDNets 1): the partners are a random
  permutation of the one-source items.

An item drawn as its own partner is left unchanged (mixing it with itself would only duplicate its labels).
"""

from __future__ import annotations

import numpy as np
import torch

from seld.data.augment.base import Augmentation, bernoulli, copy_events, numpy_rng, permutation
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError
from seld.formats.events import Events

__all__ = ["WavMix", "TrackMix", "mix_items"]


def _union(a: Events, act_a, b: Events, act_b, lam: float) -> tuple[Events, np.ndarray]:
    """Events of a then b (b's tracks shifted past a's) with activities lam * act_a and (1 - lam) * act_b."""
    b = copy_events(b)
    if len(a) and len(b):
        b.track = b.track + (int(a.track.max()) + 1 - int(b.track.min()))
    ev = Events.concat([copy_events(a), b])
    ev.meta = dict(a.meta)
    if a.n_frames is not None:
        ev.n_frames = a.n_frames
    wa = np.ones(len(a)) if act_a is None else np.broadcast_to(np.asarray(act_a, np.float64), (len(a),))
    wb = np.ones(len(b)) if act_b is None else np.broadcast_to(np.asarray(act_b, np.float64), (len(b),))
    return ev, np.concatenate([lam * wa, (1.0 - lam) * wb])


def mix_items(batch: LabelledBatch, items, partners, lambdas, key: str) -> LabelledBatch:
    """Deterministic mixing: item ``items[i]`` becomes ``lambdas[i]`` * itself + (1 - ``lambdas[i]``) *
    ``partners[i]`` in the tensor ``key`` (``"audio"`` or ``"features"``), labels as in the module docstring.
    Pairs with ``items[i] == partners[i]`` are skipped."""
    items = np.asarray(items, dtype=np.int64)
    partners = np.asarray(partners, dtype=np.int64)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    keep = items != partners
    items, partners, lambdas = items[keep], partners[keep], lambdas[keep]
    if len(items) == 0:
        return batch
    x = getattr(batch, key)
    lam = torch.as_tensor(lambdas, dtype=x.dtype, device=x.device).reshape((-1,) + (1,) * (x.ndim - 1))
    it = torch.as_tensor(items, device=x.device)
    pa = torch.as_tensor(partners, device=x.device)
    out = x.clone()
    out[it] = lam * x[it] + (1 - lam) * x[pa]
    events, activity = list(batch.events), list(batch.activity)
    for i, j, l in zip(items, partners, lambdas):
        events[i], activity[i] = _union(batch.events[i], batch.activity[i], batch.events[j], batch.activity[j],
                                        float(l))
    return batch.replace(**{key: out}, events=events, activity=activity)


class _Mix(Augmentation):
    def __init__(self, alpha: float = 0.5, p: float = 1.0):
        super().__init__(p)
        if not float(alpha) > 0:
            raise ConfigError(f"{self.name}: the Beta parameter alpha must be positive, got {alpha!r}")
        self.alpha = float(alpha)

    def _lambdas(self, generator: torch.Generator, n: int) -> np.ndarray:
        return numpy_rng(generator).beta(self.alpha, self.alpha, size=n)


class WavMix(_Mix):
    """Waveform mixing of one-source items with one- or two-source partners (module docstring)."""

    name = "wavmix"
    domain = "wave"

    def __init__(self, alpha: float = 0.5, p: float = 0.5):
        super().__init__(alpha, p)

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        run = bernoulli(generator, 1, self.p)[0]
        with_ov2 = bernoulli(generator, 1, 0.5)[0]
        poly = batch.polyphony()
        ov1 = np.flatnonzero(poly <= 1)
        pool = np.flatnonzero(poly == 2) if with_ov2 else ov1
        order = permutation(generator, len(pool))
        n = min(len(ov1), len(pool))
        lambdas = self._lambdas(generator, n)
        if not run or n == 0:
            return batch
        return mix_items(batch, ov1[:n], pool[order][:n], lambdas, "audio")


class TrackMix(_Mix):
    """Feature-domain mixing of one-source items with one-source partners (module docstring)."""

    name = "trackmix"
    domain = "feature"

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        run = bernoulli(generator, 1, self.p)[0]
        ov1 = np.flatnonzero(batch.polyphony() <= 1)
        order = permutation(generator, len(ov1))
        lambdas = self._lambdas(generator, len(ov1))
        if not run or len(ov1) == 0:
            return batch
        return mix_items(batch, ov1, ov1[order], lambdas, "features")
