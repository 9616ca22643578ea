"""Feature standardisation with statistics gathered over a training set, saved next to the model.

The DCASE baselines (and SELDnet) fit scikit-learn's ``StandardScaler`` on every training feature frame and
apply ``(x - mean) / std`` per (channel, bin), with the population standard deviation and ``std = 1`` where a
feature never varies. :class:`FeatureNormalizer` does the same in torch, without scikit-learn and without
pickles: statistics are accumulated batch by batch in float64 (Chan et al.'s parallel update, so the order
and size of the batches do not matter), stored as buffers, and written to / read from a small ``.npz`` file.
``n_features=None`` keeps one mean and std per channel instead, for any number of bins. (PSELDNets has no
such scaler: its models start with a per-channel BatchNorm, which belongs to the model.)
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from seld.errors import InputError
from seld.userio import atomic_path

__all__ = ["FeatureNormalizer"]

_KEYS = ("mean", "std", "count", "per_bin")


class FeatureNormalizer(nn.Module):
    """Standardise features ``[B, C, T, F]`` with a mean and std per (channel, bin), or per channel.

    Use :meth:`update` on every training batch, then :meth:`finalize` (or :meth:`fit` over an iterable), then
    call the module. :meth:`save` / :meth:`load` keep the statistics in a ``.npz`` file.

    Args:
        n_channels: C.
        n_features: F for statistics per (channel, bin); ``None`` for one statistic per channel.
    """

    def __init__(self, n_channels: int, n_features: int | None = None):
        super().__init__()
        self.n_channels = int(n_channels)
        self.n_features = None if n_features is None else int(n_features)
        shape = (self.n_channels, 1 if self.n_features is None else self.n_features)
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("std", torch.ones(shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))
        self._run_mean = torch.zeros(shape, dtype=torch.float64)
        self._run_m2 = torch.zeros(shape, dtype=torch.float64)
        self._n = 0

    @property
    def per_bin(self) -> bool:
        """Statistics per (channel, bin) rather than per channel."""
        return self.n_features is not None

    # ----------------------------------------------------------------------------------------------- fitting
    def _check(self, feats: torch.Tensor) -> None:
        bins_ok = self.n_features is None or (feats.ndim == 4 and feats.shape[3] == self.n_features)
        if feats.ndim != 4 or feats.shape[1] != self.n_channels or not bins_ok:
            want = "F" if self.n_features is None else self.n_features
            raise InputError(
                None, f"features of shape {tuple(feats.shape)} do not fit a normaliser for "
                f"[B, {self.n_channels}, T, {want}]", "use the normaliser fitted on this front end",
            )

    @torch.no_grad()
    def update(self, feats: torch.Tensor) -> None:
        """Add a batch ``[B, C, T, F]`` to the running statistics (every frame of every item counts once)."""
        self._check(feats)
        x = feats.detach().to("cpu", torch.float64).transpose(0, 1)  # [C, B, T, F]
        x = x.reshape(self.n_channels, -1, feats.shape[3] if self.per_bin else 1)
        if not bool(torch.isfinite(x).all()):
            raise InputError(None, "features contain NaN or infinite values", "check the audio they came from")
        n_b = x.shape[1]
        if n_b == 0:
            return
        mean_b = x.mean(dim=1)
        m2_b = (x - mean_b[:, None]).square().sum(dim=1)
        n_a = self._n
        delta = mean_b - self._run_mean
        total = n_a + n_b
        self._run_mean = self._run_mean + delta * (n_b / total)
        self._run_m2 = self._run_m2 + m2_b + delta.square() * (n_a * n_b / total)
        self._n = total

    def finalize(self) -> "FeatureNormalizer":
        """Turn the running statistics into ``mean`` and ``std`` (population std; 1 where it is 0)."""
        if self._n == 0:
            raise InputError(None, "no features were seen, so there is nothing to normalise with",
                             "call update() on at least one training batch")
        std = torch.sqrt(self._run_m2 / self._n)
        std = torch.where(std > 0, std, torch.ones_like(std))
        self.mean.copy_(self._run_mean.to(self.mean.dtype))
        self.std.copy_(std.to(self.std.dtype))
        self.count.fill_(self._n)
        return self

    @classmethod
    def fit(
        cls, batches: Iterable[torch.Tensor], n_channels: int, n_features: int | None = None,
    ) -> "FeatureNormalizer":
        """Statistics over an iterable of feature batches ``[B, C, T, F]``."""
        norm = cls(n_channels, n_features)
        for feats in batches:
            norm.update(feats)
        return norm.finalize()

    # ------------------------------------------------------------------------------------------------ apply
    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        self._check(feats)
        mean = self.mean.to(device=feats.device, dtype=feats.dtype)[:, None, :]
        std = self.std.to(device=feats.device, dtype=feats.dtype)[:, None, :]
        return (feats - mean) / std

    # ---------------------------------------------------------------------------------------------- storage
    def save(self, path: str | Path) -> Path:
        """Write the statistics to ``path`` (``.npz``) atomically, with a plain file's mode; returns the path."""
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, mean=self.mean.cpu().numpy(), std=self.std.cpu().numpy(),
                     count=np.float64(self.count.item()), per_bin=np.bool_(self.per_bin))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "FeatureNormalizer":
        """Read statistics written by :meth:`save`; a missing or malformed file raises :class:`InputError`."""
        path = Path(path)
        if not path.is_file():
            raise InputError(path, "normaliser file not found", "fit the normaliser on the training set first")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in _KEYS if k not in data.files]
                if missing:
                    raise InputError(path, f"not a feature normaliser file (missing {', '.join(missing)})",
                                     "write it with FeatureNormalizer.save")
                mean, std = data["mean"], data["std"]
                count, per_bin = float(data["count"]), bool(data["per_bin"])
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            raise InputError(path, f"cannot read the normaliser file ({err})", "write it again") from err
        if mean.ndim != 2 or mean.shape != std.shape or (not per_bin and mean.shape[1] != 1):
            raise InputError(path, f"malformed statistics (mean {mean.shape}, std {std.shape})", "write it again")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise InputError(path, "statistics hold NaN, infinite or non-positive std values", "fit it again")
        norm = cls(mean.shape[0], mean.shape[1] if per_bin else None)
        norm.mean.copy_(torch.from_numpy(mean))
        norm.std.copy_(torch.from_numpy(std))
        norm.count.fill_(count)
        return norm
