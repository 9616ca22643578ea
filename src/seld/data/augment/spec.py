"""Feature-domain masking and shifting (features ``[B, C, T, F]``), with PSELDNets' default parameters.

- :class:`SpecAugment`: ``time_masks`` time masks per item, each ``floor(U * time_width / r)`` label frames wide
  (r = feature frames per label frame, ``T // n_frames``; 40 feature frames = 4 label frames at 100 frames/s),
  so a mask covers whole label frames: their features (all channels) are set to ``mask_value`` and **their
  events are removed** (PSELDNets zeroes the targets of those frames). Then ``freq_masks`` frequency masks of
  ``floor(U * freq_width)`` bins, drawn independently for every item and channel; labels kept.
- :class:`Crop`: ``masks`` rectangles per item and channel, up to ``time_width`` frames x ``freq_width`` bins
  (``floor(U * width)`` each), set to ``mask_value``; labels kept.
- :class:`FreqShift`: with probability ``p`` per item, all channels move up or down (fair coin, or a fixed
  ``direction``) by a whole number of bins drawn uniformly in ``[0, max_shift)``, the vacated bins filled by
  reflection (as ``torch.nn.functional.pad(mode="reflect")``); labels kept.

``p`` of SpecAugment and Crop is a per-item probability (1 by default: every item, as PSELDNets).
Masks are drawn as integers on the generator's device and built on the features' device.
"""

from __future__ import annotations

import numpy as np
import torch

from seld.data.augment.base import Augmentation, bernoulli, label_frames, uniform
from seld.data.batch import LabelledBatch
from seld.errors import ConfigError

__all__ = ["SpecAugment", "Crop", "FreqShift", "spans"]


def spans(generator: torch.Generator, shape: tuple[int, ...], max_width: int, size: int) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """Random [start, end) intervals in ``[0, size)``: width ``floor(U * max_width)``, start uniform among the
    positions where the interval fits. Returns int64 arrays of ``shape``."""
    n = int(np.prod(shape))
    width = np.minimum(np.floor(uniform(generator, n).numpy() * max_width).astype(np.int64), size)
    start = np.floor(uniform(generator, n).numpy() * (size - width + 1)).astype(np.int64)
    start = np.minimum(start, size - width)
    return start.reshape(shape), (start + width).reshape(shape)


def _covered(start: np.ndarray, end: np.ndarray, size: int, device) -> torch.Tensor:
    """Bool [..., size]: positions inside any of the intervals along the first axis of start/end [M, ...]."""
    pos = torch.arange(size, device=device)
    s = torch.as_tensor(start, device=device)[..., None]
    e = torch.as_tensor(end, device=device)[..., None]
    return ((pos >= s) & (pos < e)).any(dim=0)


def _check_int(value, name: str, low: int = 0) -> int:
    if int(value) != value or int(value) < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


