"""The interface every SELD output method implements, so that a training loop needs nothing else.

A method ties together the three things that depend on how a network encodes "class k is active at direction u":
the training target built from labels (:meth:`Method.encode`, one chunk of label frames per item, then
:meth:`Method.collate`), the loss between network output and target (:meth:`Method.loss`), and the decoder from
network output back to frame-wise events (:meth:`Method.decode`). :meth:`Method.oracle` is the network output
the loss considers perfect, i.e. the inverse of the decoder: decoding it measures what the label encoding itself
loses (e.g. ACCDOA merging two instances of one class).

The output of each method is the contract of `seld.models` (K classes, T label frames of 100 ms, B items):
``accdoa`` [B, T, 3K] (or [B, T, 4K] with distance), ``maccdoa`` [B, T, 9K] (or [B, T, 12K]), ``einv2`` /
``agg*`` {"sed": [B, T, 3, K] logits, "doa": [B, T, 3, 3]}, ``seddoa`` {"sed": [B, T, K] logits,
"doa": [B, T, 3K]}.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import torch

from seld.errors import ConfigError
from seld.formats.events import Events
from seld.methods.rows import FRAME_LEN

__all__ = ["Method", "Target", "Output", "check_shape", "activity_logits", "check_distance_weight"]

#: A target or network output: one tensor, or a dict of tensors ("sed", "doa").
Target = torch.Tensor | dict[str, torch.Tensor]
Output = Target


#: Probability that :func:`activity_logits` gives to an inactive (1 - it: active) output; its logit is about 16.
_ORACLE_EPS = 1e-7


def activity_logits(activity: torch.Tensor) -> torch.Tensor:
    """Logits whose sigmoid is the target activity (clamped away from 0 and 1): the oracle of a SED output."""
    return torch.logit(activity.clamp(_ORACLE_EPS, 1 - _ORACLE_EPS))


def check_distance_weight(distance: bool, weight: float, what: str) -> float:
    """The loss weight of the distance terms as a float; positive, and only set (not 1) with ``distance=True``."""
    try:
        weight = float(weight)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: distance_weight must be a positive number, got {weight!r}") from None
    if not weight > 0 or weight == float("inf"):
        raise ConfigError(f"{what}: distance_weight must be a positive number, got {weight}")
    if weight != 1.0 and not distance:
        raise ConfigError(f"{what}: distance_weight={weight} needs distance=true (the network predicts no distance)")
    return weight


def check_shape(output: torch.Tensor, target: torch.Tensor, what: str) -> None:
    """Fail early, with both shapes, when a network output does not fit its target (wrong K, T or head)."""
    if output.shape != target.shape:
        raise ValueError(f"{what}: network output of shape {tuple(output.shape)} does not match the target of "
                         f"shape {tuple(target.shape)} (check num_classes, the label frames and the model head)")


class Method(abc.ABC):
    """Targets, loss and decoder of one output method (see the module docstring).

    Attributes:
        name: registry name (``seld.methods.get_method(name)``).
        head: the ``method`` to pass to ``seld.models.create_model`` for a network whose output this consumes.
        frame_len: seconds per label frame of the targets (100 ms; SELDnet's recipes set its STFT hop).
    """

    name: str
    head: str
    frame_len: float = FRAME_LEN
    #: per-class loss weights [K] (mean 1), or None; set by training (``method.class_weights``) on the methods whose
    #: loss is a mean over classes (ACCDOA, multi-ACCDOA)
    class_weights: torch.Tensor | None = None
    supports_class_weights: bool = False

    @abc.abstractmethod
    def encode(self, events: Events, num_frames: int, num_classes: int, *, start: int = 0,
               activity=None) -> Target:
        """Training target of one item from the events in frames ``[start, start + num_frames)`` (frame indices
        of the target count from ``start``). ``activity``: soft activity per event row (e.g. the lambda of
        mixup-style augmentation), scalar or [N] in [0, 1]; 1 by default."""

    def collate(self, items: Sequence[Target]) -> Target:
        """Stack per-item targets into a batch (a leading B axis on every tensor)."""
        if not items:
            raise ValueError("cannot collate an empty list of targets")
        if isinstance(items[0], dict):
            return {key: torch.stack([it[key] for it in items]) for key in items[0]}
        return torch.stack(list(items))

    @abc.abstractmethod
    def loss_terms(self, output: Output, targets: Target) -> dict[str, torch.Tensor]:
        """The loss (key ``"loss"``) and its parts, each a scalar tensor, for logging."""

    def loss(self, output: Output, targets: Target) -> torch.Tensor:
        """Scalar training loss of a batch."""
        return self.loss_terms(output, targets)["loss"]

    @abc.abstractmethod
    def decode(self, output: Output, thresholds=0.5, *, frame_len: float = FRAME_LEN) -> list[Events]:
        """Frame-wise events of each batch item; ``thresholds`` is one value or one per class."""

    @abc.abstractmethod
    def oracle(self, targets: Target) -> Output:
        """The network output that matches ``targets`` (batched) exactly, in the output layout."""

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({opts})"
