"""Mono-clip spatialisation (PSELDNets' AdapterBit-mono training): one-source chunks become FOA plane waves.

Channel 0 of each item (W of FOA, or a mono recording) is the signal s; one static direction u = (x, y, z) is
drawn per item and the item is re-encoded as an anechoic ACN/SN3D plane wave ``[W, Y, Z, X] = s * [1, y, z, x]``.
Every event row of the item gets the direction u (distances are kept). The batch becomes ``array="foa"``.

Directions: ``directions="grid"`` (PSELDNets) draws an integer azimuth uniform in -180..179 and an integer
elevation uniform in -90..89 degrees (denser near the poles than uniform on the sphere); ``"sphere"`` draws
uniformly on the sphere. An item with more than one simultaneous source (``polyphony > 1``) cannot be given
one direction and raises a ConfigError.
"""

from __future__ import annotations

import numpy as np
import torch

from seld.data.augment.base import Augmentation, bernoulli, copy_events, randint, uniform
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError
from seld.geometry import polar_to_unit

__all__ = ["MonoToFoa"]


class MonoToFoa(Augmentation):
    """Re-encode channel 0 as an FOA plane wave from one random direction per item (module docstring).

    ``p`` is per item (1: every item, as PSELDNets' mono training); an item not chosen keeps its audio and
    labels, which only makes sense when the batch is already FOA.
    """

    name = "mono_to_foa"
    domain = "wave"

    def __init__(self, directions: str = "grid", p: float = 1.0):
        super().__init__(p)
        if directions not in ("grid", "sphere"):
            raise ConfigError(f"mono_to_foa directions must be 'grid' (integer degrees, as PSELDNets) or "
                              f"'sphere' (uniform on the sphere), got {directions!r}")
        self.directions = directions

    def draw_directions(self, generator: torch.Generator, n: int) -> np.ndarray:
        """Unit vectors [n, 3] drawn as configured."""
        if self.directions == "grid":
            azi = randint(generator, -180, 180, n).numpy()
            ele = randint(generator, -90, 90, n).numpy()
            return polar_to_unit(azi, ele)
        z = 2.0 * uniform(generator, n).numpy() - 1.0
        phi = 2.0 * np.pi * uniform(generator, n).numpy()
        r = np.sqrt(np.clip(1.0 - z**2, 0.0, None))
        return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        poly = batch.polyphony()
        bad = np.flatnonzero(poly > 1)
        if len(bad):
            raise ConfigError(f"mono_to_foa gives each item one direction, but item {int(bad[0])} has "
                              f"{int(poly[bad[0]])} simultaneous events; train mono spatialisation on one-source "
                              f"(ov1) chunks only")
        chosen = bernoulli(generator, len(batch), self.p)
        dirs = self.draw_directions(generator, len(batch))
        return self.encode(batch, dirs, chosen)

    def encode(self, batch: LabelledBatch, dirs, chosen=None) -> LabelledBatch:
        """Deterministic part: item b (where ``chosen[b]``) becomes a plane wave from unit vector ``dirs[b]``."""
        audio = batch.audio
        b = len(batch)
        chosen = np.ones(b, dtype=bool) if chosen is None else np.asarray(chosen, dtype=bool)
        dirs = np.asarray(dirs, dtype=np.float64).reshape(b, 3)
        if not chosen.all() and (batch.array != "foa" or audio.shape[1] != 4):
            raise ConfigError("mono_to_foa with p < 1 leaves some items as they are, so the batch must already be "
                              f"FOA (4 channels), got {batch.array!r} with {audio.shape[1]} channels")
        gains = np.ones((b, 4))
        gains[:, 1], gains[:, 2], gains[:, 3] = dirs[:, 1], dirs[:, 2], dirs[:, 0]
        gains = torch.as_tensor(gains, dtype=audio.dtype, device=audio.device)
        encoded = audio[:, :1] * gains[:, :, None]
        if chosen.all():
            out = encoded
        else:
            pick = torch.as_tensor(chosen, device=audio.device)[:, None, None]
            out = torch.where(pick, encoded, audio)
        events = []
        for ev, use, u in zip(batch.events, chosen, dirs):
            new = copy_events(ev)
            if use:
                new.xyz = np.repeat(u[None, :], len(ev), axis=0)
            events.append(new)
        return batch.replace(audio=out, events=events, array="foa")
