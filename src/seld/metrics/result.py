"""The outcome of a scoring run: overall values, per-class values, optional confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SeldResult", "OVERALL_KEYS"]

#: Overall values every result has (NaN where a metric does not define one, e.g. ER for L3DAS).
OVERALL_KEYS = ("ER", "F", "LE", "LR", "SELD")


def _num(x) -> float | None:
    """A JSON-safe float: NaN and infinities (undefined values, e.g. an error rate without reference events)
    become None."""
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class SeldResult:
    """SELD scores of a dataset.

    Attributes:
        metric, average: what was computed (e.g. ``"dcase2023"``, ``"macro"``).
        ER, F, LE, LR, SELD: overall error rate, F-score (fraction), localization error (degrees), localization
            recall (fraction), SELD score. For ``dcase2019`` LE is the DOA error and LR the frame recall; for
            ``dcase2024`` LE is the DOA error of matched pairs (DOAE).
        DE, RDE: ``dcase2024`` only: mean distance error (m) and relative distance error.
        classes: class names, in index order.
        per_class: class-wise arrays [C] by name (``F``, ``LE``, ``LR``, ``SELD``, and ``DE``, ``RDE`` for 2024);
            empty for the class-agnostic ``dcase2019`` and ``l3das22`` metrics.
        ci, per_class_ci: jackknife 95 % intervals, ``(low, high)`` per overall value and [C, 2] per class
            value, when asked for.
        extra: other figures (``precision``, ``recall`` for ``l3das22``).
        files: number of files scored.
    """

    metric: str
    average: str
    ER: float
    F: float
    LE: float
    LR: float
    SELD: float
    DE: float | None = None
    RDE: float | None = None
    classes: tuple[str, ...] = ()
    per_class: dict[str, np.ndarray] = field(default_factory=dict)
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    per_class_ci: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)
    files: int = 0

    def overall(self) -> dict[str, float]:
        """The overall values by name (``DE``, ``RDE`` included for 2024, ``extra`` appended)."""
        out = {k: getattr(self, k) for k in OVERALL_KEYS}
        if self.DE is not None:
            out.update(DE=self.DE, RDE=self.RDE)
        out.update(self.extra)
        return out

    def to_dict(self, per_class: bool = False) -> dict:
        """A JSON-ready dict: ``metric``, ``average``, ``files``, the overall values (NaN and infinities -> None),
        ``ci`` when intervals were computed, and with ``per_class`` a ``per_class`` mapping class name -> values (and
        ``per_class_ci``)."""
        out: dict = {"metric": self.metric, "average": self.average, "files": self.files}
        out.update({k: _num(v) for k, v in self.overall().items()})
        if self.ci:
            out["ci"] = {k: [_num(lo), _num(hi)] for k, (lo, hi) in self.ci.items()}
        if per_class and self.per_class:
            out["per_class"] = {name: {k: _num(v[i]) for k, v in self.per_class.items()}
                                for i, name in enumerate(self.classes)}
            if self.per_class_ci:
                out["per_class_ci"] = {name: {k: [_num(v[i, 0]), _num(v[i, 1])]
                                              for k, v in self.per_class_ci.items()}
                                       for i, name in enumerate(self.classes)}
        return out