class SpecAugment(Augmentation):
    """Time masks on features and labels, frequency masks on features (module docstring)."""

    name = "specaug"
    domain = "feature"

    def __init__(self, time_masks: int = 4, time_width: int = 40, freq_masks: int = 2, freq_width: int = 8,
                 mask_value: float = 0.0, p: float = 1.0):
        super().__init__(p)
        self.time_masks = _check_int(time_masks, "specaug time_masks")
        self.time_width = _check_int(time_width, "specaug time_width")
        self.freq_masks = _check_int(freq_masks, "specaug freq_masks")
        self.freq_width = _check_int(freq_width, "specaug freq_width")
        self.mask_value = float(mask_value)

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        x = batch.features
        b, c, t, f = x.shape
        n_frames = label_frames(batch)
        if n_frames < 1 or t < n_frames:
            raise ConfigError(f"specaug needs at least one feature frame per label frame, got {t} feature "
                              f"frames for {n_frames} label frames")
        ratio = t // n_frames
        chosen = bernoulli(generator, b, self.p)
        t_start, t_end = spans(generator, (self.time_masks, b), self.time_width // ratio, n_frames)
        f_start, f_end = spans(generator, (self.freq_masks, b, c), self.freq_width, f)
        t_start, t_end = t_start * chosen, t_end * chosen           # not chosen: empty masks
        f_start, f_end = f_start * chosen[:, None], f_end * chosen[:, None]
        label_mask = _covered(t_start, t_end, n_frames, "cpu").numpy()                     # [B, n_frames]
        time_mask = _covered(t_start * ratio, t_end * ratio, t, x.device)                  # [B, T]
        freq_mask = _covered(f_start, f_end, f, x.device)                                  # [B, C, F]
        mask = time_mask[:, None, :, None] | freq_mask[:, :, None, :]
        out = x.masked_fill(mask, self.mask_value)
        events, activity = [], []
        for i, (ev, act) in enumerate(zip(batch.events, batch.activity)):
            inside = (ev.frame >= 0) & (ev.frame < n_frames)
            drop = np.zeros(len(ev), dtype=bool)
            drop[inside] = label_mask[i, ev.frame[inside]]
            keep = ~drop
            events.append(ev.select(keep))
            activity.append(None if act is None else
                            np.broadcast_to(np.asarray(act, np.float64), (len(ev),))[keep].copy())
        return batch.replace(features=out, events=events, activity=activity)


class Crop(Augmentation):
    """Random rectangles per item and channel set to ``mask_value`` (module docstring)."""

    name = "crop"
    domain = "feature"

    def __init__(self, masks: int = 4, time_width: int = 8, freq_width: int = 4, mask_value: float = 0.0,
                 p: float = 1.0):
        super().__init__(p)
        self.masks = _check_int(masks, "crop masks")
        self.time_width = _check_int(time_width, "crop time_width")
        self.freq_width = _check_int(freq_width, "crop freq_width")
        self.mask_value = float(mask_value)

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        x = batch.features
        b, c, t, f = x.shape
        chosen = bernoulli(generator, b, self.p)[:, None]
        t_start, t_end = spans(generator, (self.masks, b, c), self.time_width, t)
        f_start, f_end = spans(generator, (self.masks, b, c), self.freq_width, f)
        t_end = np.where(chosen, t_end, t_start)
        dev = x.device
        pos_t = torch.arange(t, device=dev)
        pos_f = torch.arange(f, device=dev)
        as_t = lambda a: torch.as_tensor(a, device=dev)[..., None, None]  # noqa: E731 - [M, B, C, 1, 1]
        in_t = (pos_t[:, None] >= as_t(t_start)) & (pos_t[:, None] < as_t(t_end))          # [M, B, C, T, 1]
        in_f = (pos_f[None, :] >= as_t(f_start)) & (pos_f[None, :] < as_t(f_end))          # [M, B, C, 1, F]
        mask = (in_t & in_f).any(dim=0)
        return batch.replace(features=x.masked_fill(mask, self.mask_value))


class FreqShift(Augmentation):
    """Shift every channel of an item up or down in frequency with reflection (module docstring)."""

    name = "freqshift"
    domain = "feature"

    def __init__(self, max_shift: int = 15, direction: str | None = None, p: float = 0.5):
        super().__init__(p)
        self.max_shift = _check_int(max_shift, "freqshift max_shift", 1)
        if direction not in (None, "up", "down"):
            raise ConfigError(f"freqshift direction must be 'up', 'down' or None (random), got {direction!r}")
        self.direction = direction

    def shift_index(self, shifts, num_bins: int) -> np.ndarray:
        """Source bin [B, F] of every output bin for signed shifts [B] (positive: up), reflecting at the edges."""
        s = np.asarray(shifts, dtype=np.int64)[:, None]
        if np.any(np.abs(s) >= num_bins):
            raise ConfigError(f"freqshift max_shift {self.max_shift} must be smaller than the {num_bins} bins")
        src = np.arange(num_bins)[None, :] - s
        src = np.abs(src)                                      # reflect at bin 0
        return np.where(src > num_bins - 1, 2 * (num_bins - 1) - src, src)   # reflect at the top bin

    def apply(self, batch: LabelledBatch, generator: torch.Generator) -> LabelledBatch:
        x = batch.features
        b, c, t, f = x.shape
        chosen = bernoulli(generator, b, self.p)
        size = np.floor(uniform(generator, b).numpy() * self.max_shift).astype(np.int64)
        up = bernoulli(generator, b, 0.5) if self.direction is None else np.full(b, self.direction == "up")
        shifts = np.where(chosen, np.where(up, size, -size), 0)
        index = torch.as_tensor(self.shift_index(shifts, f), device=x.device)
        out = torch.gather(x, 3, index[:, None, None, :].expand(b, c, t, f))
        return batch.replace(features=out)
