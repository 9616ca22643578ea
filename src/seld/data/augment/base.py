"""The augmentation interface and the plumbing every augmentation shares.

An :class:`Augmentation` maps a :class:`~seld.data.batch.LabelledBatch` and a ``torch.Generator`` to a new
batch: the signal (``audio`` for ``domain == "wave"``, ``features`` for ``domain == "feature"``) and the labels
(``events``, ``activity``) change together. Inputs are never modified in place.

Randomness: every draw goes through the generator that is passed in, on the generator's own device (normally the
CPU), and only the result moves to the device of the signal; so a run is reproduced exactly from the seed of the
generator whatever device the tensors live on. No global random state (``random``, ``numpy.random``,
``torch.manual_seed``) is touched.
"""

from __future__ import annotations

import abc
from dataclasses import replace

import numpy as np
import torch

from seld.data.batch import LabelledBatch
from seld.errors import ConfigError
from seld.formats.events import Events

__all__ = ["Augmentation", "DOMAINS", "uniform", "randint", "bernoulli", "permutation", "numpy_rng", "take", "concat",
           "copy_events", "check_probability", "label_frames"]

#: Where an augmentation runs: on waveforms before the front end, or on features after it.
DOMAINS = ("wave", "feature")


def check_probability(p: float, name: str = "p") -> float:
    """``p`` as a float in [0, 1], else a ConfigError."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number in [0, 1], got {p!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must lie in [0, 1], got {value}")
    return value


class Augmentation(abc.ABC):
    """Base class: a random transform of a :class:`LabelledBatch` whose labels follow the signal.

    Subclasses set ``name`` (the registry key of :func:`seld.data.augment.build_augmentation`) and ``domain``
    (``"wave"`` or ``"feature"``) and implement :meth:`apply`. ``p`` is the probability of applying the
    transform; each subclass documents whether it is drawn per item or per batch.
    """

    name: str = ""
    domain: str = "wave"

    def __init__(self, p: float = 1.0):
        self.p = check_probability(p)

    def __call__(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"{type(self).__name__} needs a torch.Generator for its random draws, "
                            f"got {type(generator).__name__}")
        if self.domain == "wave" and batch.audio is None:
            raise ConfigError(f"{self.name} is a waveform augmentation but the batch has no audio; apply it "
                              f"before the front end")
        if self.domain == "feature" and batch.features is None:
            raise ConfigError(f"{self.name} is a feature augmentation but the batch has no features; apply it "
                              f"after the front end")
        if len(batch) == 0:
            return batch
        return self.apply(batch, generator)

    @abc.abstractmethod
    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        """The transformed batch (``batch`` is not empty and has the signal of this domain)."""

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                         if not k.startswith("_") and (v is None or isinstance(v, (bool, int, float, str))))
        return f"{type(self).__name__}({opts})"


# ---------------------------------------------------------------------------------------------- random draws
def uniform(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Uniform [0, 1) float64 draws, on the CPU."""
    return torch.rand(shape, generator=generator, device=generator.device, dtype=torch.float64).cpu()


def randint(generator: torch.Generator, low: int, high: int, *shape: int) -> torch.Tensor:
    """Integers uniform in [low, high), int64 on the CPU."""
    return torch.randint(low, high, shape, generator=generator, device=generator.device).cpu()


def bernoulli(generator: torch.Generator, n: int, p: float) -> np.ndarray:
    """``n`` independent coin flips that are True with probability ``p`` (one uniform draw each, whatever p)."""
    return uniform(generator, n).numpy() < p


def permutation(generator: torch.Generator, n: int) -> np.ndarray:
    """A random permutation of 0..n-1 (int64 numpy)."""
    return torch.randperm(n, generator=generator, device=generator.device).cpu().numpy()


def numpy_rng(generator: torch.Generator) -> np.random.Generator:
    """A numpy generator seeded by one draw of ``generator`` (for distributions torch cannot draw with a
    generator, such as Beta)."""
    return np.random.default_rng(int(randint(generator, 0, 2**62, 1)[0]))


# ------------------------------------------------------------------------------------------ batch plumbing
def copy_events(events: Events) -> Events:
    """An independent copy of an Events table (arrays copied, meta shallow-copied)."""
    return replace(events.select(np.arange(len(events))), meta=dict(events.meta))


def take(batch: LabelledBatch, index) -> LabelledBatch:
    """The items ``index`` (a slice or integer indices) of a batch, labels copied."""
    if isinstance(index, slice):
        rows = range(len(batch))[index]
    else:
        rows = [int(i) for i in np.asarray(index).reshape(-1)]
        index = torch.as_tensor(rows, dtype=torch.long)
    pick = (lambda t: None if t is None else t[index.to(t.device) if isinstance(index, torch.Tensor) else index])
    return batch.replace(audio=pick(batch.audio), features=pick(batch.features),
                         events=[copy_events(batch.events[i]) for i in rows],
                         activity=[None if batch.activity[i] is None else np.array(batch.activity[i], np.float64)
                                   for i in rows])


def concat(parts: list[LabelledBatch]) -> LabelledBatch:
    """Items of several batches (same array format) one after the other."""
    if not parts:
        raise ValueError("nothing to concatenate")
    arrays = {p.array for p in parts}
    if len(arrays) != 1:
        raise ConfigError(f"cannot concatenate batches of different array formats {sorted(arrays)}")

    def cat(key):
        tensors = [getattr(p, key) for p in parts]
        if any(t is None for t in tensors):
            return None
        return torch.cat(tensors, dim=0)

    return parts[0].replace(audio=cat("audio"), features=cat("features"),
                            events=[ev for p in parts for ev in p.events],
                            activity=[a for p in parts for a in p.activity])


def label_frames(batch: LabelledBatch) -> int:
    """The number of label frames of the batch's chunks (``Events.n_frames``, the same for every item)."""
    counts = {ev.n_frames for ev in batch.events}
    if None in counts:
        raise ConfigError("feature augmentations that touch labels need Events.n_frames (the label frames of "
                          "the chunk); the loader must set it")
    if len(counts) != 1:
        raise ConfigError(f"the items of a batch have different numbers of label frames {sorted(counts)}")
    return counts.pop()
